/**
 * `driftless host …`: the immutable host lifecycle on a sysroot directory.
 *
 *   driftless host init --sysroot S --trust KEY.asc
 *   driftless host commit out/images/base --sysroot S --ref x86_64/stable --sign SECRET.asc
 *   driftless host deploy x86_64/stable --sysroot S && driftless host finalize --sysroot S
 *   driftless host status|drift|reset|rollback|fsck|gc --sysroot S [--json]
 *   driftless host delta create --from A --to B -o v2.delta --sign SECRET.asc --sysroot S
 *   driftless host delta apply v2.delta --sysroot S
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { cliContext, output } from '../context.js';
import { DriftlessError } from '../../core/errors.js';
import { HostStore } from '../../host/store.js';
import { commitImage } from '../../host/commit.js';
import { deploy, finalize, rollback, status } from '../../host/deploy.js';
import { drift, reset } from '../../host/drift.js';
import { fsck } from '../../host/fsck.js';
import { gc } from '../../host/gc.js';
import { applyDelta, createDelta } from '../../host/delta.js';

const collect = (v: string, prev: string[]) => [...prev, v];

async function readKeyFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new DriftlessError('PGP_BAD_KEY', `cannot read ${what} ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}

async function passphrase(file?: string): Promise<string | undefined> {
  return file ? (await readFile(file, 'utf8')).replace(/\r?\n$/, '') : undefined;
}

function sysroot<T extends { sysroot: string }>(o: T): Promise<HostStore> {
  return HostStore.open(resolve(o.sysroot));
}

export function registerHost(program: Command): void {
  const host = program.command('host').description('immutable host: signed commits, A/B deployments, rollback, drift, deltas');
  const sub = (name: string, desc: string) =>
    host.command(name).description(desc).requiredOption('--sysroot <dir>', 'the sysroot directory').option('--json', 'machine-readable output');

  sub('init', 'create a sysroot (or add trusted keys to one)')
    .option('--trust <key.asc>', 'trust this OpenPGP public key for commits and deltas (repeatable)', collect, [])
    .action(async (o: { sysroot: string; trust: string[] }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const keys = [];
      for (const k of o.trust) keys.push({ name: k, armored: await readKeyFile(k, 'key') });
      const store = await HostStore.init(resolve(o.sysroot), []);
      const trusted: string[] = [];
      for (const k of keys) trusted.push(...(await store.trust(k.armored, k.name)));
      output(ctx, { sysroot: store.sysroot, trusted }, () => `initialised ${store.sysroot}${trusted.length ? `; trusted ${trusted.join(', ')}` : ''}`);
    });

  sub('commit', 'import a composed image (OUTDIR or rootfs.tar) as a signed commit')
    .argument('<input>', 'composer OUTDIR, rootfs .tar, or a directory tree')
    .requiredOption('--ref <ref>', 'ref to update, <arch>/<channel>')
    .option('--sign <secret.asc>', 'armored OpenPGP secret key to sign the commit with')
    .option('--passphrase-file <file>', 'passphrase for the secret key')
    .option('--subject <text>', 'commit subject')
    .option('--version <version>', 'version label (default: VERSION_ID from os-release)')
    .option('--source-date-epoch <n>', 'commit timestamp (default $SOURCE_DATE_EPOCH)')
    .action(async (input: string, o: { sysroot: string; ref: string; sign?: string; passphraseFile?: string; subject?: string; version?: string; sourceDateEpoch?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const store = await sysroot(o);
      const r = await commitImage(store, resolve(input), {
        ref: o.ref,
        secretKey: o.sign ? await readKeyFile(o.sign, 'secret key') : undefined,
        passphrase: await passphrase(o.passphraseFile),
        subject: o.subject,
        version: o.version,
        timestamp: o.sourceDateEpoch === undefined ? undefined : Number(o.sourceDateEpoch),
        report: ctx.report,
      });
      output(ctx, { commit: r.id, ref: o.ref, version: r.commit.version, parent: r.commit.parent, signed: r.signed, stats: r.stats }, () => r.id);
    });

  sub('deploy', 'check out a commit as the pending deployment (next boot)')
    .argument('<ref-or-commit>')
    .option('--allow-untrusted', 'deploy a commit without a trusted signature (not recommended)')
    .action(async (target: string, o: { sysroot: string; allowUntrusted?: boolean }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = await deploy(await sysroot(o), target, { allowUntrusted: o.allowUntrusted, report: ctx.report });
      output(ctx, r, () => `deployed ${r.deployment.commit.slice(0, 12)} (version ${r.deployment.version}) as ${r.deployment.id}, pending\n  ${r.deployment.path}`);
    });

  sub('status', 'show the booted, pending and rollback deployments').action(async (o: { sysroot: string }, cmd: Command) => {
    const ctx = cliContext(cmd);
    const deployments = await status(await sysroot(o));
    output(ctx, { deployments }, () =>
      deployments.length ? deployments.map((d) => `${d.state.padEnd(8)} ${d.id}  version ${d.version}  ${d.ref}\n         ${d.path}`).join('\n') : 'no deployments',
    );
  });

  sub('finalize', 'boot the pending deployment (health check; on failure roll back)')
    .option('--health-check <cmd>', 'shell command run in the new deployment root; non-zero refuses it')
    .action(async (o: { sysroot: string; healthCheck?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = await finalize(await sysroot(o), { healthCheck: o.healthCheck, report: ctx.report });
      output(ctx, r, () => (r.finalized ? `booted ${r.booted}` : `nothing pending; booted ${r.booted ?? 'nothing'}`));
    });

  sub('rollback', 'cancel the pending deployment, or swap booted and rollback').action(async (o: { sysroot: string }, cmd: Command) => {
    const ctx = cliContext(cmd);
    const r = await rollback(await sysroot(o));
    output(ctx, r, () => (r.action === 'cancelled-pending' ? `cancelled the pending deployment; booted ${r.booted}` : `booted ${r.booted}; rollback ${r.rollback}`));
  });

  sub('drift', 'compare the booted deployment with its commit and merged /etc')
    .option('--full', 'hash every file (default: only files whose stat data changed)')
    .option('--deployment <id>', 'check this deployment instead of the booted one')
    .action(async (o: { sysroot: string; full?: boolean; deployment?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = await drift(await sysroot(o), { full: o.full, deployment: o.deployment, report: ctx.report });
      output(ctx, r, () => (r.changes.length ? r.changes.map((c) => `${c.kind.padEnd(9)} ${c.path}${c.what ? ` (${c.what.join(', ')})` : ''}`).join('\n') : `no drift in ${r.deployment}`));
    });

  sub('reset', 'undo drift: restore files from the store, remove additions')
    .option('--path <path>', 'only this path and below')
    .option('--deployment <id>', 'reset this deployment instead of the booted one')
    .action(async (o: { sysroot: string; path?: string; deployment?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = await reset(await sysroot(o), { path: o.path, deployment: o.deployment, report: ctx.report });
      output(ctx, r, () => (r.reset.length ? r.reset.map((c) => `reset ${c.path} (${c.kind})`).join('\n') : 'nothing to reset'));
    });

  sub('fsck', 'verify every object, commit, deployment and checkout copy').action(async (o: { sysroot: string }, cmd: Command) => {
    const ctx = cliContext(cmd);
    const r = await fsck(await sysroot(o), { report: ctx.report });
    output(ctx, { ok: r.problems.length === 0, ...r }, () =>
      r.problems.length ? r.problems.map((p) => `${p.kind}: ${p.message}`).join('\n') : `ok: ${r.commits} commits, ${r.trees} trees, ${r.contents} content objects`,
    );
    if (r.problems.length) process.exitCode = 1;
  });

  sub('gc', 'remove unreferenced objects (keep deployments and N commits per ref)')
    .option('--keep <n>', 'commits to keep per ref (the ref and its ancestors)', '1')
    .action(async (o: { sysroot: string; keep: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = await gc(await sysroot(o), { keep: Number(o.keep), report: ctx.report });
      output(ctx, r, () => `removed ${r.removedObjects} objects and ${r.removedCheckoutCopies} checkout copies, ${r.freedBytes} bytes freed`);
    });

  const delta = host.command('delta').description('signed deltas between commits');
  delta
    .command('create')
    .description('write a signed delta from one commit to another')
    .requiredOption('--sysroot <dir>', 'the sysroot directory')
    .requiredOption('--from <ref-or-commit>')
    .requiredOption('--to <ref-or-commit>')
    .requiredOption('-o, --output <file>')
    .requiredOption('--sign <secret.asc>', 'armored OpenPGP secret key')
    .option('--passphrase-file <file>')
    .option('--json', 'machine-readable output')
    .action(async (o: { sysroot: string; from: string; to: string; output: string; sign: string; passphraseFile?: string }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = await createDelta(await sysroot(o), {
        from: o.from,
        to: o.to,
        out: resolve(o.output),
        secretKey: await readKeyFile(o.sign, 'secret key'),
        passphrase: await passphrase(o.passphraseFile),
        report: ctx.report,
      });
      output(ctx, r, () => `${r.file}: ${r.deltaSize} bytes, ${(r.ratio * 100).toFixed(1)}% of the full image (${r.fullSize} bytes); ${r.objects} objects (${r.diffs} as diffs), ${r.reused} reused`);
    });
  delta
    .command('apply')
    .description('verify a delta (trusted signature, every digest) and import it')
    .argument('<file>')
    .requiredOption('--sysroot <dir>', 'the sysroot directory')
    .option('--allow-untrusted', 'accept a delta without a trusted signature (not recommended)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { sysroot: string; allowUntrusted?: boolean }, cmd: Command) => {
      const ctx = cliContext(cmd);
      const r = await applyDelta(await sysroot(o), resolve(file), { allowUntrusted: o.allowUntrusted, report: ctx.report });
      output(ctx, r, () => `${r.ref} → ${r.to} (${r.written} new objects)`);
    });
}
