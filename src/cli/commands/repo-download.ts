/**
 * `driftless repo download SPEC… (--repo R | --repofile F) [--cache-dir DIR] [--all] [--dest DIR]`: fetch packages
 * (by name, name.arch, NEVRA) into the content-addressed cache, verifying each against the
 * repository metadata (checksum + size); `--dest` also copies them out under their file names.
 */
import type { Command } from 'commander';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DriftlessError } from '../../core/errors.js';
import { nevraWithEpoch, type PackageMeta } from '../../rpm/metadata.js';
import { defaultCacheDir, type LoadedRepo } from '../../repo/load.js';
import { findByNevra } from '../../repo/query.js';
import { fetchPackages, openCache } from '../../repo/fetch.js';
import { openRepoSource, type RepoSource } from '../../repo/source.js';
import '../../repo/http-source.js';
import { hostVars, loadDotRepoFiles, loadDotRepos, loadVarsDirs, openDotRepoSource } from '../../repo/dotrepo.js';
import { cliContext, output } from '../context.js';
import { addRepoReadOptions, loadReposFromOptions, repoCommand, type RepoReadOptions } from './repo.js';

interface DownloadOpts extends RepoReadOptions {
  repofile?: string[];
  releasever?: string;
  varsDir?: string[];
  all?: boolean;
  dest?: string;
  concurrency: string;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function registerRepoDownload(program: Command): void {
  addRepoReadOptions(
    repoCommand(program)
      .command('download')
      .description('fetch packages into the cache (verified against the metadata), optionally copying them to --dest')
      .argument('[spec...]', 'package name, name.arch or NEVRA')
      .option('--all', 'every package of the repositories')
      .option('--dest <DIR>', 'also copy the verified packages into DIR')
      .option('--concurrency <N>', 'parallel downloads', '4')
      .option('--repofile <FILE_OR_DIR>', 'dnf .repo file, or a directory of them (e.g. /etc/yum.repos.d); repeatable', collect)
      .option('--releasever <VER>', '$releasever for .repo files')
      .option('--vars-dir <DIR>', '/etc/dnf/vars-style variable directory for .repo files; repeatable', collect),
  ).action(async (specs: string[], o: DownloadOpts, cmd: Command) => {
    const ctx = cliContext(cmd);
    if (!o.all && specs.length === 0) throw new DriftlessError('CLI_USAGE', 'name the packages to download (or --all)');
    const n = Number(o.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new DriftlessError('CLI_USAGE', '--concurrency must be 1..64');
    const repos: LoadedRepo[] = [];
    // how to reach each repository's files again (a .repo definition may name mirrors, TLS options)
    const sources = new Map<LoadedRepo, () => RepoSource>();
    if (o.repo?.length || !o.repofile?.length) repos.push(...(await loadReposFromOptions(o, ctx.report)));
    if (o.repofile?.length) {
      const vars = { ...hostVars(), ...(await loadVarsDirs(o.varsDir ?? [])), ...(o.releasever ? { releasever: o.releasever } : {}) };
      const defs = await loadDotRepoFiles(o.repofile, { vars, report: ctx.report });
      const loaded = await loadDotRepos(defs, { cacheDir: o.cacheDir ?? defaultCacheDir(), report: ctx.report, nogpgcheck: o.nogpgcheck });
      for (const l of loaded) {
        repos.push(l.repo);
        sources.set(l.repo, () => openDotRepoSource(l.def, { report: ctx.report }));
      }
    }
    const wanted = new Map<LoadedRepo, PackageMeta[]>();
    const add = (r: LoadedRepo, p: PackageMeta) => {
      const l = wanted.get(r) ?? [];
      if (!l.includes(p)) l.push(p);
      wanted.set(r, l);
    };
    if (o.all) for (const r of repos) for (const p of r.packages) add(r, p);
    for (const s of specs) {
      const hits = findByNevra(repos, s);
      if (hits.length === 0) throw new DriftlessError('REPO_PACKAGE_NOT_FOUND', `no package matches "${s}"`);
      for (const h of hits) add(h.repo, h.pkg);
    }
    const cacheDir = o.cacheDir ?? defaultCacheDir();
    const cache = openCache(cacheDir);
    const rows: { nevra: string; sha256: string; path: string; cached: boolean }[] = [];
    try {
      for (const [repo, pkgs] of wanted) {
        const source = sources.get(repo)?.() ?? openRepoSource(repo.location, { report: ctx.report });
        const got = await fetchPackages(source, pkgs, cache, { report: ctx.report, concurrency: n }).finally(() => (source as { close?: () => void }).close?.());
        got.forEach((g, i) => rows.push({ nevra: nevraWithEpoch(pkgs[i]!), sha256: g.sha256, path: g.path, cached: g.cached }));
        if (o.dest) {
          await mkdir(o.dest, { recursive: true });
          for (const [i, g] of got.entries()) await copyFile(g.path, join(o.dest, basename(pkgs[i]!.location!.href)));
        }
      }
    } finally {
      cache.close();
    }
    rows.sort((a, b) => (a.nevra < b.nevra ? -1 : a.nevra > b.nevra ? 1 : 0));
    output(ctx, rows, () => rows.map((r) => `${r.nevra} ${r.sha256}${r.cached ? ' (cached)' : ''}`).join('\n'));
  });
}
