/** Hashing helpers: streamed digests, digest-verifying pass-through, hex utilities. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DriftlessError } from './errors.js';

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'sha3-256' | 'sha3-512';

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestHex(algorithm: DigestAlgorithm, data: Uint8Array | string): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** Digest an async iterable of chunks (a file stream, a decompressor) without buffering it. */
export async function hashIterable(
  algorithm: DigestAlgorithm,
  source: AsyncIterable<Uint8Array>,
): Promise<{ hex: string; size: number }> {
  const h = createHash(algorithm);
  let size = 0;
  for await (const chunk of source) {
    h.update(chunk);
    size += chunk.length;
  }
  return { hex: h.digest('hex'), size };
}

/**
 * Pass-through stream that hashes and counts what flows through it and, if `expected` is set,
 * fails at the end when the digest or size differ. Used for every download and store import.
 */
export class VerifyingHashStream extends Transform {
  private readonly hash: Hash;
  size = 0;
  hex = '';
  constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly expected?: { hex?: string; size?: number; maxSize?: number; label?: string },
  ) {
    super();
    this.hash = createHash(algorithm);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    this.size += chunk.length;
    const limit = this.expected?.maxSize ?? this.expected?.size;
    if (limit !== undefined && this.size > limit) {
      cb(new DriftlessError('CORE_SIZE_EXCEEDED', `${this.expected?.label ?? 'data'}: more than ${limit} bytes`, {
        details: { limit },
      }));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback) {
    this.hex = this.hash.digest('hex');
    const e = this.expected;
    if (e?.size !== undefined && this.size !== e.size) {
      cb(new DriftlessError('CORE_SIZE_MISMATCH', `${e.label ?? 'data'}: expected ${e.size} bytes, got ${this.size}`, {
        details: { expected: e.size, actual: this.size },
      }));
      return;
    }
    if (e?.hex !== undefined && this.hex !== e.hex.toLowerCase()) {
      cb(new DriftlessError('CORE_DIGEST_MISMATCH', `${e.label ?? 'data'}: ${this.algorithm} mismatch`, {
        details: { expected: e.hex, actual: this.hex },
      }));
      return;
    }
    cb();
  }
}
