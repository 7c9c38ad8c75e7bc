/**
 * `driftless cache gc`: shrink a cache directory (store + index + parsed-metadata cache).
 *
 * Always: forget index rows whose object is gone, delete store objects the index does not know
 * (left by a crash between rename and index write; after an hour, so a fetch in progress in
 * another process keeps its object), and delete temp files older than an hour
 * (partial downloads: older than the age limit).
 * Then, never touching pinned objects (CacheIndex.pin) or digests in `keep`:
 * - objects not used for `maxAgeDays` (default 30) are removed;
 * - if the store is still above `maxBytes`, least recently used objects go until it fits;
 * - with `verify`, every object is re-hashed and corrupt ones are removed.
 * Parsed-metadata cache files (CACHE/repo-metadata) older than `maxAgeDays` are removed too.
 *
 *   const r = await gcCache('/var/cache/driftless', { maxAgeDays: 7, keep: lockfileDigests })
 *   r.removed.length, r.freedBytes
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { DriftlessError } from '../core/errors.js';
import { silentReport, type Report } from '../core/report.js';
import { nowSeconds } from './cache-index.js';
import { openCache } from './fetch.js';

export interface GcOptions {
  /** Remove objects unused for this many days (default 30; 0 removes every unpinned object). */
  maxAgeDays?: number;
  /** Then evict least recently used objects until the store holds at most this many bytes. */
  maxBytes?: number;
  /** sha256 digests to keep regardless of age or size (e.g. from a lockfile). */
  keep?: Iterable<string>;
  /** Re-hash every object and remove those that do not match their name. */
  verify?: boolean;
  /** Report what would be removed without removing anything. */
  dryRun?: boolean;
  /** Unix seconds (tests). */
  now?: number;
  report?: Report;
}

export interface GcResult {
  /** Objects removed (or that would be, with dryRun), sorted. */
  removed: string[];
  freedBytes: number;
  /** Objects left in the store. */
  kept: number;
  keptBytes: number;
  orphans: number;
  corrupt: number;
  forgotten: number;
  tempFiles: number;
  metadataFiles: number;
}

const TMP_GRACE_SECONDS = 3600;

