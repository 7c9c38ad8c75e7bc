/**
 * Streaming reader of an RPM payload: cpio "newc" (070701/070702) and rpm's stripped variant
 * (07070X: only the file's header index; sizes come from the header, used by v6 and for files
 * over 4 GiB). Entries are mapped to the header's file list; in rpm ≥ 4.12 payloads names are
 * "./path" and in a hardlink group only the last member carries data.
 *
 *   for await (const e of readPayload(pkg)) {
 *     e.file?.path; for await (const chunk of e.data()) ...   // skipped if not consumed
 *   }
 *
 * Nothing is buffered beyond one chunk plus small headers; sizes are checked against the
 * header, and truncated or inconsistent archives fail with coded errors carrying the offset
 * in the decompressed stream.
 */
import { createHash } from 'node:crypto';
import { DriftlessError } from '../core/errors.js';
import type { RpmPackage } from './package.js';
import { carriesContent, fileDigestAlgorithm, packageFiles, S_IFLNK, S_IFMT, S_IFREG, type RpmFile } from './files.js';
import { FileFlag } from './tags.js';

export interface CpioEntry {
  /** Name as stored ('./usr/bin/x'; for stripped entries the header path). */
  name: string;
  /** Header file index, or -1 for an entry the header does not list. */
  index: number;
  mode: number;
  size: number;
  nlink: number;
  mtime: number;
  uid: number;
  gid: number;
  ino: number;
  rdevMajor: number;
  rdevMinor: number;
  /** Offset of the entry header in the decompressed payload. */
  offset: number;
  stripped: boolean;
}

export interface PayloadEntry {
  entry: CpioEntry;
  /** The header's record for this entry (undefined only with `allowUnknown`). */
  file?: RpmFile;
  /** The entry's data; must be consumed before the next entry is requested, or it is skipped. */
  data(): AsyncIterable<Uint8Array>;
}

export interface ReadPayloadOptions {
  /** Header file list (default: packageFiles(pkg.header, pkg.signature)). */
  files?: RpmFile[];
  /** Compare each regular file's digest with FILEDIGESTS (RPM_FILE_DIGEST_MISMATCH). Default false. */
  verifyDigests?: boolean;
  /** Yield entries whose name is not in the header instead of failing. Default false. */
  allowUnknown?: boolean;
}

const NAME_MAX = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Pull reader over a chunk stream with a byte position; copies only bytes that straddle chunks. */
class ByteReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private eof = false;
  offset = 0;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}
  private async next(): Promise<boolean> {
    if (this.eof) return false;
    const r = await this.it.next();
    if (r.done) {
      this.eof = true;
      return false;
    }
    this.chunk = r.value;
    this.pos = 0;
    return true;
  }
  /** Exactly n bytes, or undefined at EOF (fewer available). */
  async take(n: number): Promise<Uint8Array | undefined> {
    if (this.chunk.length - this.pos >= n) {
      const out = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.offset += n;
      return out;
    }
    const out = new Uint8Array(n);
    let have = 0;
    while (have < n) {
      if (this.chunk.length - this.pos === 0 && !(await this.next())) return undefined;
      const k = Math.min(n - have, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + k), have);
      this.pos += k;
      have += k;
    }
    this.offset += n;
    return out;
  }
  /** Up to n bytes of the current chunk (at least 1), or undefined at EOF. */
  async some(n: number): Promise<Uint8Array | undefined> {
    while (this.chunk.length - this.pos === 0) if (!(await this.next())) return undefined;
    const k = Math.min(n, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + k);
    this.pos += k;
    this.offset += k;
    return out;
  }
}

function hex(b: Uint8Array, at: number, name: string, offset: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const c = b[at + i]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) throw new DriftlessError('RPM_CPIO_BAD_HEADER', `cpio header field ${name} is not hex`, { offset: offset + at });
    v = v * 16 + d;
  }
  return v;
}

/** Header path → cpio key: without leading './' or '/'. */
function key(p: string): string {
  if (p.startsWith('./')) return p.slice(2);
  if (p.startsWith('/')) return p.slice(1);
  return p;
}

/** Walk the payload of `pkg`, one entry at a time. */
export async function* readPayload(pkg: RpmPackage, opts: ReadPayloadOptions = {}): AsyncGenerator<PayloadEntry> {
  yield* readCpio(pkg.payload(), opts.files ?? packageFiles(pkg.header, pkg.signature), {
    ...opts,
    digestAlgo: opts.verifyDigests ? fileDigestAlgorithm(pkg.header) : undefined,
    path: pkg.path,
  });
}

