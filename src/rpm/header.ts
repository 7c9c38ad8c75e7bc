/**
 * RPM header codec (the structure shared by the signature and the main header).
 *
 * Layout: 8-byte intro (magic 8e ad e8 01 + 4 reserved), il (entry count), dl (data size),
 * il × 16-byte index entries {tag, type, offset, count}, then dl bytes of data.
 * The first entry may be a region tag (62 signatures / 63 immutable) whose 16-byte trailer
 * marks which entries and data are covered by the header digests and signatures.
 *
 *   const { header, size } = decodeHeader(bytes, 0, { label: 'main header' })
 *   header.getString(Tag.NAME)
 *   const blob = encodeHeader([{ tag: Tag.NAME, type: TagType.STRING, value: 'foo' }], { region: RPMTAG_HEADERIMMUTABLE })
 */
import { DriftlessError } from '../core/errors.js';
import { TagType, RPMTAG_HEADERIMAGE, RPMTAG_HEADERSIGNATURES, RPMTAG_HEADERIMMUTABLE } from './tags.js';

export const HEADER_MAGIC = Uint8Array.of(0x8e, 0xad, 0xe8, 0x01);
/** rpm's own limits (header.c): at most 0xffff entries and 256 MiB of data. */
export const HEADER_TAGS_MAX = 0xffff;
export const HEADER_DATA_MAX = 256 * 1024 * 1024;

export type HeaderValue = string | string[] | number[] | bigint[] | Uint8Array;

export interface HeaderEntry {
  tag: number;
  type: TagType;
  count: number;
  /** Offset into the data store. */
  offset: number;
  value: HeaderValue;
}

export interface HeaderRegion {
  tag: number;
  /** Number of index entries in the region (including the region entry). */
  il: number;
  /** Bytes of data in the region (including the trailer). */
  dl: number;
}

/** Natural alignment of each entry type in the data area. */
export const TYPE_ALIGN: Record<number, number> = { [TagType.INT16]: 2, [TagType.INT32]: 4, [TagType.INT64]: 8 };
const TYPE_SIZE: Record<number, number> = {
  [TagType.NULL]: 0,
  [TagType.CHAR]: 1,
  [TagType.INT8]: 1,
  [TagType.INT16]: 2,
  [TagType.INT32]: 4,
  [TagType.INT64]: 8,
  [TagType.BIN]: 1,
};

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Enc = new TextEncoder();

/** A decoded header: entries by tag plus the raw bytes needed for digest/signature checks. */
export class Header {
  constructor(
    /** Entries in index order. */
    readonly entries: HeaderEntry[],
    /** The complete header bytes as read (intro + index + data). */
    readonly raw: Uint8Array,
    readonly region: HeaderRegion | undefined,
  ) {
    for (const e of entries) if (!this.byTag.has(e.tag)) this.byTag.set(e.tag, e);
  }
  private readonly byTag = new Map<number, HeaderEntry>();

  has(tag: number): boolean {
    return this.byTag.has(tag);
  }
  entry(tag: number): HeaderEntry | undefined {
    return this.byTag.get(tag);
  }
  /** String value; for arrays and I18N strings the first element (the C locale). */
  getString(tag: number): string | undefined {
    const v = this.byTag.get(tag)?.value;
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0] as string;
    if (Array.isArray(v) && v.length > 0) return String(v[0]);
    return undefined;
  }
  /** String array value (a single STRING becomes a one-element array). */
  getStrings(tag: number): string[] | undefined {
    const v = this.byTag.get(tag)?.value;
    if (v === undefined) return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.map(String);
    return undefined;
  }
  /** Integer array value; INT64 values above 2^53 lose precision (use getBigInts). */
  getNumbers(tag: number): number[] | undefined {
    const v = this.byTag.get(tag)?.value;
    if (v === undefined || typeof v === 'string' || v instanceof Uint8Array) return undefined;
    return (v as Array<number | bigint | string>).map((x) => Number(x));
  }
  getBigInts(tag: number): bigint[] | undefined {
    const v = this.byTag.get(tag)?.value;
    if (v === undefined || typeof v === 'string' || v instanceof Uint8Array) return undefined;
    return (v as Array<number | bigint | string>).map((x) => BigInt(x));
  }
  getNumber(tag: number): number | undefined {
    return this.getNumbers(tag)?.[0];
  }
  getBin(tag: number): Uint8Array | undefined {
    const v = this.byTag.get(tag)?.value;
    return v instanceof Uint8Array ? v : undefined;
  }
  /**
   * The bytes covered by the header's region, re-serialised as rpm hashes them
   * (intro with the region's il/dl, the region's index entries, the region's data).
   * Equals `raw` for every header that was not extended after signing.
   * Returns undefined for headers without a region (v3 packages).
   */
  regionBlob(): Uint8Array | undefined {
    const r = this.region;
    if (!r) return undefined;
    const il = readU32(this.raw, 8);
    if (r.il === il && r.dl === readU32(this.raw, 12)) return this.raw;
    const out = new Uint8Array(16 + r.il * 16 + r.dl);
    out.set(this.raw.subarray(0, 8), 0);
    writeU32(out, 8, r.il);
    writeU32(out, 12, r.dl);
    out.set(this.raw.subarray(16, 16 + r.il * 16), 16);
    const dataStart = 16 + il * 16;
    out.set(this.raw.subarray(dataStart, dataStart + r.dl), 16 + r.il * 16);
    return out;
  }
}

