/**
 * Host bench vs ostree on the same synthetic rootfs (a few thousand files; v2 bumps one
 * "package"): commit (driftless import from the directory vs `ostree commit` into a bare-user
 * repo), checkout/deploy (driftless deploy + finalize, and the v2 update deploy, vs `ostree checkout -U`
 * hardlinks; driftless syncs the filesystem before switching, ostree checkout does not), drift
 * scan (fast and --full vs `ostree diff` of the checkout), fsck vs `ostree fsck`, and delta size
 * (signed driftless delta vs `ostree static-delta generate`) against the full image size.
 * driftless runs in-process (library calls); ostree as a process. Ratios are driftless / ostree.
 */
import { mkdtempSync, rmSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { HostStore } from '../src/host/store.js';
import { commitImage } from '../src/host/commit.js';
import { deploy, finalize } from '../src/host/deploy.js';
import { drift } from '../src/host/drift.js';
import { fsck } from '../src/host/fsck.js';
import { createDelta } from '../src/host/delta.js';
import { makeKey, pseudoBytes } from '../src/host/testing.js';

const EPOCH = 1704067200;

function run(cmd: string, args: string[]): number {
  const s = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0 && !(cmd === 'ostree' && args[0] === 'diff')) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return (performance.now() - s) / 1000;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const s = performance.now();
  const v = await fn();
  return [(performance.now() - s) / 1000, v];
}

function duBytes(p: string): number {
  let n = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    const q = join(p, e.name);
    if (e.isDirectory()) n += duBytes(q);
    else if (e.isFile()) n += statSync(q).size;
  }
  return n;
}

/** A synthetic rootfs: `files` files in packages of ~25 files; v2 rebuilds package 7. */
export function writeTree(dir: string, files: number, version: 1 | 2): void {
  for (let i = 0; i < files; i++) {
    const pkg = Math.floor(i / 25);
    const bumped = version === 2 && pkg === 7;
    const sub = i % 5 === 0 ? `usr/bin` : i % 5 === 1 ? `usr/lib/pkg${pkg}` : `usr/share/pkg${pkg}/d${i % 3}`;
    const size = i % 40 === 0 ? 256 * 1024 : 512 + ((i * 7919) % 16384);
    let data = pseudoBytes(`f${i}`, size);
    if (bumped) {
      data = Buffer.from(data);
      data.write(`v2 build of pkg${pkg}`, Math.floor(size / 2));
    }
    mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, sub, `f${i}`), data, { mode: i % 5 === 0 ? 0o755 : 0o644 });
  }
  mkdirSync(join(dir, 'etc/conf.d'), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(dir, 'etc/conf.d', `c${i}.conf`), `setting${i}=${version === 2 && i === 7 ? 'new' : 'old'}\n`);
  mkdirSync(join(dir, 'var/lib'), { recursive: true });
}

interface Times {
  commit: number;
  deploy: number;
  update: number;
  driftFast: number;
  driftFull: number;
  fsck: number;
  delta: number;
  deltaBytes: number;
  diffs: number;
  objects: number;
}

async function driftlessRun(work: string, v1dir: string, v2dir: string, key: { secret: string; public: string }, i: number): Promise<Times> {
  const S = join(work, `sysroot-${i}`);
  const store = await HostStore.init(S, [{ name: 'bench', armored: key.public }]);
  const [commit, c1] = await time(() => commitImage(store, v1dir, { ref: 'x86_64/stable', secretKey: key.secret, timestamp: EPOCH }));
  const [deployS] = await time(async () => {
    await deploy(store, 'x86_64/stable');
    await finalize(store);
  });
  const [driftFast, d] = await time(() => drift(store));
  const [driftFull] = await time(() => drift(store, { full: true }));
  const [fsckS, f] = await time(() => fsck(store));
  if (d.changes.length || f.problems.length) throw new Error('bench sysroot is not clean');
  const c2 = await commitImage(store, v2dir, { ref: 'x86_64/stable', secretKey: key.secret, timestamp: EPOCH + 1 });
  const [deltaS, delta] = await time(() => createDelta(store, { from: c1.id, to: c2.id, out: join(work, 'v2.delta'), secretKey: key.secret }));
  const [update] = await time(() => deploy(store, 'x86_64/stable'));
  rmSync(S, { recursive: true, force: true });
  return { commit, deploy: deployS, update, driftFast, driftFull, fsck: fsckS, delta: deltaS, deltaBytes: delta.deltaSize, diffs: delta.diffs, objects: delta.objects };
}

