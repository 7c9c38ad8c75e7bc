/**
 * Open an .rpm package: lead, signature header (padded to 8 bytes), main header, and a streamed
 * payload. Only the lead and headers are read up front; the payload is streamed on demand and
 * never buffered whole.
 *
 *   const pkg = await openPackage('hello-2.0-1.x86_64.rpm')
 *   pkg.header.getString(Tag.NAME)            // 'hello'
 *   for await (const chunk of pkg.payload()) ...   // decompressed cpio bytes
 *
 * v3 packages (no header regions), v4 and v6 (rpm 6: RPMFORMAT tag, no PAYLOADCOMPRESSOR,
 * stripped cpio) and source packages all open. `openPackageBytes` does the same for a buffer.
 */
import { createReadStream, openSync, fstatSync, readSync, closeSync } from 'node:fs';
import { DriftlessError } from '../core/errors.js';
import { decompress, compressionFromName, detectCompression, DEFAULT_MAX_OUTPUT, type CompressionKind } from '../core/compression.js';
import { lzmaDecompress } from './lzma.js';
import { decodeHeader, headerSizeFromIntro, HEADER_DATA_MAX, type Header } from './header.js';
import { decodeLead, LEAD_SIZE, type Lead } from './lead.js';
import { SigTag, Tag } from './tags.js';

export type { Lead } from './lead.js';

export interface RpmPackage {
  path?: string;
  lead: Lead;
  /** Decoded signature header (src/rpm/header.ts). */
  signature: Header;
  /** File offset of the signature header (96). */
  signatureOffset: number;
  /** Decoded main header; header.raw = exact bytes as in the file. */
  header: Header;
  /** File offset of the main header. */
  headerOffset: number;
  /** File offset of the (compressed) payload. */
  payloadOffset: number;
  fileSize: number;
  /** Package format: 3 (no regions), 4, or 6 (RPMFORMAT tag). */
  format: number;
  /** True for source packages (no SOURCERPM tag, as rpm decides). */
  isSource: boolean;
  /** Payload codec from PAYLOADCOMPRESSOR ('auto' = sniffed: the tag is absent, as in v6). */
  payloadCompression: CompressionKind | 'auto';
  /** Declared uncompressed payload (cpio archive) size, if any header states it. */
  archiveSize?: number;
  /** Raw (still compressed) payload bytes, streamed from payloadOffset to EOF. */
  rawPayload(): AsyncIterable<Uint8Array>;
  /** Decompressed payload stream (codec from PAYLOADCOMPRESSOR, bounded). */
  payload(): AsyncIterable<Uint8Array>;
}

export interface OpenPackageOptions {
  /** Upper bound for each header's size in bytes. Default: rpm's own limit (256 MiB of data). */
  maxHeaderBytes?: number;
  /**
   * Upper bound for the decompressed payload when no header declares its size. When one does,
   * the declared size (plus nothing) is the bound: a bigger payload is a lie or a bomb.
   */
  maxPayloadBytes?: number;
}

/** Random access to the package bytes: a file or a buffer. */
interface Source {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  stream(offset: number): AsyncIterable<Uint8Array>;
  path?: string;
}

/**
 * Open a package file, reading only the lead and the two headers. Header bytes are read with
 * synchronous positional reads (one 64 KiB read covers most packages): header parsing is
 * syscall-bound, and hopping through the thread pool per read made it several times slower.
 */
export async function openPackage(path: string, opts: OpenPackageOptions = {}): Promise<RpmPackage> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new DriftlessError('RPM_OPEN_FAILED', `cannot open ${path}: ${(e as Error).message}`, { path, cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new DriftlessError('RPM_OPEN_FAILED', `${path} is not a regular file`, { path });
    const prefix = Buffer.allocUnsafe(Math.min(st.size, 64 * 1024));
    const got = readSync(fd, prefix, 0, prefix.length, 0);
    const head = prefix.subarray(0, got);
    const src: Source = {
      size: st.size,
      path,
      async read(offset, length) {
        if (offset + length <= head.length) return head.subarray(offset, offset + length);
        const buf = Buffer.alloc(length);
        let n = 0;
        while (n < length) {
          const k = readSync(fd, buf, n, length - n, offset + n);
          if (k === 0) break;
          n += k;
        }
        return buf.subarray(0, n);
      },
      stream(offset) {
        return createReadStream(path, { start: offset, highWaterMark: 256 * 1024 });
      },
    };
    return await readPackage(src, opts);
  } finally {
    closeSync(fd);
  }
}

