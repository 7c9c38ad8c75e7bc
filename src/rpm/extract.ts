/**
 * Safe extraction of an RPM payload into a directory.
 *
 *   await extractPackage(pkg, 'out/dir', { report })   // { files, bytes, skipped }
 *
 * Paths come from the header file list (never trusted blindly): absolute paths are re-rooted
 * under DIR, `..` and empty components are refused, and every parent component is checked
 * with lstat so a symlink created by the archive (or already present) is never followed.
 * Regular files are written to a temp name in their directory, their digest checked against
 * the header, then renamed: a corrupt payload leaves no half-written file under a final name.
 * Hardlinks become hardlinks; modes are applied (setuid/setgid only as root); device nodes are
 * created only as root (otherwise skipped with a warning); sizes are bounded.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DriftlessError } from '../core/errors.js';
import { silentReport, type Report } from '../core/report.js';
import type { RpmPackage } from './package.js';
import { readPayload } from './payload.js';
import { packageFiles, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type RpmFile } from './files.js';

export interface ExtractOptions {
  report?: Report;
  /** Largest single file (default 8 GiB). */
  maxFileBytes?: number;
  /** Largest total of file data (default 32 GiB). */
  maxTotalBytes?: number;
  /** Check file digests against the header before publishing each file. Default true. */
  verifyDigests?: boolean;
}

