/**
 * Deployments: A/B with an atomic switch. `deploy` checks a commit out into a new deployment
 * directory (hardlinks from the store, merged /etc, shared /var) and makes it *pending* (what the
 * next boot uses); `finalize` is what that boot does: it runs the health check and makes the
 * pending deployment *booted* (the previous one becomes the *rollback* target) or, when the check
 * fails, discards it (automatic rollback). `rollback` cancels a pending deployment, or swaps
 * booted and rollback. Only the state file switches deployments, so every crash leaves the old or
 * the new state; leftovers of an interrupted operation are pruned by the next one.
 *
 *   const d = await deploy(store, 'x86_64/stable')
 *   await finalize(store, { healthCheck: 'test -x usr/bin/sh' })
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DriftlessError } from '../core/errors.js';
import { silentReport, type Report } from '../core/report.js';
import { writeFileAtomic } from '../core/atomic.js';
import { faultPoint, syncOpts } from '../core/faults.js';
import { readState, writeState, statusEntries, type HostState, type StatusEntry } from './state.js';
import { checkoutTree, copyObject, removeTree, writeEtc, xattrFailures } from './checkout.js';
import { etcDigest, etcFromDisk, etcFromTree, mergeEtc, type EtcConflict, type EtcItem } from './etc-merge.js';
import { subtreeAt, walkTree } from './tree.js';
import { syncFs } from './commit.js';
import { withLock, type HostStore } from './store.js';

/** Per-deployment metadata `S/deploy/<id>.json`: what drift compares against. */
export interface DeploymentMeta {
  format: 'driftless-deployment-1';
  id: string;
  commit: string;
  version: string;
  ref: string;
  /** The merged /etc: the expectation for drift and reset. */
  etc: [string, EtcItem][];
  /** path → inode of each regular file at deploy time (fast drift check). */
  index: Record<string, number>;
  conflicts: EtcConflict[];
  /** Digest of the booted deployment's /etc the merge started from (finalize re-merges when it changed). */
  etcBase?: string;
}

export function metaPath(store: HostStore, id: string): string {
  return join(store.deployDir, `${id}.json`);
}

export async function readMeta(store: HostStore, id: string): Promise<DeploymentMeta> {
  try {
    return JSON.parse(await fsp.readFile(metaPath(store, id), 'utf8')) as DeploymentMeta;
  } catch (e) {
    throw new DriftlessError('HOST_DEPLOYMENT_BROKEN', `deployment ${id} has no readable metadata`, { cause: e, path: metaPath(store, id) });
  }
}

export async function writeMeta(store: HostStore, meta: DeploymentMeta): Promise<void> {
  await writeFileAtomic(metaPath(store, meta.id), JSON.stringify(meta), syncOpts());
}

/** Remove deployment directories, metadata and temp dirs the state does not name (crash leftovers). */
export async function pruneDeployments(store: HostStore, state: HostState, op: string): Promise<string[]> {
  const keep = new Set(Object.keys(state.deployments));
  const removed: string[] = [];
  for (const name of (await fsp.readdir(store.deployDir).catch(() => [] as string[])).sort()) {
    const id = name.endsWith('.json') ? name.slice(0, -5) : name.replace(/^\.tmp-/, '');
    if (keep.has(id) && !name.startsWith('.')) continue;
    if (name.endsWith('.json')) await fsp.rm(join(store.deployDir, name), { force: true });
    else await removeTree(join(store.deployDir, name));
    removed.push(name);
    faultPoint(op, 'prune');
  }
  return removed;
}

export interface DeployOptions {
  /** Deploy commits without a trusted signature (loud). */
  allowUntrusted?: boolean;
  report?: Report;
}

export interface DeployResult {
  deployment: StatusEntry;
  conflicts: EtcConflict[];
}

/** Create a pending deployment of `refOrCommit`. */
export async function deploy(store: HostStore, refOrCommit: string, opts: DeployOptions = {}): Promise<DeployResult> {
  return withLock(store, 'deploy', () => deployLocked(store, refOrCommit, opts));
}

