/**
 * Lock stage: the definition plus its opened repositories produce a lockfile (resolve per arch,
 * then fetch and verify every chosen package so the lock records its SHA-256 and the key that
 * signed it) — or an existing lockfile is enforced: it must match the request, and every locked
 * package must still be offered with the same bytes. `updateLock` re-resolves and reports a diff.
 */
import { existsSync } from 'node:fs';
import type { Report } from '../core/report.js';
import { DriftlessError } from '../core/errors.js';
import { readLockfile, writeLockfile, requestDigest, assertLockMatches, diffLockfiles, formatLockDiff, LOCKFILE_VERSION, type Lockfile, type LockedPackage, type LockRequest } from '../lock/lockfile.js';
import { resolveInstallSet, nevraOf } from '../lock/resolve.js';
import type { LoadedDefinition } from './definition.js';
import type { OpenedRepo } from './repos.js';
import { fetchAndVerify, type FetchStageOptions } from './fetch-stage.js';

export interface LockStageResult {
  lock: Lockfile;
  updated: boolean;
  diff?: string;
}

export function lockRequest(def: LoadedDefinition): LockRequest {
  const d = def.definition;
  return { install: [...d.packages.install], exclude: [...d.packages.exclude], groups: [...d.packages.groups], weakDeps: d.weakDeps, arch: [...d.arch] };
}

/** Group names from comps → package names (mandatory + default), as dnf's group install. */
function expandGroups(groups: string[], repos: OpenedRepo[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    const found = repos.map((r) => r.loaded.comps?.groups.find((x) => x.id === g || x.name === g)).find(Boolean);
    if (!found) throw new DriftlessError('COMPOSE_UNKNOWN_GROUP', `packages.groups: no repository has a comps group "${g}"`, { hint: 'check the group id with `driftless repo query --json`' });
    for (const p of found.packages) if (p.type === 'mandatory' || p.type === 'default') out.push(p.name);
  }
  return out;
}

export async function createLock(def: LoadedDefinition, repos: OpenedRepo[], opts: FetchStageOptions & { epoch: number }): Promise<Lockfile> {
  const request = lockRequest(def);
  const install = [...request.install, ...expandGroups(request.groups, repos)];
  const arches: Lockfile['arches'] = {};
  for (const arch of request.arch) {
    const r = resolveInstallSet(
      repos.map((x) => ({ name: x.name, priority: x.priority, packages: x.loaded.packages })),
      { install, exclude: request.exclude, arch, weakDeps: request.weakDeps },
    );
    if (r.problems.length) {
      throw new DriftlessError('RESOLVE_UNSOLVABLE', `cannot resolve ${def.definition.name} for ${arch}:\n  ${r.problems.join('\n  ')}`, {
        hint: 'add the missing package to a repository, or remove the request that needs it',
        details: { arch, problems: r.problems },
      });
    }
    const packages: LockedPackage[] = [];
    for (const p of r.packages) {
      const repo = repos.find((x) => x.name === p.repo)!;
      const fetched = await fetchAndVerify(repo, { location: p.meta.location!.href, size: p.meta.size?.package, checksum: p.meta.checksum, nevra: nevraOf(p.meta) }, opts);
      packages.push({
        nevra: nevraOf(p.meta),
        name: p.meta.name,
        epoch: p.meta.epoch,
        version: p.meta.version,
        release: p.meta.release,
        arch: p.meta.arch,
        repo: p.repo,
        location: p.meta.location!.href,
        size: fetched.size,
        sha256: fetched.sha256,
        signingKey: fetched.signingKey,
        ...(p.meta.license ? { license: p.meta.license } : {}),
        ...(p.meta.sourcerpm ? { sourcerpm: p.meta.sourcerpm } : {}),
        reason: p.reason,
        ...(p.requestedAs ? { requestedAs: p.requestedAs } : {}),
        requires: p.requires,
      });
    }
    arches[arch] = { packages };
  }
  return {
    lockfileVersion: LOCKFILE_VERSION,
    requestDigest: requestDigest(request, repos.map((r) => ({ name: r.name, location: r.declared }))),
    request,
    sourceDateEpoch: opts.epoch,
    repositories: repos.map((r) => ({ name: r.name, location: r.declared, repomdSha256: r.loaded.repomdSha256 })),
    arches,
  };
}

/** Every locked package must still be offered by its repository with the same checksum. */
export function staleEntries(lock: Lockfile, repos: OpenedRepo[]): string[] {
  const stale: string[] = [];
  for (const a of Object.values(lock.arches)) {
    for (const p of a.packages) {
      const repo = repos.find((r) => r.name === p.repo);
      const offered = repo?.loaded.packages.find((m) => m.location?.href === p.location);
      if (!repo) stale.push(`${p.nevra}: repository ${p.repo} is no longer in the definition`);
      else if (!offered) stale.push(`${p.nevra}: no longer in repository ${p.repo}`);
      else if (nevraOf(offered) !== p.nevra) stale.push(`${p.nevra}: ${p.location} is now ${nevraOf(offered)}`);
      else if (offered.checksum?.type === 'sha256' && offered.checksum.value !== p.sha256) stale.push(`${p.nevra}: checksum changed in repository ${p.repo}`);
    }
  }
  return stale;
}

/** Read and enforce the lockfile at `path`, or create/update it. */
export async function lockStage(def: LoadedDefinition, repos: OpenedRepo[], path: string, opts: FetchStageOptions & { epoch: number; updateLock: boolean; report: Report }): Promise<LockStageResult> {
  const digest = requestDigest(lockRequest(def), repos.map((r) => ({ name: r.name, location: r.declared })));
  const existing = existsSync(path) ? await readLockfile(path) : undefined;
  if (existing && !opts.updateLock) {
    assertLockMatches(existing, digest, path);
    const stale = staleEntries(existing, repos);
    if (stale.length) {
      throw new DriftlessError('LOCK_STALE', `${path}: ${stale.length} locked package(s) changed or disappeared:\n  ${stale.join('\n  ')}`, {
        path,
        hint: 'run with --update-lock to re-resolve (the diff is shown)',
      });
    }
    return { lock: existing, updated: false };
  }
  const lock = await createLock(def, repos, { ...opts, epoch: existing?.sourceDateEpoch ?? opts.epoch });
  const diff = formatLockDiff(diffLockfiles(existing, lock));
  await writeLockfile(path, lock);
  if (existing) opts.report.info('LOCK_UPDATED', `${path} updated:\n${diff}`, { path });
  return { lock, updated: true, diff };
}
