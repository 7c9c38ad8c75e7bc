/**
 * Turns a definition's `files:` (plus `sysusers:`/`tmpfiles:`) into the package's file list:
 * normalised absolute paths, sorted as rpm sorts them, with content, modes, owners and flags
 * resolved. Directory trees (`from: ./tree`) are walked in sorted order; their modes are
 * normalised (0755 for executables, 0644 otherwise) so the output never depends on the umask
 * or the checkout.
 *
 *   const files = await collectFiles(def, baseDir, { epoch: 1704067200 })
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { hashIterable } from '../../core/hash.js';
import { join, resolve } from 'node:path';
import { DriftlessError } from '../../core/errors.js';
import { FileFlag } from '../tags.js';
import type { FileSpec, PackageDefinition } from './schema.js';

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

/** Limits: newc cpio cannot hold a file of 4 GiB; the payload is compressed in memory. */
export const MAX_FILE_SIZE = 0xffffffff;
export const MAX_PAYLOAD_SIZE = 1024 ** 3;

export interface FileRecord {
  /** Absolute normalised path ("/usr/bin/hello"). */
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  /** Full st_mode including the file type bits. */
  mode: number;
  owner: string;
  group: string;
  mtime: number;
  /** Content of regular files (empty for ghosts, directories and symlinks). */
  content: FileContent;
  /** Symlink target, '' otherwise. */
  linkto: string;
  /** rpm file flags (FileFlag bits). */
  flags: number;
  /** cap_to_text form, '' when none. */
  caps: string;
  /** Path of the file this one is a hardlink to. */
  hardlinkOf?: string;
}

/** File content: size and SHA-256 known up front, bytes streamed when the payload is written. */
export interface FileContent {
  size: number;
  sha256: string;
  open(): AsyncIterable<Uint8Array>;
}

/** Content held in memory (inline content, small files). */
export function bytesContent(b: Uint8Array): FileContent {
  return {
    size: b.length,
    sha256: createHash('sha256').update(b).digest('hex'),
    async *open() {
      if (b.length) yield b;
    },
  };
}

export const EMPTY_CONTENT: FileContent = bytesContent(new Uint8Array());

/** Files above this size are streamed from disk instead of being held in memory. */
export const STREAM_THRESHOLD = 1024 * 1024;

/** Content read from disk: hashed now, streamed again when the payload is written. */
async function fileContent(src: string, size: number): Promise<FileContent> {
  if (size <= STREAM_THRESHOLD) return bytesContent(new Uint8Array(await readFile(src)));
  const { hex, size: seen } = await hashIterable('sha256', createReadStream(src));
  if (seen !== size) throw bad(`${src} changed while it was being read`, src);
  return { size, sha256: hex, open: () => createReadStream(src) };
}

export interface CollectOptions {
  /** SOURCE_DATE_EPOCH: default mtime and clamp. */
  epoch: number;
}

function bad(msg: string, path?: string, hint?: string): DriftlessError {
  return new DriftlessError('RPM_BUILD_FILE', msg, { path, hint });
}

/** Normalise an absolute package path; refuses `..`, `.` and empty components after cleanup. */
export function normalizePackagePath(p: string): string {
  if (!p.startsWith('/')) throw bad(`file path must be absolute: ${JSON.stringify(p)}`, p);
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  if (parts.some((x) => x === '..')) throw bad(`file path must not contain "..": ${JSON.stringify(p)}`, p);
  if (parts.length === 0) throw bad('the root directory "/" cannot be a package file', p);
  return '/' + parts.join('/');
}

function flagsOf(f: FileSpec): number {
  let flags = 0;
  if (f.config) flags |= FileFlag.CONFIG;
  if (f.config === 'noreplace') flags |= FileFlag.NOREPLACE;
  if (f.ghost) flags |= FileFlag.GHOST;
  if (f.doc) flags |= FileFlag.DOC;
  if (f.license) flags |= FileFlag.LICENSE;
  if (f.missingok) flags |= FileFlag.MISSINGOK;
  return flags;
}

