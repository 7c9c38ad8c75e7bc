/**
 * EROFS on-disk structures (uncompressed subset), little endian, as documented in the Linux
 * kernel's fs/erofs/erofs_fs.h and the erofs-utils docs: the 128-byte superblock at offset 1024,
 * 32-byte compact / 64-byte extended inodes addressed by NID (offset = meta_blkaddr·blksz + 32·nid),
 * inline xattr bodies, and directory blocks of 12-byte dirents followed by their names.
 */
import { DriftlessError } from '../../core/errors.js';
import type { EntryType } from '../../compose/rootfs.js';

export const EROFS_MAGIC = 0xe0f5e1e2;
export const SUPER_OFFSET = 1024;
export const SUPER_SIZE = 128;
export const BLKSZ_BITS = 12;
export const BLKSZ = 1 << BLKSZ_BITS;
export const SLOT = 32;
export const COMPACT_SIZE = 32;
export const EXTENDED_SIZE = 64;
export const DIRENT_SIZE = 12;
export const XATTR_HEADER_SIZE = 12;

/** Inode data layouts (i_format bits 1..3). */
export const LAYOUT_FLAT_PLAIN = 0;
export const LAYOUT_FLAT_INLINE = 2;

/** Directory entry file types (the kernel's FT_* values). */
export const FT: Record<Exclude<EntryType, 'hardlink'>, number> = { file: 1, dir: 2, char: 3, block: 4, fifo: 5, symlink: 7 };
/** S_IFMT bits per type. */
export const S_IF: Record<Exclude<EntryType, 'hardlink'>, number> = { fifo: 0o010000, char: 0o020000, dir: 0o040000, block: 0o060000, file: 0o100000, symlink: 0o120000 };

/** xattr name prefixes → e_name_index (exact names for the POSIX ACLs, which have an empty suffix). */
const XATTR_PREFIXES: [string, number][] = [
  ['system.posix_acl_access', 2],
  ['system.posix_acl_default', 3],
  ['user.', 1],
  ['trusted.', 4],
  ['security.', 6],
];

export interface SuperBlockFields {
  rootNid: number;
  inos: number;
  buildTime: number;
  blocks: number;
  metaBlkaddr: number;
  /** Start block of the shared xattr area (0 when there is none). */
  xattrBlkaddr?: number;
  uuid: Uint8Array;
  volumeName?: string;
}

/** The 128-byte superblock (no checksum feature, no compression, no extra devices). */
export function encodeSuperblock(f: SuperBlockFields): Buffer {
  const b = Buffer.alloc(SUPER_SIZE);
  b.writeUInt32LE(EROFS_MAGIC, 0);
  b.writeUInt32LE(0, 4); // checksum: unused (COMPAT_SB_CHKSUM not set)
  b.writeUInt32LE(0, 8); // feature_compat
  b.writeUInt8(BLKSZ_BITS, 12);
  b.writeUInt8(0, 13); // sb_extslots
  if (f.rootNid > 0xffff) throw new DriftlessError('OUTPUT_EROFS_LIMIT', `root nid ${f.rootNid} does not fit 16 bits`);
  b.writeUInt16LE(f.rootNid, 14);
  b.writeBigUInt64LE(BigInt(f.inos), 16);
  b.writeBigUInt64LE(BigInt(f.buildTime), 24);
  b.writeUInt32LE(0, 32); // build_time_nsec
  b.writeUInt32LE(f.blocks, 36);
  b.writeUInt32LE(f.metaBlkaddr, 40);
  b.writeUInt32LE(f.xattrBlkaddr ?? 0, 44);
  b.set(f.uuid.subarray(0, 16), 48);
  if (f.volumeName) b.write(f.volumeName.slice(0, 16), 64, 16, 'latin1');
  b.writeUInt32LE(0, 80); // feature_incompat
  return b;
}

/** Linux new_encode_dev: the 32-bit device number stored in i_u for device inodes. */
export function encodeDev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

export interface InodeFields {
  extended: boolean;
  layout: number;
  xattrIcount: number;
  mode: number; // incl. S_IF bits
  nlink: number;
  size: number;
  iu: number; // raw_blkaddr or rdev
  ino: number;
  uid: number;
  gid: number;
  mtime: number; // extended only
}

export function encodeInode(f: InodeFields): Buffer {
  const b = Buffer.alloc(f.extended ? EXTENDED_SIZE : COMPACT_SIZE);
  b.writeUInt16LE((f.extended ? 1 : 0) | (f.layout << 1), 0);
  b.writeUInt16LE(f.xattrIcount, 2);
  b.writeUInt16LE(f.mode, 4);
  if (f.extended) {
    b.writeBigUInt64LE(BigInt(f.size), 8);
    b.writeUInt32LE(f.iu >>> 0, 16);
    b.writeUInt32LE(f.ino >>> 0, 20);
    b.writeUInt32LE(f.uid >>> 0, 24);
    b.writeUInt32LE(f.gid >>> 0, 28);
    b.writeBigUInt64LE(BigInt(f.mtime), 32);
    b.writeUInt32LE(0, 40); // mtime_nsec
    b.writeUInt32LE(f.nlink >>> 0, 44);
  } else {
    b.writeUInt16LE(f.nlink, 6);
    b.writeUInt32LE(f.size, 8);
    b.writeUInt32LE(f.iu >>> 0, 16);
    b.writeUInt32LE(f.ino >>> 0, 20);
    b.writeUInt16LE(f.uid, 24);
    b.writeUInt16LE(f.gid, 26);
  }
  return b;
}

