/**
 * Synchronous fast paths for the many small files of an OS tree. A one-shot CLI gains nothing
 * from async fs calls on small files, and each async call costs a thread-pool round trip, so
 * files up to SMALL bytes are read, hashed and written with sync calls; bigger ones stream.
 * Writes keep the store's rules: temp file in `repo/tmp`, rename into place, never a torn object.
 */
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { hashIterable } from '../core/hash.js';
import { createReadStream } from 'node:fs';
import type { ContentStore } from '../core/cas.js';

/** Files up to this size take the sync path. */
export const SMALL = 4 * 1024 * 1024;

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a file (sync read when small, streamed otherwise). */
export async function hashFile(path: string): Promise<string> {
  if (statSync(path).size <= SMALL) return sha256(readFileSync(path));
  return (await hashIterable('sha256', createReadStream(path) as AsyncIterable<Uint8Array>)).hex;
}

export function hasObject(cas: ContentStore, sha: string): boolean {
  return existsSync(cas.objectPath(sha));
}

/** Put bytes into the store (skipped when present). Not fsynced: callers sync the filesystem once. */
export function putBytesSync(cas: ContentStore, data: Uint8Array): { sha256: string; size: number } {
  const sha = sha256(data);
  const dest = cas.objectPath(sha);
  if (!existsSync(dest)) {
    const tmpDir = join(cas.root, 'tmp');
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      writeFileSync(tmp, data, { mode: 0o644 });
    } catch {
      mkdirSync(tmpDir, { recursive: true });
      writeFileSync(tmp, data, { mode: 0o644 });
    }
    try {
      renameSync(tmp, dest);
    } catch {
      mkdirSync(join(cas.root, 'objects', sha.slice(0, 2)), { recursive: true });
      try {
        renameSync(tmp, dest);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
    }
  }
  return { sha256: sha, size: data.length };
}

/** Collect a stream known to be small. */
export async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of src) parts.push(c);
  return Buffer.concat(parts);
}

/** Re-hash an object; false when missing or its content does not match its name. */
export async function verifyObject(cas: ContentStore, sha: string): Promise<boolean> {
  try {
    return (await hashFile(cas.objectPath(sha))) === sha;
  } catch {
    return false;
  }
}
