/**
 * Streaming, safe tar reader: ustar, POSIX pax (incl. binary-safe `SCHILY.xattr.*` and
 * `LIBARCHIVE.xattr.*` records, global headers), GNU long names ('L'/'K') and base-256 numbers.
 *
 *   for await (const e of readTar(fs.createReadStream('rootfs.tar'))) {
 *     if (e.type === 'file') for await (const chunk of e.body) ...   // unread bodies are skipped
 *   }
 *
 * Safety: every path is normalised to '/a/b'; a `..` component, a NUL, or (unless
 * `absolute: 'strip'`) an absolute path is refused with TAR_UNSAFE_PATH and the header's byte
 * offset. Hardlink targets get the same checks. Sizes are bounded (entry, pax header, total).
 */
import { DriftlessError } from '../core/errors.js';
import type { EntryMeta, EntryType } from '../compose/rootfs.js';
import { BLOCK } from './tar-write.js';

/** An entry as read (the archive root './' is '/'). */
export interface TarEntry extends EntryMeta {
  xattrs: Record<string, Uint8Array>;
  /** Byte offset of the entry's first header in the archive. */
  offset: number;
  /** The content (files only; empty otherwise). Must be consumed before the next entry, or it is skipped. */
  body: AsyncIterable<Uint8Array>;
}

export interface TarReadOptions {
  /** Largest single entry (default 64 GiB). */
  maxEntrySize?: number;
  /** Largest total of entry sizes (default 1 TiB). */
  maxTotalSize?: number;
  /** Largest pax / GNU long-name header (default 1 MiB). */
  maxHeaderSize?: number;
  /** Most entries (default 10 million). */
  maxEntries?: number;
  /** 'reject' (default) absolute paths, or 'strip' the leading '/'. */
  absolute?: 'reject' | 'strip';
  label?: string;
}

const TYPES: Record<string, EntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

/** Buffered exact reads over an async chunk source. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array>;
  private done = false;
  pos = 0;
  constructor(src: AsyncIterable<Uint8Array>) {
    this.it = src[Symbol.asyncIterator]();
  }
  private async fill(n: number): Promise<boolean> {
    const parts: Buffer[] = [this.buf];
    let have = this.buf.length;
    while (have < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const c = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      parts.push(c);
      have += c.length;
    }
    if (parts.length > 1) this.buf = Buffer.concat(parts);
    return this.buf.length >= n;
  }
  /** Exactly n bytes, or null at a clean EOF (nothing left); throws on a short read. */
  async read(n: number, label: string): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.buf.length === 0) return null;
      throw new DriftlessError('TAR_TRUNCATED', `${label}: archive ends inside a block`, { offset: this.pos });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.pos += n;
    return out;
  }
  /** Stream n bytes without buffering them all. */
  async *stream(n: number, label: string): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill(1))) {
        throw new DriftlessError('TAR_TRUNCATED', `${label}: archive ends inside an entry's data`, { offset: this.pos });
      }
      const take = Math.min(left, this.buf.length);
      const out = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      this.pos += take;
      left -= take;
      yield out;
    }
  }
  async skip(n: number, label: string): Promise<void> {
    for await (const _ of this.stream(n, label)) void _;
  }
}

function cstr(b: Buffer, off: number, len: number): Buffer {
  const f = b.subarray(off, off + len);
  const z = f.indexOf(0);
  return z < 0 ? f : f.subarray(0, z);
}

/** Octal (space/NUL padded) or GNU base-256 number. */
function num(b: Buffer, off: number, len: number, what: string, offset: number): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    if (f[0] === 0xff) throw new DriftlessError('TAR_BAD_HEADER', `negative base-256 ${what}`, { offset });
    let v = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw new DriftlessError('TAR_BAD_HEADER', `${what} too large`, { offset });
    return v;
  }
  const s = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new DriftlessError('TAR_BAD_HEADER', `invalid octal ${what} ${JSON.stringify(s)}`, { offset });
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  const s = cstr(h, 148, 8).toString('latin1').trim();
  if (!/^[0-7]+$/.test(s)) return false;
  const want = parseInt(s, 8);
  return want === unsigned || want === signed;
}

