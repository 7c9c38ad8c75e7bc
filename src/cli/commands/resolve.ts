/**
 * `driftless resolve --repo PATH [--repo …] --arch ARCH [--weak-deps] --format nevra PKG_OR_CAP…`:
 * the install set the solver picks for a request, one `name-epoch:version-release.arch` per line,
 * sorted; exit 1 with the problems on stderr when the request cannot be satisfied.
 */
import type { Command } from 'commander';
import { addRepoReadOptions, loadReposFromOptions, type RepoReadOptions } from './repo.js';
import { resolveInstallSet } from '../../lock/resolve.js';
import { nevraWithEpoch } from '../../rpm/metadata.js';
import { DriftlessError } from '../../core/errors.js';
import { cliContext, output } from '../context.js';

export function registerResolve(program: Command): void {
  const cmd = program
    .command('resolve')
    .description('resolve an install request against repositories (libsolv semantics, best versions, no weak deps by default)')
    .argument('<packages...>', 'package names or capabilities (e.g. bash, /usr/bin/curl, "libfoo.so.1()(64bit)")')
    .requiredOption('--arch <arch>', 'target architecture (x86_64, aarch64, ...)')
    .option('--weak-deps', 'also install Recommends/Supplements')
    .option('--exclude <name>', 'never install this package; repeatable', (v: string, p: string[] = []) => [...p, v])
    .option('--format <format>', 'nevra (one line per package) or json', 'nevra');
  addRepoReadOptions(cmd).action(async (packages: string[], opts: RepoReadOptions & { arch: string; weakDeps?: boolean; exclude?: string[]; format: string }, c: Command) => {
    const ctx = cliContext(c);
    if (!opts.repo?.length) throw new DriftlessError('CLI_USAGE', 'resolve needs at least one --repo');
    const repos = await loadReposFromOptions(opts, ctx.report);
    const r = resolveInstallSet(
      repos.map((x, i) => ({ name: `repo${i}:${x.location}`, packages: x.packages })),
      { install: packages, exclude: opts.exclude ?? [], arch: opts.arch, weakDeps: Boolean(opts.weakDeps), edges: opts.format === 'json' || ctx.json },
    );
    if (r.problems.length) {
      if (ctx.json) process.stdout.write(JSON.stringify({ problems: r.problems }, null, 2) + '\n');
      else process.stderr.write(`cannot resolve ${packages.join(' ')}:\n${r.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      process.exitCode = 1;
      return;
    }
    const lines = r.packages.map((p) => nevraWithEpoch(p.meta)).sort();
    if (opts.format === 'json' || ctx.json) output({ ...ctx, json: true }, { packages: r.packages.map((p) => ({ nevra: nevraWithEpoch(p.meta), repo: p.repo, reason: p.reason, requires: p.requires })) }, () => '');
    else process.stdout.write(lines.map((l) => l + '\n').join(''));
  });
}
