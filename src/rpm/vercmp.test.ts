import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rpmvercmp, parseEVR, compareEVR, formatEVR } from './vercmp.js';

/** Vectors from rpm's own tests/rpmvercmp.at: RPMVERCMP(a, b, expected). */
function vectors(): Array<[string, string, number]> {
  const text = readFileSync(new URL('../../test/fixtures/rpm/at/rpmvercmp.at', import.meta.url), 'utf8');
  const out: Array<[string, string, number]> = [];
  for (const m of text.matchAll(/^RPMVERCMP\(([^,]*), ([^,]*), (-?\d)\)$/gm)) out.push([m[1]!, m[2]!, Number(m[3])]);
  return out;
}

test('rpmvercmp matches every vector of rpmvercmp.at', () => {
  const v = vectors();
  assert.ok(v.length >= 90, `expected ≥90 vectors, found ${v.length}`);
  const failures = v.filter(([a, b, want]) => rpmvercmp(a, b) !== want);
  assert.deepEqual(failures, []);
});

test('parseEVR splits epoch, version and release like rpm', () => {
  assert.deepEqual(parseEVR('1:2.0-3.fc40'), { epoch: '1', version: '2.0', release: '3.fc40' });
  assert.deepEqual(parseEVR('2.0'), { epoch: undefined, version: '2.0' });
  assert.deepEqual(parseEVR(':1.0-1'), { epoch: '0', version: '1.0', release: '1' });
  assert.deepEqual(parseEVR('1.0-a-b'), { epoch: undefined, version: '1.0-a', release: 'b' });
  assert.equal(formatEVR(parseEVR('3:1.2-4')), '3:1.2-4');
});

test('compareEVR orders epoch before version before release', () => {
  assert.equal(compareEVR(parseEVR('1:1.0-1'), parseEVR('2.0-1')), 1);
  assert.equal(compareEVR(parseEVR('1.0-2'), parseEVR('1.0-10')), -1);
  assert.equal(compareEVR(parseEVR('1.0'), parseEVR('1.0-10')), 0);
  assert.equal(compareEVR(parseEVR('0:1.0-1'), parseEVR('1.0-1')), 0);
});
