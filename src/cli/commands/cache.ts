/**
 * `driftless cache gc [--cache-dir DIR] [--max-age DAYS] [--max-size BYTES] [--keep FILE] [--verify] [--dry-run]`:
 * shrink the download cache (see src/repo/gc.ts for the policy). `driftless cache stats`: what it holds.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { DriftlessError } from '../../core/errors.js';
import { cacheStats, gcCache } from '../../repo/gc.js';
import { defaultCacheDir } from '../../repo/load.js';
import { cliContext, output } from '../context.js';
// http(s) repository sources register themselves with the source registry on import.
import '../../repo/http-source.js';

interface GcCliOpts {
  cacheDir?: string;
  maxAge: string;
  maxSize?: string;
  keep?: string[];
  verify?: boolean;
  dryRun?: boolean;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** Parse "500M", "2G", "1048576" into bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new DriftlessError('CLI_USAGE', `not a size: "${s}" (use e.g. 500M, 2G or a byte count)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}

export function registerCache(program: Command): void {
  const cache = program.commands.find((c) => c.name() === 'cache') ?? program.command('cache').description('manage the download cache');
  cache
    .command('stats')
    .description('objects, bytes, pins, partial downloads and metadata cache files in the cache')
    .option('--cache-dir <DIR>', `cache directory (default ${defaultCacheDir()})`)
    .action(async (o: { cacheDir?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const s = await cacheStats(o.cacheDir ?? defaultCacheDir());
      output(ctx, s, () =>
        `${s.objects} objects (${s.bytes} bytes; ${s.indexed} indexed, ${s.pinned} pinned), ` +
        `${s.partialFiles} partial downloads (${s.partialBytes} bytes), ${s.metadataFiles} metadata cache files (${s.metadataBytes} bytes)`,
      );
    });
  cache
    .command('gc')
    .description('remove unused, orphaned and (with --verify) corrupt objects from the cache')
    .option('--cache-dir <DIR>', `cache directory (default ${defaultCacheDir()})`)
    .option('--max-age <DAYS>', 'remove objects not used for this many days', '30')
    .option('--max-size <SIZE>', 'then evict least recently used objects until the store fits (e.g. 2G)')
    .option('--keep <FILE>', 'file listing sha256 digests to keep (one per line); repeatable', collect)
    .option('--verify', 're-hash every object and remove corrupt ones')
    .option('--dry-run', 'only report what would be removed')
    .action(async (o: GcCliOpts, cmd: Command) => {
      const ctx = cliContext(cmd);
      const maxAgeDays = Number(o.maxAge);
      if (!Number.isFinite(maxAgeDays) || maxAgeDays < 0) throw new DriftlessError('CLI_USAGE', '--max-age must be a non-negative number of days');
      const keep: string[] = [];
      for (const f of o.keep ?? []) {
        let text: string;
        try {
          text = await readFile(f, 'utf8');
        } catch (e) {
          throw new DriftlessError('CLI_USAGE', `cannot read --keep file ${f}: ${(e as Error).message}`);
        }
        for (const m of text.matchAll(/\b[0-9a-f]{64}\b/gi)) keep.push(m[0].toLowerCase());
      }
      const r = await gcCache(o.cacheDir ?? defaultCacheDir(), {
        maxAgeDays,
        maxBytes: o.maxSize !== undefined ? parseSize(o.maxSize) : undefined,
        keep,
        verify: o.verify,
        dryRun: o.dryRun,
        report: ctx.report,
      });
      output(ctx, r, () =>
        `${o.dryRun ? 'would remove' : 'removed'} ${r.removed.length} objects (${r.freedBytes} bytes; ${r.orphans} orphaned, ${r.corrupt} corrupt), ` +
        `kept ${r.kept} (${r.keptBytes} bytes); ${r.tempFiles} temp and ${r.metadataFiles} metadata cache files`,
      );
    });
}
