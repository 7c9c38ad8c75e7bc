/**
 * Compose bench: the sample `base` image, cold (empty cache) and warm, as a CLI process, against
 * `dnf --installroot` installing the same locked package set from the same signed repository
 * (gpgcheck on, no weak deps) in the same run. Also the decompress + SHA-256 bound for the
 * payloads, to show how close the rootfs stage gets to pure I/O work.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildSampleRepo } from '../src/rpm/build/sample-set.js';
import { createRepo } from '../src/repo/write/create.js';
import { openPackage } from '../src/rpm/package.js';
import type { Lockfile } from '../src/lock/lockfile.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const EPOCH = 1704067200;

function timed(cmd: string, args: string[], cwd = root): { seconds: number; status: number; stderr: string } {
  const s = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { seconds: (performance.now() - s) / 1000, status: r.status ?? -1, stderr: r.stderr };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * A bigger synthetic package set (PACKAGES × FILES files of 16 KiB text each), so per-byte and
 * per-file work shows next to the fixed costs that dominate the tiny sample set.
 */
async function writeSyntheticDefinitions(dir: string, packages: number, files: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < packages; i++) {
    const name = `synthetic-${String(i).padStart(3, '0')}`;
    names.push(name);
    const tree = join(dir, 'trees', name);
    mkdirSync(tree, { recursive: true });
    for (let f = 0; f < files; f++) {
      // deterministic, moderately compressible text (like docs, scripts, data files)
      const line = `${name} file ${f}: ${createHash('sha256').update(`${i}:${f}`).digest('hex')}\n`;
      writeFileSync(join(tree, `f${String(f).padStart(4, '0')}.txt`), line.repeat(Math.ceil(16384 / line.length)).slice(0, 16384));
    }
    const requires = i > 0 ? `requires: [synthetic-${String(i - 1).padStart(3, '0')}]\n` : '';
    writeFileSync(join(dir, `${name}.yaml`), `name: ${name}\nversion: "1.0"\nrelease: "1"\narch: noarch\nsummary: synthetic bench package\nlicense: MIT\n${requires}files:\n  - { path: /usr/share/${name}, from: ./trees/${name} }\n`);
  }
  return names;
}

