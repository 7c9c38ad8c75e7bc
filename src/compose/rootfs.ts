/**
 * The in-memory root filesystem model every emitter reads (tar, OCI, squashfs, EROFS) and the
 * composer fills from package payloads and the definition's `files`.
 *
 *   const fs = new Rootfs({ onConflict: (c) => c.existing.owner === c.incoming.owner ? 'replace' : 'error' })
 *   fs.add({ path: '/usr/bin/sh', type: 'file', mode: 0o755, content: { bytes }, owner: 'bash' })
 *   fs.add({ path: '/bin', type: 'symlink', linkTarget: 'usr/bin' })
 *   fs.clampMtimes(epoch)
 *   for (const e of fs.sorted()) ...          // byte order of path, parents before children
 *
 * Paths are absolute and normalised ('/usr/bin/foo', the root is '/'); missing parent directories
 * are created with fixed defaults (0755 root:root, mtime = `defaultMtime`) and marked `implicit`,
 * so a later explicit directory silently takes their place. A parent that is a symlink is
 * followed (inside the root), as rpm does when it installs `/lib/foo` on a `/lib -> usr/lib` system.
 * `mode` holds permission bits only (incl. setuid/setgid/sticky), never the S_IF* type bits.
 */
import { DriftlessError } from '../core/errors.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** File content: inline bytes or a lazy opener (e.g. the content store); sha256 if known. */
export interface EntryContent {
  bytes?: Uint8Array;
  open?: () => AsyncIterable<Uint8Array>;
  sha256?: string;
}

/** The metadata every filesystem entry carries, in the rootfs model and in tar archives alike. */
export interface EntryMeta {
  /** Normalised absolute path ('/usr/bin/foo'; the root is '/'). */
  path: string;
  type: EntryType;
  /** Permission bits incl. setuid (0o4000), setgid (0o2000), sticky (0o1000). */
  mode: number;
  uid: number;
  gid: number;
  user?: string;
  group?: string;
  /** Seconds since the epoch. */
  mtime: number;
  /** Content size for files; 0 otherwise. */
  size: number;
  /** Symlink target (as stored) or, for hardlinks, the absolute path of the file linked to. */
  linkTarget?: string;
  rdev?: { major: number; minor: number };
}

export interface RootfsEntry extends EntryMeta {
  content?: EntryContent;
  xattrs: Record<string, Uint8Array>;
  /** Package that owns the entry. */
  owner?: string;
  /** Created only as a missing parent directory. */
  implicit?: boolean;
}

/** What `add` accepts: path and type are required, everything else has a default. */
export type EntryInput = Partial<RootfsEntry> & { path: string; type: EntryType };

export interface Conflict {
  path: string;
  existing: RootfsEntry;
  incoming: RootfsEntry;
}
/** 'replace' the existing entry, 'keep' it (drop the incoming one) or 'error'. */
export type ConflictDecision = 'replace' | 'keep' | 'error';
export type ConflictHandler = (c: Conflict) => ConflictDecision;

export interface RootfsOptions {
  /** Decides real collisions; default: identical entries and dir-over-dir keep the first, else error. */
  onConflict?: ConflictHandler;
  /** mtime for implicitly created parent directories (and the root). Default 0. */
  defaultMtime?: number;
}

export const PATH_MAX = 4096;
export const NAME_MAX = 255;
const MAX_SYMLINK_HOPS = 40;

/** Normalise a path to '/a/b' form. Refuses '..' (ROOTFS_BAD_PATH), NUL and over-long names. */
export function normalizePath(p: string): string {
  if (p.includes('\0')) throw new DriftlessError('ROOTFS_BAD_PATH', `path contains NUL: ${JSON.stringify(p)}`);
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new DriftlessError('ROOTFS_BAD_PATH', `path contains "..": ${p}`, { path: p });
    if (Buffer.byteLength(c) > NAME_MAX) throw new DriftlessError('ROOTFS_BAD_PATH', `path component longer than ${NAME_MAX} bytes: ${p}`, { path: p });
    parts.push(c);
  }
  const out = '/' + parts.join('/');
  if (Buffer.byteLength(out) > PATH_MAX) throw new DriftlessError('ROOTFS_BAD_PATH', `path longer than ${PATH_MAX} bytes`, { path: p });
  return out;
}

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Compare two strings by their UTF-8 bytes (what `sort` in C locale and every emitter uses). */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order equals UTF-8 byte order except surrogates (U+10000..) vs U+E000..U+FFFF
    if (x >= 0xd800 && y >= 0xd800) return Buffer.compare(Buffer.from(a.slice(i)), Buffer.from(b.slice(i)));
    return x - y;
  }
  return a.length - b.length;
}

