/** What every command gets: the global options and a Report rendered for this terminal. */
import type { Command } from 'commander';
import type { Report } from '../core/report.js';
import { createCliReport } from './render.js';

export interface CliContext {
  json: boolean;
  report: Report;
}

/** Build the context from the root program's global options (call inside an action). */
export function cliContext(cmd: Command): CliContext {
  let root = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts<{ json?: boolean; quiet?: boolean }>();
  const local = cmd.opts<{ json?: boolean }>();
  const json = Boolean(o.json || local.json);
  return { json, report: createCliReport({ json, quiet: o.quiet }) };
}

/** Write a result: JSON when --json, otherwise the text form. */
export function output(ctx: CliContext, value: unknown, text: () => string): void {
  if (ctx.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else {
    const t = text();
    if (t) process.stdout.write(t.endsWith('\n') ? t : t + '\n');
  }
}
