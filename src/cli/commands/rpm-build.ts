/**
 * `driftless rpm build PKG.yaml… -o DIR [--sign KEY.asc] [--source-date-epoch N]`: build
 * bit-reproducible (optionally signed) RPMs from package definitions (src/rpm/build/schema.ts).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DriftlessError } from '../../core/errors.js';
import { sourceDateEpoch } from '../../core/time.js';
import { loadDefinition } from '../../rpm/build/schema.js';
import { buildRpm } from '../../rpm/build/package.js';
import { cliContext, output } from '../context.js';

/** The `rpm` command group, shared with the other `rpm …` subcommands (created on first use). */
export function rpmGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === 'rpm') ?? program.command('rpm').description('read, verify and write RPM packages');
}

export function registerRpmBuild(program: Command): void {
  rpmGroup(program)
    .command('build')
    .description('build RPMs from YAML package definitions (zstd payload, SHA-256 digests, reproducible)')
    .argument('<definition...>', 'package definition file(s) (YAML)')
    .requiredOption('-o, --output <dir>', 'directory to write NAME-VERSION-RELEASE.ARCH.rpm into')
    .option('--sign <key.asc>', 'OpenPGP secret key (RSA or Ed25519, v4) to sign the header with')
    .option('--passphrase-env <var>', 'environment variable holding the secret key passphrase')
    .option('--source-date-epoch <n>', 'build timestamp (default: $SOURCE_DATE_EPOCH, else 2024-01-01)')
    .option('--compression-level <n>', 'zstd level 1-19', '19')
    .action(async (defs: string[], opts: { output: string; sign?: string; passphraseEnv?: string; sourceDateEpoch?: string; compressionLevel: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const epoch = sourceDateEpoch(opts.sourceDateEpoch);
      const level = Number(opts.compressionLevel);
      if (!Number.isInteger(level) || level < 1 || level > 19) throw new DriftlessError('CLI_USAGE', `--compression-level must be 1-19, got ${opts.compressionLevel}`);
      let signingKey: string | undefined;
      if (opts.sign) {
        try {
          signingKey = await readFile(opts.sign, 'utf8');
        } catch (e) {
          throw new DriftlessError('RPM_BUILD_SIGN', `cannot read signing key ${opts.sign}: ${(e as Error).message}`, { path: opts.sign, cause: e });
        }
      }
      const passphrase = opts.passphraseEnv ? process.env[opts.passphraseEnv] : undefined;
      const results: Array<{ path?: string; name: string; evr: string; arch: string; sha256: string; size: number; files: number; signedBy: string | null }> = [];
      for (const d of defs) {
        const built = await buildRpm(await loadDefinition(d), { outDir: opts.output, epoch, signingKey, passphrase, compressionLevel: level, report: ctx.report });
        results.push({ path: built.path, name: built.name, evr: built.evr, arch: built.arch, sha256: built.sha256, size: built.bytes.length, files: built.files, signedBy: built.signedBy ?? null });
      }
      output(ctx, results.length === 1 ? results[0] : results, () => results.map((r) => `${r.path}${r.signedBy ? ` (signed by ${r.signedBy})` : ''}`).join('\n'));
    });
}
