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
 *   payload u32 section count, then per section: u32 id | u32 pad | u64 length | bytes (padded)
 *     1 strings   u32 count | u32 bytes | UTF-8 of all strings joined by NUL (index 0 = "absent")
 *     2 pkgcols   u32 N | u32 columns[STR_FIELDS][N] | f64 numbers[NUM_FIELDS][N]
 *     3 deps      u32 counts[N*8] | u32 names[D] | u32 evrs[D] | u8 flags[D]
 *     4 files     u32 counts[N] | u32 paths[F] | u8 types[F]
 *     5 extras    JSON (comps, updateinfo, modules, other)
 *
 *   const hit = await readMetaCache(dir, repomdSha256, ['filelists'], report);
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { writeFileAtomic } from '../core/atomic.js';
import type { Report } from '../core/report.js';
import { DEP_KINDS, type DepOp, type PackageMeta } from '../rpm/metadata.js';
import type { Comps } from './comps.js';
import type { OtherEntry } from './filelists.js';
import type { ModulesMetadata } from './modules.js';
import type { Advisory } from './updateinfo.js';

export interface CachedRepo {
  packages: PackageMeta[];
  comps?: Comps;
  updateinfo?: Advisory[];
  modules?: ModulesMetadata;
  other?: OtherEntry[];
}

export const METACACHE_VERSION = 1;
const MAGIC = 0x434d4c44; // "DLMC" little endian
const HEADER = 40;