export interface ExtractResult {
  files: number;
  bytes: number;
  /** Paths not created (device nodes without root, sockets). */
  skipped: string[];
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Split a header path into safe relative components, or throw RPM_EXTRACT_UNSAFE_PATH. */
export function safeComponents(path: string): string[] {
  const parts = path.split('/').filter((p, i) => !(i === 0 && p === '') && p !== '.');
  if (parts.length === 0) throw new DriftlessError('RPM_EXTRACT_UNSAFE_PATH', `refusing empty path ${JSON.stringify(path)}`, { path });
  for (const p of parts) {
    if (p === '' || p === '..' || p.includes('\0')) {
      throw new DriftlessError('RPM_EXTRACT_UNSAFE_PATH', `refusing unsafe path ${JSON.stringify(path)}`, { path, hint: 'the package tries to write outside the target directory' });
    }
  }
  return parts;
}

/** Create (or verify) each directory from `root` down to parts, never following symlinks. */
async function ensureParents(root: string, parts: string[], path: string): Promise<string> {
  let cur = root;
  for (const p of parts) {
    cur = join(cur, p);
    let st;
    try {
      st = await fsp.lstat(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await fsp.mkdir(cur, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink()) {
      throw new DriftlessError('RPM_EXTRACT_SYMLINK_ESCAPE', `${path}: parent ${cur} is a symlink; refusing to follow it`, { path, hint: 'the package tries to write through a symlink' });
    }
    if (!st.isDirectory()) throw new DriftlessError('RPM_EXTRACT_CONFLICT', `${path}: parent ${cur} is not a directory`, { path });
  }
  return cur;
}

function tmpName(dir: string, base: string): string {
  return join(dir, `.${base.slice(0, 40)}.driftless-${randomBytes(6).toString('hex')}`);
}

/** Put `tmp` at `target`, replacing a file or symlink there (a directory is a conflict). */
async function publish(tmp: string, target: string, path: string): Promise<void> {
  try {
    const st = await fsp.lstat(target);
    if (st.isDirectory()) {
      await fsp.rm(tmp, { force: true });
      throw new DriftlessError('RPM_EXTRACT_CONFLICT', `${path}: a directory is in the way`, { path });
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await fsp.rename(tmp, target);
}

function permBits(mode: number): number {
  return isRoot() ? mode & 0o7777 : mode & 0o1777;
}

/** Extract the payload of `pkg` under `dest` (created if missing). */
export async function extractPackage(pkg: RpmPackage, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const report = opts.report ?? silentReport;
  const maxFile = opts.maxFileBytes ?? 8 * 1024 ** 3;
  const maxTotal = opts.maxTotalBytes ?? 32 * 1024 ** 3;
  await fsp.mkdir(dest, { recursive: true });
  const root = await fsp.realpath(dest);
  const result: ExtractResult = { files: 0, bytes: 0, skipped: [] };
  const dirs: Array<{ target: string; mode: number; mtime: number }> = [];
  /** Hardlink members (by group) waiting for the member that carries the data. */
  const pendingLinks = new Map<number, RpmFile[]>();
  const root0 = isRoot();

  /** Hardlink groups (by first index) → the published path that holds their data. */
  const groupTarget = new Map<number, string>();
  const linkTo = async (existing: string, f: RpmFile) => {
    const parts = safeComponents(f.path);
    const dir = await ensureParents(root, parts.slice(0, -1), f.path);
    const tmp = tmpName(dir, parts[parts.length - 1]!);
    await fsp.link(existing, tmp);
    await publish(tmp, join(dir, parts[parts.length - 1]!), f.path);
    result.files++;
  };

  const files = packageFiles(pkg.header, pkg.signature);
  const progress = report.progress('rpm-extract', `extracting ${pkg.path ?? 'package'}`, files.length);
  for await (const e of readPayload(pkg, { files, verifyDigests: opts.verifyDigests ?? true })) {
    progress.tick();
    const f = e.file!;
    const parts = safeComponents(f.path);
    const type = f.mode & S_IFMT;
    const name = parts[parts.length - 1]!;
    if (type === S_IFDIR) {
      const target = await ensureParents(root, parts, f.path);
      dirs.push({ target, mode: f.mode, mtime: f.mtime });
      result.files++;
      continue;
    }
    const dir = await ensureParents(root, parts.slice(0, -1), f.path);
    const target = join(dir, name);
    if (type === S_IFREG) {
      const group = f.links[0]!;
      if (f.nlink > 1 && e.entry.size === 0 && (f.size > 0 || groupTarget.has(group))) {
        // the data comes with another member of the group (normally the last): link to it
        const have = groupTarget.get(group);
        if (have) {
          await linkTo(have, f);
        } else {
          const list = pendingLinks.get(group) ?? [];
          list.push(f);
          pendingLinks.set(group, list);
        }
        continue;
      }
      if (e.entry.size > maxFile) throw new DriftlessError('RPM_EXTRACT_TOO_LARGE', `${f.path}: ${e.entry.size} bytes exceeds the per-file limit ${maxFile}`, { path: f.path });
      if (result.bytes + e.entry.size > maxTotal) throw new DriftlessError('RPM_EXTRACT_TOO_LARGE', `extraction exceeds the total limit of ${maxTotal} bytes`, { path: f.path });
      const tmp = tmpName(dir, name);
      const fh = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), 0o600);
      try {
        for await (const chunk of e.data()) {
          await fh.write(chunk);
          result.bytes += chunk.length;
        }
        await fh.chmod(permBits(f.mode));
        await fh.utimes(f.mtime, f.mtime);
      } catch (err) {
        await fh.close();
        await fsp.rm(tmp, { force: true });
        throw err;
      }
      await fh.close();
      await publish(tmp, target, f.path);
      result.files++;
      if (f.nlink > 1) {
        groupTarget.set(f.links[0]!, target);
        for (const m of pendingLinks.get(f.links[0]!) ?? []) await linkTo(target, m);
        pendingLinks.delete(f.links[0]!);
      }
      continue;
    }
    if (type === S_IFLNK) {
      const tmp = tmpName(dir, name);
      await fsp.symlink(f.linkto, tmp);
      try {
        await fsp.lutimes(tmp, f.mtime, f.mtime);
      } catch {
        // lutimes is best effort
      }
      await publish(tmp, target, f.path);
      result.files++;
      continue;
    }
    if (type === S_IFCHR || type === S_IFBLK || type === S_IFIFO) {
      if (!root0 && type !== S_IFIFO) {
        report.warn('RPM_EXTRACT_DEVICE_SKIPPED', `${f.path}: device node not created (needs root)`, { path: f.path });
        result.skipped.push(f.path);
        continue;
      }
      const tmp = tmpName(dir, name);
      const major = (f.rdev >> 8) & 0xff;
      const minor = f.rdev & 0xff;
      const args = type === S_IFIFO ? [tmp, 'p'] : [tmp, type === S_IFCHR ? 'c' : 'b', String(major), String(minor)];
      const r = spawnSync('mknod', ['-m', (permBits(f.mode)).toString(8), ...args], { encoding: 'utf8' });
      if (r.status !== 0) {
        report.warn('RPM_EXTRACT_DEVICE_SKIPPED', `${f.path}: mknod failed: ${(r.stderr || String(r.error)).trim()}`, { path: f.path });
        result.skipped.push(f.path);
        continue;
      }
      await publish(tmp, target, f.path);
      result.files++;
      continue;
    }
    if (type === S_IFSOCK) {
      report.warn('RPM_EXTRACT_DEVICE_SKIPPED', `${f.path}: sockets are not extracted`, { path: f.path });
      result.skipped.push(f.path);
      continue;
    }
    throw new DriftlessError('RPM_EXTRACT_BAD_TYPE', `${f.path}: unknown file type ${(type >> 12).toString(8)}`, { path: f.path });
  }
  if (pendingLinks.size) {
    const first = [...pendingLinks.values()][0]![0]!;
    throw new DriftlessError('RPM_CPIO_MISSING_FILE', `${first.path}: hardlink group without data in the payload`, { path: first.path });
  }
  progress.done();
  // Directory modes last (deepest first), so read-only directories do not block their children.
  dirs.sort((a, b) => b.target.length - a.target.length);
  for (const d of dirs) {
    await fsp.chmod(d.target, permBits(d.mode));
    await fsp.utimes(d.target, d.mtime, d.mtime);
  }
  return result;
}
