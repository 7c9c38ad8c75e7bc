/**
 * Hand-written cpio "newc" (070701) writer, the payload format of RPM packages.
 *
 * Each entry is a 110-byte ASCII header (13 eight-digit hex fields), the NUL-terminated name
 * padded to 4 bytes, then the data padded to 4 bytes; the archive ends with "TRAILER!!!".
 * newc fields are 32 bits wide, so a file of 4 GiB or more is refused (CPIO_FILE_TOO_LARGE)
 * rather than silently truncated.
 *
 *   const w = new CpioWriter();
 *   const chunks = [...w.entry({ name: './usr/bin/hello', mode: 0o100755, size: 5, ino: 1 }, data), ...w.trailer()];
 */
import { DriftlessError } from '../core/errors.js';

export const CPIO_NEWC_MAGIC = '070701';
export const CPIO_TRAILER = 'TRAILER!!!';
const MAX32 = 0xffffffff;

/** One cpio entry header; every numeric field must fit in 32 bits. */
export interface CpioEntry {
  name: string;
  ino?: number;
  /** Full st_mode (file type bits included). */
  mode: number;
  uid?: number;
  gid?: number;
  nlink?: number;
  mtime?: number;
  /** Bytes of data following the header (0 for directories and for hardlinks without content). */
  size: number;
  devMajor?: number;
  devMinor?: number;
  rdevMajor?: number;
  rdevMinor?: number;
}

const enc = new TextEncoder();

function hex8(v: number, field: string, name: string): string {
  if (!Number.isInteger(v) || v < 0 || v > MAX32) {
    throw new DriftlessError(field === 'filesize' ? 'CPIO_FILE_TOO_LARGE' : 'CPIO_FIELD_RANGE', `cpio entry ${name}: ${field} ${v} does not fit in newc's 32-bit field`, {
      path: name,
      hint: field === 'filesize' ? 'files of 4 GiB or more need the 07070X large-file format, which this writer does not produce' : undefined,
    });
  }
  return v.toString(16).padStart(8, '0');
}

function pad4(n: number): Uint8Array {
  const r = (4 - (n % 4)) % 4;
  return new Uint8Array(r);
}

/** Encode one newc header plus its padded name. */
export function encodeCpioHeader(e: CpioEntry): Uint8Array {
  const name = enc.encode(e.name);
  if (name.includes(0)) throw new DriftlessError('CPIO_FIELD_RANGE', `cpio entry name contains NUL: ${JSON.stringify(e.name)}`);
  const fields = [
    hex8(e.ino ?? 0, 'ino', e.name),
    hex8(e.mode, 'mode', e.name),
    hex8(e.uid ?? 0, 'uid', e.name),
    hex8(e.gid ?? 0, 'gid', e.name),
    hex8(e.nlink ?? 1, 'nlink', e.name),
    hex8(e.mtime ?? 0, 'mtime', e.name),
    hex8(e.size, 'filesize', e.name),
    hex8(e.devMajor ?? 0, 'devmajor', e.name),
    hex8(e.devMinor ?? 0, 'devminor', e.name),
    hex8(e.rdevMajor ?? 0, 'rdevmajor', e.name),
    hex8(e.rdevMinor ?? 0, 'rdevminor', e.name),
    hex8(name.length + 1, 'namesize', e.name),
    '00000000',
  ];
  const head = enc.encode(CPIO_NEWC_MAGIC + fields.join(''));
  const total = head.length + name.length + 1;
  const out = new Uint8Array(total + pad4(total).length);
  out.set(head, 0);
  out.set(name, head.length);
  return out;
}

/**
 * Streaming newc writer: `entry()` and `trailer()` yield chunks in archive order and keep a
 * running byte count (`size`), so callers can hash or compress as the bytes go by.
 */
export class CpioWriter {
  /** Bytes produced so far. */
  size = 0;
  private finished = false;

  /** Header, then `data` (which must be exactly `e.size` bytes), then padding. */
  *entry(e: CpioEntry, data?: Uint8Array): Generator<Uint8Array> {
    if (this.finished) throw new DriftlessError('CPIO_FIELD_RANGE', 'cpio archive already has its trailer');
    const got = data?.length ?? 0;
    if (got !== e.size) {
      throw new DriftlessError('CPIO_SIZE_MISMATCH', `cpio entry ${e.name}: header says ${e.size} bytes, ${got} given`, { path: e.name });
    }
    const h = encodeCpioHeader(e);
    this.size += h.length;
    yield h;
    if (data && data.length) {
      this.size += data.length;
      yield data;
      const p = pad4(data.length);
      if (p.length) {
        this.size += p.length;
        yield p;
      }
    }
  }

  /**
   * Header, then the data streamed from `source` (which must yield exactly `e.size` bytes, else
   * CPIO_SIZE_MISMATCH), then padding. For file contents too large to hold in memory.
   */
  async *entryStream(e: CpioEntry, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    if (this.finished) throw new DriftlessError('CPIO_FIELD_RANGE', 'cpio archive already has its trailer');
    const h = encodeCpioHeader(e);
    this.size += h.length;
    yield h;
    let got = 0;
    for await (const c of source) {
      got += c.length;
      if (got > e.size) break;
      this.size += c.length;
      yield c;
    }
    if (got !== e.size) {
      throw new DriftlessError('CPIO_SIZE_MISMATCH', `cpio entry ${e.name}: header says ${e.size} bytes, ${got > e.size ? 'more' : got} given`, { path: e.name });
    }
    const p = pad4(got);
    if (p.length) {
      this.size += p.length;
      yield p;
    }
  }

  /** The closing "TRAILER!!!" entry (nlink 1, as GNU cpio and rpm write it). */
  *trailer(): Generator<Uint8Array> {
    yield* this.entry({ name: CPIO_TRAILER, mode: 0, nlink: 1, size: 0 });
    this.finished = true;
  }
}