async function walkTree(root: string, prefix: string, out: Map<string, FileRecord>, base: Omit<FileRecord, 'path' | 'kind' | 'mode' | 'content' | 'linkto'>, budget: { left: number }): Promise<void> {
  const names = (await readdir(root)).sort();
  for (const name of names) {
    const src = join(root, name);
    const dst = normalizePackagePath(`${prefix}/${name}`);
    const st = await lstat(src);
    if (st.isDirectory()) {
      await walkTree(src, dst, out, base, budget);
    } else if (st.isSymbolicLink()) {
      const linkto = await readlink(src);
      out.set(dst, { ...base, path: dst, kind: 'symlink', mode: S_IFLNK | 0o777, content: EMPTY_CONTENT, linkto });
    } else if (st.isFile()) {
      if (st.size > MAX_FILE_SIZE) throw bad(`${src}: ${st.size} bytes exceeds the 4 GiB cpio limit`, src);
      budget.left -= st.size;
      if (budget.left < 0) throw bad(`payload exceeds ${MAX_PAYLOAD_SIZE} bytes`, src, 'split the package');
      const content = await fileContent(src, st.size);
      const exec = (st.mode & 0o111) !== 0;
      out.set(dst, { ...base, path: dst, kind: 'file', mode: S_IFREG | (exec ? 0o755 : 0o644), content, linkto: '' });
    } else {
      throw bad(`${src}: only regular files, directories and symlinks can be packaged`, src);
    }
  }
}