async function deployLocked(store: HostStore, refOrCommit: string, opts: DeployOptions): Promise<DeployResult> {
  const report = opts.report ?? silentReport;
  {
    faultPoint('deploy', 'locked');
    const state = await readState(store);
    await pruneDeployments(store, state, 'deploy');
    const commitId = await store.resolve(refOrCommit);
    if (opts.allowUntrusted) {
      const v = await store.verifyCommit(commitId);
      if (v.status !== 'ok') report.warn('HOST_UNTRUSTED_ALLOWED', `deploying commit ${commitId.slice(0, 12)} without a trusted signature (${v.status})`);
    } else await store.requireTrusted(commitId);
    const commit = await store.readCommit(commitId);
    const serial = state.serial + 1;
    const id = `${commitId.slice(0, 12)}.${serial}`;
    const tmp = join(store.deployDir, `.tmp-${id}`);
    await removeTree(tmp);

    const co = await checkoutTree(store, commit.tree, tmp, () => faultPoint('deploy', 'checkout-dir'));
    faultPoint('deploy', 'after-checkout');
    for (const f of xattrFailures.splice(0)) report.warn('HOST_XATTR_SKIPPED', `extended attribute not applied: ${f}`);

    // /etc: three-way merge against the booted deployment
    const newDef = await etcFromTree(store.cas, commit.tree);
    let merged = newDef;
    let conflicts: EtcConflict[] = [];
    let etcBase: string | undefined;
    if (state.booted) {
      const booted = state.deployments[state.booted]!;
      const oldDef = await etcFromTree(store.cas, (await store.readCommit(booted.commit)).tree);
      const local = await etcFromDisk(store.cas, join(store.deployDir, booted.id));
      etcBase = etcDigest(local);
      ({ merged, conflicts } = mergeEtc(oldDef, newDef, local));
      for (const c of conflicts) report.warn('HOST_ETC_CONFLICT', `${c.path}: ${c.resolution}`, { ...c });
    }
    const etcIndex = await writeEtc(store, tmp, merged);
    faultPoint('deploy', 'after-etc');

    await seedVar(store, commit.tree);
    await fsp.symlink('../../var', join(tmp, 'var'));
    faultPoint('deploy', 'after-var');

    const meta: DeploymentMeta = {
      format: 'driftless-deployment-1',
      id,
      commit: commitId,
      version: commit.version,
      ref: commit.ref,
      etc: [...merged.entries()],
      index: { ...co.index, ...etcIndex },
      conflicts,
      ...(etcBase ? { etcBase } : {}),
    };
    await writeMeta(store, meta);
    faultPoint('deploy', 'after-meta');
    await syncFs(store.sysroot);
    await fsp.rename(tmp, join(store.deployDir, id));
    faultPoint('deploy', 'after-rename');

    const dropped = state.pending;
    const next: HostState = {
      ...state,
      serial,
      pending: id,
      deployments: { ...state.deployments, [id]: { id, commit: commitId, version: commit.version, ref: commit.ref } },
    };
    await writeState(store, next, 'deploy');
    faultPoint('deploy', 'after-state');
    if (dropped) await pruneDeployments(store, await readState(store), 'deploy');
    report.info('host.deploy', `deployed ${commitId.slice(0, 12)} as ${id} (pending)`, { id, commit: commitId });
    const entry = statusEntries(store, next).find((e) => e.id === id)!;
    return { deployment: entry, conflicts };
  }
}

/** Copy the commit's /var entries into the shared /var when missing; never overwrite. */
async function seedVar(store: HostStore, tree: string): Promise<void> {
  const v = await subtreeAt(store.cas, tree, '/var');
  if (!v) return;
  // only ever write below real directories: a symlink in the shared /var is never followed
  const blocked: string[] = [];
  for await (const it of walkTree(store.cas, v)) {
    if (it.path === '/' || blocked.some((b) => it.path.startsWith(b + '/'))) continue;
    const abs = join(store.varDir, it.path);
    const existing = await fsp.lstat(abs).catch(() => undefined);
    if (existing) {
      if (!existing.isDirectory()) blocked.push(it.path);
      continue;
    }
    const e = it.entry;
    if (e.type === 'dir') await fsp.mkdir(abs, { mode: it.meta!.mode & 0o7777 });
    else if (e.type === 'symlink') await fsp.symlink(e.target, abs);
    else await copyObject(store, e.content, abs, e.mode & 0o7777, e.uid, e.gid);
  }
}

/** `host status`: the deployments in boot order. */
export async function status(store: HostStore): Promise<StatusEntry[]> {
  return statusEntries(store, await readState(store));
}

export interface FinalizeOptions {
  /** Shell command run in the pending deployment's root; a non-zero exit refuses it. */
  healthCheck?: string;
  report?: Report;
}

export interface FinalizeResult {
  finalized: boolean;
  booted: string | null;
  /** The discarded deployment when the health check failed. */
  rolledBack?: string;
  healthCheck?: { command: string; status: number; output: string };
}

