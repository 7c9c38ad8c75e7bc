/**
 * Streaming rewrite of an .xz stream so that its integrity check type becomes "none".
 *
 * rpm writes xz payloads with SHA-256 checks (LZMA_CHECK_SHA256); the embedded xz decoder we
 * use only knows none/CRC32/CRC64. The container is re-framed without decoding: the LZMA2
 * chunk headers tell where each block's data ends, so the per-block check can be dropped and
 * the index/footer re-encoded. Streams already using none/CRC32/CRC64 pass through unchanged.
 * (Payload integrity is still covered by rpm's own payload and file digests.)
 */
import { DriftlessError } from './errors.js';

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
/** Index bytes we are willing to buffer (one record per block; rpm writes one block). */
const MAX_INDEX = 16 * 1024 * 1024;

let crcTable: Uint32Array | undefined;
function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function fail(msg: string): never {
  throw new DriftlessError('CORE_DECOMPRESSION_FAILED', `xz data is corrupt: ${msg}`);
}

/** A pull reader over an async iterable of chunks. */
class Reader {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}
  /** Ensure at least n bytes are buffered; false at a clean EOF with fewer bytes. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const rest = this.buf.subarray(this.pos);
      const merged = new Uint8Array(rest.length + r.value.length);
      merged.set(rest, 0);
      merged.set(r.value, rest.length);
      this.buf = merged;
      this.pos = 0;
    }
    return this.buf.length - this.pos >= n;
  }
  async take(n: number): Promise<Uint8Array> {
    if (!(await this.fill(n))) fail('unexpected end of input');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** Yield n bytes as they arrive (without merging large runs into one buffer). */
  async *pass(n: number): AsyncGenerator<Uint8Array> {
    while (n > 0) {
      if (this.buf.length - this.pos === 0 && !(await this.fill(1))) fail('unexpected end of input');
      const k = Math.min(n, this.buf.length - this.pos);
      yield this.buf.subarray(this.pos, this.pos + k);
      this.pos += k;
      n -= k;
    }
  }
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }
}

