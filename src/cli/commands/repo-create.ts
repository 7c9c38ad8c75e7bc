/**
 * `driftless repo create DIR [--sign KEY.asc] [--compress zstd|gz] [--comps FILE] [--updateinfo FILE]`:
 * write DIR/repodata for the RPMs under DIR (createrepo-like, incremental, bit-reproducible).
 * The signing key's passphrase, if any, comes from $DRIFTLESS_SIGN_PASSPHRASE.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { DriftlessError } from '../../core/errors.js';
import { createRepo, type RepoCompression } from '../../repo/write/create.js';
import { cliContext, output } from '../context.js';
import { repoCommand } from './repo.js';

interface CreateOpts {
  sign?: string;
  compress: string;
  comps?: string;
  updateinfo?: string;
  incremental: boolean;
  changelogLimit: string;
}

export function registerRepoCreate(program: Command): void {
  repoCommand(program)
    .command('create')
    .description('write repodata/ (primary, filelists, other, repomd.xml) for the RPMs in DIR')
    .argument('<dir>', 'directory holding the .rpm files (searched recursively)')
    .option('--sign <KEY.asc>', 'OpenPGP secret key: write an armored detached repodata/repomd.xml.asc')
    .option('--compress <zstd|gz>', 'metadata compression', 'zstd')
    .option('--comps <FILE>', 'comps.xml to publish (group metadata)')
    .option('--updateinfo <FILE>', 'updateinfo.xml to publish')
    .option('--no-incremental', 'parse every package again instead of reusing unchanged entries')
    .option('--changelog-limit <N>', 'changelog entries per package in other.xml', '10')
    .action(async (dir: string, o: CreateOpts, cmd: Command) => {
      const ctx = cliContext(cmd);
      if (o.compress !== 'zstd' && o.compress !== 'gz') {
        throw new DriftlessError('CLI_USAGE', `--compress must be zstd or gz, not "${o.compress}"`);
      }
      const limit = Number(o.changelogLimit);
      if (!Number.isInteger(limit) || limit < 0) throw new DriftlessError('CLI_USAGE', '--changelog-limit must be a whole number');
      let signKey: Buffer | undefined;
      if (o.sign) {
        try {
          signKey = await readFile(o.sign);
        } catch (e) {
          throw new DriftlessError('REPO_WRITE_INPUT', `cannot read the signing key ${o.sign}: ${(e as Error).message}`, { path: o.sign });
        }
      }
      const r = await createRepo(dir, {
        compress: o.compress as RepoCompression,
        signKey,
        signPassphrase: process.env.DRIFTLESS_SIGN_PASSPHRASE,
        comps: o.comps,
        updateinfo: o.updateinfo,
        incremental: o.incremental,
        changelogLimit: limit,
        report: ctx.report,
      });
      output(ctx, r, () => `${dir}: ${r.packages} packages (${r.reused} unchanged), repomd.xml sha256 ${r.repomdSha256}${o.sign ? ', signed' : ''}`);
    });
}
