/**
 * Verified fetching into the content-addressed store. Each file streams from a RepoSource
 * through SHA-256 (and the metadata's own checksum type, when that is not sha256) into
 * `CACHE/objects/…`; only bytes that match both land there, and the index records where they
 * came from. A checksum mismatch is retried from the next mirror (sources that take `attempt`),
 * then fails with REPO_CHECKSUM_MISMATCH naming the file, expected and actual digests.
 * With a resumable source (http), bytes of a failed download stay in `CACHE/partial/` and the
 * next fetch of the same file continues with a Range request; wrong bytes there are discarded
 * (the final digest check covers the whole file).
 *
 *   const cache = await openCache('/var/cache/driftless')
 *   const r = await fetchToStore(source, { relPath: 'Packages/a.rpm', checksum: { type: 'sha256', value }, size }, cache)
 *   r.path   // CACHE/objects/ab/cdef…   (r.cached: true when no download was needed)
 *   await fetchAll(source, items, cache, { concurrency: 4, report })
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DriftlessError, isDriftlessError } from '../core/errors.js';
import { ContentStore } from '../core/cas.js';
import { silentReport, type Report } from '../core/report.js';
import { CacheIndex } from './cache-index.js';
import { nevra, type PackageMeta } from '../rpm/metadata.js';
import { openRepoSource, type RepoOpenOptions, type RepoSource, type RepoSourceOptions } from './source.js';

export interface Cache {
  root: string;
  store: ContentStore;
  index: CacheIndex;
  close(): void;
}

/** Open the store and its index under one cache directory. */
export function openCache(root: string): Cache {
  const index = CacheIndex.open(root);
  return { root, store: new ContentStore(root), index, close: () => index.close() };
}

export interface FetchItem {
  /** Path relative to the repository root. */
  relPath: string;
  /** Expected checksum from the metadata (any algorithm node:crypto knows). */
  checksum?: { type: string; value: string };
  size?: number;
  nevra?: string;
  kind?: 'package' | 'metadata';
}

export interface FetchOptions {
  report?: Report;
  /** Bound for files without a known size. Default 4 GiB. */
  maxSize?: number;
  /** Whole-file attempts after a checksum/size mismatch (each from the next mirror). Default 3. */
  attempts?: number;
  signal?: AbortSignal;
  /** Allow items without a checksum (trust the transport). Default false. */
  allowUnverified?: boolean;
  /** Progress handle to tick with bytes (fetchAll passes its own). */
  onBytes?: (n: number) => void;
}

export interface FetchResult {
  relPath: string;
  sha256: string;
  size: number;
  path: string;
  cached: boolean;
}

const DEFAULT_MAX = 4 * 1024 ** 3;
/** Partial files being written by this process (two fetches of one file must not share one). */
const activePartials = new Set<string>();

function normAlgo(t: string): string {
  const a = t.toLowerCase().replace(/-/g, '');
  return a === 'sha' ? 'sha1' : a;
}

