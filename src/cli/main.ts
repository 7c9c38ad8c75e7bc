/**
 * driftless CLI entry point. Each command lives in commands/<name>.ts and is registered here;
 * commands turn arguments into library calls and render the result, nothing more.
 */
import { Command, CommanderError } from 'commander';
import { renderError } from './render.js';
import { registerVercmp } from './commands/vercmp.js';
import { registerDemo } from './commands/demo.js';
import { registerTestsolv } from './commands/testsolv.js';
import { registerRpm } from './commands/rpm.js';
import { registerRpmBuild } from './commands/rpm-build.js';
import { registerRepo } from './commands/repo.js';
import { registerRepoCreate } from './commands/repo-create.js';
import { registerCache } from './commands/cache.js';
import { registerRepoDownload } from './commands/repo-download.js';
import { registerHost } from './commands/host.js';
import { registerEmit } from './commands/emit.js';
import { registerCompose } from './commands/compose.js';
import { registerResolve } from './commands/resolve.js';

export function buildProgram(): Command {
  const program = new Command('driftless')
    .description('signed RPM repositories in, hardened reproducible systems out')
    .version('0.1.0')
    .option('--json', 'machine-readable output (results on stdout, events as JSON lines on stderr)')
    .option('-q, --quiet', 'only warnings and errors')
    .showHelpAfterError()
    .exitOverride();
  registerVercmp(program);
  registerDemo(program);
  registerTestsolv(program);
  registerRpm(program);
  registerRpmBuild(program);
  registerRepo(program);
  registerRepoCreate(program);
  registerCache(program);
  registerRepoDownload(program);
  registerHost(program);
  registerEmit(program);
  registerCompose(program);
  registerResolve(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return e.exitCode === 0 ? 0 : 2;
    }
    return renderError(e, argv.includes('--json'));
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
