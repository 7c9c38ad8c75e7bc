/**
 * `driftless demo`: the offline end-to-end demonstration run by `npm run demo` (see
 * src/demo/demo.ts): sample distribution built and signed → signed rpm-md repository → `base`
 * and `distroless` locked and composed → every output verified → `why bash`. Writes only under
 * out/demo/ (or -o DIR).
 */
import { join, resolve, sep } from 'node:path';
import { projectRoot } from '../../core/paths.js';
import type { Command } from 'commander';
import { sourceDateEpoch } from '../../core/time.js';
import { DriftlessError } from '../../core/errors.js';
import { runDemo } from '../../demo/demo.js';
import { summarizeReport } from './compose.js';
import { cliContext, output } from '../context.js';

/** out/demo under the repository root (independent of the working directory). */
export const DEMO_OUT = join(projectRoot(), 'out', 'demo') + sep;

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
      const outDir = opts.output ? resolve(opts.output) : DEMO_OUT;
      const r = await runDemo(outDir, { epoch, report: ctx.report });
      const failed = r.images.flatMap((i) => i.checks.filter((c) => !c.ok).map((c) => `${i.name}: ${c.name}: ${c.detail}`));
      output(ctx, r, () => {
        const total = r.repo.packages.reduce((n, p) => n + p.size, 0);
        const lines = [
          `1. sample distribution: ${r.repo.packages.length} packages (${humanSize(total)}) built, signed with the TEST-ONLY demo key and verified`,
          table([
            ['NAME', 'EVR', 'ARCH', 'SIZE', 'FILES', 'SIGNED BY'],
            ...r.repo.packages.map((p) => [p.name, p.evr, p.arch, humanSize(p.size), String(p.files), p.signedBy]),
          ]).replace(/^/gm, '   '),
          `2. signed rpm-md repository: ${r.repo.dir}/repodata (repomd sha256 ${r.repo.repodata.repomdSha256.slice(0, 16)}…, repomd.xml.asc); update repo ${r.repoV2.dir}`,
          `3. images composed (rootless, no scriptlets, hardened, reproducible):`,
        ];
        for (const img of r.images) {
          lines.push(summarizeReport(img.report).replace(/^/gm, '   '));
          lines.push(`   verified: ${img.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'} ${c.name.replace(/^x86_64: /, '')}`).join(', ')}`);
        }
        lines.push(`4. driftless why ${r.why.package} --lock ${r.images[0]!.dir}/lock.json`);
        lines.push(...r.why.chains.map((c) => `   ${c}`));
        lines.push(`   distroless image has a shell: ${r.distrolessHasShell ? 'YES' : 'no'}`);
        lines.push(`done in ${r.seconds.toFixed(1)} s; everything is under ${outDir}`);
        return lines.join('\n');
      });
      if (failed.length) throw new DriftlessError('DEMO_VERIFY_FAILED', `output verification failed:\n  ${failed.join('\n  ')}`);
    });
}