/** Parse pax records into key → raw value bytes. */
export function parsePax(data: Buffer, offset: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // NUL padding
    const sp = data.indexOf(0x20, i);
    if (sp < 0) throw new DriftlessError('TAR_BAD_PAX', 'pax record without a length', { offset });
    const lenStr = data.subarray(i, sp).toString('latin1');
    const len = Number(lenStr);
    if (!/^\d+$/.test(lenStr) || len < 5 || i + len > data.length || data[i + len - 1] !== 0x0a) {
      throw new DriftlessError('TAR_BAD_PAX', `malformed pax record at ${i}`, { offset });
    }
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new DriftlessError('TAR_BAD_PAX', 'pax record without "="', { offset });
    out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    i += len;
  }
  return out;
}

/** Normalise an archive path; refuses '..', NUL and (by default) absolute paths. */
export function safeTarPath(raw: string, offset: number, absolute: 'reject' | 'strip' = 'reject'): string {
  if (raw.includes('\0')) throw new DriftlessError('TAR_UNSAFE_PATH', `path contains NUL`, { offset });
  if (raw.startsWith('/') && absolute === 'reject') {
    throw new DriftlessError('TAR_UNSAFE_PATH', `absolute path in archive: ${raw}`, { offset, hint: 'archives must hold relative paths' });
  }
  const parts: string[] = [];
  for (const c of raw.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new DriftlessError('TAR_UNSAFE_PATH', `path escapes the archive root: ${raw}`, { offset });
    parts.push(c);
  }
  return '/' + parts.join('/');
}