export async function benchCompose(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'driftless-bench-compose-'));
  try {
    const repo = join(work, 'repo');
    await buildSampleRepo(repo, { epoch: EPOCH });
    await createRepo(repo, { epoch: EPOCH, signKey: readFileSync(join(root, 'examples/keys/demo-ed25519.secret.asc'), 'utf8') });
    const def = join(work, 'base.yaml');
    writeFileSync(def, readFileSync(join(root, 'examples/base.yaml'), 'utf8').replace('path: ../out/demo/repo', `path: ${repo}`).replaceAll('gpgkey: [keys/', `gpgkey: [${join(root, 'examples/keys')}/`));
    const runs = opts.quick ? 1 : 3;
    const cold: number[] = [];
    const warm: number[] = [];
    const dnf: number[] = [];
    const lockPath = join(work, 'base.lock.json');
    for (let i = 0; i < runs; i++) {
      const cache = join(work, `cache-${i}`);
      const args = [join(root, 'bin/driftless.js'), 'compose', def, '-o', join(work, `out-${i}`), '--lock', lockPath, '--cache-dir', cache, '--source-date-epoch', String(EPOCH), '-q'];
      const c = timed(process.execPath, args);
      if (c.status !== 0) throw new Error(`compose failed: ${c.stderr}`);
      cold.push(c.seconds);
      const w = timed(process.execPath, args);
      if (w.status !== 0) throw new Error(`compose failed: ${w.stderr}`);
      warm.push(w.seconds);
    }
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as Lockfile;
    const nevras = lock.arches.x86_64!.packages.map((p) => p.nevra);
    for (let i = 0; i < runs; i++) {
      const r = timed('dnf', [
        '-y', '-q', `--installroot=${join(work, `dnfroot-${i}`)}`, '--releasever=4.0', '--setopt=reposdir=/dev/null',
        `--setopt=cachedir=${join(work, `dnfcache-${i}`)}`, '--setopt=install_weak_deps=False', '--disableplugin=*',
        `--repofrompath=sample,file://${repo}`, '--setopt=sample.gpgcheck=1', `--setopt=sample.gpgkey=file://${join(root, 'examples/keys/demo-ed25519.public.asc')}`,
        'install', ...nevras,
      ]);
      if (r.status !== 0) throw new Error(`dnf failed: ${r.stderr}`);
      dnf.push(r.seconds);
    }
    // lower bound for the rootfs stage: decompress every payload and hash it
    const s = performance.now();
    let payloadBytes = 0;
    for (const p of lock.arches.x86_64!.packages) {
      const pkg = await openPackage(join(repo, p.location));
      const h = createHash('sha256');
      for await (const c of pkg.payload()) {
        h.update(c);
        payloadBytes += c.length;
      }
    }
    const bound = (performance.now() - s) / 1000;
    const report = JSON.parse(readFileSync(join(work, 'out-0/report.json'), 'utf8')) as { timings: Record<string, number> };

    // scaled: synthetic packages, rootfs.tar only (the closest output to what dnf produces: a tree)
    const nPkgs = opts.quick ? 20 : 40;
    const nFiles = opts.quick ? 50 : 100;
    const synthDefs = join(work, 'synthetic-defs');
    mkdirSync(synthDefs);
    const synthNames = await writeSyntheticDefinitions(synthDefs, nPkgs, nFiles);
    const synthRepo = join(work, 'synthetic-repo');
    await buildSampleRepo(synthRepo, { epoch: EPOCH, definitionsDir: synthDefs });
    await createRepo(synthRepo, { epoch: EPOCH, signKey: readFileSync(join(root, 'examples/keys/demo-ed25519.secret.asc'), 'utf8') });
    const synthDef = join(work, 'synthetic.yaml');
    writeFileSync(synthDef, `name: synthetic\nrepositories:\n  - { name: synth, path: ${synthRepo}, gpgkey: [${join(root, 'examples/keys/demo-ed25519.public.asc')}] }\npackages:\n  install: [${synthNames.join(', ')}]\nhardening: { profile: none }\noutputs: [tar]\n`);
    const synthLock = join(work, 'synthetic.lock.json');
    const synthCompose = (i: number) => {
      const r = timed(process.execPath, [join(root, 'bin/driftless.js'), 'compose', synthDef, '-o', join(work, `synth-out-${i}`), '--lock', synthLock, '--cache-dir', join(work, `synth-cache-${i}`), '--source-date-epoch', String(EPOCH), '-q']);
      if (r.status !== 0) throw new Error(`compose failed: ${r.stderr}`);
      return r.seconds;
    };
    const synthCold = median(Array.from({ length: runs }, (_, i) => synthCompose(i)));
    const synthDnf = median(Array.from({ length: runs }, (_, i) => {
      const r = timed('dnf', [
        '-y', '-q', `--installroot=${join(work, `synth-dnfroot-${i}`)}`, '--releasever=4.0', '--setopt=reposdir=/dev/null',
        `--setopt=cachedir=${join(work, `synth-dnfcache-${i}`)}`, '--setopt=install_weak_deps=False', '--disableplugin=*',
        `--repofrompath=synth,file://${synthRepo}`, '--setopt=synth.gpgcheck=1', `--setopt=synth.gpgkey=file://${join(root, 'examples/keys/demo-ed25519.public.asc')}`,
        'install', ...synthNames,
      ]);
      if (r.status !== 0) throw new Error(`dnf failed: ${r.stderr}`);
      return r.seconds;
    }));
    return {
      scaled: {
        packages: nPkgs,
        files: nPkgs * nFiles,
        bytes: nPkgs * nFiles * 16384,
        composeTarOnlySeconds: synthCold,
        dnfInstallrootSeconds: synthDnf,
        speedupVsDnf: Number((synthDnf / synthCold).toFixed(2)),
      },
      packages: nevras.length,
      composeColdSeconds: median(cold),
      composeWarmSeconds: median(warm),
      dnfInstallrootSeconds: median(dnf),
      speedupVsDnfCold: Number((median(dnf) / median(cold)).toFixed(2)),
      speedupVsDnfWarm: Number((median(dnf) / median(warm)).toFixed(2)),
      goal: 'compose >= 10x faster than dnf --installroot',
      stageTimingsCold: report.timings,
      payloadBytes,
      decompressHashBoundSeconds: Number(bound.toFixed(4)),
      rootfsStageVsBound: Number(((report.timings['rootfs:x86_64'] ?? 0) / Math.max(bound, 1e-6)).toFixed(2)),
      note: 'both sides are whole CLI processes (node startup included); the sample packages are tiny, so fixed costs dominate',
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
