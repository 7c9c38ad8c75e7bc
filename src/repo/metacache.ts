/**
 * Parsed-metadata cache: one binary file per (repomd.xml sha256, parts loaded), written
 * atomically, that loads far faster than re-parsing XML. Invalidation is exact: the key is the
 * digest of the repomd.xml bytes (which pins every metadata file's checksum) plus the part list,
 * so a changed repository gets a new key and nothing else ever invalidates an entry. A file that
 * fails any check (magic, version, key, length, checksum, structure) is ignored and rewritten.
 *
 * Format "DLMC" v1 (little endian, sections 8-byte aligned):
 *   header  magic "DLMC" | u32 version | u32 checksum-algo (1 = crc32, 2 = md5) | u32 key length
 *           | u64 payload length | key (utf8, padded to 8) | 16 bytes payload checksum
 *   payload u32 section count | u32 0, then per section: u32 id | u32 0 | u64 length | bytes (8-aligned)
 *     1, 6, 7  string tables (hot, file paths, cold): u32 count | u32 bytes | NUL-joined UTF-8
 *     2 columns, 3 dependencies, 4 files  (see columns.ts)
 *     5 extras  JSON (comps, updateinfo, modules, other, the parsed repomd)
 *
 *   const hit = await readMetaCache(dir, repomdSha256, ['filelists'], report);
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { writeFileAtomic } from '../core/atomic.js';
import type { Report } from '../core/report.js';
import type { PackageMeta } from '../rpm/metadata.js';
import { decodeColumns, encodeColumns } from './columns.js';
import type { Comps } from './comps.js';
import type { OtherEntry } from './filelists.js';
import type { ModulesMetadata } from './modules.js';
import type { Advisory } from './updateinfo.js';
import type { Repomd } from './repomd.js';

export interface CachedRepo {
  packages: PackageMeta[];
  comps?: Comps;
  updateinfo?: Advisory[];
  modules?: ModulesMetadata;
  other?: OtherEntry[];
  /** The parsed repomd.xml (the cache key pins its bytes). */
  repomd?: Repomd;
}

export const METACACHE_VERSION = 5;
const MAGIC = 0x434d4c44; // "DLMC" little endian
const HEADER = 40;

const crc32 = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;

function payloadChecksum(algo: number, data: Uint8Array): Buffer {
  const out = Buffer.alloc(16);
  if (algo === 1) out.writeUInt32LE(crc32!(data) >>> 0, 0);
  else createHash('md5').update(data).digest().copy(out);
  return out;
}

/** Path of the cache file for a key. */
export function metaCachePath(dir: string, repomdSha256: string, parts: string[]): string {
  return join(dir, 'repo-metadata', `${repomdSha256}${parts.length ? `+${parts.join('+')}` : ''}.dlmc`);
}

const pad8 = (n: number) => (n + 7) & ~7;

/** Serialise to the DLMC format (exported for tests and the bench). */
export function encodeMetaCache(key: string, data: CachedRepo): Buffer {
  const extras = Buffer.from(JSON.stringify({ comps: data.comps, updateinfo: data.updateinfo, modules: data.modules, other: data.other, repomd: data.repomd && { ...data.repomd, data: [...data.repomd.data] } }), 'utf8');
  const sections: [number, Uint8Array[]][] = [...encodeColumns(data.packages), [5, [extras]]];
  const chunks: Uint8Array[] = [u32([sections.length, 0])];
  for (const [id, parts] of sections) {
    // parts inside a section are 8-byte aligned relative to the section start
    const laid: Uint8Array[] = [];
    let len = 0;
    for (const part of parts) {
      laid.push(part);
      len += part.length;
      const padded = pad8(len);
      if (padded !== len) laid.push(new Uint8Array(padded - len));
      len = padded;
    }
    const head = Buffer.alloc(16);
    head.writeUInt32LE(id, 0);
    head.writeBigUInt64LE(BigInt(len), 8);
    chunks.push(head, ...laid);
  }
  const payload = Buffer.concat(chunks);
  const keyBytes = Buffer.from(key, 'utf8');
  const header = Buffer.alloc(24 + pad8(keyBytes.length));
  const algo = crc32 ? 1 : 2;
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(METACACHE_VERSION, 4);
  header.writeUInt32LE(algo, 8);
  header.writeUInt32LE(keyBytes.length, 12);
  header.writeBigUInt64LE(BigInt(payload.length), 16);
  keyBytes.copy(header, 24);
  const sum = payloadChecksum(algo, payload);
  return Buffer.concat([header, sum, payload]);
}

const u32 = (a: number[]) => new Uint8Array(Uint32Array.from(a).buffer);

class Corrupt extends Error {}

