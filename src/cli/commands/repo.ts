/**
 * `driftless repo ...`: read rpm-md repositories.
 *
 *   driftless repo query --repo DIR_OR_URL [--repo …] [--arch x86_64] [--whatprovides CAP | --whatrequires CAP | --file PATH]
 *   driftless repo info NEVRA --repo DIR_OR_URL
 *
 * Other commands join the group with `repoCommand(program).command('create')...`;
 * `addRepoReadOptions` + `loadReposFromOptions` give any command the standard repo-reading
 * options (--repo, --gpgkey, --nogpgcheck, --cache-dir).
 */
import { Command, Option } from 'commander';
import { DriftlessError } from '../../core/errors.js';
import { Keyring } from '../../core/pgp.js';
import type { Report } from '../../core/report.js';
import { formatDependency } from '../../rpm/deps.js';
import { DEP_KINDS, nevraWithEpoch, type PackageMeta } from '../../rpm/metadata.js';
import { plainPackage } from '../../repo/columns.js';
import { defaultCacheDir, loadRepos, type LoadedRepo, type RepoPart } from '../../repo/load.js';
import { findByNevra, pathInPrimary, queryRepos, type QueryHit } from '../../repo/query.js';
import { cliContext, output } from '../context.js';

/** The `repo` command group (created on first use, so several modules can add subcommands). */
export function repoCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'repo');
  if (existing) return existing;
  return program.command('repo').description('read, query, create and sign rpm-md repositories');
}

