/**
 * Streaming, deterministic tar writer (POSIX pax / ustar), hand-written because npm tar packages
 * were measured to corrupt data.
 *
 *   for await (const chunk of writeTar(rootfs.sorted())) out.write(chunk)
 *
 * Each entry is a ustar header; a pax extended header ('x') comes first when something does not
 * fit ustar: a path or link target over 100 bytes, a size ≥ 8 GiB, ids over 0o7777777, long or
 * non-ASCII user/group names, and every xattr as `SCHILY.xattr.<name>` (binary values are fine:
 * the record length counts bytes). Nothing host-dependent is written: no atime/ctime, the pax
 * header name is derived from the entry path, and the archive ends with two zero blocks.
 * Paths are written relative ('usr/bin/foo', directories with a trailing '/'); the root entry
 * '/' is skipped unless `includeRoot` (then './').
 */
import { DriftlessError } from '../core/errors.js';
import type { EntryMeta, EntryType } from '../compose/rootfs.js';

export const BLOCK = 512;

/** The fields the writer reads; a RootfsEntry is one. */
export interface TarWriteEntry extends EntryMeta {
  xattrs?: Record<string, Uint8Array>;
  content?: { bytes?: Uint8Array; open?: () => AsyncIterable<Uint8Array> };
}

export interface TarWriteOptions {
  /** Emit the root directory as './'. Default false. */
  includeRoot?: boolean;
  /** Force every mtime to this value (else each entry's own mtime). */
  mtime?: number;
  /** Called with each entry's path as it is written (progress). */
  onEntry?: (path: string) => void;
}

const TYPEFLAG: Record<EntryType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}
function fitsOctal(n: number, width: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < 8 ** (width - 1);
}

/** One pax record: "<len> key=value\n" where len counts every byte of the record. */
export function paxRecord(key: string, value: Uint8Array | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const body = Buffer.byteLength(key) + v.length + 3; // ' ', '=', '\n'
  let len = body + String(body).length;
  if (String(len).length !== String(body).length) len = body + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), v, Buffer.from('\n')]);
}

function writeField(h: Buffer, off: number, width: number, s: string | Uint8Array): void {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  h.set(b.subarray(0, width), off);
}

