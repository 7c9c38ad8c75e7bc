/**
 * Solver benchmark: wall time of all libsolv testcases in one driftless process vs Debian's
 * `testsolv` run once per testcase (what a user of the C tool does). Ratio > 1 means slower.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTestcase } from '../src/solver/runner.js';

const root = fileURLToPath(new URL('../', import.meta.url));

function testcases(): string[] {
  const base = join(root, 'test/fixtures/libsolv/testcases');
  const out: string[] = [];
  for (const d of readdirSync(base).sort()) for (const f of readdirSync(join(base, d)).sort()) if (f.endsWith('.t')) out.push(join(base, d, f));
  return out;
}

export async function benchSolver(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const files = testcases();
  const rounds = opts.quick ? 1 : 3;
  let ours = Infinity;
  let passed = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    let p = 0;
    for (const f of files) if ((await runTestcase(f)).ok) p++;
    ours = Math.min(ours, Number(process.hrtime.bigint() - t0) / 1e6);
    passed = p;
  }
  const has = spawnSync('sh', ['-c', 'command -v testsolv']).status === 0;
  let theirs: number | null = null;
  if (has) {
    theirs = Infinity;
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      for (const f of files) spawnSync('testsolv', [f], { cwd: root, encoding: 'utf8' });
      theirs = Math.min(theirs, Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return {
    testcases: files.length,
    passed,
    driftlessMs: Math.round(ours),
    testsolvMs: theirs === null ? null : Math.round(theirs),
    ratio: theirs ? Math.round((ours / theirs) * 100) / 100 : null,
  };
}