export interface RepoReadOptions {
  repo?: string[];
  gpgkey?: string[];
  /** commander turns --nogpgcheck into `nogpgcheck: true`. */
  nogpgcheck?: boolean;
  cacheDir?: string;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** Add --repo, --gpgkey, --nogpgcheck and --cache-dir to a command. */
export function addRepoReadOptions(cmd: Command): Command {
  return cmd
    .option('--repo <PATH_OR_URL>', 'repository (directory, file:// or http(s):// URL); repeatable', collect)
    .option('--gpgkey <FILE>', 'OpenPGP public key trusted for the repositories\' repomd.xml signatures; repeatable', collect)
    .option('--nogpgcheck', 'do NOT verify repomd.xml signatures (metadata is then unauthenticated)')
    .option('--cache-dir <DIR>', `parsed-metadata cache directory (default ${defaultCacheDir()}; "" = no cache)`);
}

/** Load every --repo with the trust and cache options given. */
export async function loadReposFromOptions(o: RepoReadOptions, report: Report, parts: RepoPart[] = []): Promise<LoadedRepo[]> {
  if (!o.repo?.length) throw new DriftlessError('CLI_USAGE', 'no repository given', { hint: 'pass --repo DIR_OR_URL (repeatable)' });
  const keyring = o.gpgkey?.length ? await Keyring.fromFiles(o.gpgkey) : Keyring.empty();
  // --cache-dir '' disables the parsed-metadata cache (always a cold load); a fresh empty directory starts cold too
  const cacheDir = o.cacheDir === '' ? null : (o.cacheDir ?? defaultCacheDir());
  return loadRepos(o.repo, { gpgcheck: !o.nogpgcheck, keyring, cacheDir, report, parts });
}

function hitJson(h: QueryHit) {
  const p = h.pkg;
  return {
    nevra: nevraWithEpoch(p), name: p.name, epoch: p.epoch, version: p.version, release: p.release, arch: p.arch,
    repo: h.repo.location, ...(p.location ? { location: p.location } : {}), ...(p.checksum ? { checksum: p.checksum } : {}),
  };
}

const FORMATS: Record<string, (h: QueryHit) => string> = {
  nevra: (h) => nevraWithEpoch(h.pkg),
  name: (h) => h.pkg.name,
  location: (h) => `${h.pkg.location?.base ?? h.repo.location.replace(/\/+$/, '')}/${h.pkg.location?.href ?? ''}`,
};

interface QueryOpts extends RepoReadOptions {
  arch?: string;
  format: string;
  whatprovides?: string;
  whatrequires?: string;
  file?: string;
  json?: boolean;
}

/** `repo query`. */
export function registerRepoQuery(repo: Command): void {
  addRepoReadOptions(
    repo
      .command('query')
      .description('list packages of rpm-md repositories (all, or those matching a selector), sorted by name-epoch:version-release.arch'),
  )
    .option('--arch <ARCH>', 'only packages installable on ARCH: ARCH, its compatible arches (x86_64 → i686…i386) and noarch; no src')
    .addOption(new Option('--format <FORMAT>', 'output lines').choices(Object.keys(FORMATS)).default('nevra'))
    .option('--whatprovides <CAP>', 'packages providing CAP ("name" or "name >= evr"; a /path also matches files)')
    .option('--whatrequires <CAP>', 'packages requiring CAP')
    .option('--file <PATH>', 'packages containing PATH (loads filelists.xml when PATH is not in primary)')
    .option('--json', 'JSON output')
    .action(async (o: QueryOpts, cmd: Command) => {
      const ctx = cliContext(cmd);
      const needsFiles = (o.file !== undefined && !pathInPrimary(o.file)) || (o.whatprovides?.startsWith('/') === true && !pathInPrimary(o.whatprovides));
      const repos = await loadReposFromOptions(o, ctx.report, needsFiles ? ['filelists'] : []);
      const hits = queryRepos(repos, { arch: o.arch, whatprovides: o.whatprovides, whatrequires: o.whatrequires, file: o.file });
      const fmt = FORMATS[o.format]!;
      output(ctx, hits.map(hitJson), () => hits.map(fmt).join('\n'));
    });
}

function infoText(h: QueryHit): string {
  const p: PackageMeta = h.pkg;
  const rows: [string, string | number | undefined][] = [
    ['Name', p.name], ['Epoch', p.epoch], ['Version', p.version], ['Release', p.release], ['Architecture', p.arch],
    ['Size', p.size?.package], ['Installed size', p.size?.installed], ['Source', p.sourcerpm], ['Repository', h.repo.location],
    ['Location', p.location?.href], ['Checksum', p.checksum ? `${p.checksum.type}:${p.checksum.value}` : undefined],
    ['Summary', p.summary], ['URL', p.url], ['License', p.license], ['Vendor', p.vendor], ['Packager', p.packager],
    ['Build time', p.buildtime !== undefined ? new Date(p.buildtime * 1000).toISOString() : undefined],
  ];
  const lines = rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k.padEnd(15)}: ${v}`);
  for (const kind of DEP_KINDS) {
    if (p[kind].length) lines.push(`${kind[0]!.toUpperCase()}${kind.slice(1).padEnd(14)}: ${p[kind].map(formatDependency).join('\n' + ' '.repeat(17))}`);
  }
  if (p.description) lines.push(`Description    :\n${p.description}`);
  return lines.join('\n');
}

/** `repo info NEVRA`. */
export function registerRepoInfo(repo: Command): void {
  addRepoReadOptions(repo.command('info').description('show a package\'s metadata (NEVRA, NVRA, name.arch or name)').argument('<nevra>'))
    .option('--json', 'JSON output')
    .action(async (spec: string, o: RepoReadOptions & { json?: boolean }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const repos = await loadReposFromOptions(o, ctx.report);
      const hits = findByNevra(repos, spec);
      if (hits.length === 0) {
        throw new DriftlessError('REPO_PACKAGE_NOT_FOUND', `no package matches "${spec}"`, { hint: 'use name-epoch:version-release.arch, name-version-release.arch, name.arch or name' });
      }
      output(ctx, hits.map((h) => ({ repo: h.repo.location, ...plainPackage(h.pkg) })), () => hits.map(infoText).join('\n\n'));
    });
}

/** Register the `repo` group with query and info. */
export function registerRepo(program: Command): void {
  const repo = repoCommand(program);
  registerRepoQuery(repo);
  registerRepoInfo(repo);
}