export async function gcCache(root: string, opts: GcOptions = {}): Promise<GcResult> {
  const report = opts.report ?? silentReport;
  const maxAge = opts.maxAgeDays ?? 30;
  if (!(maxAge >= 0) || (opts.maxBytes !== undefined && !(opts.maxBytes >= 0))) {
    throw new DriftlessError('CACHE_GC_BAD_OPTION', 'max age and max size must be non-negative numbers');
  }
  const now = opts.now ?? nowSeconds();
  const dry = Boolean(opts.dryRun);
  const cache = openCache(root);
  try {
    const keep = new Set([...(opts.keep ?? [])].map((s) => s.toLowerCase()));
    for (const p of cache.index.pinned()) keep.add(p);
    const inStore = new Set(await cache.store.list());
    const rows = new Map(cache.index.objects().map((r) => [r.sha256, r]));
    const result: GcResult = { removed: [], freedBytes: 0, kept: 0, keptBytes: 0, orphans: 0, corrupt: 0, forgotten: 0, tempFiles: 0, metadataFiles: 0 };
    const sizeOf = async (d: string) => rows.get(d)?.size ?? (await fsp.stat(cache.store.objectPath(d)).then((s) => s.size, () => 0));
    const drop = async (d: string, why: string) => {
      const size = await sizeOf(d);
      result.removed.push(d);
      result.freedBytes += size;
      inStore.delete(d);
      rows.delete(d);
      report.info('cache.gc.remove', `${d} (${why}, ${size} bytes)`, { sha256: d, reason: why, size });
      if (!dry) {
        await cache.store.remove(d);
        cache.index.remove([d]);
      }
    };

    // 1. index rows without an object
    const missing = [...rows.keys()].filter((d) => !inStore.has(d));
    result.forgotten = missing.length;
    if (!dry) cache.index.remove(missing);
    for (const d of missing) rows.delete(d);

    // 2. objects the index does not know (young ones may belong to a fetch that is recording them)
    for (const d of [...inStore]) {
      if (rows.has(d) || keep.has(d)) continue;
      const st = await fsp.stat(cache.store.objectPath(d)).catch(() => undefined);
      if (st && st.mtimeMs / 1000 > now - TMP_GRACE_SECONDS) continue;
      result.orphans++;
      await drop(d, 'not in the index');
    }

    // 3. corrupt objects
    if (opts.verify) {
      for (const d of [...inStore].sort()) {
        if (!(await cache.store.verify(d))) {
          result.corrupt++;
          report.warn('CACHE_CORRUPT_OBJECT', `${d} does not match its hash; removing it`, { sha256: d });
          await drop(d, 'corrupt');
        }
      }
    }

    // 4. age
    const cutoff = now - maxAge * 86400;
    for (const r of [...rows.values()]) {
      if (!keep.has(r.sha256) && r.lastUsed < cutoff + (maxAge === 0 ? 1 : 0)) await drop(r.sha256, `unused for ${maxAge} days`);
    }

    // 5. size (least recently used first)
    if (opts.maxBytes !== undefined) {
      let total = [...rows.values()].reduce((n, r) => n + r.size, 0);
      const lru = [...rows.values()].sort((a, b) => a.lastUsed - b.lastUsed || (a.sha256 < b.sha256 ? -1 : 1));
      for (const r of lru) {
        if (total <= opts.maxBytes) break;
        if (keep.has(r.sha256)) continue;
        total -= r.size;
        await drop(r.sha256, `store above ${opts.maxBytes} bytes`);
      }
    }

    // 6. stale temp files and old parsed-metadata cache files
    result.tempFiles = await sweep(join(root, 'tmp'), now - TMP_GRACE_SECONDS, dry, () => true);
    result.metadataFiles = await sweep(join(root, 'repo-metadata'), cutoff, dry, (n) => n.endsWith('.dlmc'));
    result.tempFiles += await sweep(join(root, 'partial'), cutoff, dry, () => true);

    result.removed.sort();
    result.kept = rows.size;
    result.keptBytes = [...rows.values()].reduce((n, r) => n + r.size, 0);
    report.info('cache.gc', `removed ${result.removed.length} objects (${result.freedBytes} bytes), kept ${result.kept}`, { ...result, removed: result.removed.length });
    return result;
  } finally {
    cache.close();
  }
}

/** Delete files in `dir` last modified before `before` (unix seconds). Returns how many. */
async function sweep(dir: string, before: number, dry: boolean, match: (name: string) => boolean): Promise<number> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names.sort()) {
    if (!match(name)) continue;
    const p = join(dir, name);
    const st = await fsp.stat(p).catch(() => undefined);
    if (!st?.isFile() || st.mtimeMs / 1000 >= before) continue;
    n++;
    if (!dry) await fsp.rm(p, { force: true });
  }
  return n;
}

export interface CacheStats {
  objects: number;
  bytes: number;
  /** Objects the index knows. */
  indexed: number;
  pinned: number;
  partialFiles: number;
  partialBytes: number;
  metadataFiles: number;
  metadataBytes: number;
}

async function dirUsage(dir: string): Promise<{ files: number; bytes: number }> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return { files: 0, bytes: 0 };
  }
  let files = 0;
  let bytes = 0;
  for (const n of names) {
    const st = await fsp.stat(join(dir, n)).catch(() => undefined);
    if (!st?.isFile()) continue;
    files++;
    bytes += st.size;
  }
  return { files, bytes };
}

/** What a cache directory holds (`driftless cache stats`). */
export async function cacheStats(root: string): Promise<CacheStats> {
  const cache = openCache(root);
  try {
    const list = await cache.store.list();
    let bytes = 0;
    for (const d of list) bytes += (await fsp.stat(cache.store.objectPath(d)).catch(() => undefined))?.size ?? 0;
    const partial = await dirUsage(join(root, 'partial'));
    const meta = await dirUsage(join(root, 'repo-metadata'));
    return {
      objects: list.length,
      bytes,
      indexed: cache.index.objects().length,
      pinned: cache.index.pinned().size,
      partialFiles: partial.files,
      partialBytes: partial.bytes,
      metadataFiles: meta.files,
      metadataBytes: meta.bytes,
    };
  } finally {
    cache.close();
  }
}