/** Build one 512-byte ustar header. */
export function ustarHeader(f: {
  name: string; mode: number; uid: number; gid: number; size: number; mtime: number; typeflag: string;
  linkname?: string; uname?: string; gname?: string; devmajor?: number; devminor?: number;
}): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeField(h, 0, 100, f.name);
  writeField(h, 100, 8, octal(f.mode, 8));
  writeField(h, 108, 8, octal(f.uid, 8));
  writeField(h, 116, 8, octal(f.gid, 8));
  writeField(h, 124, 12, octal(f.size, 12));
  writeField(h, 136, 12, octal(f.mtime, 12));
  h.fill(0x20, 148, 156);
  writeField(h, 156, 1, f.typeflag);
  if (f.linkname) writeField(h, 157, 100, f.linkname);
  writeField(h, 257, 6, 'ustar\0');
  writeField(h, 263, 2, '00');
  writeField(h, 265, 32, f.uname ?? '');
  writeField(h, 297, 32, f.gname ?? '');
  writeField(h, 329, 8, octal(f.devmajor ?? 0, 8));
  writeField(h, 337, 8, octal(f.devminor ?? 0, 8));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  writeField(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

function padding(n: number): Buffer {
  const r = n % BLOCK;
  return Buffer.alloc(r === 0 ? 0 : BLOCK - r);
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** The tar path of an entry: relative, directories end in '/'. */
export function tarPath(e: { path: string; type: EntryType }): string {
  const rel = e.path.replace(/^\/+/, '');
  if (rel === '') return './';
  return e.type === 'dir' ? rel + '/' : rel;
}

/** Headers (pax + ustar) for one entry, without its data. */
export function entryHeaders(e: TarWriteEntry, opts: TarWriteOptions = {}): Buffer {
  const name = tarPath(e);
  const mtime = opts.mtime ?? e.mtime;
  const size = e.type === 'file' ? e.size : 0;
  const link = e.type === 'hardlink' ? (e.linkTarget ?? '').replace(/^\/+/, '') : e.type === 'symlink' ? (e.linkTarget ?? '') : '';
  if ((e.type === 'hardlink' || e.type === 'symlink') && link === '') {
    throw new DriftlessError('TAR_BAD_ENTRY', `${e.path}: ${e.type} without a target`, { path: e.path });
  }
  if (!Number.isInteger(mtime) || mtime < 0) throw new DriftlessError('TAR_BAD_ENTRY', `${e.path}: invalid mtime ${mtime}`, { path: e.path });
  const recs: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) recs.push(paxRecord('path', name));
  if (Buffer.byteLength(link) > 100) recs.push(paxRecord('linkpath', link));
  if (!fitsOctal(size, 12)) recs.push(paxRecord('size', String(size)));
  if (!fitsOctal(mtime, 12)) recs.push(paxRecord('mtime', String(mtime)));
  if (!fitsOctal(e.uid, 8)) recs.push(paxRecord('uid', String(e.uid)));
  if (!fitsOctal(e.gid, 8)) recs.push(paxRecord('gid', String(e.gid)));
  const uname = e.user ?? '';
  const gname = e.group ?? '';
  if (Buffer.byteLength(uname) > 32 || !isAscii(uname)) recs.push(paxRecord('uname', uname));
  if (Buffer.byteLength(gname) > 32 || !isAscii(gname)) recs.push(paxRecord('gname', gname));
  const xs = e.xattrs ?? {};
  for (const k of Object.keys(xs).sort()) recs.push(paxRecord(`SCHILY.xattr.${k}`, xs[k]!));
  const out: Buffer[] = [];
  if (recs.length) {
    const data = Buffer.concat(recs);
    const base = name.replace(/\/$/, '').split('/').pop() || '.';
    const paxName = `PaxHeaders/${base}`;
    out.push(ustarHeader({ name: paxName, mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: fitsOctal(mtime, 12) ? mtime : 0, typeflag: 'x' }), data, padding(data.length));
  }
  const clamp = (n: number, w: number) => (fitsOctal(n, w) ? n : 0);
  out.push(
    ustarHeader({
      name, // over 100 bytes: truncated here, the pax 'path' record is authoritative
      mode: e.mode & 0o7777,
      uid: clamp(e.uid, 8),
      gid: clamp(e.gid, 8),
      size: clamp(size, 12),
      mtime: clamp(mtime, 12),
      typeflag: TYPEFLAG[e.type],
      linkname: link,
      uname: Buffer.byteLength(uname) <= 32 && isAscii(uname) ? uname : '',
      gname: Buffer.byteLength(gname) <= 32 && isAscii(gname) ? gname : '',
      devmajor: e.rdev?.major ?? 0,
      devminor: e.rdev?.minor ?? 0,
    }),
  );
  return Buffer.concat(out);
}

async function* entryData(e: TarWriteEntry): AsyncGenerator<Uint8Array> {
  if (e.type !== 'file' || e.size === 0) return;
  let n = 0;
  const src: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | undefined = e.content?.bytes ? [e.content.bytes] : e.content?.open?.();
  if (!src) throw new DriftlessError('TAR_NO_CONTENT', `${e.path}: ${e.size} bytes but no content`, { path: e.path });
  for await (const c of src) {
    n += c.length;
    if (n > e.size) throw new DriftlessError('TAR_SIZE_MISMATCH', `${e.path}: content longer than its size ${e.size}`, { path: e.path });
    yield c;
  }
  if (n !== e.size) throw new DriftlessError('TAR_SIZE_MISMATCH', `${e.path}: content has ${n} bytes, entry says ${e.size}`, { path: e.path });
  const pad = padding(n);
  if (pad.length) yield pad;
}

/**
 * Stream a tar archive of `entries` in the order given (pass `rootfs.sorted()` for a sorted,
 * reproducible archive). Small headers are coalesced into chunks of up to 64 KiB.
 */
export async function* writeTar(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>, opts: TarWriteOptions = {}): AsyncGenerator<Uint8Array> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const FLUSH = 64 * 1024;
  for await (const e of entries) {
    if (e.path === '/' || e.path === '') {
      if (!opts.includeRoot) continue;
    }
    opts.onEntry?.(e.path);
    const h = entryHeaders(e, opts);
    pending.push(h);
    pendingLen += h.length;
    if (e.type === 'file' && e.size > 0) {
      if (e.content?.bytes && e.size <= FLUSH) {
        if (e.content.bytes.length !== e.size) {
          throw new DriftlessError('TAR_SIZE_MISMATCH', `${e.path}: content has ${e.content.bytes.length} bytes, entry says ${e.size}`, { path: e.path });
        }
        pending.push(Buffer.from(e.content.bytes.buffer, e.content.bytes.byteOffset, e.content.bytes.byteLength), padding(e.size));
        pendingLen += e.size + padding(e.size).length;
      } else {
        if (pendingLen) yield Buffer.concat(pending);
        pending = [];
        pendingLen = 0;
        yield* entryData(e);
      }
    }
    if (pendingLen >= FLUSH) {
      yield Buffer.concat(pending);
      pending = [];
      pendingLen = 0;
    }
  }
  pending.push(Buffer.alloc(2 * BLOCK));
  yield Buffer.concat(pending);
}

/** Collect a whole archive into one buffer (tests, small layers). */
export async function tarToBuffer(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>, opts: TarWriteOptions = {}): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of writeTar(entries, opts)) parts.push(c);
  return Buffer.concat(parts);
}
