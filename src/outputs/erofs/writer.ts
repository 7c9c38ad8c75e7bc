/**
 * A rootless, reproducible EROFS image writer (uncompressed, 4 KiB blocks), straight from the
 * rootfs model — no mkfs.erofs, no root, owners/modes/xattrs exactly as in the model.
 *
 *   const { blocks, uuid } = await writeErofs(rootfs, 'rootfs.erofs', { epoch })
 *
 * Layout: block 0 holds the superblock at 1024; the metadata area starts right after it
 * (meta_blkaddr 0, root inode first so its NID fits 16 bits), then the shared xattr area (from
 * block 1; xattrs that two or more inodes carry, stored once), then every other inode with its
 * inline xattrs and inline data tail (FLAT_INLINE) packed on 32-byte slots, never crossing a
 * block boundary; whole data blocks (FLAT_PLAIN, or the non-tail part of FLAT_INLINE) follow,
 * in inode order. Compact inodes are used when nothing needs the extended form (uid/gid or
 * nlink > 65535, size ≥ 4 GiB, mtime ≠ build time). Hardlinks share one inode. Timestamps:
 * build time = epoch, each inode's mtime = min(entry mtime, epoch). The volume UUID is derived
 * from the image content and the epoch. The file is written to a temp name and renamed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DriftlessError } from '../../core/errors.js';
import { fsyncDir } from '../../core/atomic.js';
import { compareBytes, entryContent, type Rootfs, type RootfsEntry } from '../../compose/rootfs.js';
import {
  BLKSZ, COMPACT_SIZE, EXTENDED_SIZE, FT, LAYOUT_FLAT_INLINE, LAYOUT_FLAT_PLAIN, S_IF, SLOT, SUPER_OFFSET, SUPER_SIZE,
  encodeDev, encodeDirBlock, encodeInode, encodeSuperblock, encodeXattrEntry, encodeXattrIbody, planDirBlocks, xattrKey, type DirentSpec,
} from './format.js';

type Kind = Exclude<RootfsEntry['type'], 'hardlink'>;

interface Ino {
  entry: RootfsEntry;
  kind: Kind;
  nlink: number;
  size: number;
  extended: boolean;
  xattr: Buffer;
  icount: number;
  inline: boolean;
  /** Whole blocks in the data area. */
  fullBlocks: number;
  tail: number;
  nid: number;
  blkaddr: number;
  ino: number;
  dir?: { blocks: DirentSpec[][] };
  /** Symlink target bytes. */
  link?: Buffer;
}

export interface ErofsOptions {
  epoch: number;
  volumeName?: string;
  /** Called per inode written (progress). */
  onInode?: () => void;
}

export interface ErofsResult {
  blocks: number;
  size: number;
  uuid: string;
  inodes: number;
}

const MAX_BLOCKS = 0xffffffff;

