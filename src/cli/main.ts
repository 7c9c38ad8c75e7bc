/**
 * driftless CLI entry point. Each command lives in commands/<name>.ts and is registered here;
 * commands turn arguments into library calls and render the result, nothing more.
 */
import { Command, CommanderError } from 'commander';
import { renderError } from './render.js';
type Register = (program: Command) => void;

/**
 * Commands by top-level name, loaded on demand: a command only imports the libraries it uses
 * (OpenPGP, SQLite, the SBOM library... cost hundreds of ms to load), so `driftless resolve` does
 * not pay for `driftless host`. Loaders of one entry run in order (a group before its additions).
 */
const COMMANDS: Array<{ names: string[]; load: Array<() => Promise<Register>> }> = [
  { names: ['vercmp'], load: [async () => (await import('./commands/vercmp.js')).registerVercmp] },
  { names: ['demo'], load: [async () => (await import('./commands/demo.js')).registerDemo] },
  { names: ['testsolv'], load: [async () => (await import('./commands/testsolv.js')).registerTestsolv] },
  {
    names: ['rpm'],
    load: [async () => (await import('./commands/rpm.js')).registerRpm, async () => (await import('./commands/rpm-build.js')).registerRpmBuild],
  },
  {
    names: ['repo'],
    load: [
      async () => (await import('./commands/repo.js')).registerRepo,
      async () => (await import('./commands/repo-create.js')).registerRepoCreate,
      async () => (await import('./commands/repo-download.js')).registerRepoDownload,
    ],
  },
  { names: ['cache'], load: [async () => (await import('./commands/cache.js')).registerCache] },
  { names: ['host'], load: [async () => (await import('./commands/host.js')).registerHost] },
  { names: ['emit'], load: [async () => (await import('./commands/emit.js')).registerEmit] },
  { names: ['compose', 'lock', 'why', 'image', 'sbom'], load: [async () => (await import('./commands/compose.js')).registerCompose] },
  { names: ['resolve'], load: [async () => (await import('./commands/resolve.js')).registerResolve] },
];

/** The first argument that is not a global option: the command name, if any. */
function commandName(argv: string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-'));
}

export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('driftless')
    .description('signed RPM repositories in, hardened reproducible systems out')
    .version('0.1.0')
    .option('--json', 'machine-readable output (results on stdout, events as JSON lines on stderr)')
    .option('-q, --quiet', 'only warnings and errors')
    .showHelpAfterError()
    .exitOverride();
  const name = commandName(argv);
  const entry = COMMANDS.find((c) => name !== undefined && c.names.includes(name));
  // `--version` alone needs no command; help and unknown commands list them all
  const versionOnly = !entry && (argv.includes('--version') || argv.includes('-V'));
  for (const c of entry ? [entry] : versionOnly ? [] : COMMANDS) for (const load of c.load) (await load())(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
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
// Exit as soon as the command is done and its output is flushed: a natural exit waits for
// stray best-effort I/O and then frees the whole heap page by page (~20–70 ms after a resolve
// of a large repository). Commands await everything that matters before they return.
for (const s of [process.stdout, process.stderr]) {
  if (s.writableLength > 0) await new Promise<void>((r) => s.once('drain', () => r()));
}
process.exit(code);
