/**
 * `driftless rpm verify FILE… [--keyring KEY.asc]… [--allow-unsigned] [-v]`: digests and
 * OpenPGP signatures, one line per file in the style of `rpmkeys -K`:
 *
 *   hello.rpm: digests signatures OK
 *   hello.rpm: digests SIGNATURES NOT OK (MISSING KEY: 4344591e1964c5fc)
 *   hello.rpm: DIGESTS SIGNATURES NOT OK
 *   hello.rpm: digests OK                   (--allow-unsigned, no verified signature; warns on stderr)
 *   junk.rpm: NOT OK (RPM_BAD_LEAD: …)
 *
 * `-v` adds the `rpmkeys -Kv` item lines; `--decompress` also checks uncompressed-payload digests;
 * `--json` prints { ok, results: [...] }.
 * Exit status 0 only when every file passes.
 */
import type { Command } from 'commander';
import { Keyring } from '../../core/pgp.js';
import { toDriftlessError } from '../../core/errors.js';
import { verifyPackage, verboseLines, type PackageVerification } from '../../rpm/verify.js';
import { cliContext, output } from '../context.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerRpmVerify(rpm: Command): void {
  rpm
    .command('verify')
    .description('check RPM digests and OpenPGP signatures against a keyring (like rpmkeys -K)')
    .argument('<files...>', 'package files')
    .option('-k, --keyring <key.asc>', 'trusted OpenPGP public key file (armored or binary) or directory of key files; repeatable', collect, [] as string[])
    .option('--allow-unsigned', 'accept packages without a verified signature (digests must still match); warns loudly')
    .option('-v, --verbose', 'print every digest and signature item, as rpmkeys -Kv')
    .option('--decompress', 'also decompress compressed payloads to check their uncompressed (ALT) digests')
    .option('--json', 'one JSON object with every result')
    .action(async (files: string[], opts: { keyring: string[]; allowUnsigned?: boolean; verbose?: boolean; decompress?: boolean }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const keyring = await Keyring.fromFiles(opts.keyring, undefined);
      const results: Array<PackageVerification | { path: string; ok: false; error: Record<string, unknown> }> = [];
      const lines: string[] = [];
      const progress = ctx.report.progress('rpm-verify', 'verifying', files.length);
      for (const file of files) {
        try {
          const r = await verifyPackage(file, { keyring, allowUnsigned: opts.allowUnsigned, report: ctx.report, checkAlt: opts.decompress ? 'always' : 'auto' });
          results.push(r);
          lines.push(`${file}: ${r.summary}`);
          if (opts.verbose) lines.push(...verboseLines(r).map((l) => `    ${l}`));
        } catch (e) {
          const err = toDriftlessError(e);
          results.push({ path: file, ok: false, error: err.toJSON() });
          lines.push(`${file}: NOT OK (${err.code}: ${err.message})`);
        }
        progress.tick(1);
      }
      progress.done();
      const ok = results.every((r) => r.ok);
      output(ctx, { ok, results }, () => lines.join('\n'));
      if (!ok) process.exitCode = 1;
    });
}