/** Build the inode table and placement for a rootfs (pure; no content read). */
function plan(rootfs: Rootfs, epoch: number): { inodes: Ino[]; byPath: Map<string, Ino>; shared: SharedXattrs; dataStart: number; blocks: number } {
  const inodes: Ino[] = [];
  const byPath = new Map<string, Ino>();
  const sorted = rootfs.sorted();
  const shared = planSharedXattrs(sorted);
  for (const e of sorted) {
    if (e.type === 'hardlink') continue;
    const mtime = Math.min(e.mtime, epoch);
    const { body, icount } = encodeXattrIbody(e.xattrs, e.path, shared.ids);
    const ino: Ino = { entry: { ...e, mtime }, kind: e.type, nlink: 1, size: 0, extended: false, xattr: body, icount, inline: false, fullBlocks: 0, tail: 0, nid: 0, blkaddr: 0, ino: inodes.length + 1 };
    inodes.push(ino);
    byPath.set(e.path, ino);
  }
  for (const e of sorted) {
    if (e.type !== 'hardlink') continue;
    const src = byPath.get(e.linkTarget!);
    if (!src || src.kind !== 'file') throw new DriftlessError('OUTPUT_DANGLING_HARDLINK', `${e.path}: hardlink to ${e.linkTarget}, not a regular file`, { path: e.path });
    src.nlink++;
    byPath.set(e.path, src);
  }
  // directories: sorted dirents incl. '.' and '..'; subdirectory count for nlink
  for (const ino of inodes) {
    if (ino.kind !== 'dir') continue;
    const p = ino.entry.path;
    const parent = byPath.get(p === '/' ? '/' : p.slice(0, p.lastIndexOf('/')) || '/')!;
    const names = rootfs.childNames(p).sort(compareBytes);
    const ents: { name: string; target: Ino }[] = [{ name: '.', target: ino }, { name: '..', target: parent }];
    for (const n of names) {
      const t = byPath.get(p === '/' ? `/${n}` : `${p}/${n}`)!;
      ents.push({ name: n, target: t });
      if (t.kind === 'dir') ino.nlink++;
    }
    ents.sort((a, b) => compareBytes(a.name, b.name));
    ino.nlink += 1; // '.' + the parent's entry (root: its own '..')
    const specs = ents.map((x) => ({ name: Buffer.from(x.name), ftype: FT[x.target.kind], nid: 0, target: x.target }));
    const { blocks, size } = planDirBlocks(specs);
    ino.dir = { blocks };
    ino.size = size;
  }
  for (const ino of inodes) {
    const e = ino.entry;
    if (ino.kind === 'file') ino.size = e.size;
    if (ino.kind === 'symlink') {
      ino.link = Buffer.from(e.linkTarget!);
      ino.size = ino.link.length;
    }
    if (e.uid > 0xffffffff || e.gid > 0xffffffff) throw new DriftlessError('OUTPUT_EROFS_LIMIT', `${e.path}: uid/gid ${e.uid}/${e.gid} does not fit 32 bits`, { path: e.path });
    ino.extended = e.uid > 0xffff || e.gid > 0xffff || ino.nlink > 0xffff || ino.size > 0xffffffff || e.mtime !== epoch;
    const head = (ino.extended ? EXTENDED_SIZE : COMPACT_SIZE) + ino.xattr.length;
    if (head > BLKSZ) throw new DriftlessError('OUTPUT_EROFS_XATTR', `${e.path}: xattrs too large for an inode block`, { path: e.path });
    const tail = ino.size % BLKSZ;
    if (ino.kind === 'file' || ino.kind === 'symlink' || ino.kind === 'dir') {
      if (tail > 0 && head + tail <= BLKSZ) {
        ino.inline = true;
        ino.tail = tail;
        ino.fullBlocks = Math.floor(ino.size / BLKSZ);
      } else {
        ino.fullBlocks = Math.ceil(ino.size / BLKSZ);
      }
    }
  }
  // place inodes: root first (NID must fit 16 bits), the shared xattr area from block 1 (if
  // any), then the other inodes in path order
  let cur = SUPER_OFFSET + SUPER_SIZE;
  for (const ino of inodes) {
    if (ino !== inodes[0] && shared.entries.length && shared.blkaddr === 0) {
      shared.blkaddr = Math.ceil(cur / BLKSZ);
      cur = shared.blkaddr * BLKSZ;
      for (const s of shared.entries) {
        if ((cur % BLKSZ) + s.bytes.length > BLKSZ) cur = Math.ceil(cur / BLKSZ) * BLKSZ;
        s.offset = cur;
        cur += s.bytes.length;
      }
    }
    const total = (ino.extended ? EXTENDED_SIZE : COMPACT_SIZE) + ino.xattr.length + (ino.inline ? ino.tail : 0);
    if ((cur % BLKSZ) + total > BLKSZ) cur = Math.ceil(cur / BLKSZ) * BLKSZ;
    ino.nid = cur / SLOT;
    cur += Math.ceil(total / SLOT) * SLOT;
  }
  const dataStart = Math.ceil(cur / BLKSZ);
  let next = dataStart;
  for (const ino of inodes) {
    if (ino.fullBlocks > 0) {
      ino.blkaddr = next;
      next += ino.fullBlocks;
    }
  }
  if (next > MAX_BLOCKS) throw new DriftlessError('OUTPUT_EROFS_LIMIT', `image needs ${next} blocks, more than EROFS can address`);
  for (const ino of inodes) for (const blk of ino.dir?.blocks ?? []) for (const d of blk) d.nid = (d as DirentSpec & { target: Ino }).target.nid;
  return { inodes, byPath, shared, dataStart, blocks: next };
}

