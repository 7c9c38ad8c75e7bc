/**
 * `driftless demo`: the offline end-to-end demonstration run by `npm run demo`.
 * Today: build the sample distribution (examples/sample-repo, plus the hello 1.1 update from
 * examples/sample-repo-v2) with the RPM writer, sign it with the TEST-ONLY demo key, verify
 * every package, print a summary table and inspect one package. Later stages (repository, compose) extend it.
 * It writes only under out/demo/ (repo/ and repo-v2/ are rebuilt from scratch each run).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { sourceDateEpoch } from '../../core/time.js';
import { buildSampleRepo, SAMPLE_REPO_V2_DIR, type SamplePackage } from '../../rpm/build/sample-set.js';
import { formatSummary, inspectPackage } from '../../rpm/inspect.js';
import { cliContext, output } from '../context.js';

/** out/demo under the repository root (independent of the working directory). */
export const DEMO_OUT = fileURLToPath(new URL('../../../out/demo/', import.meta.url));

function humanSize(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

/** A plain-text table: left-aligned columns separated by two spaces. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the offline end-to-end demo (writes only under out/demo/)')
    .option('--source-date-epoch <n>', 'build timestamp (default: $SOURCE_DATE_EPOCH, else 2024-01-01)')
    .option('-o, --output <dir>', 'output directory (default: out/demo/ in the repository)')
    .action(async (opts: { sourceDateEpoch?: string; output?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const epoch = sourceDateEpoch(opts.sourceDateEpoch);
      const started = performance.now();
      const outDir = opts.output ? resolve(opts.output) : DEMO_OUT;
      const repoDir = join(outDir, 'repo');
      const v2Dir = join(outDir, 'repo-v2');
      const repo = await buildSampleRepo(repoDir, { epoch, report: ctx.report });
      const v2 = await buildSampleRepo(v2Dir, { epoch, report: ctx.report, definitionsDir: SAMPLE_REPO_V2_DIR });
      // Read one package back with the package reader, as `driftless rpm inspect` shows it.
      const showcase = repo.find((p) => p.name === 'openssh-server') ?? repo[0]!;
      const inspected = await inspectPackage(showcase.path);
      const seconds = (performance.now() - started) / 1000;
      const result = { epoch, repo: { dir: repoDir, packages: repo }, repoV2: { dir: v2Dir, packages: v2 }, inspect: { name: showcase.name, requires: inspected.requires, provides: inspected.provides, files: inspected.files.map((f) => f.path) }, seconds: Number(seconds.toFixed(2)) };
      output(ctx, result, () => {
        const rows = (pkgs: SamplePackage[]) => [
          ['NAME', 'EVR', 'ARCH', 'SIZE', 'FILES', 'SIGNED BY'],
          ...pkgs.map((p) => [p.name, p.evr, p.arch, humanSize(p.size), String(p.files), p.signedBy]),
        ];
        const total = repo.reduce((n, p) => n + p.size, 0);
        return [
          `sample repository: ${repo.length} packages (${humanSize(total)}) in ${repoDir}`,
          '',
          table(rows(repo)),
          '',
          `update repository: ${v2.length} package(s) in ${v2Dir}`,
          table(rows(v2)),
          '',
          `driftless rpm inspect ${showcase.fileName}:`,
          formatSummary(inspected).replace(/^/gm, '  '),
          '',
          `every package signed with the TEST-ONLY demo key and verified (digests + signature) in ${seconds.toFixed(1)} s`,
        ].join('\n');
      });
    });
}
