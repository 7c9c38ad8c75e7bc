/**
 * Materialising trees on disk. Outside /etc and /var a deployment's files are hardlinks to
 * read-only *checkout copies* (`S/repo/co/…`, one per content + mode + owner, mtime 0) so that
 * deployments share disk space while the store's objects themselves are never linked out and
 * stay pristine (a user who chmods and edits a hardlinked file damages only the copy, which
 * drift detects and `reset` replaces from the store). Directories under /usr are made
 * read-only. /etc gets real copies (writable, merged); /var is shared and only seeded.
 */
import { constants as fsc, promises as fsp, chmodSync, chownSync, existsSync, lchownSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashFile, sha256, SMALL } from './fastio.js';
import { managed, setXattrs } from './xattrs.js';
import { DriftlessError } from '../core/errors.js';
import { readTree, type Meta } from './tree.js';
import { canOwn, type EtcMap } from './etc-merge.js';
import type { HostStore } from './store.js';

/** Top-level directories that hold state, not image content: never drift-checked. */
export const STATE_DIRS = new Set(['var', 'tmp', 'run', 'home', 'root', 'srv', 'mnt', 'media', 'proc', 'sys', 'dev']);

/** Mode a file outside /etc has in a deployment (write bits removed). */
export const linkMode = (mode: number) => mode & 0o7777 & ~0o222;
/** Mode a directory has in a deployment (/usr is read-only). */
export const dirMode = (path: string, mode: number) => (path === '/usr' || path.startsWith('/usr/') ? mode & 0o7777 & ~0o222 : mode & 0o7777);

/** The zone a path belongs to. */
export function zoneOf(path: string): 'etc' | 'var' | 'state' | 'link' {
  const top = path.split('/')[1] ?? '';
  if (top === 'etc') return 'etc';
  if (top === 'var') return 'var';
  if (STATE_DIRS.has(top)) return 'state';
  return 'link';
}

export { hashFile };

function applyOwner(path: string, uid: number, gid: number, link = false): void {
  if (!canOwn()) return;
  if (link) lchownSync(path, uid, gid);
  else chownSync(path, uid, gid);
}

/**
 * xattrs that could not be applied (no `setfattr`, or not permitted, e.g. capabilities without
 * root); operations report them as HOST_XATTR_SKIPPED warnings. Drift still compares them.
 */
export const xattrFailures: string[] = [];

function applyXattrs(path: string, xattrs: Record<string, string> | undefined, label: string): void {
  const x = managed(xattrs);
  if (!x) return;
  const err = setXattrs(path, x);
  if (err && xattrFailures.length < 100) xattrFailures.push(`${label}: ${err}`);
}

