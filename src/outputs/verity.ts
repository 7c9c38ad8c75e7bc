/**
 * `verity` output: the dm-verity hash tree of rootfs.erofs, written by our own code in the exact
 * format `veritysetup format` produces (format version 1, sha256, 4096-byte data and hash blocks,
 * 512-byte superblock padded to one hash block, levels stored top-down), into
 * rootfs.erofs.verity, and the root hash in hex into rootfs.erofs.roothash.
 *
 *   const { rootHash } = await formatVerity('rootfs.erofs', 'rootfs.erofs.verity')
 *   // veritysetup verify rootfs.erofs rootfs.erofs.verity <rootHash>   → OK
 *
 * Reproducible: the salt is sha256 of the data image and the superblock UUID is derived from the
 * salt (both overridable for comparison with veritysetup). Hash of a block = sha256(salt ‖ block).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { DriftlessError } from '../core/errors.js';
import type { Rootfs } from '../compose/rootfs.js';
import { registerEmitter, describeFile, type EmitContext, type EmittedFile } from './emitter.js';

export const VERITY_BLOCK = 4096;
const DIGEST = 32;
const HASHES_PER_BLOCK_BITS = Math.log2(VERITY_BLOCK / DIGEST); // 7: 128 digests per hash block

export interface VerityOptions {
  /** Salt bytes (default: sha256 of the data image). At most 256 bytes. */
  salt?: Uint8Array;
  /** Superblock UUID "xxxxxxxx-xxxx-…" (default: derived from the salt). */
  uuid?: string;
}

export interface VerityResult {
  rootHash: string;
  salt: string;
  uuid: string;
  dataBlocks: number;
  hashSize: number;
}

async function fileDigest(path: string): Promise<Buffer> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest();
}

/** Hash every 4 KiB block of a file as sha256(salt ‖ block); returns the concatenated digests. */
async function leafDigests(path: string, salt: Uint8Array, blocks: number): Promise<Buffer> {
  const out = Buffer.alloc(blocks * DIGEST);
  const salted = createHash('sha256').update(salt); // copied per block: the salt is hashed once
  let carry = Buffer.alloc(0);
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    let buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let off = 0;
    for (; off + VERITY_BLOCK <= buf.length; off += VERITY_BLOCK) {
      if (n >= blocks) break;
      salted.copy().update(buf.subarray(off, off + VERITY_BLOCK)).digest().copy(out, n++ * DIGEST);
    }
    carry = Buffer.from(buf.subarray(off));
    buf = carry;
  }
  if (n !== blocks) throw new DriftlessError('OUTPUT_VERITY_DATA', `${path}: read ${n} blocks, expected ${blocks}`, { path });
  return out;
}

/** Pack digests into zero-padded hash blocks. */
function packLevel(digests: Buffer): Buffer {
  const perBlock = 1 << HASHES_PER_BLOCK_BITS;
  const count = digests.length / DIGEST;
  const blocks = Math.ceil(count / perBlock);
  const out = Buffer.alloc(blocks * VERITY_BLOCK);
  for (let b = 0; b < blocks; b++) digests.copy(out, b * VERITY_BLOCK, b * perBlock * DIGEST, Math.min(count, (b + 1) * perBlock) * DIGEST);
  return out;
}

function hashBlocks(data: Buffer, salt: Uint8Array): Buffer {
  const n = data.length / VERITY_BLOCK;
  const out = Buffer.alloc(n * DIGEST);
  for (let i = 0; i < n; i++) createHash('sha256').update(salt).update(data.subarray(i * VERITY_BLOCK, (i + 1) * VERITY_BLOCK)).digest().copy(out, i * DIGEST);
  return out;
}

