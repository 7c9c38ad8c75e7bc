/**
 * Renders a Report for the terminal: progress bars and coloured warnings on a TTY, plain
 * lines otherwise, and JSON lines on stderr with `--json` (stdout stays the command's result).
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';

/** cli-progress loads with the first progress bar (only on a TTY): ~12 ms saved everywhere else. */
let progressLib: typeof CliProgress | undefined;
const cliProgressLib = () => (progressLib ??= createRequire(import.meta.url)('cli-progress') as typeof CliProgress);
import type { Report, ProgressHandle } from '../core/report.js';
import { DriftlessError, toDriftlessError } from '../core/errors.js';

export interface RenderOptions {
  json: boolean;
  quiet?: boolean;
}

export function createCliReport(opts: RenderOptions): Report {
  const err = process.stderr;
  const tty = !opts.json && err.isTTY === true;
  const line = (level: string, code: string, message: string, data?: Record<string, unknown>) => {
    if (opts.json) err.write(JSON.stringify({ level, code, message, ...(data ? { data } : {}) }) + '\n');
    else if (level !== 'info' || !opts.quiet) {
      const prefix = level === 'warning' ? (tty ? '\x1b[33mwarning\x1b[0m' : 'warning') : level === 'error' ? 'error' : 'info';
      err.write(`${prefix} ${code}: ${message}\n`);
    }
  };
  return {
    info: (c, m, d) => (opts.quiet || !opts.json ? undefined : line('info', c, m, d)),
    warn: (c, m, d) => line('warning', c, m, d),
    error: (c, m, d) => line('error', c, m, d),
    progress(id: string, label: string, total?: number): ProgressHandle {
      if (!tty) return { tick() {}, setTotal() {}, done() {} };
      const cliProgress = cliProgressLib();
      const bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {value}/{total}`, stream: err, clearOnComplete: true, hideCursor: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, 0);
      void id;
      return {
        tick: (n = 1) => bar.increment(n),
        setTotal: (t) => bar.setTotal(t),
        done: () => bar.stop(),
      };
    },
  };
}

/** Print an error the user can act on, as text or JSON, and return the exit code. */
export function renderError(e: unknown, json: boolean): number {
  const err: DriftlessError = toDriftlessError(e);
  if (json) {
    process.stdout.write(JSON.stringify({ error: err.toJSON() }) + '\n');
  } else {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
    if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
    if (err.code === 'INTERNAL' && err.stack) process.stderr.write(`${err.stack}\n`);
  }
  return err.code === 'CLI_USAGE' ? 2 : 1;
}
