/**
 * Drift detection and reset. The expectation for a deployment is its commit's tree (outside
 * /etc; files read-only with mtime 0, /usr directories read-only) plus the merged /etc recorded
 * at deploy time. State directories (/var, /tmp, /home, /root, ...) are not checked.
 *
 * Fast by default: a file whose inode, size and mtime (0) are as deployed is not read; anything
 * else is hashed. `full: true` hashes every file (catches an edit that restored size and mtime).
 *
 *   const { changes } = await drift(store)                 // booted (else pending) deployment
 *   await reset(store, { path: '/etc/hosts' })              // restore from the store
 */
import { promises as fsp, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DriftlessError } from '../core/errors.js';
import { silentReport, type Report } from '../core/report.js';
import { readState } from './state.js';
import { readMeta, writeMeta, type DeploymentMeta } from './deploy.js';
import { copyObject, dirMode, hashFile, linkMode, removeTree, Variants, withWritableParent, zoneOf } from './checkout.js';
import { canOwn, type EtcItem } from './etc-merge.js';
import { splitPath, walkTree } from './tree.js';
import { withLock, type HostStore } from './store.js';
import { faultPoint } from '../core/faults.js';
import { managed, readXattrsTree, sameXattrs, setXattrs } from './xattrs.js';

export type DriftKind = 'added' | 'removed' | 'modified' | 'metadata';

export interface DriftChange {
  path: string;
  kind: DriftKind;
  /** What differs, e.g. ['content'], ['mode'], ['type'], ['target'], ['owner']. */
  what?: string[];
}

/** What the deployment should hold at a path: the /etc merge's item, plus xattrs and zone. */
interface Expect extends EtcItem {
  xattrs?: Record<string, string>;
  zone: 'etc' | 'link';
}

interface Actual {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  ino: number;
  target?: string;
}

/** The expected content of a deployment, path → item. */
async function expectation(store: HostStore, meta: DeploymentMeta): Promise<Map<string, Expect>> {
  const commit = await store.readCommit(meta.commit);
  const out = new Map<string, Expect>();
  const skip = (p: string) => zoneOf(p) !== 'link';
  for await (const it of walkTree(store.cas, commit.tree, skip)) {
    const e = it.entry;
    if (e.type === 'dir') out.set(it.path, { type: 'dir', mode: dirMode(it.path, it.meta!.mode), uid: it.meta!.uid, gid: it.meta!.gid, zone: 'link' });
    else if (e.type === 'file') {
      out.set(it.path, { type: 'file', mode: linkMode(e.mode), uid: e.uid, gid: e.gid, sha: e.content, size: e.size, xattrs: managed(e.xattrs), zone: 'link' });
    }
    else out.set(it.path, { type: 'symlink', mode: 0o777, uid: e.uid, gid: e.gid, target: e.target, zone: 'link' });
  }
  for (const [p, it] of meta.etc) out.set(p, { ...it, mode: it.mode & 0o7777, zone: 'etc' });
  return out;
}

async function scanDisk(root: string): Promise<Map<string, Actual>> {
  const out = new Map<string, Actual>();
  const walk = async (path: string): Promise<void> => {
    const abs = join(root, path);
    const s = lstatSync(abs);
    const type = s.isDirectory() ? 'dir' : s.isFile() ? 'file' : s.isSymbolicLink() ? 'symlink' : 'other';
    out.set(path, {
      type,
      mode: s.mode & 0o7777,
      uid: s.uid,
      gid: s.gid,
      size: s.size,
      mtimeMs: s.mtimeMs,
      ino: s.ino,
      ...(type === 'symlink' ? { target: readlinkSync(abs) } : {}),
    });
    if (type === 'dir') {
      for (const n of readdirSync(abs).sort()) {
        const p = path === '/' ? `/${n}` : `${path}/${n}`;
        if (zoneOf(p) === 'var' || zoneOf(p) === 'state') continue;
        await walk(p);
      }
    }
  };
  await walk('/');
  return out;
}

export interface DriftOptions {
  /** Deployment id; default the booted one (else the pending one). */
  deployment?: string;
  /** Hash every file instead of trusting unchanged stat data. */
  full?: boolean;
  report?: Report;
}

export interface DriftResult {
  deployment: string;
  commit: string;
  changes: DriftChange[];
  /** Files hashed (the rest were vouched for by stat data). */
  hashed: number;
  checked: number;
}

async function pickDeployment(store: HostStore, id?: string): Promise<DeploymentMeta> {
  const s = await readState(store);
  const pick = id ?? s.booted ?? s.pending;
  if (!pick || !s.deployments[pick]) {
    throw new DriftlessError('HOST_NO_DEPLOYMENT', id ? `no deployment ${id}` : 'nothing is deployed', { hint: 'see `driftless host status`' });
  }
  return readMeta(store, pick);
}