/** Resolve the definition's files into records sorted by path (rpm's order). */
export async function collectFiles(def: PackageDefinition, baseDir: string, opts: CollectOptions): Promise<FileRecord[]> {
  const out = new Map<string, FileRecord>();
  const budget = { left: MAX_PAYLOAD_SIZE };
  const specs: FileSpec[] = [...def.files];
  if (def.sysusers !== undefined) specs.push({ path: `/usr/lib/sysusers.d/${def.name}.conf`, content: ensureNl(def.sysusers), mode: 0o644 });
  if (def.tmpfiles !== undefined) specs.push({ path: `/usr/lib/tmpfiles.d/${def.name}.conf`, content: ensureNl(def.tmpfiles), mode: 0o644 });

  for (const f of specs) {
    const path = normalizePackagePath(f.path);
    const mtime = Math.min(f.mtime ?? opts.epoch, opts.epoch);
    const common = { owner: f.owner ?? 'root', group: f.group ?? 'root', mtime, flags: flagsOf(f), caps: f.caps ?? '' };
    const perm = (dflt: number) => (f.mode ?? dflt) & 0o7777;
    const hasSource = [f.content, f.base64, f.from, f.symlink, f.hardlink].some((x) => x !== undefined) || f.type === 'dir';
    if (!hasSource) {
      if (f.ghost) {
        out.set(path, { ...common, path, kind: 'file', mode: S_IFREG | perm(0o644), content: EMPTY_CONTENT, linkto: '' });
        continue;
      }
      // Attribute override for a file added earlier (e.g. from a tree).
      const prev = out.get(path);
      if (!prev) throw bad(`${path}: no content (give content, base64, from, symlink, hardlink or type: dir)`, path);
      out.set(path, {
        ...prev,
        owner: f.owner ?? prev.owner,
        group: f.group ?? prev.group,
        mtime: f.mtime !== undefined ? mtime : prev.mtime,
        flags: prev.flags | common.flags,
        caps: f.caps ?? prev.caps,
        mode: f.mode !== undefined ? (prev.mode & ~0o7777) | (f.mode & 0o7777) : prev.mode,
      });
      continue;
    }
    if (out.has(path) && f.from === undefined) throw bad(`${path} is listed twice`, path);
    if (f.type === 'dir') {
      out.set(path, { ...common, path, kind: 'dir', mode: S_IFDIR | perm(0o755), content: EMPTY_CONTENT, linkto: '' });
    } else if (f.symlink !== undefined) {
      out.set(path, { ...common, path, kind: 'symlink', mode: S_IFLNK | 0o777, content: EMPTY_CONTENT, linkto: f.symlink });
    } else if (f.hardlink !== undefined) {
      out.set(path, { ...common, path, kind: 'file', mode: S_IFREG, content: EMPTY_CONTENT, linkto: '', hardlinkOf: normalizePackagePath(f.hardlink) });
    } else if (f.content !== undefined || f.base64 !== undefined) {
      const data = f.content !== undefined ? new TextEncoder().encode(f.content) : new Uint8Array(Buffer.from(f.base64!, 'base64'));
      budget.left -= data.length;
      if (budget.left < 0) throw bad(`payload exceeds ${MAX_PAYLOAD_SIZE} bytes`, path, 'split the package');
      out.set(path, { ...common, path, kind: 'file', mode: S_IFREG | perm(0o644), content: f.ghost ? EMPTY_CONTENT : bytesContent(data), linkto: '' });
    } else {
      const src = resolve(baseDir, f.from!);
      let st;
      try {
        st = await lstat(src);
      } catch (e) {
        throw bad(`${path}: cannot read ${src}: ${(e as Error).message}`, src);
      }
      if (st.isDirectory()) {
        const sub = new Map<string, FileRecord>();
        await walkTree(src, path, sub, { ...common, flags: common.flags }, budget);
        for (const [p, r] of sub) {
          if (out.has(p)) throw bad(`${p} is listed twice`, p);
          out.set(p, f.mode !== undefined && r.kind === 'file' ? { ...r, mode: S_IFREG | perm(0o644) } : r);
        }
      } else if (out.has(path)) {
        throw bad(`${path} is listed twice`, path);
      } else if (st.isFile()) {
        if (st.size > MAX_FILE_SIZE) throw bad(`${src}: ${st.size} bytes exceeds the 4 GiB cpio limit`, src);
        budget.left -= st.size;
        if (budget.left < 0) throw bad(`payload exceeds ${MAX_PAYLOAD_SIZE} bytes`, src, 'split the package');
        const content = await fileContent(src, st.size);
        const dflt = st.mode & 0o111 ? 0o755 : 0o644;
        out.set(path, { ...common, path, kind: 'file', mode: S_IFREG | perm(dflt), content, linkto: '' });
      } else if (st.isSymbolicLink()) {
        out.set(path, { ...common, path, kind: 'symlink', mode: S_IFLNK | 0o777, content: EMPTY_CONTENT, linkto: await readlink(src) });
      } else {
        throw bad(`${src}: only regular files, directories and symlinks can be packaged`, src);
      }
    }
  }

  // Hardlinks share the target's inode: same content, mode, owner, mtime and caps.
  for (const r of out.values()) {
    if (!r.hardlinkOf) continue;
    const t = out.get(r.hardlinkOf);
    if (!t || t.kind !== 'file' || t.hardlinkOf || t.flags & FileFlag.GHOST) {
      throw bad(`${r.path}: hardlink target ${r.hardlinkOf} must be a regular, non-ghost file of this package`, r.path);
    }
    if (r.flags & FileFlag.GHOST) throw bad(`${r.path}: a hardlink cannot be a ghost`, r.path);
    Object.assign(r, { content: t.content, mode: t.mode, owner: t.owner, group: t.group, mtime: t.mtime, caps: t.caps });
  }
  for (const r of out.values()) {
    if (r.caps && r.kind !== 'file') throw bad(`${r.path}: capabilities can only be set on regular files`, r.path);
    // Every packaged ancestor of a path must be a directory (rpm cannot install /a/b under a file /a).
    for (let i = r.path.lastIndexOf('/'); i > 0; i = r.path.lastIndexOf('/', i - 1)) {
      const parent = out.get(r.path.slice(0, i));
      if (parent && parent.kind !== 'dir') {
        throw bad(`${r.path}: its parent ${parent.path} is packaged as a ${parent.kind}, not a directory`, r.path);
      }
    }
  }
  return [...out.values()].sort((a, b) => cmpPath(a.path, b.path));
}

/** rpm sorts file lists with strcmp on the full path (byte order). */
export function cmpPath(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

function ensureNl(s: string): string {
  return s.endsWith('\n') ? s : s + '\n';
}

/** Split "/usr/bin/x" into rpm's dirname ("/usr/bin/") and basename ("x"). */
export function splitPath(p: string): { dir: string; base: string } {
  const i = p.lastIndexOf('/');
  return { dir: p.slice(0, i + 1), base: p.slice(i + 1) };
}