function parseUuid(u: string): Buffer {
  const hex = u.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new DriftlessError('OUTPUT_VERITY_UUID', `not a UUID: ${u}`);
  return Buffer.from(hex, 'hex');
}
function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The 512-byte verity superblock, padded to one hash block. */
function superblock(uuid: Buffer, salt: Uint8Array, dataBlocks: number): Buffer {
  const b = Buffer.alloc(VERITY_BLOCK);
  b.write('verity', 0, 'latin1'); // signature "verity\0\0"
  b.writeUInt32LE(1, 8); // superblock version
  b.writeUInt32LE(1, 12); // hash type 1 (normal; salt first)
  uuid.copy(b, 16);
  b.write('sha256', 32, 'latin1');
  b.writeUInt32LE(VERITY_BLOCK, 64); // data block size
  b.writeUInt32LE(VERITY_BLOCK, 68); // hash block size
  b.writeBigUInt64LE(BigInt(dataBlocks), 72);
  b.writeUInt16LE(salt.length, 80);
  b.set(salt, 88);
  return b;
}

/** Compute the hash tree of `dataPath` and write `hashPath` (superblock + tree) atomically. */
export async function formatVerity(dataPath: string, hashPath: string, opts: VerityOptions = {}): Promise<VerityResult> {
  const size = (await fsp.stat(dataPath)).size;
  if (size === 0 || size % VERITY_BLOCK !== 0) {
    throw new DriftlessError('OUTPUT_VERITY_DATA', `${dataPath}: size ${size} is not a non-zero multiple of ${VERITY_BLOCK}`, { path: dataPath });
  }
  const dataBlocks = size / VERITY_BLOCK;
  const salt = opts.salt ?? (await fileDigest(dataPath));
  if (salt.length > 256) throw new DriftlessError('OUTPUT_VERITY_SALT', 'salt longer than 256 bytes');
  const uuidBytes = opts.uuid ? parseUuid(opts.uuid) : createHash('sha256').update('driftless-verity-uuid:').update(salt).digest().subarray(0, 16);
  if (!opts.uuid) {
    uuidBytes[6] = (uuidBytes[6]! & 0x0f) | 0x40;
    uuidBytes[8] = (uuidBytes[8]! & 0x3f) | 0x80;
  }
  // levels bottom-up: level 0 holds the digests of the data blocks
  const levels: Buffer[] = [];
  let digests = await leafDigests(dataPath, salt, dataBlocks);
  let count = dataBlocks;
  let rootHash: Buffer;
  if (count === 1) rootHash = digests;
  else {
    for (;;) {
      const level = packLevel(digests);
      levels.push(level);
      count = level.length / VERITY_BLOCK;
      digests = hashBlocks(level, salt);
      if (count === 1) break;
    }
    rootHash = digests;
  }
  // on disk: superblock, then the top level first down to the leaves
  const out = Buffer.concat([superblock(uuidBytes, salt, dataBlocks), ...levels.reverse()]);
  await writeFileAtomic(hashPath, out);
  return { rootHash: rootHash.toString('hex'), salt: Buffer.from(salt).toString('hex'), uuid: formatUuid(uuidBytes), dataBlocks, hashSize: out.length };
}

export const verityEmitter = {
  name: 'verity',
  after: ['erofs'],
  async emit(_rootfs: Rootfs, ctx: EmitContext): Promise<EmittedFile[]> {
    const data = join(ctx.outDir, 'rootfs.erofs');
    try {
      await fsp.access(data);
    } catch {
      throw new DriftlessError('OUTPUT_VERITY_DATA', 'the verity output needs rootfs.erofs (emit erofs first)', { path: data });
    }
    const r = await formatVerity(data, join(ctx.outDir, 'rootfs.erofs.verity'));
    await writeFileAtomic(join(ctx.outDir, 'rootfs.erofs.roothash'), r.rootHash);
    ctx.report.info('verity-written', `dm-verity root hash ${r.rootHash}`, { ...r });
    return [await describeFile(ctx.outDir, 'rootfs.erofs.verity'), await describeFile(ctx.outDir, 'rootfs.erofs.roothash')];
  },
};
registerEmitter(verityEmitter);
