import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { depFromFlags, depFlagsToOp, formatDependency, opToFlags, rangesOverlap, parseDependency } from './deps.js';
import { parseRichDep, evaluateRich, formatRichDep } from './richdeps.js';
import { DepFlag } from './tags.js';
import { isDriftlessError } from '../core/errors.js';

const at = fileURLToPath(new URL('../../test/fixtures/rpm/at/rpmdepmatch.at', import.meta.url));

test('rpmdepmatch.at: every provide/require vector matches as rpm', () => {
  const text = readFileSync(at, 'utf8');
  const re = /\(\(([^()]*)\),\s*\(([^()]*)\),\s*(\d)\)/g;
  const tup = (s: string) => [...s.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
  let n = 0;
  for (const m of text.matchAll(re)) {
    const p = tup(m[1]!);
    const r = tup(m[2]!);
    const want = m[3] === '1';
    const got = p[0] === r[0] && rangesOverlap(opToFlags(p[1]), p[2], opToFlags(r[1]), r[2], 'rpm');
    assert.equal(got, want, `${p.join(' ')} vs ${r.join(' ')}`);
    n++;
  }
  assert.ok(n >= 150, `parsed ${n} vectors`);
});

test('flags, formatting and parsing', () => {
  assert.equal(depFlagsToOp(DepFlag.GREATER | DepFlag.EQUAL), '>=');
  assert.equal(depFlagsToOp(0), undefined);
  assert.deepEqual(depFromFlags('foo', DepFlag.LESS, '2'), { name: 'foo', op: '<', evr: '2' });
  assert.deepEqual(depFromFlags('/bin/sh', DepFlag.PREREQ | DepFlag.SCRIPT_PRE, ''), { name: '/bin/sh', pre: true });
  assert.equal(formatDependency({ name: 'a', op: '=', evr: '1:2-3' }), 'a = 1:2-3');
  assert.deepEqual(parseDependency('a >= 1.0'), { name: 'a', op: '>=', evr: '1.0' });
  // libsolv mode: missing release is not special-cased for "="
  assert.equal(rangesOverlap(opToFlags('<'), '1.2-1', opToFlags('='), '1.2', 'rpm'), true);
  assert.equal(rangesOverlap(opToFlags('<'), '1.2-1', opToFlags('='), '1.2', 'libsolv'), false);
});

test('rich deps parse, format and evaluate', () => {
  const t = parseRichDep('(a >= 2 and (b or c) and d)');
  assert.equal(formatRichDep(t), '(a >= 2 and (b or c) and d)');
  const has = (set: string[]) => (d: { name: string }) => set.includes(d.name);
  assert.equal(evaluateRich(t, has(['a', 'c', 'd'])), true);
  assert.equal(evaluateRich(t, has(['a', 'd'])), false);
  const i = parseRichDep('(x if y else z)');
  assert.equal(evaluateRich(i, has(['y', 'x'])), true);
  assert.equal(evaluateRich(i, has(['y'])), false);
  assert.equal(evaluateRich(i, has(['z'])), true);
  assert.equal(evaluateRich(parseRichDep('(x unless y)'), has([])), false);
  assert.equal(evaluateRich(parseRichDep('(x unless y)'), has(['y'])), true);
  for (const bad of ['(a and b or c)', '(a and)', '(a', 'a and b', '(a if b else c else d)', '(a foo b)', '(a and b) x']) {
    assert.throws(() => parseRichDep(bad), (e) => isDriftlessError(e, 'DEP_RICH_SYNTAX'), bad);
  }
});