/** Big-endian u32 at `o` (the byte order of every header field). */
export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
}
/** Write a big-endian u32 at `o`. */
export function writeU32(b: Uint8Array, o: number, v: number) {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export interface DecodeOptions {
  /** For error messages ('signature header', 'main header'). */
  label?: string;
  /** Absolute file offset of `bytes[offset]`, so errors can point into the file. */
  fileOffset?: number;
  /** Require the intro magic (true for headers inside packages). Default true. */
  magic?: boolean;
}

/**
 * Size in bytes of the header starting at `bytes[offset]` (intro included), read from its
 * first 16 bytes. Lets stream readers know how much to read before decoding.
 */
export function headerSizeFromIntro(intro: Uint8Array, opts: DecodeOptions = {}): number {
  const label = opts.label ?? 'header';
  const at = opts.fileOffset ?? 0;
  if (intro.length < 16) throw new DriftlessError('RPM_TRUNCATED', `${label}: truncated intro`, { offset: at });
  if (opts.magic !== false) {
    for (let i = 0; i < 4; i++) {
      if (intro[i] !== HEADER_MAGIC[i]) throw new DriftlessError('RPM_BAD_HEADER_MAGIC', `${label}: bad header magic`, { offset: at });
    }
  }
  const il = readU32(intro, 8);
  const dl = readU32(intro, 12);
  if (il < 1 || il > HEADER_TAGS_MAX) throw new DriftlessError('RPM_BAD_HEADER', `${label}: entry count ${il} out of range`, { offset: at + 8 });
  if (dl > HEADER_DATA_MAX) throw new DriftlessError('RPM_BAD_HEADER', `${label}: data size ${dl} exceeds ${HEADER_DATA_MAX}`, { offset: at + 12 });
  return 16 + il * 16 + dl;
}

/** Decode a header starting at `bytes[offset]`. Every offset and count is range-checked. */
export function decodeHeader(bytes: Uint8Array, offset = 0, opts: DecodeOptions = {}): { header: Header; size: number } {
  const label = opts.label ?? 'header';
  const base = (opts.fileOffset ?? 0);
  const size = headerSizeFromIntro(bytes.subarray(offset, offset + 16), { ...opts, fileOffset: base });
  if (bytes.length - offset < size) {
    throw new DriftlessError('RPM_TRUNCATED', `${label}: needs ${size} bytes, only ${bytes.length - offset} present`, { offset: base });
  }
  const raw = bytes.subarray(offset, offset + size);
  const il = readU32(raw, 8);
  const dl = readU32(raw, 12);
  const dataStart = 16 + il * 16;
  const data = raw.subarray(dataStart, dataStart + dl);
  const entries: HeaderEntry[] = [];
  for (let i = 0; i < il; i++) {
    const p = 16 + i * 16;
    const tag = readU32(raw, p);
    const type = readU32(raw, p + 4) as TagType;
    const off = readU32(raw, p + 8) | 0; // region trailers use negative offsets
    const count = readU32(raw, p + 12);
    const at = base + p;
    if (type > TagType.I18NSTRING) throw new DriftlessError('RPM_BAD_HEADER', `${label}: tag ${tag} has invalid type ${type}`, { offset: at });
    if (off < 0 || off > dl) throw new DriftlessError('RPM_BAD_HEADER', `${label}: tag ${tag} data offset ${off} out of range (data size ${dl})`, { offset: at });
    if (count === 0 && type !== TagType.NULL) throw new DriftlessError('RPM_BAD_HEADER', `${label}: tag ${tag} has zero count`, { offset: at });
    const align = TYPE_ALIGN[type];
    if (align && off % align !== 0) throw new DriftlessError('RPM_BAD_HEADER', `${label}: tag ${tag} data misaligned`, { offset: at });
    const value = decodeValue(data, tag, type, off, count, label, at);
    entries.push({ tag, type, count, offset: off, value });
  }
  const region = decodeRegion(entries, data, il, dl, label, base);
  return { header: new Header(entries, raw, region), size };
}

function decodeValue(data: Uint8Array, tag: number, type: TagType, off: number, count: number, label: string, at: number): HeaderValue {
  const need = (n: number) => {
    if (count > data.length || off + n > data.length) {
      throw new DriftlessError('RPM_BAD_HEADER', `${label}: tag ${tag} data (${n} bytes at ${off}) overruns data store of ${data.length}`, { offset: at });
    }
  };
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (type) {
    case TagType.NULL:
      return [];
    case TagType.CHAR:
    case TagType.INT8:
      need(count);
      return Array.from(data.subarray(off, off + count));
    case TagType.INT16: {
      need(count * 2);
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(off + i * 2);
      return out;
    }
    case TagType.INT32: {
      need(count * 4);
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(off + i * 4);
      return out;
    }
    case TagType.INT64: {
      need(count * 8);
      const out = new Array<bigint>(count);
      for (let i = 0; i < count; i++) out[i] = dv.getBigUint64(off + i * 8);
      return out;
    }
    case TagType.BIN:
      need(count);
      return data.slice(off, off + count);
    case TagType.STRING: {
      if (count !== 1) throw new DriftlessError('RPM_BAD_HEADER', `${label}: STRING tag ${tag} has count ${count}`, { offset: at });
      return readStrings(data, off, 1, tag, label, at)[0]!;
    }
    case TagType.STRING_ARRAY:
    case TagType.I18NSTRING:
      return readStrings(data, off, count, tag, label, at);
  }
  throw new DriftlessError('RPM_BAD_HEADER', `${label}: tag ${tag} has invalid type ${type}`, { offset: at });
}

function readStrings(data: Uint8Array, off: number, count: number, tag: number, label: string, at: number): string[] {
  if (count > data.length - off) {
    throw new DriftlessError('RPM_BAD_HEADER', `${label}: tag ${tag} claims ${count} strings in ${data.length - off} bytes`, { offset: at });
  }
  const out = new Array<string>(count);
  let p = off;
  for (let i = 0; i < count; i++) {
    const end = data.indexOf(0, p);
    if (end < 0) throw new DriftlessError('RPM_BAD_HEADER', `${label}: tag ${tag} string not NUL-terminated`, { offset: at });
    out[i] = utf8.decode(data.subarray(p, end));
    p = end + 1;
  }
  return out;
}

function decodeRegion(entries: HeaderEntry[], data: Uint8Array, il: number, dl: number, label: string, base: number): HeaderRegion | undefined {
  const first = entries[0];
  if (!first || (first.tag !== RPMTAG_HEADERIMMUTABLE && first.tag !== RPMTAG_HEADERSIGNATURES && first.tag !== RPMTAG_HEADERIMAGE)) return undefined;
  if (first.type !== TagType.BIN || first.count !== 16 || first.offset + 16 > dl) {
    throw new DriftlessError('RPM_BAD_HEADER', `${label}: malformed region tag ${first.tag}`, { offset: base + 16 });
  }
  const trailer = data.subarray(first.offset, first.offset + 16);
  const ttag = readU32(trailer, 0);
  const toff = readU32(trailer, 8) | 0;
  const ril = -toff / 16;
  const rdl = first.offset + 16;
  if (ttag !== first.tag || toff > 0 || !Number.isInteger(ril) || ril < 1 || ril > il || rdl > dl) {
    throw new DriftlessError('RPM_BAD_HEADER', `${label}: region trailer of tag ${first.tag} is inconsistent`, { offset: base + 16 + il * 16 + first.offset });
  }
  return { tag: first.tag, il: ril, dl: rdl };
}

/** An entry to encode. INT values accept numbers (and bigints for INT64). */
export interface EncodeEntry {
  tag: number;
  type: TagType;
  value: HeaderValue;
}

export interface EncodeOptions {
  /** Region tag to wrap all entries in (63 for main headers, 62 for signature headers). */
  region?: number;
}

/**
 * Encode entries into header bytes (intro + index + data). Entries are sorted by tag, data is
 * laid out in that order with natural alignment, and a region trailer (if any) ends the data.
 * The output depends only on the entries, so it is reproducible.
 */
export function encodeHeader(input: EncodeEntry[], opts: EncodeOptions = {}): Uint8Array {
  const entries = [...input].sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.tag === entries[i - 1]!.tag) throw new DriftlessError('RPM_ENCODE', `duplicate tag ${entries[i]!.tag}`);
  }
  const chunks: Uint8Array[] = [];
  const index: Array<{ tag: number; type: number; offset: number; count: number }> = [];
  let dl = 0;
  const push = (b: Uint8Array) => {
    chunks.push(b);
    dl += b.length;
  };
  for (const e of entries) {
    const align = TYPE_ALIGN[e.type] ?? 1;
    if (dl % align) push(new Uint8Array(align - (dl % align)));
    const { bytes, count } = encodeValue(e);
    index.push({ tag: e.tag, type: e.type, offset: dl, count });
    push(bytes);
  }
  const il = entries.length + (opts.region !== undefined ? 1 : 0);
  if (opts.region !== undefined) {
    const trailer = new Uint8Array(16);
    writeU32(trailer, 0, opts.region);
    writeU32(trailer, 4, TagType.BIN);
    writeU32(trailer, 8, (-il * 16) >>> 0);
    writeU32(trailer, 12, 16);
    index.unshift({ tag: opts.region, type: TagType.BIN, offset: dl, count: 16 });
    push(trailer);
  }
  if (il > HEADER_TAGS_MAX || dl > HEADER_DATA_MAX) throw new DriftlessError('RPM_ENCODE', 'header too large');
  const out = new Uint8Array(16 + il * 16 + dl);
  out.set(HEADER_MAGIC, 0);
  writeU32(out, 8, il);
  writeU32(out, 12, dl);
  index.forEach((x, i) => {
    const p = 16 + i * 16;
    writeU32(out, p, x.tag);
    writeU32(out, p + 4, x.type);
    writeU32(out, p + 8, x.offset >>> 0);
    writeU32(out, p + 12, x.count);
  });
  let p = 16 + il * 16;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Serialise one entry's value as it is stored in the data area (no alignment padding). */