/** Walk a decompressed cpio stream against a header file list. */
export async function* readCpio(
  source: AsyncIterable<Uint8Array>,
  files: RpmFile[],
  opts: ReadPayloadOptions & { digestAlgo?: string; path?: string } = {},
): AsyncGenerator<PayloadEntry> {
  const byKey = new Map<string, number>();
  files.forEach((f, i) => byKey.set(key(f.path), i));
  const it = source[Symbol.asyncIterator]();
  try {
    yield* walkCpio(new ByteReader(it), files, byKey, opts);
  } finally {
    // Stop the decompressor (and close the file) when the walk ends early or fails.
    await it.return?.();
  }
}

async function* walkCpio(r: ByteReader, files: RpmFile[], byKey: Map<string, number>, opts: ReadPayloadOptions & { digestAlgo?: string; path?: string }): AsyncGenerator<PayloadEntry> {
  const path = opts.path;
  const seen = new Uint8Array(files.length);
  /** Hardlink groups (by first index) whose data has been seen. */
  const groupData = new Set<number>();
  const err = (code: string, msg: string, offset: number) => new DriftlessError(code, msg, { offset, path, hint: 'the payload is corrupt or does not match the header' });
  for (;;) {
    const pad = (4 - (r.offset % 4)) % 4;
    if (pad && !(await r.take(pad))) throw err('RPM_CPIO_TRUNCATED', 'payload ends inside padding', r.offset);
    const at = r.offset;
    const magic = await r.take(6);
    if (!magic) throw err('RPM_CPIO_TRUNCATED', 'payload ends before the cpio trailer', at);
    const m = utf8.decode(magic);
    let entry: CpioEntry;
    let file: RpmFile | undefined;
    if (m === '07070X') {
      const h = await r.take(8);
      if (!h) throw err('RPM_CPIO_TRUNCATED', 'payload ends inside a cpio header', r.offset);
      const fx = hex(h, 0, 'fx', at + 6);
      const p2 = (4 - (r.offset % 4)) % 4;
      if (p2 && !(await r.take(p2))) throw err('RPM_CPIO_TRUNCATED', 'payload ends inside padding', r.offset);
      file = files[fx];
      if (!file) throw err('RPM_CPIO_BAD_INDEX', `stripped cpio entry names file index ${fx}, header has ${files.length} files`, at);
      const size = (file.mode & S_IFMT) === S_IFREG && !carriesContent(file) ? 0 : (file.mode & S_IFMT) === S_IFREG || (file.mode & S_IFMT) === S_IFLNK ? file.size : 0;
      entry = { name: file.path, index: fx, mode: file.mode, size, nlink: file.nlink, mtime: file.mtime, uid: 0, gid: 0, ino: file.inode, rdevMajor: 0, rdevMinor: 0, offset: at, stripped: true };
    } else if (m === '070701' || m === '070702') {
      const h = await r.take(104);
      if (!h) throw err('RPM_CPIO_TRUNCATED', 'payload ends inside a cpio header', r.offset);
      const base = at + 6;
      const f = (i: number, n: string) => hex(h, i * 8, n, base);
      const namesize = f(11, 'namesize');
      if (namesize < 1 || namesize > NAME_MAX) throw err('RPM_CPIO_BAD_HEADER', `cpio name size ${namesize} out of range`, base + 88);
      const nameBytes = await r.take(namesize);
      if (!nameBytes) throw err('RPM_CPIO_TRUNCATED', 'payload ends inside a cpio name', r.offset);
      if (nameBytes[namesize - 1] !== 0) throw err('RPM_CPIO_BAD_HEADER', 'cpio name is not NUL-terminated', at + 110);
      const name = utf8.decode(nameBytes.subarray(0, namesize - 1));
      const p2 = (4 - (r.offset % 4)) % 4;
      if (p2 && !(await r.take(p2))) throw err('RPM_CPIO_TRUNCATED', 'payload ends inside padding', r.offset);
      entry = {
        name,
        index: -1,
        ino: f(0, 'ino'),
        mode: f(1, 'mode'),
        uid: f(2, 'uid'),
        gid: f(3, 'gid'),
        nlink: f(4, 'nlink'),
        mtime: f(5, 'mtime'),
        size: f(6, 'filesize'),
        rdevMajor: f(9, 'rdevmajor'),
        rdevMinor: f(10, 'rdevminor'),
        offset: at,
        stripped: false,
      };
      if (name === 'TRAILER!!!') break;
      const fx = byKey.get(key(name));
      if (fx !== undefined) {
        entry.index = fx;
        file = files[fx]!;
        const type = file.mode & S_IFMT;
        if ((entry.mode & S_IFMT) !== type) throw err('RPM_CPIO_MISMATCH', `${name}: file type in payload differs from the header`, at);
        const expected = type === S_IFREG ? file.size : type === S_IFLNK ? file.size : 0;
        // In a hardlink group one member (normally the last) carries the data, the others are empty.
        if (entry.size !== expected && !(type === S_IFREG && entry.size === 0 && file.nlink > 1)) {
          throw err('RPM_CPIO_SIZE_MISMATCH', `${name}: payload size ${entry.size} differs from header size ${expected}`, at);
        }
      } else if (!opts.allowUnknown) {
        throw err('RPM_CPIO_UNKNOWN_FILE', `payload entry ${JSON.stringify(name)} is not in the header's file list`, at);
      }
    } else {
      throw err('RPM_CPIO_BAD_MAGIC', `bad cpio magic ${JSON.stringify(m)}`, at);
    }
    if (file) {
      if (seen[file.index]) throw err('RPM_CPIO_DUPLICATE', `${file.path} appears twice in the payload`, at);
      seen[file.index] = 1;
      if (file.nlink > 1 && entry.size > 0) {
        if (groupData.has(file.links[0]!)) throw err('RPM_CPIO_DUPLICATE', `${file.path}: hardlink group data appears twice in the payload`, at);
        groupData.add(file.links[0]!);
      }
    }
    let left = entry.size;
    const dataStart = r.offset;
    const algo = opts.digestAlgo && file && (file.mode & S_IFMT) === S_IFREG && entry.size === file.size && file.digest ? opts.digestAlgo : undefined;
    let consumed = false;
    const self = file;
    const data = async function* (): AsyncGenerator<Uint8Array> {
      if (consumed) throw new DriftlessError('RPM_PAYLOAD_USAGE', 'entry data can only be read once');
      consumed = true;
      const h = algo ? createHash(algo) : undefined;
      while (left > 0) {
        const c = await r.some(Math.min(left, 1 << 20));
        if (!c) throw err('RPM_CPIO_TRUNCATED', `${entry.name}: payload ends ${left} bytes before the end of its data`, r.offset);
        left -= c.length;
        h?.update(c);
        yield c;
      }
      if (h && self) {
        const got = h.digest('hex');
        if (got !== self.digest.toLowerCase()) {
          throw new DriftlessError('RPM_FILE_DIGEST_MISMATCH', `${self.path}: ${algo} digest ${got} differs from the header's ${self.digest}`, {
            path,
            offset: dataStart,
            details: { file: self.path, expected: self.digest, actual: got },
          });
        }
      }
    };
    yield { entry, file, data };
    if (!consumed) for await (const _ of data()) void _;
    else if (left > 0) {
      // consumer stopped early: skip the rest
      while (left > 0) {
        const c = await r.some(Math.min(left, 1 << 20));
        if (!c) throw err('RPM_CPIO_TRUNCATED', `${entry.name}: payload ends before the end of its data`, r.offset);
        left -= c.length;
      }
    }
  }
  // Files the header promises in the payload but that are missing (ghosts are never archived).
  for (const f of files) {
    if (!seen[f.index] && !(f.flags & FileFlag.GHOST)) {
      throw new DriftlessError('RPM_CPIO_MISSING_FILE', `${f.path} is in the header but not in the payload`, { path, offset: r.offset });
    }
    if (f.nlink > 1 && f.size > 0 && (f.mode & S_IFMT) === S_IFREG && !groupData.has(f.links[0]!)) {
      throw new DriftlessError('RPM_CPIO_MISSING_FILE', `${f.path}: no member of its hardlink group carries data in the payload`, { path, offset: r.offset });
    }
  }
  // Drain trailing padding so decompression errors at the very end still surface.
  let extra = 0;
  for (;;) {
    const c = await r.some(1 << 20);
    if (!c) break;
    extra += c.length;
    if (extra > 1 << 20) throw new DriftlessError('RPM_CPIO_TRAILING_DATA', 'more than 1 MiB of data after the cpio trailer', { path, offset: r.offset });
  }
}
