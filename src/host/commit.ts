/**
 * Import a composed image as a signed commit: `rootfs.tar` (or a composer OUTDIR holding
 * rootfs.tar + lock.json + sbom.*.json, or a plain directory tree) → content objects + Merkle
 * tree → commit object signed with an OpenPGP secret key → ref.
 *
 *   const { id } = await commitImage(store, 'out/images/base', { ref: 'x86_64/stable', secretKey })
 */
import { createReadStream, lstatSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import { collect, putBytesSync, SMALL } from './fastio.js';
import { linkMode, Variants, xattrFailures, zoneOf } from './checkout.js';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DriftlessError } from '../core/errors.js';
import { silentReport, type Report } from '../core/report.js';
import { sourceDateEpoch } from '../core/time.js';
import { readTar } from '../archive/tar-read.js';
import { faultPoint, fsyncEnabled } from '../core/faults.js';
import { addPath, getPath, newDir, writeTree, type MemDir, type MemNode } from './tree.js';
import { encodeCommit, loadPgp, validateRef, withLock, type CommitObject, type HostStore } from './store.js';

export interface ImportStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  skipped: number;
}

const b64 = (v: Uint8Array) => Buffer.from(v).toString('base64');

/** Read a rootfs tar into content objects and an in-memory tree. */
export async function importTar(store: HostStore, tarPath: string, report: Report = silentReport): Promise<{ root: MemDir; stats: ImportStats }> {
  const root = newDir();
  const stats: ImportStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, skipped: 0 };
  const variants = new Variants(store);
  for await (const e of readTar(createReadStream(tarPath), { absolute: 'strip', label: tarPath })) {
    const xattrs = Object.keys(e.xattrs).length ? Object.fromEntries(Object.entries(e.xattrs).map(([k, v]) => [k, b64(v)])) : undefined;
    const meta = { mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, ...(xattrs ? { xattrs } : {}) };
    if (e.type === 'file') {
      let r: { sha256: string; size: number };
      if (e.size <= SMALL) {
        const data = await collect(e.body);
        r = putBytesSync(store.cas, data);
        if (zoneOf(e.path) === 'link') variants.prepare(r.sha256, data, linkMode(meta.mode), e.uid, e.gid, xattrs);
      } else r = await store.cas.putStream(e.body, { noSync: true, label: e.path });
      const { sha256, size } = r;
      addPath(root, e.path, { type: 'file', ...meta, size, content: sha256 });
      stats.files++;
      stats.bytes += size;
    } else if (e.type === 'dir') {
      addPath(root, e.path, { type: 'dir', meta, children: new Map() });
      stats.dirs++;
    } else if (e.type === 'symlink') {
      addPath(root, e.path, { type: 'symlink', uid: e.uid, gid: e.gid, target: e.linkTarget ?? '' });
      stats.symlinks++;
    } else if (e.type === 'hardlink') {
      const target = getPath(root, e.linkTarget ?? '');
      if (!target || target.type !== 'file') {
        throw new DriftlessError('HOST_IMPORT_BAD_LINK', `${e.path}: hardlink to ${e.linkTarget}, which is not an earlier file`, { offset: e.offset });
      }
      addPath(root, e.path, { ...target });
      stats.files++;
    } else {
      report.warn('HOST_SPECIAL_SKIPPED', `${e.path}: ${e.type} device/fifo entries are not stored in commits (created at boot)`);
      stats.skipped++;
    }
  }
  return { root, stats };
}

