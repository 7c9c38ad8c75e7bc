/**
 * Three-way /etc merge at deploy time. Inputs: the old default /etc (the booted commit's tree),
 * the new default /etc (the new commit's tree) and the local /etc (the booted deployment on
 * disk). Per path:
 *
 *   local == old default      → take the new default (new files arrive, removed ones go)
 *   new default == old default → keep local (local edits, additions and deletions survive)
 *   new default == local       → take it
 *   otherwise (conflict)       → keep local; a new default file is written next to it as
 *                                PATH.driftless-new and the conflict is reported
 *
 * "Equal" compares type, permission bits, content digest / symlink target and (when running as
 * root, where owners can be applied) uid/gid. Local content that is kept is put into the store,
 * so every merged file is restorable by `host reset`.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ContentStore } from '../core/cas.js';
import { walkTree, subtreeAt } from './tree.js';
import { hashFile, sha256 } from './fastio.js';

export interface EtcItem {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  sha?: string;
  size?: number;
  target?: string;
}
/** '/etc/...' → item. */
export type EtcMap = Map<string, EtcItem>;

export interface EtcConflict {
  path: string;
  resolution: string;
}

export const canOwn = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** /etc of a stored tree. */
export async function etcFromTree(cas: ContentStore, tree: string): Promise<EtcMap> {
  const out: EtcMap = new Map();
  const etc = await subtreeAt(cas, tree, '/etc');
  if (!etc) return out;
  for await (const it of walkTree(cas, etc)) {
    const path = it.path === '/' ? '/etc' : `/etc${it.path}`;
    const e = it.entry;
    if (e.type === 'dir') out.set(path, { type: 'dir', mode: it.meta!.mode, uid: it.meta!.uid, gid: it.meta!.gid });
    else if (e.type === 'file') out.set(path, { type: 'file', mode: e.mode, uid: e.uid, gid: e.gid, sha: e.content, size: e.size });
    else out.set(path, { type: 'symlink', mode: 0o777, uid: e.uid, gid: e.gid, target: e.target });
  }
  return out;
}

/**
 * /etc on disk under `root`. With `put` (default) file contents go into the store (local files
 * must stay restorable); without, they are only hashed.
 */
export async function etcFromDisk(cas: ContentStore, root: string, put = true): Promise<EtcMap> {
  const out: EtcMap = new Map();
  const walk = async (rel: string): Promise<void> => {
    const abs = join(root, rel);
    const s = await fsp.lstat(abs).catch(() => undefined);
    if (!s) return;
    const base = { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
    if (s.isDirectory()) {
      out.set(rel, { type: 'dir', ...base });
      for (const n of (await fsp.readdir(abs)).sort()) await walk(`${rel}/${n}`);
    } else if (s.isFile()) {
      const { sha256, size } = put
        ? await cas.putStream(createReadStream(abs), { noSync: true, label: rel })
        : { sha256: await hashFile(abs), size: s.size };
      out.set(rel, { type: 'file', ...base, sha: sha256, size });
    } else if (s.isSymbolicLink()) {
      out.set(rel, { type: 'symlink', ...base, mode: 0o777, target: await fsp.readlink(abs) });
    }
  };
  await walk('/etc');
  return out;
}

/** Digest of an /etc snapshot (to notice local changes made after a deploy). */
export function etcDigest(m: EtcMap): string {
  return sha256(Buffer.from(JSON.stringify([...m.entries()])));
}

/** Same content and metadata (owners only compared when `owners`). */
export function sameItem(a: EtcItem | undefined, b: EtcItem | undefined, owners = canOwn()): boolean {
  if (!a || !b) return a === b;
  if (a.type !== b.type) return false;
  if (owners && (a.uid !== b.uid || a.gid !== b.gid)) return false;
  if (a.type === 'symlink') return a.target === b.target;
  if ((a.mode & 0o7777) !== (b.mode & 0o7777)) return false;
  return a.type === 'dir' || a.sha === b.sha;
}

/** Merge as documented above. `local` undefined means "no local /etc" (first deployment). */
export function mergeEtc(oldDef: EtcMap, newDef: EtcMap, local: EtcMap | undefined, owners = canOwn()): { merged: EtcMap; conflicts: EtcConflict[] } {
  if (!local) return { merged: new Map(newDef), conflicts: [] };
  const merged: EtcMap = new Map();
  const conflicts: EtcConflict[] = [];
  const paths = [...new Set([...oldDef.keys(), ...newDef.keys(), ...local.keys()])].sort();
  for (const p of paths) {
    const o = oldDef.get(p);
    const n = newDef.get(p);
    const l = local.get(p);
    let pick: EtcItem | undefined;
    if (sameItem(l, o, owners)) pick = n;
    else if (sameItem(n, o, owners) || sameItem(n, l, owners)) pick = l;
    else {
      pick = l;
      if (n?.type === 'file' && !local.has(`${p}.driftless-new`)) {
        merged.set(`${p}.driftless-new`, n);
        conflicts.push({ path: p, resolution: `kept the local version; the new default is ${p}.driftless-new` });
      } else conflicts.push({ path: p, resolution: 'kept the local version' });
    }
    if (pick) merged.set(p, pick);
  }
  // every item needs its parent directories; an item under a non-directory cannot be kept
  for (const p of [...merged.keys()].sort()) {
    if (p === '/etc') continue;
    const parts = p.split('/');
    for (let i = 2; i < parts.length; i++) {
      const anc = parts.slice(0, i).join('/');
      const a = merged.get(anc);
      if (!a) merged.set(anc, newDef.get(anc)?.type === 'dir' ? newDef.get(anc)! : local.get(anc)?.type === 'dir' ? local.get(anc)! : { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
      else if (a.type !== 'dir') {
        merged.delete(p);
        conflicts.push({ path: p, resolution: `dropped: ${anc} is no longer a directory` });
        break;
      }
    }
  }
  if (!merged.has('/etc')) merged.set('/etc', newDef.get('/etc') ?? { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
  return { merged: new Map([...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), conflicts };
}