function sameXattrs(a: Record<string, Uint8Array>, b: Record<string, Uint8Array>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length) return false;
  return ka.every((k, i) => k === kb[i] && Buffer.compare(a[k]!, b[k]!) === 0);
}

/** Same type, metadata, target and (by sha256 or bytes) content. */
export function sameEntry(a: RootfsEntry, b: RootfsEntry): boolean {
  if (a.type !== b.type || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.type === 'dir') return true;
  if (a.linkTarget !== b.linkTarget || a.size !== b.size || !sameXattrs(a.xattrs, b.xattrs)) return false;
  if ((a.rdev?.major ?? 0) !== (b.rdev?.major ?? 0) || (a.rdev?.minor ?? 0) !== (b.rdev?.minor ?? 0)) return false;
  if (a.type !== 'file') return true;
  if (a.content?.sha256 && b.content?.sha256) return a.content.sha256 === b.content.sha256;
  if (a.content?.bytes && b.content?.bytes) return Buffer.compare(a.content.bytes, b.content.bytes) === 0;
  return a.size === 0;
}

/** Default policy: identical entries and directory-over-directory keep the first; else error. */
export const defaultConflictHandler: ConflictHandler = (c) => {
  if (c.existing.type === 'dir' && c.incoming.type === 'dir') return 'keep';
  return sameEntry(c.existing, c.incoming) ? 'keep' : 'error';
};

export class Rootfs {
  private readonly entries = new Map<string, RootfsEntry>();
  private readonly kids = new Map<string, Set<string>>();
  /** Hardlink index: source file path → paths of the hardlinks to it. */
  private readonly links = new Map<string, Set<string>>();
  private sortedCache: RootfsEntry[] | undefined;
  readonly onConflict: ConflictHandler;
  readonly defaultMtime: number;

  constructor(opts: RootfsOptions = {}) {
    this.onConflict = opts.onConflict ?? defaultConflictHandler;
    this.defaultMtime = opts.defaultMtime ?? 0;
    this.entries.set('/', this.dirDefaults('/'));
    this.kids.set('/', new Set());
  }

