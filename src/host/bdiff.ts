/**
 * A small rsync-style binary diff: the old file is cut into fixed blocks indexed by a rolling
 * hash; the new file is scanned byte by byte, matches are verified byte-for-byte and extended in
 * both directions, and the result is a list of COPY(offset, length) from the old file and
 * LITERAL(bytes). The encoded diff is meant to be compressed afterwards (zstd in deltas).
 *
 *   const d = diffBytes(oldBuf, newBuf); const back = patchBytes(oldBuf, d) // equals newBuf
 *
 * Encoding: varint(newSize), then ops: 0x01 varint(offset) varint(length) | 0x02 varint(length) bytes.
 */
import { DriftlessError } from '../core/errors.js';

const P = 16777619; // FNV prime as the rolling multiplier

function pushVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

class Out {
  private chunks: Buffer[] = [];
  private small: number[] = [];
  op(bytes: number[]) {
    this.small.push(...bytes);
  }
  raw(b: Uint8Array) {
    this.flush();
    this.chunks.push(Buffer.from(b));
  }
  flush() {
    if (this.small.length) this.chunks.push(Buffer.from(this.small));
    this.small = [];
  }
  done(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }
}

function blockSizeFor(n: number): number {
  return n < 1 << 20 ? 32 : n < 16 << 20 ? 64 : 256;
}

/** Diff `target` against `base`. */
export function diffBytes(base: Uint8Array, target: Uint8Array): Buffer {
  const B = blockSizeFor(base.length);
  let pow = 1;
  for (let k = 0; k < B - 1; k++) pow = Math.imul(pow, P) >>> 0;
  const hashAt = (buf: Uint8Array, i: number) => {
    let h = 0;
    for (let k = 0; k < B; k++) h = (Math.imul(h, P) + buf[i + k]!) >>> 0;
    return h;
  };
  const index = new Map<number, number[]>();
  for (let off = 0; off + B <= base.length; off += B) {
    const h = hashAt(base, off);
    const l = index.get(h);
    if (!l) index.set(h, [off]);
    else if (l.length < 8) l.push(off);
  }
  const out = new Out();
  const head: number[] = [];
  pushVarint(head, target.length);
  out.op(head);
  const literal = (from: number, to: number) => {
    if (to <= from) return;
    const o: number[] = [2];
    pushVarint(o, to - from);
    out.op(o);
    out.raw(target.subarray(from, to));
  };
  let lit = 0;
  let i = 0;
  const n = target.length;
  let h = n >= B ? hashAt(target, 0) : 0;
  while (i + B <= n) {
    let matched = false;
    const cands = index.get(h);
    if (cands) {
      for (const off0 of cands) {
        let k = 0;
        while (k < B && base[off0 + k] === target[i + k]) k++;
        if (k < B) continue;
        let off = off0;
        let start = i;
        let len = B;
        while (off + len < base.length && start + len < n && base[off + len] === target[start + len]) len++;
        while (start > lit && off > 0 && base[off - 1] === target[start - 1]) {
          start--;
          off--;
          len++;
        }
        literal(lit, start);
        const o: number[] = [1];
        pushVarint(o, off);
        pushVarint(o, len);
        out.op(o);
        i = start + len;
        lit = i;
        if (i + B <= n) h = hashAt(target, i);
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (i + B < n) h = (Math.imul((h - Math.imul(target[i]!, pow)) >>> 0, P) + target[i + B]!) >>> 0;
    i++;
  }
  literal(lit, n);
  return out.done();
}

/** Rebuild the new file from `base` and a diff; malformed diffs throw HOST_DELTA_CORRUPT. */
export function patchBytes(base: Uint8Array, diff: Uint8Array, maxSize = 4 * 1024 ** 3): Buffer {
  let pos = 0;
  const bad = (why: string): never => {
    throw new DriftlessError('HOST_DELTA_CORRUPT', `binary diff is malformed: ${why}`, { offset: pos });
  };
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (let k = 0; k < 8; k++) {
      if (pos >= diff.length) bad('truncated number');
      const b = diff[pos++]!;
      n += (b & 0x7f) * mul;
      if (!(b & 0x80)) return n;
      mul *= 128;
    }
    return bad('number too long');
  };
  const size = varint();
  if (size > maxSize) bad(`target size ${size} exceeds the limit`);
  const out = Buffer.alloc(size);
  let w = 0;
  while (pos < diff.length) {
    const op = diff[pos++];
    if (op === 1) {
      const off = varint();
      const len = varint();
      if (off + len > base.length || w + len > size) bad('copy out of range');
      out.set(base.subarray(off, off + len), w);
      w += len;
    } else if (op === 2) {
      const len = varint();
      if (pos + len > diff.length || w + len > size) bad('literal out of range');
      out.set(diff.subarray(pos, pos + len), w);
      pos += len;
      w += len;
    } else bad(`unknown op ${op}`);
  }
  if (w !== size) bad(`produced ${w} of ${size} bytes`);
  return out;
}
