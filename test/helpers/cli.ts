/**
 * Test helpers: run the CLI from source (always fresh, no build step) and require the real
 * oracle tools. A missing oracle fails the test: CI installs them all (.ci/run), and a test that
 * silently skips its oracle proves nothing. Set DRIFTLESS_ALLOW_MISSING_TOOLS=1 to skip instead.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const fixtures = join(repoRoot, 'test/fixtures');
const mainTs = join(repoRoot, 'src/cli/main.ts');
/** tsx's loader as a file URL, so the CLI runs from source whatever the working directory. */
export const tsxLoader = import.meta.resolve('tsx');
/** argv (after node) that runs the CLI from source. */
export const cliArgv = ['--import', tsxLoader, mainTs];

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run `driftless ARGS` in a child process (from src/ through tsx). */
export function runCli(args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [...cliArgv, ...args], {
    cwd: opts.cwd ?? repoRoot,
    input: opts.input,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Run an external tool; returns status/stdout/stderr without throwing. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', env: { ...process.env, ...opts.env }, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** Fail (or skip with DRIFTLESS_ALLOW_MISSING_TOOLS=1) when an oracle tool is missing. */
export function requireTool(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  if (process.env.DRIFTLESS_ALLOW_MISSING_TOOLS === '1') {
    t.skip(`missing oracle tools: ${missing.join(', ')}`);
    return false;
  }
  throw new Error(`oracle tools missing: ${missing.join(', ')} (.ci/run installs them)`);
}

/** A temp directory removed after the test. */
export function tempDir(t: TestContext, prefix = 'driftless-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