/** One xattr entry (e_name_len, e_name_index, e_value_size, suffix, value), padded to 4 bytes. */
export function encodeXattrEntry(name: string, value: Uint8Array, path: string): Buffer {
  const pre = XATTR_PREFIXES.find(([p]) => (p.endsWith('.') ? name.startsWith(p) && name.length > p.length : name === p));
  if (!pre) {
    throw new DriftlessError('OUTPUT_EROFS_XATTR', `${path}: xattr ${name} has no EROFS name index`, { path, hint: 'supported: user.*, trusted.*, security.*, system.posix_acl_*' });
  }
  const suffix = Buffer.from(name.slice(pre[0].endsWith('.') ? pre[0].length : name.length));
  if (suffix.length > 255 || value.length > 0xffff) throw new DriftlessError('OUTPUT_EROFS_XATTR', `${path}: xattr ${name} too large`, { path });
  const len = 4 + suffix.length + value.length;
  const e = Buffer.alloc((len + 3) & ~3);
  e.writeUInt8(suffix.length, 0);
  e.writeUInt8(pre[1], 1);
  e.writeUInt16LE(value.length, 2);
  suffix.copy(e, 4);
  e.set(value, 4 + suffix.length);
  return e;
}

/** Key identifying an xattr (name + value) for sharing. */
export function xattrKey(name: string, value: Uint8Array): string {
  return `${name}\0${Buffer.from(value).toString('base64')}`;
}

/**
 * Inline xattr body: ibody header (with the ids of shared xattrs, which live in the shared
 * xattr area) + the remaining entries inline, each 4-byte aligned; and its i_xattr_icount.
 * Empty when there are no xattrs. Names are sorted for reproducibility.
 */
export function encodeXattrIbody(xattrs: Record<string, Uint8Array>, path: string, shared?: Map<string, number>): { body: Buffer; icount: number } {
  const names = Object.keys(xattrs).sort();
  if (names.length === 0) return { body: Buffer.alloc(0), icount: 0 };
  const ids: number[] = [];
  const inline: Buffer[] = [];
  for (const name of names) {
    const id = shared?.get(xattrKey(name, xattrs[name]!));
    if (id !== undefined) ids.push(id);
    else inline.push(encodeXattrEntry(name, xattrs[name]!, path));
  }
  if (ids.length > 255) throw new DriftlessError('OUTPUT_EROFS_XATTR', `${path}: more than 255 shared xattrs`, { path });
  const header = Buffer.alloc(XATTR_HEADER_SIZE + ids.length * 4);
  header.writeUInt8(ids.length, 4); // h_shared_count
  ids.sort((a, b) => a - b).forEach((id, i) => header.writeUInt32LE(id, XATTR_HEADER_SIZE + i * 4));
  const body = Buffer.concat([header, ...inline]);
  return { body, icount: (body.length - XATTR_HEADER_SIZE) / 4 + 1 };
}

export interface DirentSpec {
  name: Buffer;
  ftype: number;
  /** Filled once inodes are placed. */
  nid: number;
}

/** Split sorted dirents into directory blocks; returns the blocks and the directory's i_size. */
export function planDirBlocks(entries: DirentSpec[]): { blocks: DirentSpec[][]; size: number } {
  const blocks: DirentSpec[][] = [];
  let cur: DirentSpec[] = [];
  let used = 0;
  for (const e of entries) {
    const need = DIRENT_SIZE + e.name.length;
    if (used + need > BLKSZ) {
      blocks.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(e);
    used += need;
  }
  blocks.push(cur);
  return { blocks, size: (blocks.length - 1) * BLKSZ + used };
}

/** Encode one directory block (dirents, then names; the rest zero). `len` = bytes used. */
export function encodeDirBlock(entries: DirentSpec[]): Buffer {
  let len = 0;
  for (const e of entries) len += DIRENT_SIZE + e.name.length;
  const b = Buffer.alloc(len);
  let nameOff = entries.length * DIRENT_SIZE;
  entries.forEach((e, i) => {
    b.writeBigUInt64LE(BigInt(e.nid), i * DIRENT_SIZE);
    b.writeUInt16LE(nameOff, i * DIRENT_SIZE + 8);
    b.writeUInt8(e.ftype, i * DIRENT_SIZE + 10);
    e.name.copy(b, nameOff);
    nameOff += e.name.length;
  });
  return b;
}
