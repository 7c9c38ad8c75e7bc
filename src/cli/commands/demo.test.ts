import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../../../test/helpers/cli.js';
import { DEMO_OUT, table } from './demo.js';

test('table aligns columns', () => {
  assert.equal(table([['A', 'BB', 'C'], ['long', 'x', 'y']]), 'A     BB  C\nlong  x   y');
});

test('the demo writes under out/demo/ of the repository by default', () => {
  assert.match(DEMO_OUT, /[\\/]out[\\/]demo[\\/]?$/);
});

test('driftless demo builds, signs and verifies the sample set', (t) => {
  const out = tempDir(t);
  const r = runCli(['--json', 'demo', '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { repo: { dir: string; packages: Array<{ name: string; signedBy: string; verdict: string; path: string }> }; repoV2: { packages: unknown[] } };
  assert.equal(j.repo.dir, join(out, 'repo'));
  assert.ok(j.repo.packages.length >= 20);
  for (const p of j.repo.packages) {
    assert.equal(p.signedBy, 'e189b8d60d19ff1a', p.name);
    assert.ok(existsSync(p.path));
  }
  assert.equal(j.repoV2.packages.length, 1);
});