const STR_FIELDS = ['name', 'version', 'release', 'arch', 'summary', 'description', 'url', 'license', 'vendor', 'group', 'packager', 'buildhost', 'sourcerpm', 'locHref', 'locBase', 'ckType', 'ckValue'] as const;
const NUM_FIELDS = ['epoch', 'buildtime', 'filetime', 'sizePackage', 'sizeInstalled', 'sizeArchive', 'hdrStart', 'hdrEnd'] as const;
const OPS: (DepOp | undefined)[] = [undefined, '<', '<=', '=', '>=', '>'];
const OP_CODE = new Map<DepOp | undefined, number>(OPS.map((o, i) => [o, i]));
const PRE_BIT = 0x80;
const FILE_TYPES: (undefined | 'dir' | 'ghost')[] = [undefined, 'dir', 'ghost'];

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
  const strIndex = new Map<string, number>();
  const strings: string[] = [''];
  const s = (v: string | undefined): number => {
    if (v === undefined) return 0;
    let i = strIndex.get(v);
    if (i === undefined) {
      if (v.includes('\0')) throw new Error('NUL in metadata string');
      i = strings.length;
      strings.push(v);
      strIndex.set(v, i);
    }
    return i;
  };
  const pk = data.packages;
  const n = pk.length;
  const strCols = STR_FIELDS.map(() => new Uint32Array(n));
  const numCols = NUM_FIELDS.map(() => new Float64Array(n).fill(NaN));
  const depCounts = new Uint32Array(n * DEP_KINDS.length);
  const fileCounts = new Uint32Array(n);
  const depNames: number[] = [];
  const depEvrs: number[] = [];
  const depFlags: number[] = [];
  const filePaths: number[] = [];
  const fileTypes: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = pk[i]!;
    const sv = [p.name, p.version, p.release, p.arch, p.summary, p.description, p.url, p.license, p.vendor, p.group, p.packager, p.buildhost, p.sourcerpm, p.location?.href, p.location?.base, p.checksum?.type, p.checksum?.value];
    for (let f = 0; f < sv.length; f++) strCols[f]![i] = s(sv[f]);
    const nv = [p.epoch, p.buildtime, p.filetime, p.size?.package, p.size?.installed, p.size?.archive, p.headerRange?.start, p.headerRange?.end];
    for (let f = 0; f < nv.length; f++) if (nv[f] !== undefined) numCols[f]![i] = nv[f]!;
    for (let k = 0; k < DEP_KINDS.length; k++) {
      const list = p[DEP_KINDS[k]!];
      depCounts[i * DEP_KINDS.length + k] = list.length;
      for (const d of list) {
        depNames.push(s(d.name));
        depEvrs.push(s(d.evr));
        depFlags.push((OP_CODE.get(d.op) ?? 0) | (d.pre ? PRE_BIT : 0));
      }
    }
    fileCounts[i] = p.files.length;
    for (const f of p.files) {
      filePaths.push(s(f.path));
      fileTypes.push(f.type === 'dir' ? 1 : f.type === 'ghost' ? 2 : 0);
    }
  }
  const extras = Buffer.from(JSON.stringify({ comps: data.comps, updateinfo: data.updateinfo, modules: data.modules, other: data.other }), 'utf8');
  const strBytes = Buffer.from(strings.join('\0'), 'utf8');
  const sections: [number, Uint8Array[]][] = [
    [1, [u32([strings.length, strBytes.length]), strBytes]],
    [2, [u32([n]), ...strCols.map(b), ...numCols.map(b)]],
    [3, [b(depCounts), b(Uint32Array.from(depNames)), b(Uint32Array.from(depEvrs)), Uint8Array.from(depFlags)]],
    [4, [b(fileCounts), b(Uint32Array.from(filePaths)), Uint8Array.from(fileTypes)]],
    [5, [extras]],
  ];
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
const b = (a: Uint32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

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
  // Copy into a fresh aligned buffer so typed-array views can be taken at any 8-aligned offset.
  const ab = new ArrayBuffer(payload.length);
  const view = new Uint8Array(ab);
  view.set(payload);
  const dv = new DataView(ab);
  const nSections = dv.getUint32(0, true);
  const sec = new Map<number, [number, number]>();
  let at = 8;
  for (let i = 0; i < nSections; i++) {
    need(at + 16 <= ab.byteLength, 'section header');
    const id = dv.getUint32(at, true);
    const len = Number(dv.getBigUint64(at + 8, true));
    need(at + 16 + len <= ab.byteLength, 'section length');
    sec.set(id, [at + 16, len]);
    at += 16 + len;
  }
  const get = (id: number) => {
    const s = sec.get(id);
    need(s !== undefined, `section ${id}`);
    return s!;
  };
  // strings
  const [sAt, sLen] = get(1);
  const nStrings = dv.getUint32(sAt, true);
  const nBytes = dv.getUint32(sAt + 4, true);
  need(8 + nBytes <= sLen, 'string bytes');
  const strings = new TextDecoder().decode(view.subarray(sAt + 8, sAt + 8 + nBytes)).split('\0');
  need(strings.length === nStrings, 'string count');
  // package columns
  const [pAt] = get(2);
  const n = dv.getUint32(pAt, true);
  let off = pAt + 8;
  const strCols: Uint32Array[] = [];
  for (let f = 0; f < STR_FIELDS.length; f++) {
    strCols.push(new Uint32Array(ab, off, n));
    off = pad8(off + 4 * n);
  }
  const numCols: Float64Array[] = [];
  for (let f = 0; f < NUM_FIELDS.length; f++) {
    numCols.push(new Float64Array(ab, off, n));
    off += 8 * n;
  }
  const [dAt] = get(3);
  const depCounts = new Uint32Array(ab, dAt, n * DEP_KINDS.length);
  let totalDeps = 0;
  for (let i = 0; i < depCounts.length; i++) totalDeps += depCounts[i]!;
  off = pad8(dAt + 4 * depCounts.length);
  const depNames = new Uint32Array(ab, off, totalDeps);
  off = pad8(off + 4 * totalDeps);
  const depEvrs = new Uint32Array(ab, off, totalDeps);
  off = pad8(off + 4 * totalDeps);
  const depFlags = new Uint8Array(ab, off, totalDeps);
  const [fAt] = get(4);
  const fileCounts = new Uint32Array(ab, fAt, n);
  let totalFiles = 0;
  for (let i = 0; i < n; i++) totalFiles += fileCounts[i]!;
  off = pad8(fAt + 4 * n);
  const filePaths = new Uint32Array(ab, off, totalFiles);
  off = pad8(off + 4 * totalFiles);
  const fileTypes = new Uint8Array(ab, off, totalFiles);

  const S = (i: number): string | undefined => {
    if (i === 0) return undefined;
    const v = strings[i];
    need(v !== undefined, 'string index');
    return v;
  };
  const num = (c: number, i: number): number | undefined => {
    const v = numCols[c]![i]!;
    return Number.isNaN(v) ? undefined : v;
  };
  const packages: PackageMeta[] = new Array(n);
  let di = 0;
  let fi = 0;
  for (let i = 0; i < n; i++) {
    const c = (f: number) => S(strCols[f]![i]!);
    const p: PackageMeta = {
      name: c(0) ?? '', epoch: numCols[0]![i]!, version: c(1) ?? '', release: c(2) ?? '', arch: c(3) ?? '',
      provides: [], requires: [], conflicts: [], obsoletes: [], recommends: [], suggests: [], supplements: [], enhances: [], files: [],
    };
    const opt: Partial<PackageMeta> = { summary: c(4), description: c(5), url: c(6), license: c(7), vendor: c(8), group: c(9), packager: c(10), buildhost: c(11), sourcerpm: c(12), buildtime: num(1, i), filetime: num(2, i) };
    for (const [k, v] of Object.entries(opt)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
    const href = c(13);
    if (href !== undefined) p.location = c(14) !== undefined ? { href, base: c(14)! } : { href };
    if (c(15) !== undefined) p.checksum = { type: c(15)!, value: c(16) ?? '' };
    if (num(3, i) !== undefined || num(4, i) !== undefined || num(5, i) !== undefined) p.size = { package: num(3, i), installed: num(4, i), archive: num(5, i) };
    if (num(6, i) !== undefined) p.headerRange = { start: num(6, i)!, end: num(7, i) ?? 0 };
    for (let k = 0; k < DEP_KINDS.length; k++) {
      const cnt = depCounts[i * DEP_KINDS.length + k]!;
      if (cnt === 0) continue;
      const list = p[DEP_KINDS[k]!];
      for (let j = 0; j < cnt; j++, di++) {
        const fl = depFlags[di]!;
        const op = OPS[fl & 0x7f];
        const d: PackageMeta['requires'][number] = { name: S(depNames[di]!) ?? '' };
        if (op !== undefined) {
          d.op = op;
          d.evr = S(depEvrs[di]!) ?? '';
        }
        if (fl & PRE_BIT) d.pre = true;
        list.push(d);
      }
    }
    const fc = fileCounts[i]!;
    for (let j = 0; j < fc; j++, fi++) {
      const t = FILE_TYPES[fileTypes[fi]!];
      p.files.push(t ? { path: S(filePaths[fi]!)!, type: t } : { path: S(filePaths[fi]!)! });
    }
    packages[i] = p;
  }
  const [eAt, eLen] = get(5);
  const extras = JSON.parse(new TextDecoder().decode(view.subarray(eAt, eAt + eLen)).replace(/\0+$/, '')) as Omit<CachedRepo, 'packages'>;
  const out: CachedRepo = { packages };
  for (const k of ['comps', 'updateinfo', 'modules', 'other'] as const) if (extras[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = extras[k];
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
    return r;
  } catch (e) {
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
