import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, run, requireTool, tempDir, fixtures } from '../../../test/helpers/cli.js';

const good = [
  'repo system 0 testtags <inline>',
  '#>=Pkg: B 1 1 noarch',
  'repo available 0 testtags <inline>',
  '#>=Pkg: A 1 1 noarch',
  '#>=Req: B >= 2',
  '#>=Pkg: B 2 1 noarch',
  '#>=Pkg: C 1 1 noarch',
  '#>=Req: missing',
  'system i686 rpm system',
  'job install name A',
  'result transaction,problems <inline>',
  '#>install A-1-1.noarch@available',
  '#>upgrade B-1-1.noarch@system B-2-1.noarch@available',
  '',
].join('\n');

test('testsolv: matching result is silent, a wrong one prints the difference (agrees with libsolv testsolv)', (t) => {
  const dir = tempDir(t);
  const ok = join(dir, 'ok.t');
  const bad = join(dir, 'bad.t');
  writeFileSync(ok, good);
  writeFileSync(bad, good.replace('#>install A-1-1.noarch@available\n', '#>install C-1-1.noarch@available\n'));
  const r1 = runCli(['testsolv', ok]);
  assert.equal(r1.status, 0, r1.stderr);
  assert.equal(r1.stdout, '');
  const r2 = runCli(['testsolv', bad]);
  assert.equal(r2.status, 1);
  assert.match(r2.stdout, /Results differ:\n/);
  assert.match(r2.stdout, /^-install C-1-1\.noarch@available$/m);
  assert.match(r2.stdout, /^\+install A-1-1\.noarch@available$/m);
  const r3 = runCli(['testsolv', ok, bad]);
  assert.equal(r3.status, 1);
  assert.match(r3.stdout, /bad\.t: results differ\n1 passed, 1 failed\n$/);
  if (!requireTool(t, 'testsolv')) return;
  assert.equal(run('testsolv', [ok]).status, 0);
  assert.notEqual(run('testsolv', [bad]).status, 0);
  // same result text as libsolv for the same case
  const ours = runCli(['testsolv', '-r', ok]).stdout;
  const theirs = run('testsolv', ['-r', ok]).stdout;
  assert.equal(ours.split('\n').filter(Boolean).sort().join('\n'), theirs.split('\n').filter((l) => l && !l.startsWith('result ')).map((l) => l.replace(/^#>/, '')).sort().join('\n'));
});

test('testsolv: several fixture files in one process print a summary', () => {
  const base = join(fixtures, 'libsolv/testcases');
  const r = runCli(['testsolv', join(base, 'choose/default.t'), join(base, 'sat/assert.t')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, '2 passed, 0 failed\n');
});
