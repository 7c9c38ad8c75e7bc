/**
 * Content-addressed blob store: `ROOT/objects/<2 hex>/<62 hex>` named by SHA-256 of the bytes.
 * Every put streams through SHA-256 into `ROOT/tmp/`, is fsynced and renamed into place, so the
 * store never holds a file whose name does not match its content. Shared by the package cache
 * (src/repo) and the host store (src/host).
 *
 *   const cas = new ContentStore('/var/cache/driftless')
 *   const { sha256 } = await cas.putStream(fs.createReadStream(f), { expectedSha256 })
 *   for await (const chunk of cas.read(sha256)) ...
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { DriftlessError } from './errors.js';
import { fsyncDir } from './atomic.js';

const HEX64 = /^[0-9a-f]{64}$/;

export interface PutOptions {
  /** Refuse (CORE_DIGEST_MISMATCH) when the content hashes differently. */
  expectedSha256?: string;
  /** Refuse (CORE_SIZE_MISMATCH) when the size differs. */
  expectedSize?: number;
  /** Refuse (CORE_SIZE_EXCEEDED) as soon as more bytes arrive. */
  maxSize?: number;
  /** Skip fsync (bulk imports that fsync once at the end). */
  noSync?: boolean;
  /** Label for error messages (a URL, a package NEVRA). */
  label?: string;
}

export class ContentStore {
  constructor(readonly root: string) {}

  /** Path of an object (whether or not it exists). */
  objectPath(sha256: string): string {
    if (!HEX64.test(sha256)) throw new DriftlessError('CORE_BAD_DIGEST', `not a SHA-256 hex digest: ${sha256}`);
    return join(this.root, 'objects', sha256.slice(0, 2), sha256.slice(2));
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await fsp.access(this.objectPath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** Stream bytes into the store; returns their SHA-256 and size. */
  async putStream(source: AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<{ sha256: string; size: number }> {
    const tmpDir = join(this.root, 'tmp');
    await fsp.mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await fsp.open(tmp, 'wx', 0o644);
    const hash = createHash('sha256');
    let size = 0;
    const label = opts.label ?? 'object';
    try {
      for await (const chunk of source) {
        size += chunk.length;
        const limit = opts.maxSize ?? opts.expectedSize;
        if (limit !== undefined && size > limit) {
          throw new DriftlessError('CORE_SIZE_EXCEEDED', `${label}: more than ${limit} bytes`, { details: { limit } });
        }
        hash.update(chunk);
        await fh.write(chunk);
      }
      if (!opts.noSync) await fh.sync();
    } catch (e) {
      await fh.close();
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    const sha256 = hash.digest('hex');
    try {
      if (opts.expectedSize !== undefined && size !== opts.expectedSize) {
        throw new DriftlessError('CORE_SIZE_MISMATCH', `${label}: expected ${opts.expectedSize} bytes, got ${size}`, {
          details: { expected: opts.expectedSize, actual: size },
        });
      }
      if (opts.expectedSha256 !== undefined && sha256 !== opts.expectedSha256.toLowerCase()) {
        throw new DriftlessError('CORE_DIGEST_MISMATCH', `${label}: sha256 mismatch`, {
          details: { expected: opts.expectedSha256, actual: sha256 },
        });
      }
      const dest = this.objectPath(sha256);
      await fsp.mkdir(join(this.root, 'objects', sha256.slice(0, 2)), { recursive: true });
      await fsp.rename(tmp, dest);
      if (!opts.noSync) await fsyncDir(join(this.root, 'objects', sha256.slice(0, 2)));
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    return { sha256, size };
  }

  async putBytes(data: Uint8Array, opts: PutOptions = {}): Promise<{ sha256: string; size: number }> {
    async function* one() {
      yield data;
    }
    return this.putStream(one(), opts);
  }

  /** Stream an object's bytes. Throws CORE_OBJECT_MISSING if absent. */
  async *read(sha256: string): AsyncGenerator<Uint8Array> {
    const p = this.objectPath(sha256);
    try {
      await fsp.access(p);
    } catch {
      throw new DriftlessError('CORE_OBJECT_MISSING', `object ${sha256} is not in the store`, { path: p });
    }
    yield* createReadStream(p) as AsyncIterable<Uint8Array>;
  }

  async readBytes(sha256: string): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const c of this.read(sha256)) parts.push(c);
    return Buffer.concat(parts);
  }

  /** Re-hash an object; false when its content no longer matches its name. */
  async verify(sha256: string): Promise<boolean> {
    const h = createHash('sha256');
    for await (const c of this.read(sha256)) h.update(c);
    return h.digest('hex') === sha256;
  }

  /** Every object digest in the store, sorted. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    const base = join(this.root, 'objects');
    let dirs: string[];
    try {
      dirs = (await fsp.readdir(base)).sort();
    } catch {
      return out;
    }
    for (const d of dirs) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of (await fsp.readdir(join(base, d))).sort()) if (HEX64.test(d + f)) out.push(d + f);
    }
    return out;
  }

  async remove(sha256: string): Promise<void> {
    await fsp.rm(this.objectPath(sha256), { force: true });
  }
}
