/**
 * Streaming decompression for every codec RPM payloads and rpm-md metadata use
 * (gzip, xz, zstd, bzip2, plain), with an output bound so a decompression bomb fails with
 * CORE_DECOMPRESSION_LIMIT instead of exhausting memory. Zstd encoding (stable bytes for
 * reproducible outputs) is in `zstdCompress`.
 */
import { createGunzip, createGzip, gzipSync, constants as zc } from 'node:zlib';
import { Readable } from 'node:stream';
// The zstd and xz decoders load on first use (~20 ms of start-up for commands that never decompress).
type XzStream = new (s: unknown) => unknown;
let xzModule: Promise<XzStream> | undefined;
const loadXz = () =>
  (xzModule ??= import('xz-decompress').then((m) => {
    // CommonJS module: the class is on the default export or on the namespace, depending on the loader
    const ns = m as unknown as { XzReadableStream?: XzStream; default?: { XzReadableStream?: XzStream } };
    const cls = ns.default?.XzReadableStream ?? ns.XzReadableStream;
    if (!cls) throw new Error('xz-decompress: XzReadableStream not found');
    return cls;
  }));
import { DriftlessError } from './errors.js';
import { xzStripCheck } from './xzcheck.js';

export type CompressionKind = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'lzma' | 'none';

/** Guess the codec from the first bytes. Returns 'none' when no known magic is present. */
export function detectCompression(head: Uint8Array): CompressionKind {
  const b = head;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 6 && b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0x00) return 'xz';
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  if (b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  if (b.length >= 3 && b[0] === 0x5d && b[1] === 0x00 && b[2] === 0x00) return 'lzma';
  return 'none';
}

/** Map an rpm PAYLOADCOMPRESSOR value or a file suffix (.gz, .xz, .zst, .bz2) to a codec. */
export function compressionFromName(name: string | undefined): CompressionKind {
  switch ((name ?? '').toLowerCase().replace(/^\./, '')) {
    case 'gzip': case 'gz': return 'gzip';
    case 'xz': return 'xz';
    case 'zstd': case 'zst': return 'zstd';
    case 'bzip2': case 'bz2': return 'bzip2';
    case 'lzma': return 'lzma';
    case '': case 'identity': case 'none': case 'xml': return 'none';
    default:
      throw new DriftlessError('CORE_UNKNOWN_COMPRESSION', `unknown compression "${name}"`, {
        hint: 'supported: gzip, xz, zstd, bzip2, none',
      });
  }
}

export interface DecompressOptions {
  /** Fail with CORE_DECOMPRESSION_LIMIT once more than this many bytes come out. */
  maxOutput?: number;
  /** For error messages. */
  label?: string;
}

/** Default output bound: 8 GiB, far above any real payload, well below "fill the disk". */
export const DEFAULT_MAX_OUTPUT = 8 * 1024 ** 3;

/** Decompress a stream of chunks. The codec is taken from `kind`, or sniffed when 'auto'. */
export async function* decompress(
  kind: CompressionKind | 'auto',
  source: AsyncIterable<Uint8Array>,
  opts: DecompressOptions = {},
): AsyncGenerator<Uint8Array> {
  const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const label = opts.label ?? 'stream';
  let input: AsyncIterable<Uint8Array> = source;
  if (kind === 'auto') {
    const { head, rest } = await peek(source, 6);
    kind = detectCompression(head);
    input = rest;
  }
  let total = 0;
  try {
    for await (const chunk of rawDecompress(kind, input, label, max)) {
      total += chunk.length;
      if (total > max) {
        throw new DriftlessError('CORE_DECOMPRESSION_LIMIT', `${label}: decompressed size exceeds ${max} bytes`, {
          hint: 'the input is corrupt or a decompression bomb',
          details: { limit: max },
        });
      }
      yield chunk;
    }
  } catch (e) {
    if (e instanceof DriftlessError) throw e;
    throw new DriftlessError('CORE_DECOMPRESSION_FAILED', `${label}: ${kind} data is corrupt: ${(e as Error).message}`, { cause: e });
  }
}

async function* rawDecompress(kind: CompressionKind, input: AsyncIterable<Uint8Array>, label: string, max: number): AsyncGenerator<Uint8Array> {
  switch (kind) {
    case 'none':
      yield* input;
      return;
    case 'gzip': {
      const gunzip = createGunzip({ chunkSize: 256 * 1024 }); // 16 KiB default output chunks cost ~3x CPU
      const src = Readable.from(input, { objectMode: false });
      src.on('error', (e) => gunzip.destroy(e));
      yield* src.pipe(gunzip) as AsyncIterable<Uint8Array>;
      return;
    }
    case 'zstd': {
      const out: Uint8Array[] = [];
      const fzstd = await import('fzstd');
      const d = new fzstd.Decompress((chunk) => {
        out.push(chunk);
      });
      let ended = false;
      for await (const chunk of input) {
        d.push(chunk);
        while (out.length) yield out.shift()!;
      }
      d.push(new Uint8Array(0), true);
      ended = true;
      while (out.length) yield out.shift()!;
      void ended;
      return;
    }
    case 'xz': {
      // rpm writes SHA-256-checked xz; the embedded decoder only knows none/CRC32/CRC64.
      const web = ReadableStream.from(xzStripCheck(input)) as unknown as ReadableStream<Uint8Array>;
      const XzReadableStream = await loadXz();
      const xz = new XzReadableStream(web as never) as unknown as AsyncIterable<Uint8Array>;
      yield* xz;
      return;
    }
    case 'bzip2': {
      // seek-bzip decodes whole buffers only; bzip2 is rare (old RPMs, some metadata) so the
      // compressed input is buffered with the same bound as the output.
      const parts: Uint8Array[] = [];
      let n = 0;
      for await (const c of input) {
        n += c.length;
        if (n > max) throw new DriftlessError('CORE_DECOMPRESSION_LIMIT', `${label}: bzip2 input exceeds ${max} bytes`);
        parts.push(c);
      }
      const { default: Bunzip } = await import('seek-bzip');
      yield new Uint8Array((Bunzip as { decode(b: Buffer): Buffer }).decode(Buffer.concat(parts)));
      return;
    }
    case 'lzma':
      throw new DriftlessError('CORE_UNSUPPORTED_COMPRESSION', `${label}: legacy lzma_alone compression is not supported`, {
        hint: 'repack the payload with xz or zstd',
      });
  }
}

/** Read at least `n` bytes from the front of a stream and return them plus the whole stream again. */
export async function peek(source: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Uint8Array; rest: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const buffered: Uint8Array[] = [];
  let have = 0;
  let done = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    buffered.push(r.value);
    have += r.value.length;
  }
  const head = Buffer.concat(buffered).subarray(0, n);
  async function* rest() {
    yield* buffered;
    if (!done) {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    }
  }
  return { head, rest: rest() };
}

let zstdReady: Promise<typeof import('@bokuweb/zstd-wasm')> | undefined;

/** Zstd-compress a buffer. Output bytes depend only on input and level (reproducible). */
export async function zstdCompress(data: Uint8Array, level = 19): Promise<Uint8Array> {
  zstdReady ??= import('@bokuweb/zstd-wasm').then(async (m) => {
    await m.init();
    return m;
  });
  const m = await zstdReady;
  return m.compress(data, level);
}

/** Gzip with fixed header fields (mtime 0, OS unknown is not settable in zlib: it writes 3) for stable bytes. */
export function gzipStable(data: Uint8Array, level = 9): Buffer {
  return gzipSync(data, { level, strategy: zc.Z_DEFAULT_STRATEGY });
}

export { createGzip };