/** Download one file into the store (or find it there already) with full verification. */
export async function fetchToStore(source: RepoSource, item: FetchItem, cache: Cache, opts: FetchOptions = {}): Promise<FetchResult> {
  const report = opts.report ?? silentReport;
  const algo = item.checksum ? normAlgo(item.checksum.type) : undefined;
  const want = item.checksum?.value.toLowerCase();
  if (!item.checksum && !opts.allowUnverified) {
    throw new DriftlessError('REPO_NO_CHECKSUM', `${item.relPath}: no checksum to verify the download against`, { path: item.relPath });
  }
  if (algo) {
    try {
      createHash(algo);
    } catch {
      throw new DriftlessError('REPO_UNKNOWN_CHECKSUM', `${item.relPath}: unknown checksum type "${item.checksum!.type}"`, { path: item.relPath });
    }
  }
  const url = `${source.location.replace(/\/?$/, '/')}${item.relPath}`;
  // Already cached?
  if (algo && want) {
    const known = cache.index.findByDigest(algo, want);
    if (known && (await cache.store.has(known))) {
      const row = cache.index.get(known);
      if (item.size === undefined || row?.size === item.size) {
        cache.index.record({ sha256: known, size: row?.size ?? item.size ?? 0, url, nevra: item.nevra, kind: item.kind });
        return { relPath: item.relPath, sha256: known, size: row?.size ?? item.size ?? 0, path: cache.store.objectPath(known), cached: true };
      }
    }
  }
  const attempts = Math.max(1, opts.attempts ?? 3);
  let lastErr: DriftlessError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    opts.signal?.throwIfAborted();
    const openOpts: RepoOpenOptions & { attempt?: number } = {
      expectedSize: item.size,
      maxSize: item.size === undefined ? (opts.maxSize ?? DEFAULT_MAX) : undefined,
      signal: opts.signal,
      attempt,
    };
    const other = algo && algo !== 'sha256' ? createHash(algo) : undefined;
    let sent = 0;
    const counted = async function* (src: AsyncIterable<Uint8Array>) {
      for await (const c of src) {
        other?.update(c);
        sent += c.length;
        opts.onBytes?.(c.length);
        yield c;
      }
    };
    // Resumable sources keep what arrived in CACHE/partial/ so a later run continues from there.
    const partial = (source as { resumable?: boolean }).resumable && algo && want ? join(cache.root, 'partial', `${algo}-${want}`) : undefined;
    const claimed = partial !== undefined && !activePartials.has(partial);
    let fh: FileHandle | undefined;
    let have = 0;
    try {
      if (claimed) {
        activePartials.add(partial!);
        await fsp.mkdir(dirname(partial!), { recursive: true });
        have = (await fsp.stat(partial!).catch(() => undefined))?.size ?? 0;
        if (item.size !== undefined && have > item.size) {
          await fsp.rm(partial!, { force: true });
          have = 0;
        }
        fh = await fsp.open(partial!, 'a');
        if (have > 0) report.info('repo.resume', `${item.relPath}: resuming after ${have} bytes`, { relPath: item.relPath, offset: have });
      }
      const body = await source.open(item.relPath, { ...openOpts, startOffset: have } as RepoOpenOptions);
      const chain = async function* () {
        if (have > 0) {
          let n = 0;
          for await (const c of createReadStream(partial!, { start: 0, end: have - 1 })) {
            n += (c as Buffer).length;
            yield c as Buffer;
          }
          if (n !== have) throw new DriftlessError('REPO_TRUNCATED', `${partial}: partial download changed while reading`);
        }
        for await (const c of body) {
          if (fh) await fh.write(c);
          yield c;
        }
      };
      const expectedSha256 = algo === 'sha256' ? want : undefined;
      const put = await cache.store.putStream(counted(chain()), {
        expectedSha256,
        expectedSize: item.size,
        maxSize: openOpts.maxSize,
        label: url,
      });
      if (other && want) {
        const actual = other.digest('hex');
        if (actual !== want) {
          // drop the unverified bytes unless the same object was already known for another reason
          if (!cache.index.get(put.sha256)) await cache.store.remove(put.sha256);
          throw new DriftlessError('CORE_DIGEST_MISMATCH', `${url}: ${algo} mismatch`, { details: { expected: want, actual } });
        }
      }
      cache.index.record({
        sha256: put.sha256,
        size: put.size,
        url,
        nevra: item.nevra,
        kind: item.kind,
        digests: algo && algo !== 'sha256' && want ? { [algo]: want } : undefined,
      });
      report.info('repo.fetched', `${item.relPath} (${put.size} bytes)`, { relPath: item.relPath, sha256: put.sha256, size: put.size, attempt });
      await fh?.close();
      fh = undefined;
      if (claimed) await fsp.rm(partial!, { force: true });
      return { relPath: item.relPath, sha256: put.sha256, size: put.size, path: cache.store.objectPath(put.sha256), cached: false };
    } catch (e) {
      const err = mapError(e, url, item, algo);
      await fh?.close();
      fh = undefined;
      const fatal = err.code !== 'REPO_CHECKSUM_MISMATCH' && err.code !== 'REPO_SIZE_MISMATCH' && err.code !== 'REPO_TRUNCATED';
      // keep the partial file only when the transfer broke off; wrong or excess bytes start over
      const keep = ['REPO_DOWNLOAD_FAILED', 'REPO_TIMEOUT', 'REPO_ABORTED'].includes(err.code);
      if (claimed && !keep) await fsp.rm(partial!, { force: true });
      if (fatal) throw err;
      lastErr = err;
      report.warn(err.code, `${err.message}${attempt + 1 < attempts ? '; retrying from the next mirror' : ''}`, { relPath: item.relPath, attempt });
    } finally {
      await fh?.close();
      if (claimed) activePartials.delete(partial!);
    }
  }
  throw lastErr!;
}