/** Same as openPackage, for a package already in memory (tests, fuzzing, small downloads). */
export async function openPackageBytes(bytes: Uint8Array, opts: OpenPackageOptions & { path?: string } = {}): Promise<RpmPackage> {
  const src: Source = {
    size: bytes.length,
    path: opts.path,
    async read(offset, length) {
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
    async *stream(offset) {
      const step = 256 * 1024;
      for (let p = offset; p < bytes.length; p += step) yield bytes.subarray(p, Math.min(bytes.length, p + step));
    },
  };
  return readPackage(src, opts);
}

async function readHeaderAt(src: Source, offset: number, label: string, max: number): Promise<{ header: Header; size: number }> {
  const intro = await src.read(offset, 16);
  if (intro.length < 16) {
    throw new DriftlessError('RPM_TRUNCATED', `${label}: file ends at ${src.size} before the header intro at ${offset}`, { offset: src.size, path: src.path });
  }
  let size: number;
  try {
    size = headerSizeFromIntro(intro, { label, fileOffset: offset });
  } catch (e) {
    throw withPath(e, src.path);
  }
  if (size > max) {
    throw new DriftlessError('RPM_HEADER_TOO_LARGE', `${label}: ${size} bytes exceeds the limit of ${max}`, { offset, path: src.path });
  }
  if (offset + size > src.size) {
    throw new DriftlessError('RPM_TRUNCATED', `${label}: needs ${size} bytes at ${offset}, file ends at ${src.size}`, { offset: src.size, path: src.path });
  }
  const bytes = await src.read(offset, size);
  try {
    return decodeHeader(bytes, 0, { label, fileOffset: offset });
  } catch (e) {
    throw withPath(e, src.path);
  }
}

function withPath(e: unknown, path: string | undefined): unknown {
  if (e instanceof DriftlessError && path && !e.path) {
    return new DriftlessError(e.code, e.message, { offset: e.offset, path, hint: e.hint, details: e.details, cause: e.cause });
  }
  return e;
}

async function readPackage(src: Source, opts: OpenPackageOptions): Promise<RpmPackage> {
  const maxHeader = opts.maxHeaderBytes ?? 16 + 16 * 0xffff + HEADER_DATA_MAX;
  const leadBytes = await src.read(0, LEAD_SIZE);
  const lead = decodeLead(leadBytes, src.path);
  const signatureOffset = LEAD_SIZE;
  const sig = await readHeaderAt(src, signatureOffset, 'signature header', maxHeader);
  const headerOffset = signatureOffset + sig.size + ((8 - (sig.size % 8)) % 8);
  const main = await readHeaderAt(src, headerOffset, 'main header', maxHeader);
  const payloadOffset = headerOffset + main.size;
  const header = main.header;
  const signature = sig.header;

  const rpmformat = header.getNumber(Tag.RPMFORMAT);
  const format = rpmformat ?? (header.region ? 4 : 3);
  const compressorName = header.getString(Tag.PAYLOADCOMPRESSOR);
  let payloadCompression: CompressionKind | 'auto';
  try {
    payloadCompression = compressorName === undefined ? 'auto' : compressionFromName(compressorName);
  } catch (e) {
    throw new DriftlessError('RPM_UNKNOWN_COMPRESSOR', `unknown payload compressor "${compressorName}"`, { path: src.path, cause: e, offset: headerOffset });
  }
  const archiveSize = declaredArchiveSize(signature, header);
  const limit = archiveSize ?? opts.maxPayloadBytes ?? DEFAULT_MAX_OUTPUT;
  const label = `${src.path ?? 'package'} payload`;
  return {
    path: src.path,
    lead,
    signature,
    signatureOffset,
    header,
    headerOffset,
    payloadOffset,
    fileSize: src.size,
    format,
    isSource: !header.has(Tag.SOURCERPM),
    payloadCompression,
    archiveSize,
    rawPayload: () => src.stream(payloadOffset),
    // The decoder bound gets slack (bzip2 also bounds its buffered *input* with it, and tiny
    // incompressible payloads grow); the exact declared size is enforced by boundedPayload.
    payload: () => {
      // count the compressed bytes read so decoder errors can point into the file
      const read = { n: 0 };
      const raw = (async function* () {
        for await (const c of src.stream(payloadOffset)) {
          read.n += c.length;
          yield c;
        }
      })();
      const limitOut = archiveSize !== undefined ? archiveSize + SLACK : limit;
      return boundedPayload(decodePayload(payloadCompression, raw, limitOut, label), limit, archiveSize !== undefined, src.path, () => payloadOffset + read.n);
    },
  };
}

const SLACK = 16 * 1024 * 1024;

/** Decompress with the core codecs, plus legacy lzma_alone (old RPMs) which core does not decode. */
async function* decodePayload(kind: CompressionKind | 'auto', raw: AsyncIterable<Uint8Array>, maxOutput: number, label: string): AsyncGenerator<Uint8Array> {
  let source = raw;
  if (kind === 'auto') {
    // sniff the codec from the first bytes; the underlying stream is closed however this ends
    const it = raw[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let n = 0;
    let done = false;
    while (n < 6) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      head.push(r.value);
      n += r.value.length;
    }
    kind = detectCompression(Buffer.concat(head));
    source = (async function* () {
      try {
        yield* head;
        while (!done) {
          const r = await it.next();
          if (r.done) return;
          yield r.value;
        }
      } finally {
        await it.return?.();
      }
    })();
  }
  if (kind === 'lzma') yield* lzmaDecompress(source, { maxOutput });
  else yield* decompress(kind, source, { maxOutput, label });
}

/** Enforce the declared archive size exactly: more output is a lying size or a bomb. */
async function* boundedPayload(source: AsyncIterable<Uint8Array>, limit: number, declared: boolean, path: string | undefined, fileOffset: () => number): AsyncGenerator<Uint8Array> {
  const mismatch = (cause?: unknown) =>
    new DriftlessError('RPM_PAYLOAD_SIZE_MISMATCH', `payload decompresses to more than the declared archive size ${limit}`, {
      path,
      offset: fileOffset(),
      hint: 'the package is corrupt or a decompression bomb',
      details: { declared: limit },
      cause,
    });
  let total = 0;
  try {
    for await (const chunk of source) {
      total += chunk.length;
      if (declared && total > limit) throw mismatch();
      yield chunk;
    }
  } catch (e) {
    if (declared && e instanceof DriftlessError && e.code === 'CORE_DECOMPRESSION_LIMIT') throw mismatch(e);
    if (e instanceof DriftlessError && e.code.startsWith('CORE_') && e.offset === undefined) {
      // a decoder error: point at how far into the file the compressed input had been read
      throw new DriftlessError(e.code, e.message, { offset: fileOffset(), path, hint: e.hint, details: e.details, cause: e.cause });
    }
    throw withPath(e, path);
  }
}

/**
 * Uncompressed cpio size as declared by the signature (v4) or main header (v3/v6). v6 states
 * the physical (PAYLOADSIZE) and the alternative representation's size (PAYLOADSIZEALT); as a
 * payload may be switched between compressed and uncompressed, the larger one is the bound.
 */
export function declaredArchiveSize(signature: Header, header: Header): number | undefined {
  const alt = header.getNumber(Tag.PAYLOADSIZEALT);
  const phys = header.getNumber(Tag.PAYLOADSIZE);
  const candidates = [
    signature.getNumber(SigTag.LONGARCHIVESIZE),
    signature.getNumber(SigTag.PAYLOADSIZE),
    alt !== undefined ? Math.max(alt, phys ?? 0) : undefined,
    header.getNumber(Tag.ARCHIVESIZE),
  ];
  for (const c of candidates) if (c !== undefined && Number.isSafeInteger(c)) return c;
  return undefined;
}
