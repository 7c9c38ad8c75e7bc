/**
 * Decoder for legacy "lzma_alone" (.lzma) data, the payload codec of old RPMs (`w9.lzdio`,
 * PAYLOADCOMPRESSOR "lzma"). The compressed input is buffered (bounded), the output is produced
 * in chunks through a window the size of the stream's dictionary, so a large payload is never
 * held whole. Implements the LZMA algorithm as documented in the LZMA SDK specification.
 *
 *   for await (const chunk of lzmaDecompress(source, { maxOutput })) ...
 */
import { DriftlessError } from '../core/errors.js';

const fail = (msg: string): never => {
  throw new DriftlessError('CORE_DECOMPRESSION_FAILED', `lzma data is corrupt: ${msg}`);
};

const PROB_INIT = 1024;
const OUT_CHUNK = 256 * 1024;

class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  pos: number;
  constructor(private readonly buf: Uint8Array, start: number) {
    if (buf[start] !== 0) fail('bad range coder start');
    this.pos = start + 1;
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.byte()) >>> 0;
    if (this.code === this.range) fail('bad range coder start');
  }
  private byte(): number {
    if (this.pos >= this.buf.length) fail('unexpected end of input');
    return this.buf[this.pos++]!;
  }
  bit(probs: Uint16Array, i: number): number {
    const p = probs[i]!;
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range = (this.range - bound) >>> 0;
      this.code = (this.code - bound) >>> 0;
      probs[i] = p - (p >>> 5);
      b = 1;
    }
    if (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.byte()) >>> 0;
    }
    return b;
  }
  direct(n: number): number {
    let res = 0;
    for (; n > 0; n--) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code = (this.code - this.range) >>> 0;
        b = 1;
      }
      res = ((res << 1) | b) >>> 0;
      if (this.range < 0x1000000) {
        this.range = (this.range << 8) >>> 0;
        this.code = ((this.code << 8) | this.byte()) >>> 0;
      }
    }
    return res;
  }
  tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(probs, base + m);
    return m - (1 << bits);
  }
  reverse(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }
}

/** Length coder: choice, choice2, low[16][8], mid[16][8], high[256]. */
function newLenProbs(): Uint16Array {
  return new Uint16Array(2 + 16 * 8 * 2 + 256).fill(PROB_INIT);
}
function decodeLen(rc: RangeDecoder, p: Uint16Array, posState: number): number {
  if (rc.bit(p, 0) === 0) return rc.tree(p, 2 + posState * 8, 3);
  if (rc.bit(p, 1) === 0) return 8 + rc.tree(p, 2 + 128 + posState * 8, 3);
  return 16 + rc.tree(p, 2 + 256, 8);
}

