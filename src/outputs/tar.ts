/**
 * `tar` output: rootfs.tar, a POSIX pax archive of the rootfs (also the layer of the OCI image
 * and the input of mksquashfs).
 *
 * Rules (reproducible by construction): entries in byte order of path; the root itself is not
 * stored; mtime = min(entry mtime, epoch); owners numeric + names as in the model; every xattr
 * (security.capability included) as a `SCHILY.xattr.*` record. Hardlinks: a tar reader can only
 * link to a file it has already seen, so the first path of a hardlink group (in byte order)
 * carries the data and every other path of the group — the model's source included — becomes a
 * link to it.
 */
import { join } from 'node:path';
import { writeStreamAtomic } from '../core/atomic.js';
import { DriftlessError } from '../core/errors.js';
import { compareBytes, type Rootfs, type RootfsEntry } from '../compose/rootfs.js';
import { writeTar, type TarWriteEntry } from '../archive/tar-write.js';
import { registerEmitter, describeFile, type EmitContext, type EmittedFile } from './emitter.js';

/** Canonical path of each hardlinked inode: source path → first path of its group in byte order. */
export function hardlinkCanonical(rootfs: Rootfs): Map<string, string> {
  const out = new Map<string, string>();
  for (const [src, links] of rootfs.hardlinkGroups()) {
    const all = [src, ...links].sort(compareBytes);
    out.set(src, all[0]!);
  }
  return out;
}

/** The rootfs as tar entries (see the rules above). */
export function* rootfsTarEntries(rootfs: Rootfs, epoch: number): Generator<TarWriteEntry> {
  const canon = hardlinkCanonical(rootfs);
  const clamp = (e: RootfsEntry): RootfsEntry => (e.mtime > epoch ? { ...e, mtime: epoch } : e);
  for (const e of rootfs.sorted()) {
    if (e.path === '/') continue;
    if (e.type === 'hardlink' || canon.has(e.path)) {
      const srcPath = e.type === 'hardlink' ? e.linkTarget! : e.path;
      const src = rootfs.get(srcPath);
      if (!src || src.type !== 'file') {
        throw new DriftlessError('OUTPUT_DANGLING_HARDLINK', `${e.path}: hardlink to ${srcPath}, which is not a regular file`, { path: e.path });
      }
      const first = canon.get(srcPath)!;
      if (first === e.path) yield clamp({ ...src, path: e.path });
      else yield clamp({ ...src, path: e.path, type: 'hardlink', linkTarget: first, size: 0, content: undefined, xattrs: {} });
      continue;
    }
    yield clamp(e);
  }
}

/** The rootfs as a tar byte stream. */
export function rootfsTarStream(rootfs: Rootfs, epoch: number): AsyncGenerator<Uint8Array> {
  return writeTar(rootfsTarEntries(rootfs, epoch));
}

export const tarEmitter = {
  name: 'tar',
  async emit(rootfs: Rootfs, ctx: EmitContext): Promise<EmittedFile[]> {
    const rel = 'rootfs.tar';
    const p = ctx.report.progress('emit-tar', 'writing rootfs.tar', rootfs.size);
    await writeStreamAtomic(join(ctx.outDir, rel), writeTar(rootfsTarEntries(rootfs, ctx.epoch), { onEntry: () => p.tick() }));
    p.done();
    return [await describeFile(ctx.outDir, rel)];
  },
};
registerEmitter(tarEmitter);
