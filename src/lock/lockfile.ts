/**
 * The lockfile: the exact result of resolving an image definition, pinned so every later build
 * is identical until the user chooses to update. One lockfile covers every architecture of a
 * definition. It records the repo snapshots (repomd checksums), every package with NEVRA,
 * location, size, SHA-256 and signing key, the dependency edges that pulled each package in
 * (for `driftless why`), and a digest of the request that produced it.
 *
 * Lockfiles are canonical JSON (sorted keys and lists), written atomically.
 *
 *   const lock = await readLockfile('lock.json')
 *   assertLockMatches(lock, requestDigest(def))
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DriftlessError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';

export const LOCKFILE_VERSION = 1;

/** A dependency edge: `from` requires `dep`, satisfied by the locked package `to`. */
const edgeSchema = z.strictObject({ dep: z.string(), to: z.string() });

export const lockedPackageSchema = z.strictObject({
  /** name-[epoch:]version-release.arch */
  nevra: z.string(),
  name: z.string(),
  epoch: z.number().int().min(0),
  version: z.string(),
  release: z.string(),
  arch: z.string(),
  /** Repository name from the definition. */
  repo: z.string(),
  /** Location of the .rpm relative to the repository base. */
  location: z.string(),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Key id (16 hex) of the signature that verified the package, or null when unsigned was allowed. */
  signingKey: z.string().nullable(),
  license: z.string().optional(),
  sourcerpm: z.string().optional(),
  /** Why it is here: requested by the definition, or pulled in as a dependency. */
  reason: z.enum(['requested', 'dependency', 'weak']),
  /** What the request asked for when `reason` is requested (the name or capability). */
  requestedAs: z.array(z.string()).optional(),
  /** Dependencies of this package and which locked package satisfies each. */
  requires: z.array(edgeSchema),
});

export const lockfileSchema = z.strictObject({
  lockfileVersion: z.literal(LOCKFILE_VERSION),
  /** Digest of the resolution-relevant parts of the definition (see requestDigest). */
  requestDigest: z.string(),
  request: z.strictObject({
    install: z.array(z.string()),
    exclude: z.array(z.string()),
    groups: z.array(z.string()),
    weakDeps: z.boolean(),
    arch: z.array(z.string()),
  }),
  /** The build timestamp composes use unless SOURCE_DATE_EPOCH overrides it. */
  sourceDateEpoch: z.number().int().min(0),
  repositories: z.array(
    z.strictObject({
      name: z.string(),
      location: z.string(),
      repomdSha256: z.string(),
      revision: z.string().optional(),
    }),
  ),
  arches: z.record(z.string(), z.strictObject({ packages: z.array(lockedPackageSchema) })),
});

export type Lockfile = z.output<typeof lockfileSchema>;
export type LockedPackage = z.output<typeof lockedPackageSchema>;
export type LockRequest = Lockfile['request'];

/** Canonical JSON: object keys sorted, two-space indent, trailing newline. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2) + '\n';
}

/** Digest of what determines a resolution: request + repositories (names and locations). */
export function requestDigest(request: LockRequest, repositories: Array<{ name: string; location: string }>): string {
  const norm = {
    request: {
      install: [...request.install].sort(),
      exclude: [...request.exclude].sort(),
      groups: [...request.groups].sort(),
      weakDeps: request.weakDeps,
      arch: [...request.arch].sort(),
    },
    repositories: repositories.map((r) => ({ name: r.name, location: r.location })).sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
  return 'sha256:' + createHash('sha256').update(canonicalJson(norm)).digest('hex');
}

/** Put a lockfile into canonical order (packages by NEVRA, edges by dep then target). */
export function normalizeLockfile(lock: Lockfile): Lockfile {
  const arches: Lockfile['arches'] = {};
  for (const arch of Object.keys(lock.arches).sort()) {
    const packages = [...lock.arches[arch]!.packages]
      .map((p) => ({
        ...p,
        requires: [...p.requires].sort((a, b) => (a.dep === b.dep ? cmp(a.to, b.to) : cmp(a.dep, b.dep))),
        ...(p.requestedAs ? { requestedAs: [...p.requestedAs].sort() } : {}),
      }))
      .sort((a, b) => cmp(a.nevra, b.nevra));
    arches[arch] = { packages };
  }
  return { ...lock, repositories: [...lock.repositories].sort((a, b) => cmp(a.name, b.name)), arches };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function serializeLockfile(lock: Lockfile): string {
  return canonicalJson(normalizeLockfile(lock));
}

export async function writeLockfile(path: string, lock: Lockfile): Promise<void> {
  await writeFileAtomic(path, serializeLockfile(lock));
}

/** Parse and validate lockfile text. */
export function parseLockfile(text: string, path = 'lock.json'): Lockfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DriftlessError('LOCK_INVALID', `${path}: not valid JSON: ${(e as Error).message}`, { path, cause: e });
  }
  const r = lockfileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new DriftlessError('LOCK_INVALID', `${path}: ${i.path.join('.') || '(top level)'}: ${i.message}`, {
      path,
      hint: 'regenerate it with `driftless lock` (or compose with --update-lock)',
    });
  }
  return r.data;
}

export async function readLockfile(path: string): Promise<Lockfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DriftlessError('LOCK_NOT_FOUND', `cannot read lockfile ${path}`, { path, cause: e, hint: 'create it with `driftless lock DEF.yaml`' });
  }
  return parseLockfile(text, path);
}

/** Refuse a lockfile produced from a different request (LOCK_MISMATCH), with a hint. */
export function assertLockMatches(lock: Lockfile, digest: string, path = 'lock.json'): void {
  if (lock.requestDigest !== digest) {
    throw new DriftlessError('LOCK_MISMATCH', `${path} was made for a different definition (packages, repositories, arch or weakDeps changed)`, {
      path,
      details: { lockDigest: lock.requestDigest, definitionDigest: digest },
      hint: 'run with --update-lock to re-resolve and see what changes',
    });
  }
}

export interface LockDiff {
  added: string[];
  removed: string[];
  /** name.arch whose EVR or bytes changed: `from` → `to`. */
  changed: Array<{ name: string; from: string; to: string }>;
}

/** What changes between two lockfiles, per package name.arch (for --update-lock output). */
export function diffLockfiles(before: Lockfile | undefined, after: Lockfile): LockDiff {
  const index = (l: Lockfile | undefined) => {
    const m = new Map<string, LockedPackage>();
    for (const a of Object.values(l?.arches ?? {})) for (const p of a.packages) m.set(`${p.name}.${p.arch}`, p);
    return m;
  };
  const b = index(before);
  const a = index(after);
  const diff: LockDiff = { added: [], removed: [], changed: [] };
  for (const [k, p] of a) {
    const old = b.get(k);
    if (!old) diff.added.push(p.nevra);
    else if (old.nevra !== p.nevra || old.sha256 !== p.sha256) diff.changed.push({ name: k, from: old.nevra, to: p.nevra });
  }
  for (const [k, p] of b) if (!a.has(k)) diff.removed.push(p.nevra);
  diff.added.sort();
  diff.removed.sort();
  diff.changed.sort((x, y) => cmp(x.name, y.name));
  return diff;
}

/** Human-readable rendering of a LockDiff. */
export function formatLockDiff(d: LockDiff): string {
  const lines = [
    ...d.added.map((n) => `+ ${n}`),
    ...d.removed.map((n) => `- ${n}`),
    ...d.changed.map((c) => `~ ${c.from} -> ${c.to}`),
  ];
  return lines.length ? lines.join('\n') : '(no changes)';
}