  private dirDefaults(path: string): RootfsEntry {
    return { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, user: 'root', group: 'root', mtime: this.defaultMtime, size: 0, xattrs: {}, implicit: true };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Look up an entry by path (no symlink resolution). */
  get(path: string): RootfsEntry | undefined {
    return this.entries.get(normalizePath(path));
  }

  has(path: string): boolean {
    return this.entries.has(normalizePath(path));
  }

  /** Names (not paths) directly inside a directory, unsorted. */
  childNames(dir: string): string[] {
    return [...(this.kids.get(normalizePath(dir)) ?? [])];
  }

  /**
   * Resolve symlinks in the parent components of `path` (never the last one), staying inside the
   * root: '/lib/x' with '/lib -> usr/lib' gives '/usr/lib/x'. Missing components stay as they are.
   */
  resolveParents(path: string): string {
    let p = normalizePath(path);
    for (let hops = 0; ; ) {
      const parts = p.split('/').slice(1);
      let cur = '';
      let changed = false;
      for (let i = 0; i < parts.length - 1; i++) {
        cur += '/' + parts[i];
        const e = this.entries.get(cur);
        if (e?.type === 'symlink' && e.linkTarget !== undefined) {
          if (++hops > MAX_SYMLINK_HOPS) throw new DriftlessError('ROOTFS_SYMLINK_LOOP', `too many symlinks resolving ${path}`, { path });
          const base = e.linkTarget.startsWith('/') ? '' : parentOf(cur);
          p = normalizeInside(base + '/' + e.linkTarget + '/' + parts.slice(i + 1).join('/'));
          changed = true;
          break;
        }
      }
      if (!changed) return p;
    }
  }

  /** Ensure `dir` and its parents exist as directories (implicit defaults). Returns its path. */
  mkdirp(dir: string): string {
    const p = this.resolveParents(dir);
    if (p === '/') return p;
    const e = this.entries.get(p);
    if (e) {
      if (e.type === 'dir') return p;
      if (e.type === 'symlink') return this.mkdirp(parentOf(this.resolveParents(p + '/x')));
      throw new DriftlessError('ROOTFS_NOT_A_DIR', `${p} is a ${e.type}, not a directory`, { path: p, details: { owner: e.owner } });
    }
    this.mkdirp(parentOf(p));
    this.insert(this.dirDefaults(p));
    return p;
  }

  private insert(e: RootfsEntry): void {
    const parent = parentOf(e.path);
    const old = this.entries.get(e.path);
    if (!old) this.kids.get(parent)!.add(baseName(e.path));
    else if (old.type === 'hardlink') this.links.get(old.linkTarget!)?.delete(e.path);
    if (e.type === 'hardlink') {
      const set = this.links.get(e.linkTarget!) ?? new Set<string>();
      set.add(e.path);
      this.links.set(e.linkTarget!, set);
    }
    this.entries.set(e.path, e);
    if (e.type === 'dir' && !this.kids.has(e.path)) this.kids.set(e.path, new Set());
    this.sortedCache = undefined;
  }

  /**
   * Add an entry (creating missing parents). On a collision the conflict handler decides, unless
   * `opts.replace` forces replacement (e.g. a definition's `files` overriding a package file).
   * Returns the entry now at that path.
   */
  add(input: EntryInput, opts: { replace?: boolean } = {}): RootfsEntry {
    const path = this.resolveParents(input.path);
    if (path === '/' && input.type !== 'dir') throw new DriftlessError('ROOTFS_BAD_PATH', 'the root must be a directory');
    const e = this.complete({ ...input, path });
    if (path !== '/') this.mkdirp(parentOf(path));
    const existing = this.entries.get(path);
    if (existing) {
      let decision: ConflictDecision;
      if (opts.replace) decision = 'replace';
      else if (existing.implicit && e.type === 'dir') decision = 'replace';
      else decision = this.onConflict({ path, existing, incoming: e });
      if (decision === 'keep') return existing;
      if (decision === 'error') {
        throw new DriftlessError('ROOTFS_CONFLICT', `${path}: ${describe(e)} conflicts with ${describe(existing)}`, {
          path,
          details: { existingOwner: existing.owner, incomingOwner: e.owner },
          hint: 'two packages (or a package and the definition) ship different content at one path',
        });
      }
      if (existing.type === 'dir' && e.type !== 'dir') this.remove(path);
      else if (this.links.get(path)?.size) this.detachLinks(path);
    }
    this.insert(e);
    return e;
  }

  private complete(i: EntryInput): RootfsEntry {
    const e: RootfsEntry = {
      path: i.path,
      type: i.type,
      mode: (i.mode ?? (i.type === 'dir' ? 0o755 : i.type === 'symlink' ? 0o777 : 0o644)) & 0o7777,
      uid: i.uid ?? 0,
      gid: i.gid ?? 0,
      user: i.user ?? (i.uid === undefined || i.uid === 0 ? 'root' : undefined),
      group: i.group ?? (i.gid === undefined || i.gid === 0 ? 'root' : undefined),
      mtime: Math.max(0, Math.floor(i.mtime ?? this.defaultMtime)),
      size: i.type === 'file' ? (i.size ?? i.content?.bytes?.length ?? 0) : 0,
      xattrs: { ...(i.xattrs ?? {}) },
    };
    if (i.content && i.type === 'file') e.content = i.content;
    if (i.owner !== undefined) e.owner = i.owner;
    if (i.type === 'symlink') {
      if (!i.linkTarget) throw new DriftlessError('ROOTFS_BAD_ENTRY', `symlink ${i.path} has no target`, { path: i.path });
      e.linkTarget = i.linkTarget;
    }
    if (i.type === 'hardlink') {
      if (!i.linkTarget) throw new DriftlessError('ROOTFS_BAD_ENTRY', `hardlink ${i.path} has no source`, { path: i.path });
      e.linkTarget = this.resolveParents(i.linkTarget);
      const src = this.entries.get(e.linkTarget);
      if (!src || src.type !== 'file') {
        throw new DriftlessError('ROOTFS_BAD_ENTRY', `hardlink ${i.path} -> ${e.linkTarget}: source is not a regular file in the rootfs`, { path: i.path });
      }
    }
    if (i.type === 'char' || i.type === 'block') e.rdev = { major: i.rdev?.major ?? 0, minor: i.rdev?.minor ?? 0 };
    if (e.type === 'file' && e.content?.bytes && e.content.bytes.length !== e.size) {
      throw new DriftlessError('ROOTFS_BAD_ENTRY', `${i.path}: size ${e.size} differs from content length ${e.content.bytes.length}`, { path: i.path });
    }
    return e;
  }

  /** Remove an entry and, for a directory, everything below it. Returns the number removed. */
  remove(path: string): number {
    const p = normalizePath(path);
    if (p === '/') throw new DriftlessError('ROOTFS_BAD_PATH', 'cannot remove the root');
    const e = this.entries.get(p);
    if (!e) return 0;
    let n = 0;
    if (e.type === 'dir') for (const k of [...(this.kids.get(p) ?? [])]) n += this.remove(p + '/' + k);
    if (e.type === 'hardlink') this.links.get(e.linkTarget!)?.delete(p);
    if (this.links.get(p)?.size) this.detachLinks(p);
    this.links.delete(p);
    this.entries.delete(p);
    this.kids.delete(p);
    this.kids.get(parentOf(p))?.delete(baseName(p));
    this.sortedCache = undefined;
    return n + 1;
  }

  /** Change metadata of an existing entry in place (mode, owner, xattrs...). */
  update(path: string, patch: Partial<Omit<RootfsEntry, 'path' | 'type'>>): RootfsEntry {
    const p = normalizePath(path);
    const e = this.entries.get(p);
    if (!e) throw new DriftlessError('ROOTFS_NOT_FOUND', `${p} is not in the rootfs`, { path: p });
    Object.assign(e, patch);
    if (patch.mode !== undefined) e.mode = patch.mode & 0o7777;
    if (e.type === 'dir') delete e.implicit;
    return e;
  }

  /** Every entry, including the root, in byte order of path (parents always precede children). */
  sorted(): readonly RootfsEntry[] {
    this.sortedCache ??= [...this.entries.values()].sort((a, b) => compareBytes(a.path, b.path));
    return this.sortedCache;
  }

  [Symbol.iterator](): Iterator<RootfsEntry> {
    return this.sorted()[Symbol.iterator]();
  }

  /** Set every mtime later than `epoch` to `epoch` (older ones stay: they carry information). */
  clampMtimes(epoch: number): void {
    for (const e of this.entries.values()) if (e.mtime > epoch) e.mtime = epoch;
  }

  /**
   * The file at `src` is going away (removed or replaced) but its hardlinks stay, as on a real
   * filesystem: the first link (byte order) becomes the file, the others link to it.
   */
  private detachLinks(src: string): void {
    const file = this.entries.get(src)!;
    const names = [...(this.links.get(src) ?? [])].sort(compareBytes);
    this.links.delete(src);
    if (names.length === 0) return;
    const [first, ...rest] = names as [string, ...string[]];
    this.entries.set(first, { ...file, path: first });
    for (const l of rest) this.entries.get(l)!.linkTarget = first;
    if (rest.length) this.links.set(first, new Set(rest));
    this.sortedCache = undefined;
  }

  /** Hardlinks grouped by the file they link to: source path → link paths (sorted). */
  hardlinkGroups(): Map<string, string[]> {
    const g = new Map<string, string[]>();
    for (const [src, set] of [...this.links].sort((a, b) => compareBytes(a[0], b[0]))) {
      if (set.size) g.set(src, [...set].sort(compareBytes));
    }
    return g;
  }
}

/** Normalise an already-joined path, clamping '..' at the root (symlink resolution never escapes). */
function normalizeInside(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return normalizePath('/' + out.join('/'));
}

function describe(e: RootfsEntry): string {
  return `${e.type}${e.owner ? ` from ${e.owner}` : ''}`;
}

/** Stream an entry's content (empty for non-files). */
export async function* entryContent(e: RootfsEntry): AsyncGenerator<Uint8Array> {
  if (e.type !== 'file' || e.size === 0) return;
  if (e.content?.bytes) {
    yield e.content.bytes;
    return;
  }
  if (e.content?.open) {
    yield* e.content.open();
    return;
  }
  throw new DriftlessError('ROOTFS_NO_CONTENT', `${e.path}: ${e.size} bytes but no content source`, { path: e.path });
}

/** Read an entry's whole content into memory (checks the size). */
export async function entryBytes(e: RootfsEntry): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of entryContent(e)) {
    parts.push(c);
    n += c.length;
    if (n > e.size) break;
  }
  if (n !== e.size) throw new DriftlessError('ROOTFS_SIZE_MISMATCH', `${e.path}: content has ${n > e.size ? 'more' : n} bytes, entry says ${e.size}`, { path: e.path });
  return Buffer.concat(parts, n);
}