interface SharedXattrs {
  /** xattrKey → id (4-byte units from xattr_blkaddr). */
  ids: Map<string, number>;
  entries: { key: string; bytes: Buffer; offset: number }[];
  blkaddr: number;
}

/**
 * xattrs (name + value) carried by two or more inodes go to the shared xattr area once (e.g. an
 * SELinux label on every file) and inodes refer to them by id. Ids are fixed up front: the area
 * starts at block 1 and entries never cross a block boundary.
 */
function planSharedXattrs(sorted: readonly RootfsEntry[]): SharedXattrs {
  const count = new Map<string, { name: string; value: Uint8Array; n: number }>();
  for (const e of sorted) {
    if (e.type === 'hardlink') continue;
    for (const [name, value] of Object.entries(e.xattrs)) {
      const k = xattrKey(name, value);
      const c = count.get(k);
      if (c) c.n++;
      else count.set(k, { name, value, n: 1 });
    }
  }
  const keys = [...count.keys()].filter((k) => count.get(k)!.n >= 2).sort(compareBytes);
  const entries = keys.map((key) => ({ key, bytes: encodeXattrEntry(count.get(key)!.name, count.get(key)!.value, '(shared)'), offset: 0 }));
  // ids relative to block 1, computed with the same packing rule as the placement
  const ids = new Map<string, number>();
  let off = 0;
  for (const s of entries) {
    if ((off % BLKSZ) + s.bytes.length > BLKSZ) off = Math.ceil(off / BLKSZ) * BLKSZ;
    ids.set(s.key, off / 4);
    off += s.bytes.length;
  }
  return { ids, entries, blkaddr: 0 };
}

/**
 * Positional writer that hashes everything it writes, in order, and coalesces contiguous writes
 * (the data area is written front to back) into large syscalls.
 */
class ImageFile {
  readonly hash = createHash('sha256');
  private buf: Buffer[] = [];
  private bufLen = 0;
  private bufPos = 0;
  constructor(private readonly fh: fsp.FileHandle) {}
  async write(data: Uint8Array, pos: number, hashIt = true): Promise<void> {
    if (hashIt) this.hash.update(data);
    if (this.bufLen > 0 && pos !== this.bufPos + this.bufLen) await this.flush();
    if (this.bufLen === 0) this.bufPos = pos;
    this.buf.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.bufLen += data.length;
    if (this.bufLen >= 4 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.bufLen === 0) return;
    const data = this.buf.length === 1 ? this.buf[0]! : Buffer.concat(this.buf, this.bufLen);
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.fh.write(data, off, data.length - off, this.bufPos + off);
      off += bytesWritten;
    }
    this.buf = [];
    this.bufLen = 0;
  }
}

/** Stream a file's content: whole blocks go to the data area, the tail is returned for inlining. */
async function writeFileData(img: ImageFile, ino: Ino): Promise<Buffer> {
  const e = ino.entry;
  const dataBytes = ino.fullBlocks * BLKSZ;
  const inBlocks = Math.min(dataBytes, e.size);
  let pos = 0; // content bytes seen
  let flushed = 0; // bytes written to the data blocks
  const tail: Buffer[] = [];
  const pending: Buffer[] = [];
  let pendingLen = 0;
  const flush = async () => {
    if (pendingLen === 0) return;
    await img.write(Buffer.concat(pending, pendingLen), ino.blkaddr * BLKSZ + flushed);
    flushed += pendingLen;
    pending.length = 0;
    pendingLen = 0;
  };
  for await (const chunk of entryContent(e)) {
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (pos + c.length > e.size) throw new DriftlessError('ROOTFS_SIZE_MISMATCH', `${e.path}: content longer than ${e.size} bytes`, { path: e.path });
    const toBlocks = Math.max(0, Math.min(c.length, inBlocks - pos));
    if (toBlocks > 0) {
      pending.push(c.subarray(0, toBlocks));
      pendingLen += toBlocks;
    }
    if (toBlocks < c.length) tail.push(c.subarray(toBlocks));
    pos += c.length;
    if (pendingLen >= 1 << 20) await flush();
  }
  await flush();
  if (pos !== e.size) throw new DriftlessError('ROOTFS_SIZE_MISMATCH', `${e.path}: content has ${pos} bytes, entry says ${e.size}`, { path: e.path });
  if (!ino.inline && dataBytes > e.size) await img.write(Buffer.alloc(dataBytes - e.size), ino.blkaddr * BLKSZ + e.size);
  return Buffer.concat(tail);
}

