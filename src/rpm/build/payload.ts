/**
 * The package payload: a cpio newc archive of the (non-ghost) files with "./"-prefixed names,
 * laid out as rpm 4.18 writes it — files in header order, hardlink sets at the end with all
 * members consecutive and the content on the last member — then zstd-compressed (in 64 MiB
 * frames; file contents are streamed, so memory stays bounded).
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

/** The cpio archive as a stream of chunks (file contents streamed, never all in memory). */
async function* cpioStream(files: FileRecord[], inodes: number[], w: CpioWriter): AsyncGenerator<Uint8Array> {
  const sets = new Map<number, number[]>();
  const nlinks = new Map<number, number>();
  for (const n of inodes) nlinks.set(n, (nlinks.get(n) ?? 0) + 1);
  const name = (f: FileRecord) => `.${f.path}`;
  for (const [i, f] of files.entries()) {
    if (f.flags & FileFlag.GHOST) continue;
    const ino = inodes[i]!;
    if (nlinks.get(ino)! > 1) {
      sets.set(ino, [...(sets.get(ino) ?? []), i]);
      continue;
    }
    if (f.kind === 'file') {
      yield* w.entryStream({ name: name(f), ino, mode: f.mode, nlink: 1, mtime: f.mtime, size: f.content.size }, f.content.open());
    } else {
      const data = f.kind === 'symlink' ? new TextEncoder().encode(f.linkto) : new Uint8Array();
      yield* w.entry({ name: name(f), ino, mode: f.mode, nlink: 1, mtime: f.mtime, size: data.length }, data);
    }
  }
  for (const [ino, members] of sets) {
    for (const [k, i] of members.entries()) {
      const f = files[i]!;
      const e = { name: name(f), ino, mode: f.mode, nlink: members.length, mtime: f.mtime };
      if (k === members.length - 1) yield* w.entryStream({ ...e, size: f.content.size }, f.content.open());
      else yield* w.entry({ ...e, size: 0 });
    }
  }
  yield* w.trailer();
}

/** Build and compress the cpio payload. `mtime`s come from the records (already clamped). */
export async function buildPayload(files: FileRecord[], inodes: number[], opts: { level: number; frameSize?: number }): Promise<Payload> {
  const w = new CpioWriter();
  // Compress in frames of at most `frameSize` input bytes (zstd readers, rpm's included, read
  // concatenated frames as one stream): memory stays bounded for large payloads, and payloads
  // up to one frame compress exactly as a single zstdCompress call would.
  const frameSize = opts.frameSize ?? FRAME_SIZE;
  const alt = createHash('sha256');
  const out: Uint8Array[] = [];
  let slice: Uint8Array[] = [];
  let sliceLen = 0;
  const flush = async () => {
    if (!sliceLen) return;
    const input = slice.length === 1 ? slice[0]! : Buffer.concat(slice, sliceLen);
    alt.update(input);
    out.push(await zstdCompress(input, opts.level));
    slice = [];
    sliceLen = 0;
  };
  for await (let c of cpioStream(files, inodes, w)) {
    while (c.length) {
      const take = Math.min(c.length, frameSize - sliceLen);
      slice.push(c.subarray(0, take));
      sliceLen += take;
      c = c.subarray(take);
      if (sliceLen === frameSize) await flush();
    }
  }
  await flush();
  const compressed = out.length === 1 ? out[0]! : Buffer.concat(out);
  return {
    compressed,
    archiveSize: w.size,
    digest: createHash('sha256').update(compressed).digest('hex'),
    digestAlt: alt.digest('hex'),
  };
}

/** Input bytes per zstd frame (the window of level 19 is 8 MiB, so little ratio is lost). */
export const FRAME_SIZE = 64 * 1024 * 1024;