/** Parse a DLMC buffer; throws on any inconsistency (callers treat that as a cache miss). */
export function decodeMetaCache(buf: Buffer, key: string): CachedRepo {
  const need = (c: boolean, why: string) => {
    if (!c) throw new Corrupt(why);
  };
  need(buf.length >= HEADER && buf.readUInt32LE(0) === MAGIC, 'bad magic');
  need(buf.readUInt32LE(4) === METACACHE_VERSION, 'version');
  const algo = buf.readUInt32LE(8);
  need(algo === 1 ? crc32 !== undefined : algo === 2, 'checksum algorithm');
  const keyLen = buf.readUInt32LE(12);
  const payloadLen = Number(buf.readBigUInt64LE(16));
  const keyEnd = 24 + keyLen;
  need(keyEnd <= buf.length && buf.toString('utf8', 24, keyEnd) === key, 'key');
  const sumAt = 24 + pad8(keyLen);
  const payloadAt = sumAt + 16;
  need(payloadAt + payloadLen === buf.length, 'length');
  const payload = buf.subarray(payloadAt);
  need(payloadChecksum(algo, payload).equals(buf.subarray(sumAt, payloadAt)), 'checksum');
  // Typed-array views need 8-byte alignment: use the file buffer in place when it is aligned.
  let ab: ArrayBuffer;
  let base: number;
  if ((buf.byteOffset + payloadAt) % 8 === 0 && buf.buffer instanceof ArrayBuffer) {
    ab = buf.buffer;
    base = buf.byteOffset + payloadAt;
  } else {
    ab = new ArrayBuffer(payload.length);
    new Uint8Array(ab).set(payload);
    base = 0;
  }
  const view = new Uint8Array(ab);
  const dv = new DataView(ab, base, payload.length);
  const nSections = dv.getUint32(0, true);
  const sec = new Map<number, [number, number]>();
  let at = 8;
  for (let i = 0; i < nSections; i++) {
    need(at + 16 <= payload.length, 'section header');
    const id = dv.getUint32(at, true);
    const len = Number(dv.getBigUint64(at + 8, true));
    need(at + 16 + len <= payload.length, 'section length');
    sec.set(id, [base + at + 16, len]);
    at += 16 + len;
  }
  const get = (id: number): [number, number] => {
    const s = sec.get(id);
    need(s !== undefined, `section ${id}`);
    return s!;
  };
  const packages = decodeColumns(ab, get);
  const [eAt, eLen] = get(5);
  const extras = JSON.parse(Buffer.from(view.buffer, eAt, eLen).toString('utf8').replace(/\0+$/, '')) as Omit<CachedRepo, 'packages'>;
  const out: CachedRepo = { packages };
  for (const k of ['comps', 'updateinfo', 'modules', 'other'] as const) if (extras[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = extras[k];
  const md = extras.repomd as unknown as (Omit<Repomd, 'data'> & { data: [string, Repomd['data'] extends Map<string, infer V> ? V : never][] }) | undefined;
  if (md) out.repomd = { ...md, data: new Map(md.data) };
  return out;
}

/** Load a cache entry; a missing entry is a miss, a corrupt one is reported, ignored and removed. */
export async function readMetaCache(dir: string, repomdSha256: string, parts: string[], report: Report): Promise<CachedRepo | undefined> {
  const path = metaCachePath(dir, repomdSha256, parts);
  let buf: Buffer;
  try {
    buf = await fsp.readFile(path);
  } catch {
    return undefined;
  }
  try {
    const r = decodeMetaCache(buf, `${repomdSha256}:${parts.join(',')}`);
    report.info('REPO_CACHE_HIT', `parsed metadata loaded from ${path}`, { path });
    // mark it used so `cache gc --max-age` keeps entries that are read every day (best effort)
    const now = new Date();
    await fsp.utimes(path, now, now).catch(() => undefined);
    return r;
  } catch (e) {
    if ((e as Error).message === 'version') {
      report.info('REPO_CACHE_STALE', `metadata cache ${path} was written by another driftless version; reparsing`, { path });
      return undefined;
    }
    report.warn('REPO_CACHE_CORRUPT', `ignoring corrupt metadata cache ${path} (${(e as Error).message}); it will be rewritten`, { path });
    await fsp.rm(path, { force: true });
    return undefined;
  }
}

/** Write a cache entry atomically. Failures (read-only dir, full disk) are reported, never fatal. */
export async function writeMetaCache(dir: string, repomdSha256: string, parts: string[], data: CachedRepo, report: Report): Promise<void> {
  const path = metaCachePath(dir, repomdSha256, parts);
  try {
    await writeFileAtomic(path, encodeMetaCache(`${repomdSha256}:${parts.join(',')}`, data), { noSync: true });
  } catch (e) {
    report.warn('REPO_CACHE_WRITE_FAILED', `cannot write metadata cache ${path}: ${(e as Error).message}`, { path });
  }
}