function readVarint(b: Uint8Array, p: { i: number }): number {
  let v = 0;
  for (let k = 0; k < 9; k++) {
    if (p.i >= b.length) fail('truncated index');
    const x = b[p.i++]!;
    v += (x & 0x7f) * 2 ** (7 * k);
    if (!(x & 0x80)) return v;
  }
  fail('bad varint in index');
}
function writeVarint(v: number, out: number[]) {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Rewrite a (multi-)stream .xz input so every stream has check type "none". */
export async function* xzStripCheck(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  try {
    yield* streams(new Reader(it));
  } finally {
    await it.return?.();
  }
}

async function* streams(r: Reader): AsyncGenerator<Uint8Array> {
  if (await r.atEnd()) fail('empty input');
  yield* stream(r, await r.take(12));
  // Stream padding (groups of 4 zero bytes) may separate or follow concatenated streams.
  while (!(await r.atEnd())) {
    const four = await r.take(4);
    if (four.every((x) => x === 0)) continue;
    const hdr = new Uint8Array(12);
    hdr.set(four, 0);
    hdr.set(await r.take(8), 4);
    yield* stream(r, hdr);
  }
}

async function* stream(r: Reader, header: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 6; i++) if (header[i] !== MAGIC[i]) fail('bad stream header magic');
  const check = header[7]! & 0x0f;
  if (header[6] !== 0 || header[7]! > 0x0f) fail('unsupported stream flags');
  const csize = CHECK_SIZES[check]!;
  const rewrite = !(check === 0 || check === 1 || check === 4);
  if (rewrite) {
    const h = new Uint8Array(12);
    h.set(header.subarray(0, 6), 0);
    h[6] = 0;
    h[7] = 0;
    new DataView(h.buffer).setUint32(8, crc32(h.subarray(6, 8)), true);
    yield h;
  } else yield header;
  let blocks = 0;
  for (;;) {
    const b0 = (await r.take(1))[0]!;
    if (b0 === 0) break; // index indicator
    const hsize = (b0 + 1) * 4;
    const rest = await r.take(hsize - 1);
    const bh = new Uint8Array(hsize);
    bh[0] = b0;
    bh.set(rest, 1);
    yield bh;
    let unpadded = hsize;
    // LZMA2 chunks until the end marker
    for (;;) {
      const c = (await r.take(1))[0]!;
      yield Uint8Array.of(c);
      unpadded += 1;
      if (c === 0) break;
      let dataLen: number;
      if (c === 1 || c === 2) {
        const s = await r.take(2);
        yield s;
        unpadded += 2;
        dataLen = ((s[0]! << 8) | s[1]!) + 1;
      } else if (c >= 0x80) {
        const hl = c >= 0xc0 ? 5 : 4;
        const s = await r.take(hl);
        yield s;
        unpadded += hl;
        dataLen = ((s[2]! << 8) | s[3]!) + 1;
      } else fail(`invalid LZMA2 control byte ${c}`);
      for await (const part of r.pass(dataLen)) yield part;
      unpadded += dataLen;
    }
    const pad = (4 - (unpadded % 4)) % 4;
    if (pad) yield await r.take(pad);
    const ck = await r.take(csize);
    if (!rewrite) yield ck;
    blocks++;
  }
  // Index: indicator (already consumed), count, records, padding, CRC32.
  const idx: number[] = [0];
  const chunks: Uint8Array[] = [];
  let have = 0;
  // read the index bytes up to and including its CRC: parse incrementally
  const head = await readIndex(r, chunks, () => have, (n) => (have += n));
  void head;
  const body = new Uint8Array(have);
  let o = 0;
  for (const c of chunks) {
    body.set(c, o);
    o += c.length;
  }
  const p = { i: 0 };
  const count = readVarint(body, p);
  if (count !== blocks) fail(`index lists ${count} blocks, stream has ${blocks}`);
  const records: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) records.push([readVarint(body, p), readVarint(body, p)]);
  let indexOut: Uint8Array;
  if (rewrite) {
    writeVarint(count, idx);
    for (const [u, s] of records) {
      writeVarint(u - csize, idx);
      writeVarint(s, idx);
    }
    while (idx.length % 4) idx.push(0);
    const bytes = new Uint8Array(idx.length + 4);
    bytes.set(idx, 0);
    new DataView(bytes.buffer).setUint32(idx.length, crc32(bytes.subarray(0, idx.length)), true);
    indexOut = bytes;
  } else {
    indexOut = new Uint8Array(1 + body.length);
    indexOut.set(body, 1);
  }
  yield indexOut;
  const footer = await r.take(12);
  if (footer[10] !== 0x59 || footer[11] !== 0x5a) fail('bad stream footer magic');
  if (!rewrite) {
    yield footer;
    return;
  }
  const f = new Uint8Array(12);
  const dv = new DataView(f.buffer);
  dv.setUint32(4, indexOut.length / 4 - 1, true);
  f[8] = 0;
  f[9] = 0;
  f[10] = 0x59;
  f[11] = 0x5a;
  dv.setUint32(0, crc32(f.subarray(4, 10)), true);
  yield f;
}

/** Read the index after its indicator byte: records, padding to 4 (counting the indicator), CRC32. */
async function readIndex(r: Reader, chunks: Uint8Array[], have: () => number, add: (n: number) => void): Promise<void> {
  const push = (b: Uint8Array) => {
    chunks.push(b.slice());
    add(b.length);
    if (have() > MAX_INDEX) fail('index too large');
  };
  const varint = async (): Promise<number> => {
    let v = 0;
    for (let k = 0; k < 9; k++) {
      const x = await r.take(1);
      push(x);
      v += (x[0]! & 0x7f) * 2 ** (7 * k);
      if (!(x[0]! & 0x80)) return v;
    }
    fail('bad varint in index');
  };
  const count = await varint();
  for (let i = 0; i < count; i++) {
    await varint();
    await varint();
  }
  const pad = (4 - ((1 + have()) % 4)) % 4;
  if (pad) push(await r.take(pad));
  push(await r.take(4)); // CRC32
}