function mapError(e: unknown, url: string, item: FetchItem, algo: string | undefined): DriftlessError {
  if (isDriftlessError(e, 'CORE_DIGEST_MISMATCH')) {
    return new DriftlessError('REPO_CHECKSUM_MISMATCH', `${item.relPath}: ${algo} checksum mismatch`, {
      path: url,
      details: { file: item.relPath, type: algo, ...(e.details ?? {}) },
      hint: 'the mirror serves different bytes than the metadata describes (out of date or tampered with)',
    });
  }
  if (isDriftlessError(e, 'CORE_SIZE_MISMATCH')) {
    return new DriftlessError('REPO_SIZE_MISMATCH', `${item.relPath}: ${e.message}`, { path: url, details: e.details });
  }
  if (isDriftlessError(e, 'CORE_SIZE_EXCEEDED')) {
    return new DriftlessError(item.size !== undefined ? 'REPO_SIZE_MISMATCH' : 'REPO_FILE_TOO_LARGE', `${item.relPath}: ${e.message}`, { path: url, details: e.details });
  }
  if (e instanceof DriftlessError) return e;
  return new DriftlessError('REPO_DOWNLOAD_FAILED', `${url}: ${(e as Error)?.message ?? String(e)}`, { path: url, cause: e });
}

/**
 * Fetch many files with at most `concurrency` downloads at once. Fails with the first error
 * (after letting downloads in flight finish); results keep the order of `items`.
 */
export async function fetchAll(
  source: RepoSource,
  items: FetchItem[],
  cache: Cache,
  opts: FetchOptions & { concurrency?: number } = {},
): Promise<FetchResult[]> {
  const report = opts.report ?? silentReport;
  const total = items.reduce((n, i) => n + (i.size ?? 0), 0);
  const progress = report.progress('fetch', `fetching ${items.length} files`, total);
  const results: FetchResult[] = new Array(items.length);
  let nextIdx = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && nextIdx < items.length) {
      const i = nextIdx++;
      try {
        results[i] = await fetchToStore(source, items[i]!, cache, { ...opts, onBytes: (n) => progress.tick(n) });
        if (results[i]!.cached) progress.tick(results[i]!.size);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  progress.done();
  if (failure !== undefined) throw failure;
  return results;
}

/** The fetch item for a package from repository metadata (location, checksum, size, NEVRA). */
export function packageFetchItem(p: PackageMeta): FetchItem {
  if (!p.location?.href) throw new DriftlessError('REPO_BAD_METADATA', `${nevra(p)}: the metadata gives no location`);
  return {
    relPath: p.location.href,
    ...(p.checksum ? { checksum: p.checksum } : {}),
    ...(p.size?.package !== undefined ? { size: p.size.package } : {}),
    nevra: nevra(p),
    kind: 'package',
  };
}

/**
 * Fetch packages of one repository into the store. Packages whose location has an xml:base
 * are fetched from that base (through the source registry) instead of `source`.
 */
export async function fetchPackages(
  source: RepoSource,
  packages: PackageMeta[],
  cache: Cache,
  opts: FetchOptions & { concurrency?: number; sourceOptions?: RepoSourceOptions } = {},
): Promise<FetchResult[]> {
  const groups = new Map<string, number[]>();
  packages.forEach((p, i) => {
    const base = p.location?.base ?? '';
    groups.set(base, [...(groups.get(base) ?? []), i]);
  });
  const results: FetchResult[] = new Array(packages.length);
  for (const [base, idx] of groups) {
    const src = base ? openRepoSource(base, { report: opts.report, ...opts.sourceOptions }) : source;
    const got = await fetchAll(src, idx.map((i) => packageFetchItem(packages[i]!)), cache, opts);
    idx.forEach((i, k) => (results[i] = got[k]!));
  }
  return results;
}