export function encodeValue(e: EncodeEntry): { bytes: Uint8Array; count: number } {
  const v = e.value;
  const bad = () => new DriftlessError('RPM_ENCODE', `tag ${e.tag}: value does not match type ${e.type}`);
  switch (e.type) {
    case TagType.STRING: {
      if (typeof v !== 'string') throw bad();
      return { bytes: cstrings([v]), count: 1 };
    }
    case TagType.STRING_ARRAY:
    case TagType.I18NSTRING: {
      const arr = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(arr) || arr.length === 0) throw bad();
      return { bytes: cstrings(arr.map(String)), count: arr.length };
    }
    case TagType.BIN: {
      if (!(v instanceof Uint8Array)) throw bad();
      return { bytes: v, count: v.length };
    }
    case TagType.CHAR:
    case TagType.INT8:
    case TagType.INT16:
    case TagType.INT32:
    case TagType.INT64: {
      if (!Array.isArray(v) || v.length === 0) throw bad();
      const size = TYPE_SIZE[e.type]!;
      const bytes = new Uint8Array(v.length * size);
      const dv = new DataView(bytes.buffer);
      (v as Array<number | bigint>).forEach((x, i) => {
        if (e.type === TagType.INT64) dv.setBigUint64(i * 8, BigInt(x));
        else if (e.type === TagType.INT32) dv.setUint32(i * 4, Number(x) >>> 0);
        else if (e.type === TagType.INT16) dv.setUint16(i * 2, Number(x) & 0xffff);
        else dv.setUint8(i, Number(x) & 0xff);
      });
      return { bytes, count: v.length };
    }
  }
  throw bad();
}

function cstrings(strs: string[]): Uint8Array {
  const parts = strs.map((s) => utf8Enc.encode(s));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let p = 0;
  for (const part of parts) {
    if (part.includes(0)) throw new DriftlessError('RPM_ENCODE', 'string contains NUL');
    out.set(part, p);
    p += part.length + 1;
  }
  return out;
}
