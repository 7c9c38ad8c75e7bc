/**
 * Solver benchmark: wall time of all libsolv testcases in one driftless process vs Debian's
 * `testsolv` run once per testcase (what a user of the C tool does). Ratio > 1 means slower.
 * Plus a scale case: "update all [forcebest]" with 300 problems on a pool of ~18000 packages
 * (every problem's solutions are refined by re-solving, thousands of runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** The generator of src/solver/scale.test.ts, at bench size. */
function forcebestMany(n: number, f: number): string {
  const sys = ['repo system 0 testtags <inline>'];
  const av = ['repo available 0 testtags <inline>'];
  for (let i = 0; i < n; i++) {
    sys.push(`#>=Pkg: p${i} 1 1 x86_64`, `#>=Req: lib${i % 7}`, `#>=Pkg: u${i} 1 1 x86_64`, `#>=Req: p${i} = 1-1`);
    sys.push(`#>=Pkg: w${i} 1 1 x86_64`, `#>=Req: u${i}`, `#>=Req: p${(i + 1) % n}`);
    av.push(`#>=Pkg: p${i} 2 1 x86_64`, `#>=Req: lib${i % 7}`);
  }
  for (let k = 0; k < 7; k++) sys.push(`#>=Pkg: lib${k} 1 1 x86_64`), av.push(`#>=Pkg: lib${k} 1 1 x86_64`, `#>=Pkg: lib${k} 1 1 i686`);
  for (let j = 0; j < f; j++) {
    av.push(`#>=Pkg: f${j} 1 1 x86_64`, `#>=Req: lib${j % 7}`, `#>=Req: f${(j * 7 + 1) % f} f${(j * 13 + 5) % f}`);
    av.push(`#>=Pkg: g${j} 1 1 x86_64`, `#>=Req: nothere${j}`, `#>=Pkg: f${j} 1 1 i686`, `#>=Req: lib${j % 7}`);
  }
  return [...sys, ...av, 'system x86_64 rpm system', 'job update all packages [forcebest]', 'result transaction,problems <inline>'].join('\n') + '\n';
}

async function benchScale(has: boolean): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-bench-solver-'));
  try {
    const file = join(dir, 'case.t');
    writeFileSync(file, forcebestMany(300, 6000));
    const t0 = process.hrtime.bigint();
    const r = await runTestcase(file, { write: true });
    const ours = Number(process.hrtime.bigint() - t0) / 1e6;
    let theirs: number | null = null;
    let same: boolean | null = null;
    if (has) {
      const t1 = process.hrtime.bigint();
      const c = spawnSync('testsolv', ['-r', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
      theirs = Number(process.hrtime.bigint() - t1) / 1e6;
      const sort = (x: string) => x.split('\n').filter((l) => l).sort().join('\n');
      same = sort(c.stdout) === sort(r.output ?? '');
    }
    return { problems: 300, driftlessMs: Math.round(ours), testsolvMs: theirs === null ? null : Math.round(theirs), sameResult: same };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
    scale: await benchScale(has),
  };
}
