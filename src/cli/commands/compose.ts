/**
 * `driftless compose DEF -o OUTDIR`, `driftless lock DEF`, `driftless why NAME --lock LOCK`,
 * `driftless image inspect OUTDIR`, `driftless sbom OUTDIR --format spdx|cyclonedx`.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { compose, defaultLockPath } from '../../compose/compose.js';
import { loadDefinition } from '../../compose/definition.js';
import { openDefinitionRepos } from '../../compose/repos.js';
import { lockStage } from '../../compose/lock-stage.js';
import { openCache } from '../../compose/fetch-stage.js';
import { readLockfile } from '../../lock/lockfile.js';
import { whyChains, formatChain } from '../../lock/why.js';
import { defaultCacheDir } from '../../repo/load.js';
import { sourceDateEpoch } from '../../core/time.js';
import { DriftlessError } from '../../core/errors.js';
import type { ComposeReport } from '../../compose/report.js';
import { verifyComposeOutput } from '../../compose/verify-output.js';
import { cliContext, output } from '../context.js';

function kib(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A short human summary of a compose report. */
export function summarizeReport(r: ComposeReport): string {
  const lines = [`image ${r.image.name} ${r.image.version} (${r.image.arches.join(', ')}), SOURCE_DATE_EPOCH=${r.sourceDateEpoch}`];
  for (const a of r.arches) {
    lines.push(`  ${a.arch}: ${a.totals.packages} packages, ${a.totals.files} files, ${kib(a.totals.installedBytes)} installed (${kib(a.totals.rpmBytes)} of RPMs)`);
    lines.push(`    largest: ${a.largest.slice(0, 3).map((p) => `${p.nevra} ${kib(p.installedSize)}`).join(', ')}`);
    const stripped = a.hardening.filter((h) => h.kind === 'setuid-stripped').length;
    lines.push(`    hardening: ${a.hardening.length} changes (${stripped} setuid/setgid bits stripped); scriptlets skipped in ${a.packages.filter((p) => p.skippedScriptlets.length).length} packages`);
    for (const o of a.outputs) lines.push(`    ${o.path.padEnd(28)} ${kib(o.size).padStart(10)}  sha256:${o.sha256.slice(0, 16)}…`);
  }
  return lines.join('\n');
}

export function registerCompose(program: Command): void {
  program
    .command('compose')
    .description('compose an image definition into OUTDIR (lock enforced, packages verified, outputs reproducible)')
    .argument('<definition>', 'image definition YAML')
    .requiredOption('-o, --output <dir>', 'output directory (replaced atomically)')
    .option('--lock <file>', 'lockfile (default: <definition>.lock.json beside the definition)')
    .option('--update-lock', 're-resolve and rewrite the lockfile, showing what changed')
    .option('--source-date-epoch <n>', 'build timestamp (default: $SOURCE_DATE_EPOCH, else the lockfile\'s)')
    .option('--cache-dir <dir>', 'metadata cache and package store (default: the user cache dir)')
    .action(async (def: string, opts: { output: string; lock?: string; updateLock?: boolean; sourceDateEpoch?: string; cacheDir?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = await compose(def, {
        outDir: opts.output,
        lockPath: opts.lock,
        updateLock: opts.updateLock,
        epoch: opts.sourceDateEpoch !== undefined ? sourceDateEpoch(opts.sourceDateEpoch) : undefined,
        cacheDir: opts.cacheDir,
        report: ctx.report,
      });
      output(ctx, r.report, () => `${summarizeReport(r.report)}\nwritten to ${r.outDir} (lock: ${r.lockPath})`);
    });

  program
    .command('lock')
    .description('resolve a definition and write (or check) its lockfile')
    .argument('<definition>', 'image definition YAML')
    .option('--lock <file>', 'lockfile path (default: <definition>.lock.json)')
    .option('--update-lock', 're-resolve even if the lockfile matches')
    .option('--cache-dir <dir>', 'metadata cache and package store')
    .action(async (def: string, opts: { lock?: string; updateLock?: boolean; cacheDir?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const loaded = await loadDefinition(def);
      const cacheDir = opts.cacheDir ?? defaultCacheDir();
      const repos = await openDefinitionRepos(loaded, { cacheDir: join(cacheDir, 'metadata'), report: ctx.report, parts: loaded.definition.packages.groups.length ? ['comps'] : [] });
      const cache = openCache(join(cacheDir, 'store'));
      const path = opts.lock ?? defaultLockPath(def);
      try {
        const r = await lockStage(loaded, repos, path, { cache, report: ctx.report, updateLock: Boolean(opts.updateLock) || !existsSync(path), epoch: sourceDateEpoch() });
        const counts = Object.entries(r.lock.arches).map(([a, x]) => `${a}: ${x.packages.length} packages`).join(', ');
        output(ctx, { path, updated: r.updated, diff: r.diff, arches: Object.fromEntries(Object.entries(r.lock.arches).map(([a, x]) => [a, x.packages.map((p) => p.nevra)])) }, () =>
          r.updated ? `wrote ${path} (${counts})${r.diff ? `\n${r.diff}` : ''}` : `${path} is up to date (${counts})`,
        );
      } finally {
        cache.close();
      }
    });

  program
    .command('why')
    .description('why is a package in the image: shortest dependency chains from the request')
    .argument('<name>', 'package name or NEVRA')
    .requiredOption('--lock <file>', 'lockfile (e.g. OUTDIR/lock.json)')
    .option('--arch <arch>', 'architecture (default: the first in the lockfile)')
    .action(async (name: string, opts: { lock: string; arch?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const lock = await readLockfile(opts.lock);
      const chains = whyChains(lock, name, { arch: opts.arch });
      output(ctx, { package: name, lines: chains.map(formatChain), chains }, () => chains.map(formatChain).join('\n'));
    });

  const image = program.command('image').description('inspect composed images');
  image
    .command('inspect')
    .description('summarise a compose output directory (report.json)')
    .argument('<outdir>')
    .action(async (outDir: string, _o: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = JSON.parse(await readJson(join(outDir, 'report.json'))) as ComposeReport;
      output(ctx, r, () => summarizeReport(r));
    });

  image
    .command('verify')
    .description('check a compose output without trusting it: digests, OCI blobs, rpmdb vs lock, dm-verity, SBOMs')
    .argument('<outdir>')
    .action(async (outDir: string, _o: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const checks = await verifyComposeOutput(outDir);
      output(ctx, { checks }, () => checks.map((c) => `${c.ok ? 'ok    ' : 'FAILED'} ${c.name}: ${c.detail}`).join('\n'));
      if (checks.some((c) => !c.ok)) process.exitCode = 1;
    });

  program
    .command('sbom')
    .description('print the SBOM of a compose output directory')
    .argument('<outdir>')
    .option('--format <format>', 'spdx or cyclonedx', 'spdx')
    .option('--arch <arch>', 'for multi-arch outputs')
    .action(async (outDir: string, opts: { format: string; arch?: string }) => {
      if (opts.format !== 'spdx' && opts.format !== 'cyclonedx') throw new DriftlessError('CLI_USAGE', `--format must be spdx or cyclonedx, not ${opts.format}`);
      const file = opts.format === 'spdx' ? 'sbom.spdx.json' : 'sbom.cdx.json';
      process.stdout.write(await readJson(join(outDir, opts.arch ?? '', file)));
    });
}

async function readJson(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new DriftlessError('IMAGE_NOT_FOUND', `${path} not found`, { path, cause: e, hint: 'is this a `driftless compose` output directory?' });
  }
}