/** Read a directory tree (owners, modes, symlinks; no xattrs) into content objects. */
export async function importDir(store: HostStore, dir: string, report: Report = silentReport): Promise<{ root: MemDir; stats: ImportStats }> {
  const st = await fsp.lstat(dir);
  const root = newDir({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
  const variants = new Variants(store);
  const stats: ImportStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, skipped: 0 };
  const walk = async (abs: string, into: MemDir, rel: string): Promise<void> => {
    for (const name of readdirSync(abs).sort()) {
      const p = join(abs, name);
      const s = lstatSync(p);
      let node: MemNode;
      if (s.isDirectory()) {
        const d = newDir({ mode: s.mode & 0o7777, uid: s.uid, gid: s.gid });
        await walk(p, d, `${rel}/${name}`);
        node = d;
        stats.dirs++;
      } else if (s.isFile()) {
        let r: { sha256: string; size: number };
        if (s.size <= SMALL) {
          const data = readFileSync(p);
          r = putBytesSync(store.cas, data);
          if (zoneOf(`${rel}/${name}`) === 'link') variants.prepare(r.sha256, data, linkMode(s.mode), s.uid, s.gid);
        } else r = await store.cas.putStream(createReadStream(p), { noSync: true, label: p });
        const { sha256, size } = r;
        node = { type: 'file', mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size, content: sha256 };
        stats.files++;
        stats.bytes += size;
      } else if (s.isSymbolicLink()) {
        node = { type: 'symlink', uid: s.uid, gid: s.gid, target: await fsp.readlink(p) };
        stats.symlinks++;
      } else {
        report.warn('HOST_SPECIAL_SKIPPED', `${rel}/${name}: special files are not stored in commits`);
        stats.skipped++;
        continue;
      }
      into.children.set(name, node);
    }
  };
  await walk(dir, root, '');
  return { root, stats };
}

/** Flush everything written so far to disk (one syncfs instead of an fsync per object). */
export async function syncFs(path: string): Promise<void> {
  if (!fsyncEnabled()) return;
  try {
    await promisify(execFile)('sync', ['-f', path]);
  } catch {
    await promisify(execFile)('sync', []).catch(() => undefined);
  }
}

export interface CommitOptions {
  ref: string;
  /** Armored OpenPGP secret key; without it the commit is unsigned (deploy refuses it by default). */
  secretKey?: string;
  passphrase?: string;
  subject?: string;
  version?: string;
  /** Seconds; default SOURCE_DATE_EPOCH or the project default. */
  timestamp?: number;
  report?: Report;
}

export interface CommitResult {
  id: string;
  commit: CommitObject;
  stats: ImportStats;
  signed: boolean;
}

async function readOsReleaseVersion(store: HostStore, root: MemDir): Promise<string | undefined> {
  for (const p of ['/usr/lib/os-release', '/etc/os-release']) {
    const n = getPath(root, p);
    if (n?.type !== 'file' || n.size > 65536) continue;
    const text = (await store.cas.readBytes(n.content)).toString('utf8');
    const m = /^VERSION_ID=("?)([^"\n]*)\1$/m.exec(text) ?? /^VERSION=("?)([^"\n]*)\1$/m.exec(text);
    if (m) return m[2];
  }
  return undefined;
}

/** Import an image (tar, composer OUTDIR, or directory), sign it and point `ref` at it. */
export async function commitImage(store: HostStore, input: string, opts: CommitOptions): Promise<CommitResult> {
  validateRef(opts.ref);
  return withLock(store, 'commit', () => commitLocked(store, input, opts));
}

async function commitLocked(store: HostStore, input: string, opts: CommitOptions): Promise<CommitResult> {
  const report = opts.report ?? silentReport;
  let st;
  try {
    st = await fsp.stat(input);
  } catch (e) {
    throw new DriftlessError('HOST_IMPORT_MISSING', `${input} does not exist`, { path: input, cause: e });
  }
  let imported: { root: MemDir; stats: ImportStats };
  let lock: string | null = null;
  const sbom: string[] = [];
  if (st.isDirectory()) {
    const tar = join(input, 'rootfs.tar');
    if (await exists(tar)) {
      imported = await importTar(store, tar, report);
      const lockPath = join(input, 'lock.json');
      if (await exists(lockPath)) lock = (await store.cas.putStream(createReadStream(lockPath), { noSync: true })).sha256;
      for (const f of (await fsp.readdir(input)).sort()) {
        if (/^sbom\..*\.json$/.test(f)) sbom.push((await store.cas.putStream(createReadStream(join(input, f)), { noSync: true })).sha256);
      }
    } else imported = await importDir(store, input, report);
  } else imported = await importTar(store, input, report);

  faultPoint('commit', 'objects-imported');
  for (const f of xattrFailures.splice(0)) report.warn('HOST_XATTR_SKIPPED', `extended attribute not applied to a checkout copy: ${f}`);
  const tree = await writeTree(store.cas, imported.root);
  faultPoint('commit', 'trees-written');
  await syncFs(store.repoDir);
  const parent = (await store.readRef(opts.ref)) ?? null;
  const timestamp = sourceDateEpoch(opts.timestamp);
  const version = opts.version ?? (await readOsReleaseVersion(store, imported.root)) ?? tree.slice(0, 12);
  const commit: CommitObject = {
    kind: 'driftless-commit-1',
    parent,
    tree,
    lock,
    sbom,
    timestamp,
    version,
    subject: opts.subject ?? `import ${version}`,
    ref: opts.ref,
  };
  const bytes = encodeCommit(commit);
  let signature: Uint8Array | null = null;
  if (opts.secretKey) {
    // signature time: the commit timestamp, or the key's creation time when the key is younger
    const { readSecretKey, signDetached } = await loadPgp();
    const created = (await readSecretKey(opts.secretKey, opts.passphrase)).getCreationTime().getTime();
    const date = new Date(Math.max(timestamp * 1000, created));
    const sig = await signDetached(opts.secretKey, bytes, { date, passphrase: opts.passphrase });
    signature = typeof sig === 'string' ? Buffer.from(sig) : sig;
  } else report.warn('HOST_UNSIGNED_COMMIT', `commit for ${opts.ref} is unsigned; deploy will refuse it unless --allow-untrusted`);
  const id = await store.writeCommit(bytes, signature);
  faultPoint('commit', 'commit-written');
  await store.setRef(opts.ref, id);
  faultPoint('commit', 'ref-set');
  report.info('host.commit', `committed ${id}`, { commit: id, ref: opts.ref, ...imported.stats });
  return { id, commit, stats: imported.stats, signed: signature !== null };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}
