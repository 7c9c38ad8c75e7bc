/**
 * Benchmark of the image emitters against the C tools on the same synthetic rootfs (thousands
 * of files of mixed sizes), measured in the same run, best of N:
 *  - rootfs.tar (ours, from the model) vs GNU `tar -cf` of the same tree on disk;
 *  - rootfs.erofs (our writer) vs `mkfs.erofs` (uncompressed) of the tree on disk;
 *  - dm-verity tree (ours) vs `veritysetup format` on the same image;
 *  - squashfs (tar stream → mksquashfs -tar) vs `mksquashfs DIR`.
 * Ratios > 1 mean driftless is slower.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rootfs } from '../src/compose/rootfs.js';
import { silentReport } from '../src/core/report.js';
import { tarEmitter } from '../src/outputs/tar.js';
import { writeErofs } from '../src/outputs/erofs/writer.js';
import { formatVerity } from '../src/outputs/verity.js';
import { buildSquashfs } from '../src/outputs/squashfs.js';

const has = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
const round = (n: number) => Math.round(n * 10) / 10;

async function best(n: number, fn: () => unknown): Promise<number> {
  let b = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    b = Math.min(b, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return b;
}

function synthetic(files: number): Rootfs {
  const fs = new Rootfs({ defaultMtime: 1_700_000_000 });
  let x = 12345;
  for (let i = 0; i < files; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const size = i % 50 === 0 ? 200_000 + (x % 300_000) : x % 12_000;
    const bytes = Buffer.alloc(size);
    for (let j = 0; j < size; j += 4096) bytes.writeUInt32LE((x + j) >>> 0, j);
    fs.add({ path: `/usr/lib/pkg${i % 300}/d${i % 5}/f${i}`, type: 'file', mode: 0o644, content: { bytes }, mtime: 1_700_000_000 });
  }
  return fs;
}

export async function benchOutputs(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const runs = opts.quick ? 2 : 3;
  const files = opts.quick ? 4000 : 20000;
  const dir = mkdtempSync(join(tmpdir(), 'bench-outputs-'));
  const epoch = 1_700_000_000;
  const out: Record<string, unknown> = { files };
  try {
    const fs = synthetic(files);
    const ctx = { outDir: dir, epoch, report: silentReport, image: { name: 'bench', arch: 'x86_64' } };
    const tarMs = await best(runs, () => tarEmitter.emit(fs, ctx));
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    spawnSync('tar', ['-xf', join(dir, 'rootfs.tar'), '-C', tree]);
    const tar: Record<string, unknown> = { driftlessMs: round(tarMs) };
    const gnu = await best(runs, () => spawnSync('tar', ['--sort=name', '--numeric-owner', '--format=posix', '-cf', join(dir, 'gnu.tar'), '-C', tree, '.']));
    tar.gnuTarMs = round(gnu);
    tar.ratio = round(tarMs / gnu);
    out.tar = tar;

    const erofsMs = await best(runs, () => writeErofs(fs, join(dir, 'rootfs.erofs'), { epoch }));
    const erofs: Record<string, unknown> = { driftlessMs: round(erofsMs) };
    if (has('mkfs.erofs')) {
      const mk = await best(runs, () => spawnSync('mkfs.erofs', ['--quiet', '-T', String(epoch), join(dir, 'mkfs.erofs'), tree]));
      erofs.mkfsErofsMs = round(mk);
      erofs.ratio = round(erofsMs / mk);
    }
    out.erofs = erofs;

    const verityMs = await best(runs, () => formatVerity(join(dir, 'rootfs.erofs'), join(dir, 'ours.verity')));
    const verity: Record<string, unknown> = { driftlessMs: round(verityMs) };
    if (has('veritysetup')) {
      const v = await best(runs, () => spawnSync('veritysetup', ['format', join(dir, 'rootfs.erofs'), join(dir, 'theirs.verity')]));
      verity.veritysetupMs = round(v);
      verity.ratio = round(verityMs / v);
    }
    out.verity = verity;

    if (has('mksquashfs')) {
      const sq = await best(runs, () => buildSquashfs(fs, join(dir, 'ours.squashfs'), epoch));
      const direct = await best(runs, () => spawnSync('mksquashfs', [tree, join(dir, 'dir.squashfs'), '-noappend', '-quiet', '-no-progress', '-reproducible', '-mkfs-time', String(epoch), '-all-time', String(epoch)]));
      out.squashfs = { driftlessTarPipeMs: round(sq), mksquashfsDirMs: round(direct), ratio: round(sq / direct) };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
