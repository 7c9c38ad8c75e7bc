/**
 * Scale regressions: problems whose solutions need thousands of re-solves (each problem element
 * is refined by solving again), on pools with thousands of assertions. Such cases once took
 * minutes (every re-run rescanned all rules and touched every watched rule object); the result
 * must still equal libsolv's (stored from Debian's testsolv 0.7.23).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTestcase } from './runner.js';
import { requireTool, run, tempDir } from '../../test/helpers/cli.js';

/**
 * "update all [forcebest]" where every best update breaks an installed package (n problems,
 * each with an "allow" and an "erase" solution), plus f filler packages: requires chains,
 * uninstallable packages and i686 twins (infarch assertions).
 */
function forcebestMany(n: number, f: number): string {
  const sys = ['repo system 0 testtags <inline>'];
  const av = ['repo available 0 testtags <inline>'];
  for (let i = 0; i < n; i++) {
    sys.push(`#>=Pkg: p${i} 1 1 x86_64`, `#>=Req: lib${i % 7}`);
    sys.push(`#>=Pkg: u${i} 1 1 x86_64`, `#>=Req: p${i} = 1-1`);
    sys.push(`#>=Pkg: w${i} 1 1 x86_64`, `#>=Req: u${i}`, `#>=Req: p${(i + 1) % n}`);
    av.push(`#>=Pkg: p${i} 2 1 x86_64`, `#>=Req: lib${i % 7}`);
  }
  for (let k = 0; k < 7; k++) {
    sys.push(`#>=Pkg: lib${k} 1 1 x86_64`);
    av.push(`#>=Pkg: lib${k} 1 1 x86_64`, `#>=Pkg: lib${k} 1 1 i686`);
  }
  for (let j = 0; j < f; j++) {
    av.push(`#>=Pkg: f${j} 1 1 x86_64`, `#>=Req: lib${j % 7}`, `#>=Req: f${(j * 7 + 1) % f} f${(j * 13 + 5) % f}`);
    av.push(`#>=Pkg: g${j} 1 1 x86_64`, `#>=Req: nothere${j}`);
    av.push(`#>=Pkg: f${j} 1 1 i686`, `#>=Req: lib${j % 7}`);
  }
  return [...sys, ...av, 'system x86_64 rpm system', 'job update all packages [forcebest]', 'result transaction,problems <inline>'].join('\n') + '\n';
}

const expected = readFileSync(new URL('./testdata/forcebest-many-problems.result', import.meta.url), 'utf8');

test('scale: forcebest update-all with 80 problems and 4500 fillers matches libsolv', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'case.t');
  const body = forcebestMany(80, 1500);
  writeFileSync(file, body + expected.split('\n').filter((l) => l).map((l) => `#>${l}`).join('\n') + '\n');
  const r = await runTestcase(file);
  assert.equal(r.diff, '');
  assert.ok(r.ok);
  assert.equal(expected.split('\n').filter((l) => l.includes(' info ')).length, 80);
});

test('scale: the stored result is what libsolv computes', (t) => {
  if (!requireTool(t, 'testsolv')) return;
  const dir = tempDir(t);
  const file = join(dir, 'case.t');
  writeFileSync(file, forcebestMany(80, 1500));
  const res = run('testsolv', ['-r', file]);
  assert.equal(res.status, 0);
  const sort = (s: string) => s.split('\n').filter((l) => l).sort().join('\n');
  assert.equal(sort(res.stdout), sort(expected));
});
