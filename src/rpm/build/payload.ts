/**
 * The package payload: a cpio newc archive of the (non-ghost) files with "./"-prefixed names,
 * laid out as rpm 4.18 writes it — files in header order, hardlink sets at the end with all
 * members consecutive and the content on the last member — then zstd-compressed.
 *
 *   const p = await buildPayload(files, inodes, { level: 19 })   // { compressed, archiveSize, ... }
 */
import { createHash } from 'node:crypto';
import { zstdCompress } from '../../core/compression.js';
import { CpioWriter } from '../cpio-write.js';
import { FileFlag } from '../tags.js';
import type { FileRecord } from './files.js';

export interface Payload {
  compressed: Uint8Array;
  /** Uncompressed cpio size (signature PAYLOADSIZE). */
  archiveSize: number;
  /** SHA-256 (hex) of the compressed payload (PAYLOADDIGEST) and of the cpio (PAYLOADDIGESTALT). */
  digest: string;
  digestAlt: string;
}

/**
 * Inode numbers as rpmbuild assigns them: position in the sorted file list + 1, shared by all
 * members of a hardlink set (the number of the set's first member).
 */
export function assignInodes(files: FileRecord[]): number[] {
  const first = new Map<string, number>();
  const targets = new Set(files.map((f) => f.hardlinkOf).filter((x) => x !== undefined));
  return files.map((f, i) => {
    const key = f.hardlinkOf ?? (targets.has(f.path) ? f.path : undefined);
    if (key === undefined) return i + 1;
    const have = first.get(key);
    if (have !== undefined) return have;
    first.set(key, i + 1);
    return i + 1;
  });
}

/** Build and compress the cpio payload. `mtime`s come from the records (already clamped). */
export async function buildPayload(files: FileRecord[], inodes: number[], opts: { level: number }): Promise<Payload> {
  const w = new CpioWriter();
  const chunks: Uint8Array[] = [];
  const sets = new Map<number, number[]>();
  const nlinks = new Map<number, number>();
  for (const n of inodes) nlinks.set(n, (nlinks.get(n) ?? 0) + 1);
  const name = (f: FileRecord) => `.${f.path}`;
  files.forEach((f, i) => {
    if (f.flags & FileFlag.GHOST) return;
    const ino = inodes[i]!;
    if (nlinks.get(ino)! > 1) {
      sets.set(ino, [...(sets.get(ino) ?? []), i]);
      return;
    }
    const data = f.kind === 'symlink' ? new TextEncoder().encode(f.linkto) : f.kind === 'file' ? f.data : new Uint8Array();
    for (const c of w.entry({ name: name(f), ino, mode: f.mode, nlink: 1, mtime: f.mtime, size: data.length }, data)) chunks.push(c);
  });
  for (const [ino, members] of sets) {
    members.forEach((i, k) => {
      const f = files[i]!;
      const last = k === members.length - 1;
      const data = last ? f.data : new Uint8Array();
      for (const c of w.entry({ name: name(f), ino, mode: f.mode, nlink: members.length, mtime: f.mtime, size: data.length }, data)) chunks.push(c);
    });
  }
  for (const c of w.trailer()) chunks.push(c);
  const cpio = Buffer.concat(chunks);
  const compressed = await zstdCompress(cpio, opts.level);
  return {
    compressed,
    archiveSize: cpio.length,
    digest: createHash('sha256').update(compressed).digest('hex'),
    digestAlt: createHash('sha256').update(cpio).digest('hex'),
  };
}