/** Write `data` to `dest` atomically with mode/owner, mtime 0 and xattrs (sync; small files). */
function writeCopySync(dest: string, data: Uint8Array, mode: number, uid: number, gid: number, xattrs?: Record<string, string>): void {
  const tmp = join(dirname(dest), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    applyOwner(tmp, uid, gid);
    chmodSync(tmp, mode);
    utimesSync(tmp, 0, 0);
    applyXattrs(tmp, xattrs, dest);
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Copy a store object to `dest` (verifying it), set mode/owner and mtime 0. */
export async function copyObject(store: HostStore, sha: string, dest: string, mode: number, uid: number, gid: number, xattrs?: Record<string, string>): Promise<void> {
  const src = store.cas.objectPath(sha);
  const tmp = join(dirname(dest), `.${randomBytes(6).toString('hex')}.tmp`);
  const small = statSync(src, { throwIfNoEntry: false });
  if (small && small.size <= SMALL) {
    // sync fast path: one read, hash, one write
    const data = readFileSync(src);
    if (sha256(data) !== sha) {
      throw new DriftlessError('HOST_OBJECT_CORRUPT', `content object ${sha} does not match its digest`, { details: { digest: sha }, hint: 'run `driftless host fsck`' });
    }
    writeCopySync(dest, data, mode, uid, gid, xattrs);
    return;
  }
  try {
    await fsp.copyFile(src, tmp, fsc.COPYFILE_FICLONE);
  } catch (e) {
    throw new DriftlessError('HOST_OBJECT_MISSING', `content object ${sha} is missing from the store`, { cause: e, details: { digest: sha } });
  }
  try {
    if ((await hashFile(tmp)) !== sha) {
      throw new DriftlessError('HOST_OBJECT_CORRUPT', `content object ${sha} does not match its digest`, { details: { digest: sha }, hint: 'run `driftless host fsck`' });
    }
    applyOwner(tmp, uid, gid);
    await fsp.chmod(tmp, mode);
    await fsp.utimes(tmp, 0, 0);
    applyXattrs(tmp, xattrs, dest);
    await fsp.rename(tmp, dest);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Checkout copies: one read-only file per (content, mode, owner), hardlinked into deployments. */
export class Variants {
  private readonly ok = new Set<string>();
  constructor(readonly store: HostStore) {}

  path(sha: string, mode: number, uid: number, gid: number, xattrs?: Record<string, string>): string {
    const o = canOwn() ? `${uid}.${gid}` : '0.0';
    const x = managed(xattrs);
    const suffix = x ? `.${sha256(Buffer.from(JSON.stringify(x))).slice(0, 16)}` : '';
    return join(this.store.repoDir, 'co', sha.slice(0, 2), `${sha}.${mode.toString(8)}.${o}${suffix}`);
  }

  /**
   * Create the checkout copy from bytes just imported (and hashed) when it does not exist yet,
   * so the first deployment of a commit is pure hardlinks. Only for small files.
   */
  prepare(sha: string, data: Uint8Array, mode: number, uid: number, gid: number, xattrs?: Record<string, string>): void {
    const p = this.path(sha, mode, uid, gid, xattrs);
    if (this.ok.has(p) || existsSync(p)) return;
    try {
      writeCopySync(p, data, mode, uid, gid, xattrs);
    } catch {
      mkdirSync(dirname(p), { recursive: true });
      writeCopySync(p, data, mode, uid, gid, xattrs);
    }
    this.ok.add(p);
  }

  /**
   * The checkout copy for a file, created (or re-created when it was modified: mtime, size or
   * mode changed, or `verify` and its content differs) from the store object.
   */
  async get(sha: string, size: number, mode: number, uid: number, gid: number, verify = false, xattrs?: Record<string, string>): Promise<string> {
    const p = this.path(sha, mode, uid, gid, xattrs);
    if (this.ok.has(p) && !verify) return p;
    const s = lstatSync(p, { throwIfNoEntry: false });
    const intact = s && s.isFile() && s.size === size && s.mtimeMs === 0 && (s.mode & 0o7777) === mode && (!verify || (await hashFile(p)) === sha);
    if (!intact) {
      mkdirSync(dirname(p), { recursive: true });
      await copyObject(this.store, sha, p, mode, uid, gid, xattrs);
    }
    this.ok.add(p);
    return p;
  }
}

export interface CheckoutResult {
  /** path → inode of each regular file written (drift's fast check). */
  index: Record<string, number>;
  files: number;
}

/**
 * Check out the link zone of `tree` into `dest` (which must not exist): everything but /etc
 * and /var. `onDir` is called after each directory (fault points).
 */
export async function checkoutTree(store: HostStore, tree: string, dest: string, onDir: () => void = () => {}): Promise<CheckoutResult> {
  const variants = new Variants(store);
  const res: CheckoutResult = { index: {}, files: 0 };
  const dirModes: [string, Meta, string][] = [];
  const rec = async (digest: string, abs: string, path: string): Promise<void> => {
    const t = await readTree(store.cas, digest);
    mkdirSync(abs, { mode: 0o700 });
    dirModes.push([abs, t.meta, path]);
    for (const e of t.entries) {
      const p = path === '/' ? `/${e.name}` : `${path}/${e.name}`;
      const a = join(abs, e.name);
      const zone = zoneOf(p);
      if (zone === 'etc' || zone === 'var') continue;
      if (e.type === 'dir') await rec(e.tree, a, p);
      else if (e.type === 'symlink') {
        symlinkSync(e.target, a);
        applyOwner(a, e.uid, e.gid, true);
      } else {
        const v = await variants.get(e.content, e.size, linkMode(e.mode), e.uid, e.gid, false, e.xattrs);
        linkSync(v, a);
        res.index[p] = lstatSync(a).ino;
        res.files++;
      }
    }
    onDir();
  };
  await rec(tree, dest, '/');
  for (const [abs, meta, path] of dirModes.reverse()) {
    applyOwner(abs, meta.uid, meta.gid);
    chmodSync(abs, dirMode(path, meta.mode));
  }
  return res;
}

/** Write a merged /etc under `root` (copies from the store). Returns the inode index. */
export async function writeEtc(store: HostStore, root: string, etc: EtcMap): Promise<Record<string, number>> {
  const index: Record<string, number> = {};
  const dirs: [string, number, number, number][] = [];
  for (const [p, it] of etc) {
    const abs = join(root, p);
    if (it.type === 'dir') {
      await fsp.mkdir(abs, { recursive: true, mode: 0o700 });
      dirs.push([abs, it.mode, it.uid, it.gid]);
    } else if (it.type === 'symlink') {
      await fsp.symlink(it.target!, abs);
      applyOwner(abs, it.uid, it.gid, true);
    } else {
      await copyObject(store, it.sha!, abs, it.mode & 0o7777, it.uid, it.gid);
      index[p] = (await fsp.lstat(abs)).ino;
    }
  }
  for (const [abs, mode, uid, gid] of dirs.reverse()) {
    applyOwner(abs, uid, gid);
    await fsp.chmod(abs, mode & 0o7777);
  }
  return index;
}

/** Remove a tree even when it holds read-only directories (non-root checkouts). */
export async function removeTree(path: string): Promise<void> {
  try {
    await fsp.rm(path, { recursive: true, force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES' && (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    const open = async (p: string): Promise<void> => {
      const s = await fsp.lstat(p).catch(() => undefined);
      if (!s?.isDirectory()) return;
      await fsp.chmod(p, 0o700);
      for (const n of await fsp.readdir(p)) await open(join(p, n));
    };
    await open(path);
    await fsp.rm(path, { recursive: true, force: true });
  }
}

/** Run `fn` with the parent directory of `path` temporarily writable (read-only /usr, non-root). */
export async function withWritableParent<T>(path: string, fn: () => Promise<T>): Promise<T> {
  if (canOwn()) return fn();
  const parent = dirname(path);
  const s = await fsp.stat(parent);
  if (s.mode & 0o200) return fn();
  await fsp.chmod(parent, (s.mode & 0o7777) | 0o700);
  try {
    return await fn();
  } finally {
    await fsp.chmod(parent, s.mode & 0o7777);
  }
}
