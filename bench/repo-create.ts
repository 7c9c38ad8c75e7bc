/**
 * Benchmark of `repo create` against `createrepo_c`, measured in the same run on the same tree:
 * the fixture RPMs copied into many directories (920 packages; 230 with --quick).
 *  - cold: no previous repodata (driftless with `incremental: false`, createrepo_c plain);
 *  - warm: previous repodata present (driftless incremental, `createrepo_c --update`).
 * Both write gzip metadata without sqlite databases. Each contender runs in its own process;
 * wall time is the best of 3, peak RSS is the child's. Ratios > 1 mean driftless is slower.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const has = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
const round = (n: number) => Math.round(n * 10) / 10;

interface Run {
  wallMs: number;
  maxRssKb: number;
}

/** driftless in a child process; the child reports its own wall time and peak RSS. */
function ours(dir: string, incremental: boolean): Run {
  const code = `import { createRepo } from ${JSON.stringify(join(root, 'src/repo/write/create.ts'))};
const t0 = performance.now();
await createRepo(${JSON.stringify(dir)}, { compress: 'gz', incremental: ${incremental} });
// VmHWM, not ru_maxrss: a child forked from the large bench process inherits its high-water mark there
const hwm = /VmHWM:\\s+(\\d+) kB/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ wallMs: performance.now() - t0, maxRssKb: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`driftless repo create failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run;
}

/** createrepo_c wall time (from here) and peak RSS (from GNU time when available). */
function theirs(dir: string, update: boolean): Run {
  const args = ['--no-database', '--quiet', '--compress-type', 'gz', ...(update ? ['--update'] : []), dir];
  const viaTime = has('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = viaTime ? spawnSync('/usr/bin/time', ['-f', '%M', 'createrepo_c', ...args], { encoding: 'utf8' }) : spawnSync('createrepo_c', args, { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`createrepo_c failed: ${r.stderr}`);
  const rss = viaTime ? Number(r.stderr.trim().split('\n').pop()) : NaN;
  return { wallMs, maxRssKb: rss };
}

function best(runs: Run[]): Run {
  return { wallMs: round(Math.min(...runs.map((r) => r.wallMs))), maxRssKb: Math.max(...runs.map((r) => r.maxRssKb)) };
}

export async function benchRepoCreate(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  if (!has('createrepo_c')) return { skipped: 'createrepo_c not installed' };
  const work = mkdtempSync(join(tmpdir(), 'driftless-bench-repo-'));
  try {
    const rpms = readdirSync(join(root, 'test/fixtures/rpm/RPMS')).filter((f) => f.endsWith('.rpm'));
    const copies = opts.quick ? 10 : 40;
    const a = join(work, 'a');
    for (let i = 0; i < copies; i++) {
      mkdirSync(join(a, `d${i}`), { recursive: true });
      for (const f of rpms) cpSync(join(root, 'test/fixtures/rpm/RPMS', f), join(a, `d${i}`, f), { preserveTimestamps: true });
    }
    const b = join(work, 'b');
    cpSync(a, b, { recursive: true, preserveTimestamps: true });
    const cold = { driftless: [] as Run[], createrepo_c: [] as Run[] };
    const warm = { driftless: [] as Run[], createrepo_c: [] as Run[] };
    for (let i = 0; i < 3; i++) {
      rmSync(join(a, 'repodata'), { recursive: true, force: true });
      rmSync(join(b, 'repodata'), { recursive: true, force: true });
      cold.driftless.push(ours(a, false));
      cold.createrepo_c.push(theirs(b, false));
      warm.driftless.push(ours(a, true));
      warm.createrepo_c.push(theirs(b, true));
    }
    const c = { driftless: best(cold.driftless), createrepo_c: best(cold.createrepo_c) };
    const w = { driftless: best(warm.driftless), createrepo_c: best(warm.createrepo_c) };
    return {
      packages: rpms.length * copies,
      cold: { ...c, ratio: round(c.driftless.wallMs / c.createrepo_c.wallMs) },
      warm: { ...w, ratio: round(w.driftless.wallMs / w.createrepo_c.wallMs) },
      note: 'driftless wall time excludes Node/tsx start-up (measured inside the child); createrepo_c includes process start',
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