async function compare(store: HostStore, meta: DeploymentMeta, full: boolean) {
  const root = join(store.deployDir, meta.id);
  const exp = await expectation(store, meta);
  const act = await scanDisk(root);
  const xmap = readXattrsTree(root);
  const owners = canOwn();
  const changes: DriftChange[] = [];
  let hashed = 0;
  const paths = [...new Set([...exp.keys(), ...act.keys()])].sort();
  for (const p of paths) {
    const e = exp.get(p);
    const a = act.get(p);
    if (!a) {
      changes.push({ path: p, kind: 'removed' });
      continue;
    }
    if (!e) {
      changes.push({ path: p, kind: 'added' });
      continue;
    }
    if (a.type !== e.type) {
      changes.push({ path: p, kind: 'modified', what: ['type'] });
      continue;
    }
    const what: string[] = [];
    if (e.type === 'symlink') {
      if (a.target !== e.target) {
        changes.push({ path: p, kind: 'modified', what: ['target'] });
        continue;
      }
    } else if (e.type === 'file') {
      const quick = !full && a.size === e.size && a.mtimeMs === 0 && meta.index[p] === a.ino;
      if (!quick) {
        hashed++;
        if (a.size !== e.size || (await hashFile(join(root, p))) !== e.sha) {
          changes.push({ path: p, kind: 'modified', what: ['content'] });
          continue;
        }
      }
    }
    if (e.type !== 'symlink' && a.mode !== e.mode) what.push('mode');
    if (owners && (a.uid !== e.uid || a.gid !== e.gid)) what.push('owner');
    if (xmap && e.type === 'file' && !sameXattrs(e.xattrs, xmap.get(p))) what.push('xattrs');
    if (what.length) changes.push({ path: p, kind: 'metadata', what });
  }
  return { changes, hashed, checked: paths.length, exp, act, root, xmap };
}

/** Compare a deployment with its commit and merged /etc. */
export async function drift(store: HostStore, opts: DriftOptions = {}): Promise<DriftResult> {
  const meta = await pickDeployment(store, opts.deployment);
  const { changes, hashed, checked } = await compare(store, meta, opts.full ?? false);
  return { deployment: meta.id, commit: meta.commit, changes, hashed, checked };
}

export interface ResetOptions extends DriftOptions {
  /** Only restore this path and what is below it ('/etc/hosts', '/usr'). Default: everything. */
  path?: string;
}

/** Undo drift: remove additions, restore content and metadata from the store. */
export async function reset(store: HostStore, opts: ResetOptions = {}): Promise<{ deployment: string; reset: DriftChange[] }> {
  const report = opts.report ?? silentReport;
  return withLock(store, 'reset', async () => {
    const meta = await pickDeployment(store, opts.deployment);
    const prefix = opts.path === undefined ? '/' : '/' + splitPath(opts.path).join('/');
    const within = (p: string) => prefix === '/' || p === prefix || p.startsWith(prefix + '/');
    const { changes, exp, root, xmap } = await compare(store, meta, opts.full ?? true);
    const todo = changes.filter((c) => within(c.path));
    const variants = new Variants(store);
    const owners = canOwn();
    const gone: string[] = [];
    for (const c of todo) {
      // below a removed path only missing items are restored (a dir replaced by a symlink)
      if (c.kind !== 'removed' && gone.some((g) => c.path.startsWith(g + '/'))) continue;
      const abs = join(root, c.path);
      const e = exp.get(c.path);
      if (c.kind === 'added' || (c.kind === 'modified' && e?.type !== 'file')) {
        faultPoint('reset', 'remove');
        await withWritableParent(abs, () => removeTree(abs));
        gone.push(c.path);
        if (c.kind === 'added') continue;
      }
      if (!e) continue;
      if (c.kind === 'metadata') {
        if (owners) await fsp.lchown(abs, e.uid, e.gid);
        if (e.type !== 'symlink') await fsp.chmod(abs, e.mode);
        if (c.what?.includes('xattrs') || c.what?.includes('owner')) {
          const err = setXattrs(abs, e.xattrs ?? {}, xmap?.get(c.path) ?? {});
          if (err) report.warn('HOST_XATTR_SKIPPED', `${c.path}: ${err}`);
        }
        continue;
      }
      faultPoint('reset', 'restore');
      await withWritableParent(abs, async () => {
        if (e.type === 'dir') {
          await fsp.mkdir(abs, { mode: 0o700 });
          if (owners) await fsp.chown(abs, e.uid, e.gid);
          await fsp.chmod(abs, e.mode);
        } else if (e.type === 'symlink') {
          await fsp.symlink(e.target!, abs);
          if (owners) await fsp.lchown(abs, e.uid, e.gid);
        } else if (e.zone === 'etc') {
          await fsp.rm(abs, { force: true });
          await copyObject(store, e.sha!, abs, e.mode, e.uid, e.gid);
          meta.index[c.path] = (await fsp.lstat(abs)).ino;
        } else {
          const v = await variants.get(e.sha!, e.size!, e.mode, e.uid, e.gid, true, e.xattrs);
          await fsp.rm(abs, { force: true });
          await fsp.link(v, abs);
          meta.index[c.path] = (await fsp.lstat(abs)).ino;
        }
      });
      // a directory recreated under read-only parents keeps its final mode only after children
    }
    // directories whose children were restored may have been left with temporary modes
    for (const c of todo) {
      const e = exp.get(c.path);
      if (e?.type === 'dir') await fsp.chmod(join(root, c.path), e.mode).catch(() => undefined);
    }
    faultPoint('reset', 'before-meta');
    await writeMeta(store, meta);
    for (const c of todo) report.info('host.reset', `reset ${c.path} (${c.kind})`, { ...c });
    return { deployment: meta.id, reset: todo };
  });
}
