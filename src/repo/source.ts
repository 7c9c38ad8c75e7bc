/**
 * Where repository files come from. A RepoSource streams files relative to a repo root; the
 * reader never cares whether that root is a local directory, file:// or http(s) URL.
 * Factories register themselves (local dirs and file:// are built in; http(s) lives in
 * http-source.ts) and `openRepoSource` picks the first one that supports a location.
 *
 *   const src = openRepoSource('test/fixtures/repos/cs9-baseos');
 *   for await (const chunk of await src.open('repodata/repomd.xml', { maxSize: 1 << 20 })) ...
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DriftlessError } from '../core/errors.js';
import type { Report } from '../core/report.js';

export interface RepoOpenOptions {
  /** Exact size the file must have (checked as it streams; mismatch → REPO_SIZE_MISMATCH / REPO_TRUNCATED). */
  expectedSize?: number;
  /** Upper bound on bytes read (→ REPO_FILE_TOO_LARGE). */
  maxSize?: number;
  signal?: AbortSignal;
}

export interface RepoSource {
  /** Human-readable location (URL or path). */
  readonly location: string;
  /** Stream a file relative to the repo root ('repodata/repomd.xml', 'Packages/x.rpm'). Missing → DriftlessError REPO_FILE_NOT_FOUND. */
  open(relPath: string, opts?: RepoOpenOptions): Promise<AsyncIterable<Uint8Array>>;
}

export interface RepoSourceOptions {
  report?: Report;
  /** Extended by other sources (timeouts, retries, cacheDir...). */
  [k: string]: unknown;
}

export interface RepoSourceFactory {
  name: string;
  supports(location: string): boolean;
  create(location: string, opts: RepoSourceOptions): RepoSource;
}

const factories: RepoSourceFactory[] = [];

/** Register a source kind. Later registrations win over earlier ones for the same location. */
export function registerRepoSource(f: RepoSourceFactory): void {
  const i = factories.findIndex((x) => x.name === f.name);
  if (i >= 0) factories.splice(i, 1);
  factories.unshift(f);
}

/** Open a repository location with the first registered factory that supports it. */
export function openRepoSource(location: string, opts: RepoSourceOptions = {}): RepoSource {
  for (const f of factories) if (f.supports(location)) return f.create(location, opts);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1];
  throw new DriftlessError('REPO_UNSUPPORTED_LOCATION', `no repository source handles "${location}"`, {
    hint: scheme ? `the "${scheme}://" scheme is not supported (registered: ${factories.map((x) => x.name).join(', ')})` : 'give a directory path or a file:// URL',
    path: location,
  });
}

/**
 * Validate a repo-relative path: no absolute paths, no `..` segments, no NUL. Returns the
 * normalised segments joined with '/'. Every source should call this before touching `relPath`.
 */
export function checkRelPath(relPath: string, location: string): string {
  const parts = relPath.split('/').filter((p) => p !== '' && p !== '.');
  if (relPath.startsWith('/') || relPath.includes('\0') || parts.some((p) => p === '..') || parts.length === 0) {
    throw new DriftlessError('REPO_BAD_PATH', `refusing repository path "${relPath}"`, {
      hint: 'repository hrefs must be relative and stay inside the repository',
      path: location,
    });
  }
  return parts.join('/');
}

/**
 * Wrap a byte stream with size checks: more than `maxSize` (or `expectedSize`) bytes fails with
 * REPO_FILE_TOO_LARGE; fewer than `expectedSize` at the end fails with REPO_TRUNCATED.
 */
export async function* limitStream(source: AsyncIterable<Uint8Array>, label: string, opts: RepoOpenOptions = {}): AsyncGenerator<Uint8Array> {
  const limit = opts.expectedSize ?? opts.maxSize;
  let n = 0;
  for await (const chunk of source) {
    opts.signal?.throwIfAborted();
    n += chunk.length;
    if (limit !== undefined && n > limit) {
      throw new DriftlessError('REPO_FILE_TOO_LARGE', `${label}: more than ${limit} bytes`, {
        path: label,
        details: { limit, expectedSize: opts.expectedSize },
        hint: opts.expectedSize !== undefined ? 'the file is larger than the metadata says; the repository changed or was tampered with' : undefined,
      });
    }
    yield chunk;
  }
  if (opts.expectedSize !== undefined && n !== opts.expectedSize) {
    throw new DriftlessError('REPO_TRUNCATED', `${label}: expected ${opts.expectedSize} bytes, got ${n}`, {
      path: label,
      details: { expected: opts.expectedSize, actual: n },
      hint: 'the file is truncated; refetch it or check the repository',
    });
  }
}

/** A repository in a local directory. */
export class LocalRepoSource implements RepoSource {
  readonly location: string;
  constructor(readonly root: string) {
    this.location = root;
  }
  async open(relPath: string, opts: RepoOpenOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const rel = checkRelPath(relPath, this.location);
    const full = resolve(this.root, ...rel.split('/'));
    if (!full.startsWith(resolve(this.root) + sep)) {
      throw new DriftlessError('REPO_BAD_PATH', `refusing repository path "${relPath}"`, { path: this.location });
    }
    let st;
    try {
      st = await fsp.stat(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new DriftlessError('REPO_FILE_NOT_FOUND', `${rel} not found in ${this.location}`, { path: full, cause: e });
      }
      throw new DriftlessError('REPO_READ_FAILED', `cannot read ${full}: ${(e as Error).message}`, { path: full, cause: e });
    }
    if (!st.isFile()) throw new DriftlessError('REPO_FILE_NOT_FOUND', `${rel} in ${this.location} is not a regular file`, { path: full });
    const limit = opts.expectedSize ?? opts.maxSize;
    if (limit !== undefined && st.size > limit) {
      throw new DriftlessError('REPO_FILE_TOO_LARGE', `${full}: ${st.size} bytes, more than ${limit}`, { path: full, details: { limit, size: st.size } });
    }
    const stream = createReadStream(full, { highWaterMark: 256 * 1024, signal: opts.signal });
    return limitStream(stream as AsyncIterable<Uint8Array>, full, opts);
  }
}

/** Local path from a location that is a plain path or a file:// URL, or undefined. */
export function localPathOf(location: string): string | undefined {
  if (/^file:/i.test(location)) return fileURLToPath(location);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return undefined;
  return isAbsolute(location) ? location : resolve(location);
}

registerRepoSource({
  name: 'local',
  supports: (loc) => localPathOf(loc) !== undefined,
  create: (loc) => new LocalRepoSource(localPathOf(loc)!),
});

/** Read a whole (small) stream into one buffer. */
export async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts);
}