/** Run the health checks: `--health-check CMD`, then the executable `S/health-check.d/*`. */
async function runHealthChecks(store: HostStore, root: string, cmd?: string): Promise<{ command: string; status: number; output: string } | undefined> {
  const cmds: string[] = [];
  if (cmd) cmds.push(cmd);
  const dir = join(store.sysroot, 'health-check.d');
  for (const f of (await fsp.readdir(dir).catch(() => [] as string[])).sort()) cmds.push(JSON.stringify(join(dir, f)));
  let last: { command: string; status: number; output: string } | undefined;
  for (const c of cmds) {
    const r = spawnSync('sh', ['-c', c], { cwd: root, encoding: 'utf8', env: { ...process.env, DRIFTLESS_DEPLOYMENT: root }, timeout: 300_000 });
    last = { command: c, status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-4000) };
    if (last.status !== 0) return last;
  }
  return last;
}

/** Boot the pending deployment: health check, then pending → booted, booted → rollback. */
export async function finalize(store: HostStore, opts: FinalizeOptions = {}): Promise<FinalizeResult> {
  const report = opts.report ?? silentReport;
  const res = await withLock(store, 'finalize', async (): Promise<FinalizeResult> => {
    faultPoint('finalize', 'locked');
    let state = await readState(store);
    await pruneDeployments(store, state, 'finalize');
    if (!state.pending) return { finalized: false, booted: state.booted };
    let pending = state.pending;
    // /etc edits made on the booted system after `deploy` must not be lost: merge again
    const meta = await readMeta(store, pending);
    if (state.booted && meta.etcBase) {
      const now = etcDigest(await etcFromDisk(store.cas, join(store.deployDir, state.booted), false));
      if (now !== meta.etcBase) {
        report.info('host.etc-remerge', `/etc of ${state.booted} changed since deploy; merging again`);
        pending = (await deployLocked(store, meta.commit, { allowUntrusted: true, report })).deployment.id;
        state = await readState(store);
      }
    }
    const hc = await runHealthChecks(store, join(store.deployDir, pending), opts.healthCheck);
    faultPoint('finalize', 'after-health-check');
    if (hc && hc.status !== 0) {
      await writeState(store, { ...state, pending: null }, 'finalize');
      await pruneDeployments(store, await readState(store), 'finalize');
      report.warn('HOST_HEALTH_CHECK_FAILED', `health check refused ${pending}; staying on ${state.booted ?? 'nothing'}`, { ...hc });
      return { finalized: false, booted: state.booted, rolledBack: pending, healthCheck: hc };
    }
    await writeState(store, { ...state, booted: pending, pending: null, rollback: state.booted ?? state.rollback }, 'finalize');
    faultPoint('finalize', 'after-state');
    await pruneDeployments(store, await readState(store), 'finalize');
    return { finalized: true, booted: pending, ...(hc ? { healthCheck: hc } : {}) };
  });
  if (res.rolledBack) {
    throw new DriftlessError('HOST_HEALTH_CHECK_FAILED', `health check failed (exit ${res.healthCheck?.status}); ${res.rolledBack} was rolled back`, {
      details: { ...res },
      hint: 'fix the image and deploy again; the previous deployment stays booted',
    });
  }
  return res;
}

export interface RollbackResult {
  action: 'cancelled-pending' | 'swapped';
  booted: string | null;
  pending: string | null;
  rollback: string | null;
}

/** Cancel a pending deployment, or make the rollback target booted (and booted the rollback). */
export async function rollback(store: HostStore): Promise<RollbackResult> {
  return withLock(store, 'rollback', async () => {
    faultPoint('rollback', 'locked');
    const state = await readState(store);
    await pruneDeployments(store, state, 'rollback');
    let next: HostState;
    let action: RollbackResult['action'];
    if (state.pending) {
      next = { ...state, pending: null };
      action = 'cancelled-pending';
    } else if (state.rollback && state.booted) {
      next = { ...state, booted: state.rollback, rollback: state.booted };
      action = 'swapped';
    } else {
      throw new DriftlessError('HOST_NO_ROLLBACK', 'there is no pending deployment and no rollback target', { hint: 'see `driftless host status`' });
    }
    faultPoint('rollback', 'before-state');
    await writeState(store, next, 'rollback');
    await pruneDeployments(store, await readState(store), 'rollback');
    return { action, booted: next.booted, pending: next.pending, rollback: next.rollback };
  });
}