/** Decode a whole .lzma buffer, yielding output chunks; output beyond maxOutput fails. */
export function* decodeLzmaAlone(buf: Uint8Array, maxOutput: number): Generator<Uint8Array> {
  if (buf.length < 13) fail('truncated header');
  let props = buf[0]!;
  if (props >= 9 * 5 * 5) fail('bad properties');
  const lc = props % 9;
  props = Math.floor(props / 9);
  const lp = props % 5;
  const pb = Math.floor(props / 5);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dictSize = dv.getUint32(1, true);
  const sizeLo = dv.getUint32(5, true);
  const sizeHi = dv.getUint32(9, true);
  const known = !(sizeLo === 0xffffffff && sizeHi === 0xffffffff);
  const outSize = known ? sizeHi * 2 ** 32 + sizeLo : -1;
  if (known && outSize > maxOutput) {
    throw new DriftlessError('CORE_DECOMPRESSION_LIMIT', `lzma: declared size ${outSize} exceeds ${maxOutput} bytes`, { details: { limit: maxOutput } });
  }
  const windowSize = Math.max(4096, Math.min(dictSize, known ? Math.max(outSize, 1) : dictSize, maxOutput, 1 << 30));
  const win = new Uint8Array(windowSize);
  // flush well before the window wraps onto bytes not yet emitted (a match adds at most 273)
  const threshold = Math.min(OUT_CHUNK, windowSize >>> 1);
  let wpos = 0;
  let flushed = 0;
  let full = false;
  let total = 0;
  const rc = new RangeDecoder(buf, 13);

  const isMatch = new Uint16Array(12 << 4).fill(PROB_INIT);
  const isRep = new Uint16Array(12).fill(PROB_INIT);
  const isRepG0 = new Uint16Array(12).fill(PROB_INIT);
  const isRepG1 = new Uint16Array(12).fill(PROB_INIT);
  const isRepG2 = new Uint16Array(12).fill(PROB_INIT);
  const isRep0Long = new Uint16Array(12 << 4).fill(PROB_INIT);
  const posSlot = new Uint16Array(4 << 6).fill(PROB_INIT);
  const posDecoders = new Uint16Array(1 + 114).fill(PROB_INIT);
  const align = new Uint16Array(16).fill(PROB_INIT);
  const lenProbs = newLenProbs();
  const repLenProbs = newLenProbs();
  const literal = new Uint16Array(0x300 << (lc + lp)).fill(PROB_INIT);
  const pbMask = (1 << pb) - 1;
  const lpMask = (1 << lp) - 1;
  let state = 0;
  let rep0 = 0, rep1 = 0, rep2 = 0, rep3 = 0;

  const getByte = (dist: number): number => {
    let i = wpos - dist - 1;
    if (i < 0) i += windowSize;
    return win[i]!;
  };
  const put = (b: number) => {
    win[wpos++] = b;
    total++;
    if (wpos === windowSize) {
      wpos = 0;
      full = true;
    }
  };
  /** Bytes decoded but not yet emitted (wrapping at the window end). */
  function* flush(force: boolean): Generator<Uint8Array> {
    const pending = wpos >= flushed ? wpos - flushed : windowSize - flushed + wpos;
    if (!force && pending < threshold && !(wpos < flushed)) return;
    if (wpos < flushed) {
      yield win.slice(flushed, windowSize);
      flushed = 0;
    }
    if (wpos > flushed) yield win.slice(flushed, wpos);
    flushed = wpos;
  }

  while (!known || total < outSize) {
    if (total > maxOutput) throw new DriftlessError('CORE_DECOMPRESSION_LIMIT', `lzma: output exceeds ${maxOutput} bytes`, { details: { limit: maxOutput } });
    const posState = total & pbMask;
    if (rc.bit(isMatch, (state << 4) + posState) === 0) {
      const prev = total > 0 ? getByte(0) : 0;
      const base = 0x300 * (((total & lpMask) << lc) + (prev >>> (8 - lc)));
      let sym = 1;
      if (state >= 7) {
        let matchByte = getByte(rep0);
        do {
          const matchBit = (matchByte >>> 7) & 1;
          matchByte <<= 1;
          const b = rc.bit(literal, base + ((1 + matchBit) << 8) + sym);
          sym = (sym << 1) | b;
          if (matchBit !== b) break;
        } while (sym < 0x100);
      }
      while (sym < 0x100) sym = (sym << 1) | rc.bit(literal, base + sym);
      put(sym & 0xff);
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
    } else {
      let len: number;
      if (rc.bit(isRep, state) === 0) {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        len = decodeLen(rc, lenProbs, posState);
        state = state < 7 ? 7 : 10;
        const lenState = Math.min(len, 3);
        const slot = rc.tree(posSlot, lenState << 6, 6);
        if (slot < 4) rep0 = slot;
        else {
          const direct = (slot >>> 1) - 1;
          let dist = ((2 | (slot & 1)) << direct) >>> 0;
          if (slot < 14) dist += rc.reverse(posDecoders, dist - slot, direct);
          else {
            dist += rc.direct(direct - 4) * 16;
            dist += rc.reverse(align, 0, 4);
          }
          rep0 = dist >>> 0;
        }
        if (rep0 === 0xffffffff) {
          if (known && total !== outSize) fail('end marker before the declared size');
          break; // end marker
        }
      } else {
        if (rc.bit(isRepG0, state) === 0) {
          if (rc.bit(isRep0Long, (state << 4) + posState) === 0) {
            if (total === 0) fail('repeat before any data');
            state = state < 7 ? 9 : 11;
            put(getByte(rep0));
            yield* flush(false);
            continue;
          }
        } else {
          let dist: number;
          if (rc.bit(isRepG1, state) === 0) dist = rep1;
          else {
            if (rc.bit(isRepG2, state) === 0) dist = rep2;
            else {
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        len = decodeLen(rc, repLenProbs, posState);
        state = state < 7 ? 8 : 11;
      }
      len += 2;
      if (rep0 >= total || (!full && rep0 >= wpos) || rep0 >= windowSize) fail(`match distance ${rep0 + 1} beyond the data`);
      if (known && total + len > outSize) fail('match runs past the declared size');
      for (let i = 0; i < len; i++) put(getByte(rep0));
    }
    yield* flush(false);
  }
  yield* flush(true);
}

/** Stream wrapper: buffers the compressed input (bounded) and streams the output. */
export async function* lzmaDecompress(source: AsyncIterable<Uint8Array>, opts: { maxOutput: number; maxInput?: number }): AsyncGenerator<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const maxIn = opts.maxInput ?? opts.maxOutput + 16 * 1024 * 1024;
  for await (const c of source) {
    n += c.length;
    if (n > maxIn) throw new DriftlessError('CORE_DECOMPRESSION_LIMIT', `lzma input exceeds ${maxIn} bytes`, { details: { limit: maxIn } });
    parts.push(c);
  }
  const buf = Buffer.concat(parts);
  try {
    yield* decodeLzmaAlone(buf, opts.maxOutput);
  } catch (e) {
    if (e instanceof DriftlessError) throw e;
    throw new DriftlessError('CORE_DECOMPRESSION_FAILED', `lzma data is corrupt: ${(e as Error).message}`, { cause: e });
  }
}
