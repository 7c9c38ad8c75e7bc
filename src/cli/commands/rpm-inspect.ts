/**
 * `driftless rpm inspect FILE` (summary, or one JSON object with --json) and
 * `driftless rpm contents FILE [--extract DIR]` (list the payload, or extract it safely).
 */
import type { Command } from 'commander';
import { openPackage } from '../../rpm/package.js';
import { inspectOpened, formatSummary } from '../../rpm/inspect.js';
import { readPayload } from '../../rpm/payload.js';
import { extractPackage } from '../../rpm/extract.js';
import { packageFiles, type RpmFile } from '../../rpm/files.js';
import { FileFlag } from '../../rpm/tags.js';
import { cliContext, output } from '../context.js';

export function registerRpmInspect(rpm: Command): void {
  rpm
    .command('inspect')
    .description('show what an RPM contains: metadata, dependencies (as rpm -qp prints them), files')
    .argument('<file>', 'package file')
    .option('--json', 'one JSON object')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const info = await inspectOpened(await openPackage(file));
      output(ctx, info, () => formatSummary(info));
    });
}

/** `ls -l`-style permission string for a file mode. */
export function modeString(mode: number): string {
  const t = mode & 0o170000;
  const c = t === 0o040000 ? 'd' : t === 0o120000 ? 'l' : t === 0o020000 ? 'c' : t === 0o060000 ? 'b' : t === 0o010000 ? 'p' : t === 0o140000 ? 's' : '-';
  const rwx = (v: number, s: boolean, sc: string) => `${v & 4 ? 'r' : '-'}${v & 2 ? 'w' : '-'}${s ? (v & 1 ? sc : sc.toUpperCase()) : v & 1 ? 'x' : '-'}`;
  return c + rwx((mode >> 6) & 7, !!(mode & 0o4000), 's') + rwx((mode >> 3) & 7, !!(mode & 0o2000), 's') + rwx(mode & 7, !!(mode & 0o1000), 't');
}

function listLine(f: RpmFile): string {
  const ghost = f.flags & FileFlag.GHOST ? ' (ghost)' : '';
  return `${modeString(f.mode)} ${f.user.padEnd(8)} ${f.group.padEnd(8)} ${String(f.size).padStart(10)} ${f.path}${f.linkto ? ` -> ${f.linkto}` : ''}${ghost}`;
}

export function registerRpmContents(rpm: Command): void {
  rpm
    .command('contents')
    .description('list the payload (read and digest-checked), or extract it safely with --extract DIR')
    .argument('<file>', 'package file')
    .option('--extract <dir>', 'extract into DIR (no path escapes, no device nodes unless root)')
    .option('--json', 'JSON output')
    .action(async (file: string, opts: { extract?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const pkg = await openPackage(file);
      if (opts.extract) {
        const r = await extractPackage(pkg, opts.extract, { report: ctx.report });
        output(ctx, { path: file, target: opts.extract, ...r }, () => `extracted ${r.files} entries (${r.bytes} bytes) into ${opts.extract}${r.skipped.length ? `; skipped ${r.skipped.length}` : ''}`);
        return;
      }
      const files = packageFiles(pkg.header, pkg.signature);
      const inPayload = new Set<number>();
      for await (const e of readPayload(pkg, { files, verifyDigests: true })) {
        for await (const _ of e.data()) void _;
        inPayload.add(e.entry.index);
      }
      const list = files.map((f) => ({ path: f.path, size: f.size, mode: f.mode, user: f.user, group: f.group, linkto: f.linkto, flags: f.flagNames, digest: f.digest, inPayload: inPayload.has(f.index) }));
      output(ctx, { path: file, files: list }, () => (files.length ? files.map(listLine).join('\n') : '(contains no files)'));
    });
}
