/**
 * The deployment state file `S/state.json`: which deployment is booted, which one the next boot
 * uses (pending) and the rollback target. It is the atomic "next boot" pointer: a new state is
 * written to a temp file, fsynced, renamed over the old one, and the directory fsynced, so a
 * crash leaves the old or the new state, never a mix. Every step is a fault point.
 */
import { promises as fsp, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { DriftlessError } from '../core/errors.js';
import { fsyncDir } from '../core/atomic.js';
import { faultPoint, fsyncEnabled } from '../core/faults.js';
import type { HostStore } from './store.js';

export interface DeploymentRecord {
  id: string;
  commit: string;
  version: string;
  ref: string;
}

export interface HostState {
  format: 'driftless-state-1';
  /** Increases with every deployment; part of deployment ids. */
  serial: number;
  booted: string | null;
  pending: string | null;
  rollback: string | null;
  deployments: Record<string, DeploymentRecord>;
}

export type DeploymentState = 'booted' | 'pending' | 'rollback';

export function emptyState(): HostState {
  return { format: 'driftless-state-1', serial: 0, booted: null, pending: null, rollback: null, deployments: {} };
}

export function statePath(store: HostStore): string {
  return join(store.sysroot, 'state.json');
}

export async function readState(store: HostStore): Promise<HostState> {
  let text: string;
  try {
    text = await fsp.readFile(statePath(store), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw e;
  }
  let s: HostState;
  try {
    s = JSON.parse(text);
  } catch (e) {
    throw new DriftlessError('HOST_STATE_CORRUPT', `${statePath(store)} is not valid JSON`, { cause: e, path: statePath(store) });
  }
  if (s.format !== 'driftless-state-1' || typeof s.deployments !== 'object') {
    throw new DriftlessError('HOST_STATE_CORRUPT', `${statePath(store)} is not a driftless state file`, { path: statePath(store) });
  }
  for (const k of ['booted', 'pending', 'rollback'] as const) {
    if (s[k] !== null && !s.deployments[s[k]!]) throw new DriftlessError('HOST_STATE_CORRUPT', `state names unknown deployment ${s[k]}`);
  }
  return s;
}

/** Keep only the deployments the pointers name. */
export function compact(s: HostState): HostState {
  const keep = new Set([s.booted, s.pending, s.rollback].filter((x): x is string => x !== null));
  return { ...s, deployments: Object.fromEntries(Object.entries(s.deployments).filter(([id]) => keep.has(id))) };
}

/** Atomically replace the state (temp, fsync, rename, fsync dir), with fault points `op:state-*`. */
export async function writeState(store: HostStore, s: HostState, op: string): Promise<void> {
  const target = statePath(store);
  const tmp = `${target}.tmp-${process.pid}`;
  const data = JSON.stringify(compact(s), null, 2) + '\n';
  const fh = await fsp.open(tmp, fsc.O_CREAT | fsc.O_TRUNC | fsc.O_WRONLY, 0o644);
  try {
    await fh.writeFile(data);
    faultPoint(op, 'state-written');
    if (fsyncEnabled()) await fh.sync();
  } finally {
    await fh.close();
  }
  faultPoint(op, 'state-synced');
  await fsp.rename(tmp, target);
  faultPoint(op, 'state-renamed');
  if (fsyncEnabled()) await fsyncDir(store.sysroot);
}

export interface StatusEntry {
  id: string;
  commit: string;
  version: string;
  ref: string;
  state: DeploymentState;
  path: string;
}

/** Deployments in boot order: pending first, then booted, then rollback. */
export function statusEntries(store: HostStore, s: HostState): StatusEntry[] {
  const out: StatusEntry[] = [];
  for (const state of ['pending', 'booted', 'rollback'] as const) {
    const id = s[state];
    if (!id) continue;
    const d = s.deployments[id]!;
    out.push({ id, commit: d.commit, version: d.version, ref: d.ref, state, path: join(store.deployDir, id) });
  }
  return out;
}