function ostreeRun(work: string, v1dir: string, v2dir: string, i: number): Times {
  const R = join(work, `ostree-repo-${i}`);
  run('ostree', ['init', `--repo=${R}`, '--mode=bare-user']);
  const commit = run('ostree', ['commit', `--repo=${R}`, '-b', 'v1', `--tree=dir=${v1dir}`, '--timestamp=@1704067200', '-s', 'v1']);
  const deployS = run('ostree', ['checkout', `--repo=${R}`, '-U', 'v1', join(work, `ostree-co-${i}`)]);
  const driftFull = run('ostree', ['diff', `--repo=${R}`, 'v1', join(work, `ostree-co-${i}`)]);
  const fsckS = run('ostree', ['fsck', `--repo=${R}`]);
  run('ostree', ['commit', `--repo=${R}`, '-b', 'v2', `--tree=dir=${v2dir}`, '--timestamp=@1704067201', '-s', 'v2']);
  const delta = run('ostree', ['static-delta', 'generate', `--repo=${R}`, '--from=v1', '--to=v2']);
  const deltaBytes = duBytes(join(R, 'deltas'));
  const update = run('ostree', ['checkout', `--repo=${R}`, '-U', 'v2', join(work, `ostree-co2-${i}`)]);
  for (const p of [R, join(work, `ostree-co-${i}`), join(work, `ostree-co2-${i}`)]) rmSync(p, { recursive: true, force: true });
  return { commit, deploy: deployS, update, driftFast: driftFull, driftFull, fsck: fsckS, delta, deltaBytes, diffs: 0, objects: 0 };
}

const best = (xs: Times[], k: keyof Times) => Math.min(...xs.map((x) => x[k]));

export async function benchHost(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const files = opts.quick ? 1500 : 5000;
  const runs = opts.quick ? 1 : 3;
  const work = mkdtempSync(join(tmpdir(), 'driftless-bench-host-'));
  try {
    const key = await makeKey('bench');
    const v1dir = join(work, 'v1');
    const v2dir = join(work, 'v2');
    writeTree(v1dir, files, 1);
    writeTree(v2dir, files, 2);
    const imageBytes = duBytes(v1dir);
    const dl: Times[] = [];
    const os: Times[] = [];
    for (let i = 0; i < runs; i++) {
      dl.push(await driftlessRun(work, v1dir, v2dir, key, i));
      os.push(ostreeRun(work, v1dir, v2dir, i));
    }
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const pair = (k: keyof Times, ok: keyof Times = k) => ({ driftless: r3(best(dl, k)), ostree: r3(best(os, ok)), ratio: r3(best(dl, k) / best(os, ok)) });
    const deltaBytes = dl[0]!.deltaBytes;
    const oDeltaBytes = os[0]!.deltaBytes;
    return {
      files,
      imageBytes,
      runs,
      note: 'best of `runs`, interleaved; driftless in-process (library), ostree as a process; ratio = driftless / ostree',
      commit: { ...pair('commit'), what: 'import from a directory + sign vs ostree commit (bare-user)' },
      deploy: { ...pair('deploy'), what: 'first deploy + finalize vs ostree checkout -U' },
      deployUpdate: { ...pair('update'), what: 'deploy v2 next to v1 (incl. /etc merge) vs ostree checkout -U of v2' },
      driftFast: { ...pair('driftFast'), what: 'drift (stat-based) vs ostree diff' },
      driftFull: { ...pair('driftFull'), what: 'drift --full (hash all) vs ostree diff' },
      fsck: pair('fsck'),
      delta: {
        driftlessBytes: deltaBytes,
        ostreeBytes: oDeltaBytes,
        ratio: r3(deltaBytes / oDeltaBytes),
        driftlessVsImage: r3(deltaBytes / imageBytes),
        ostreeVsImage: r3(oDeltaBytes / imageBytes),
        seconds: pair('delta'),
        diffs: dl[0]!.diffs,
        objects: dl[0]!.objects,
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchHost({ quick: process.argv.includes('--quick') }), null, 2));
}