/** Write `target` as an EROFS image of `rootfs`. */
export async function writeErofs(rootfs: Rootfs, target: string, opts: ErofsOptions): Promise<ErofsResult> {
  const { inodes, shared, dataStart, blocks } = plan(rootfs, opts.epoch);
  await fsp.mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await fsp.open(tmp, 'wx', 0o644);
  try {
    const img = new ImageFile(fh);
    const inlineData = new Map<Ino, Buffer>();
    // 1. data area, in inode order (content is streamed; only tails are kept)
    for (const ino of inodes) {
      let data: Buffer | undefined;
      if (ino.kind === 'file') {
        const tail = await writeFileData(img, ino);
        if (ino.inline) inlineData.set(ino, tail);
        continue;
      }
      if (ino.kind === 'symlink') data = ino.link!;
      else if (ino.kind === 'dir') data = Buffer.concat(ino.dir!.blocks.map((b, i) => {
        const enc = encodeDirBlock(b);
        return i < ino.dir!.blocks.length - 1 ? Buffer.concat([enc, Buffer.alloc(BLKSZ - enc.length)]) : enc;
      }));
      if (!data) continue;
      const inBlocks = ino.fullBlocks * BLKSZ;
      if (ino.fullBlocks > 0) {
        const blk = Buffer.alloc(inBlocks);
        data.copy(blk, 0, 0, Math.min(inBlocks, data.length));
        await img.write(blk, ino.blkaddr * BLKSZ);
      }
      if (ino.inline) inlineData.set(ino, data.subarray(inBlocks));
    }
    // 2. metadata area (block 0 .. dataStart-1): inodes, inline xattrs, inline tails
    const meta = Buffer.alloc(dataStart * BLKSZ);
    for (const s of shared.entries) s.bytes.copy(meta, s.offset);
    for (const ino of inodes) {
      const e = ino.entry;
      const iu = ino.kind === 'char' || ino.kind === 'block' ? encodeDev(e.rdev?.major ?? 0, e.rdev?.minor ?? 0) : ino.blkaddr;
      const core = encodeInode({
        extended: ino.extended, layout: ino.inline ? LAYOUT_FLAT_INLINE : LAYOUT_FLAT_PLAIN, xattrIcount: ino.icount,
        mode: S_IF[ino.kind] | (e.mode & 0o7777), nlink: ino.nlink, size: ino.size, iu, ino: ino.ino, uid: e.uid, gid: e.gid, mtime: e.mtime,
      });
      let off = ino.nid * SLOT;
      core.copy(meta, off);
      off += core.length;
      ino.xattr.copy(meta, off);
      off += ino.xattr.length;
      if (ino.inline) {
        const t = inlineData.get(ino)!;
        if (t.length !== ino.tail) throw new DriftlessError('INTERNAL', `${e.path}: inline tail ${t.length} != ${ino.tail}`);
        t.copy(meta, off);
      }
      opts.onInode?.();
    }
    const metaBody = meta.subarray(SUPER_OFFSET + SUPER_SIZE);
    img.hash.update(metaBody);
    const digest = createHash('sha256').update(`driftless-erofs:${opts.epoch}:`).update(img.hash.digest()).digest();
    const uuid = Buffer.from(digest.subarray(0, 16));
    uuid[6] = (uuid[6]! & 0x0f) | 0x40; // RFC 4122 version 4 layout, content-derived bits
    uuid[8] = (uuid[8]! & 0x3f) | 0x80;
    encodeSuperblock({ rootNid: inodes[0]!.nid, inos: inodes.length, buildTime: opts.epoch, blocks, metaBlkaddr: 0, xattrBlkaddr: shared.blkaddr, uuid, volumeName: opts.volumeName }).copy(meta, SUPER_OFFSET);
    await img.write(meta, 0, false);
    await img.flush();
    await fh.truncate(blocks * BLKSZ);
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, target);
    await fsyncDir(dirname(target));
    const hex = uuid.toString('hex');
    return { blocks, size: blocks * BLKSZ, inodes: inodes.length, uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}