/** Read a tar stream entry by entry. */
export async function* readTar(source: AsyncIterable<Uint8Array>, opts: TarReadOptions = {}): AsyncGenerator<TarEntry> {
  const maxEntry = opts.maxEntrySize ?? 64 * 1024 ** 3;
  const maxTotal = opts.maxTotalSize ?? 1024 ** 4;
  const maxHeader = opts.maxHeaderSize ?? 1024 * 1024;
  const maxEntries = opts.maxEntries ?? 10_000_000;
  const label = opts.label ?? 'tar';
  const r = new ByteReader(source);
  const global = new Map<string, Buffer>();
  let total = 0;
  let count = 0;
  let pax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let start: number | undefined;
  let nextHeader = 0;

  for (;;) {
    if (r.pos < nextHeader) await r.skip(nextHeader - r.pos, label); // what the consumer did not read
    const offset = r.pos;
    const h = await r.read(BLOCK, label);
    if (h === null) {
      if (pax || longName || longLink) throw new DriftlessError('TAR_TRUNCATED', `${label}: archive ends after an extended header`, { offset });
      return; // EOF without end blocks: accepted (some writers omit them)
    }
    if (h.every((x) => x === 0)) return; // end of archive (the second zero block is not required)
    if (!checksumOk(h)) throw new DriftlessError('TAR_BAD_CHECKSUM', `${label}: header checksum mismatch`, { offset, hint: 'not a tar archive, or corrupt' });
    start ??= offset;
    const flag = String.fromCharCode(h[156]!);
    const size = num(h, 124, 12, 'size', offset);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > maxHeader) throw new DriftlessError('TAR_LIMIT', `${label}: extended header of ${size} bytes exceeds ${maxHeader}`, { offset });
      const data = (await r.read(size, label)) ?? Buffer.alloc(0);
      if (data.length < size) throw new DriftlessError('TAR_TRUNCATED', `${label}: truncated extended header`, { offset });
      await r.skip((BLOCK - (size % BLOCK)) % BLOCK, label);
      if (flag === 'x') pax = new Map([...(pax ?? []), ...parsePax(data, offset)]);
      else if (flag === 'g') for (const [k, v] of parsePax(data, offset)) global.set(k, v);
      else if (flag === 'L') longName = cstr(data, 0, data.length).toString('utf8');
      else longLink = cstr(data, 0, data.length).toString('utf8');
      continue;
    }
    const type = TYPES[flag];
    if (!type) {
      throw new DriftlessError('TAR_UNSUPPORTED_TYPE', `${label}: unsupported entry type ${JSON.stringify(flag)}`, { offset: start, hint: 'sparse and multi-volume GNU entries are not supported' });
    }
    const ext = new Map([...global, ...(pax ?? [])]);
    const magic = h.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? cstr(h, 345, 155).toString('utf8') : '';
    let rawPath = ext.get('path')?.toString('utf8') ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100).toString('utf8')}` : cstr(h, 0, 100).toString('utf8'));
    if (rawPath === '') throw new DriftlessError('TAR_BAD_HEADER', `${label}: entry without a name`, { offset: start });
    let absolute = opts.absolute ?? 'reject';
    if (rawPath === '/' ) { rawPath = '.'; absolute = 'strip'; }
    const path = safeTarPath(rawPath, start, absolute);
    const rawLink = ext.get('linkpath')?.toString('utf8') ?? longLink ?? cstr(h, 157, 100).toString('utf8');
    const pnum = (k: string, fallback: number) => {
      const v = ext.get(k);
      if (v === undefined) return fallback;
      const n = Number(v.toString('latin1'));
      if (!Number.isFinite(n) || n < 0) throw new DriftlessError('TAR_BAD_PAX', `pax ${k} is not a number`, { offset: start });
      return k === 'mtime' ? Math.floor(n) : n;
    };
    const entrySize = type === 'file' || (type === 'hardlink' && size > 0) ? pnum('size', size) : 0;
    if (!Number.isSafeInteger(entrySize)) throw new DriftlessError('TAR_BAD_HEADER', `invalid size`, { offset: start });
    if (entrySize > maxEntry) throw new DriftlessError('TAR_LIMIT', `${label}: ${path} is ${entrySize} bytes, limit ${maxEntry}`, { offset: start, path });
    total += entrySize;
    if (total > maxTotal) throw new DriftlessError('TAR_LIMIT', `${label}: content exceeds ${maxTotal} bytes`, { offset: start });
    if (++count > maxEntries) throw new DriftlessError('TAR_LIMIT', `${label}: more than ${maxEntries} entries`, { offset: start });
    const xattrs: Record<string, Uint8Array> = {};
    for (const [k, v] of ext) {
      if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = v;
      else if (k.startsWith('LIBARCHIVE.xattr.')) {
        let name: string;
        try {
          name = decodeURIComponent(k.slice(17));
        } catch {
          throw new DriftlessError('TAR_BAD_PAX', `malformed LIBARCHIVE.xattr name ${JSON.stringify(k)}`, { offset: start });
        }
        xattrs[name] = Buffer.from(v.toString('latin1'), 'base64');
      }
    }
    const user = ext.get('uname')?.toString('utf8') ?? (cstr(h, 265, 32).toString('utf8') || undefined);
    const group = ext.get('gname')?.toString('utf8') ?? (cstr(h, 297, 32).toString('utf8') || undefined);
    const e: TarEntry = {
      path,
      type,
      mode: num(h, 100, 8, 'mode', offset) & 0o7777,
      uid: pnum('uid', num(h, 108, 8, 'uid', offset)),
      gid: pnum('gid', num(h, 116, 8, 'gid', offset)),
      ...(user !== undefined ? { user } : {}),
      ...(group !== undefined ? { group } : {}),
      mtime: pnum('mtime', num(h, 136, 12, 'mtime', offset)),
      size: type === 'file' ? entrySize : 0,
      xattrs,
      offset: start,
      body: emptyBody(),
    };
    if (type === 'symlink') e.linkTarget = rawLink;
    if (type === 'hardlink') e.linkTarget = safeTarPath(rawLink, start, opts.absolute ?? 'reject');
    if (type === 'char' || type === 'block') e.rdev = { major: num(h, 329, 8, 'devmajor', offset), minor: num(h, 337, 8, 'devminor', offset) };
    if ((type === 'symlink' || type === 'hardlink') && !rawLink) throw new DriftlessError('TAR_BAD_HEADER', `${path}: link without a target`, { offset: start });
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    start = undefined;
    const dataLen = entrySize;
    const pad = (BLOCK - (dataLen % BLOCK)) % BLOCK;
    nextHeader = r.pos + dataLen + pad;
    if (type === 'file' && dataLen > 0) {
      const bodyStart = r.pos;
      e.body = (async function* () {
        if (r.pos !== bodyStart) throw new DriftlessError('TAR_STATE', `${path}: body read after moving to the next entry`, { offset: bodyStart });
        yield* r.stream(dataLen, `${label}: ${path}`);
      })();
    }
    yield e;
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** Read an entry body into one buffer. */
export async function readBody(e: TarEntry): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of e.body) parts.push(c);
  return Buffer.concat(parts);
}
