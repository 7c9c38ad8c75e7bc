/**
 * Large resolve bench: every mandatory/default package of the comps groups `core` and
 * `server-product` of CentOS Stream 9 BaseOS (the metadata fixture; BaseOS alone is
 * self-consistent, while the AppStream snapshot is newer and makes these groups unsolvable
 * with --best for dnf and driftless alike), resolved by
 * `driftless resolve` and by libsolv through `dnf --assumeno install` in the same run — both as
 * whole processes with warm metadata caches (and cold for driftless), with peak RSS from
 * /usr/bin/time. Goal: ≤ 1.5× dnf.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadRepo } from '../src/repo/load.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const baseos = join(root, 'test/fixtures/repos/cs9-baseos');

interface Timed { seconds: number; rssKiB: number; status: number; stdout: string; stderr: string }

function timed(cmd: string, args: string[]): Timed {
  const useTime = existsSync('/usr/bin/time');
  const s = performance.now();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - s) / 1000;
  const lines = (r.stderr ?? '').trim().split('\n');
  const rssKiB = useTime ? Number(lines[lines.length - 1]) : 0;
  return { seconds, rssKiB, status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function best(xs: Timed[]): Timed {
  return [...xs].sort((a, b) => a.seconds - b.seconds)[0]!;
}

export async function benchResolve(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const b = await loadRepo(baseos, { gpgcheck: false, cacheDir: null, parts: ['comps'] });
  const names = new Set(b.packages.map((p) => p.name));
  const wanted = new Set<string>();
  for (const r of [b]) {
    for (const id of ['core', 'server-product']) {
      for (const p of r.comps?.groups.find((g) => g.id === id)?.packages ?? []) if ((p.type === 'mandatory' || p.type === 'default') && names.has(p.name)) wanted.add(p.name);
    }
  }
  const pkgs = [...wanted].sort();
  const work = mkdtempSync(join(tmpdir(), 'driftless-bench-resolve-'));
  try {
    const runs = opts.quick ? 1 : 5;
    const ours = (cache: string) => timed(process.execPath, [join(root, 'bin/driftless.js'), 'resolve', '--repo', baseos, '--nogpgcheck', '-q', '--cache-dir', cache, '--arch', 'x86_64', '--format', 'nevra', ...pkgs]);
    const cold = ours('');
    const warmCache = join(work, 'dl-cache');
    ours(warmCache);
    const warm = best(Array.from({ length: runs }, () => ours(warmCache)));
    const dnfArgs = (cache: string) => [
      `--installroot=${join(work, 'dnfroot')}`, '--releasever=9', '--setopt=reposdir=/dev/null', `--setopt=cachedir=${cache}`,
      '--disableplugin=*', '--nogpgcheck', '--setopt=install_weak_deps=False', '--best', '--assumeno',
      `--repofrompath=baseos,file://${baseos}`, 'install', ...pkgs,
    ];
    const dnfCache = join(work, 'dnf-cache');
    const dnfCold = timed('dnf', dnfArgs(join(work, 'dnf-cold')));
    timed('dnf', dnfArgs(dnfCache));
    const dnf = best(Array.from({ length: runs }, () => timed('dnf', dnfArgs(dnfCache))));
    const oursCount = warm.status === 0 ? warm.stdout.trim().split('\n').length : 0;
    const dnfMatch = /Install\s+(\d+)\s+Package/.exec(dnf.stdout + dnf.stderr);
    return {
      request: { repo: 'cs9-baseos', groups: ['core', 'server-product'], packages: pkgs.length },
      driftless: { warmSeconds: warm.seconds, coldSeconds: cold.seconds, peakRssMiB: Math.round(warm.rssKiB / 1024), installSet: oursCount, status: warm.status },
      dnf: { warmSeconds: dnf.seconds, coldSeconds: dnfCold.seconds, peakRssMiB: Math.round(dnf.rssKiB / 1024), installSet: dnfMatch ? Number(dnfMatch[1]) : null },
      ratioWarm: Number((warm.seconds / dnf.seconds).toFixed(2)),
      ratioCold: Number((cold.seconds / dnfCold.seconds).toFixed(2)),
      goal: 'driftless resolve <= 1.5x dnf --assumeno (libsolv)',
      note: 'whole processes, best of 5 warm runs each: metadata loading (warm caches) + resolution; dnf prints its transaction and aborts (--assumeno)',
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
