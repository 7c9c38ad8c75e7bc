/**
 * The Merkle tree of an image. Every directory is one immutable *tree object*: canonical JSON
 * holding the directory's own metadata and its sorted entries; a subdirectory entry names the
 * SHA-256 of its tree object, a file entry the SHA-256 of its content object. So the root tree
 * digest pins every byte, mode, owner, xattr and symlink target below it.
 *
 *   const root = newDir()                       // build in memory...
 *   addPath(root, '/usr/bin/sh', { type: 'file', mode: 0o755, uid: 0, gid: 0, content, size })
 *   const digest = await writeTree(store, root) // ...then store bottom-up
 *   const t = await readTree(store, digest)     // validated on read (tampering is refused)
 *
 * Names are single path components (no '/', '.', '..', NUL), so a checkout can never escape
 * its root whatever a (tampered) tree says.
 */
import { DriftlessError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { ContentStore } from '../core/cas.js';
import { readFileSync } from 'node:fs';
import { putBytesSync } from './fastio.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** Metadata of a directory or file. xattr values are base64. */
export interface Meta {
  mode: number;
  uid: number;
  gid: number;
  xattrs?: Record<string, string>;
}

export interface FileEntry extends Meta {
  name: string;
  type: 'file';
  size: number;
  content: string;
}
export interface DirEntry {
  name: string;
  type: 'dir';
  tree: string;
}
export interface SymlinkEntry {
  name: string;
  type: 'symlink';
  uid: number;
  gid: number;
  target: string;
}
export type TreeEntry = FileEntry | DirEntry | SymlinkEntry;

/** A stored directory: its own metadata plus sorted entries. */
export interface TreeObject {
  meta: Meta;
  entries: TreeEntry[];
}

/** In-memory directory used while importing. */
export interface MemDir {
  type: 'dir';
  meta: Meta;
  children: Map<string, MemNode>;
}
export type MemNode = MemDir | Omit<FileEntry, 'name'> | Omit<SymlinkEntry, 'name'>;

export function newDir(meta: Meta = { mode: 0o755, uid: 0, gid: 0 }): MemDir {
  return { type: 'dir', meta, children: new Map() };
}

/** True for a single safe path component. */
export function validName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0') && Buffer.byteLength(name) <= 255;
}

/** Split '/a/b' (or 'a/b') into components, refusing anything that could escape. */
export function splitPath(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  for (const p of parts) {
    if (!validName(p)) throw new DriftlessError('HOST_PATH_ESCAPE', `unsafe path component ${JSON.stringify(p)} in ${path}`, { path });
  }
  return parts;
}

/**
 * Put a node at `path`, creating missing parent directories (0755 root). An existing
 * directory keeps its children when replaced by a directory (only its metadata changes).
 */
export function addPath(root: MemDir, path: string, node: MemNode): void {
  const parts = splitPath(path);
  if (parts.length === 0) {
    if (node.type !== 'dir') throw new DriftlessError('HOST_TREE_INVALID', 'the root must be a directory');
    root.meta = node.meta;
    return;
  }
  let dir = root;
  for (const p of parts.slice(0, -1)) {
    let next = dir.children.get(p);
    if (!next || next.type !== 'dir') {
      next = newDir();
      dir.children.set(p, next);
    }
    dir = next;
  }
  const last = parts[parts.length - 1]!;
  const existing = dir.children.get(last);
  if (node.type === 'dir' && existing?.type === 'dir') existing.meta = node.meta;
  else dir.children.set(last, node);
}

/** Look a node up by path; undefined when absent. */
export function getPath(root: MemDir, path: string): MemNode | undefined {
  let node: MemNode = root;
  for (const p of splitPath(path)) {
    if (node.type !== 'dir') return undefined;
    const next: MemNode | undefined = node.children.get(p);
    if (!next) return undefined;
    node = next;
  }
  return node;
}

function canonMeta(m: Meta): Meta {
  const out: Meta = { mode: m.mode, uid: m.uid, gid: m.gid };
  if (m.xattrs && Object.keys(m.xattrs).length) {
    out.xattrs = Object.fromEntries(Object.keys(m.xattrs).sort().map((k) => [k, m.xattrs![k]!]));
  }
  return out;
}

const byName = (a: { name: string }, b: { name: string }) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));

/** Canonical bytes of a tree object (fixed key order, entries sorted bytewise). */
export function encodeTree(t: TreeObject): Buffer {
  const entries = [...t.entries].sort(byName).map((e) => {
    if (e.type === 'dir') return { name: e.name, type: e.type, tree: e.tree };
    if (e.type === 'symlink') return { name: e.name, type: e.type, uid: e.uid, gid: e.gid, target: e.target };
    return { name: e.name, type: e.type, ...canonMeta(e), size: e.size, content: e.content };
  });
  return Buffer.from(JSON.stringify({ kind: 'driftless-tree-1', meta: canonMeta(t.meta), entries }));
}

function bad(digest: string, why: string): never {
  throw new DriftlessError('HOST_TREE_INVALID', `tree object ${digest.slice(0, 12)}: ${why}`, { details: { digest } });
}

function checkMeta(d: string, m: unknown, what: string): Meta {
  const o = m as Meta;
  if (!o || typeof o !== 'object') bad(d, `${what}: no metadata`);
  for (const k of ['mode', 'uid', 'gid'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] > (k === 'mode' ? 0o7777 : 0xffffffff)) bad(d, `${what}: bad ${k}`);
  }
  if (o.xattrs !== undefined && (typeof o.xattrs !== 'object' || Object.values(o.xattrs).some((v) => typeof v !== 'string'))) bad(d, `${what}: bad xattrs`);
  return o;
}

/** Parse and validate tree bytes (names, digests, order); `digest` is for messages. */
export function decodeTree(bytes: Uint8Array, digest = '?'): TreeObject {
  let o: { kind?: string; meta?: unknown; entries?: unknown };
  try {
    o = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    bad(digest, 'not JSON');
  }
  if (o.kind !== 'driftless-tree-1' || !Array.isArray(o.entries)) bad(digest, 'not a tree object');
  const meta = checkMeta(digest, o.meta, 'directory');
  let prev: string | undefined;
  for (const e of o.entries as TreeEntry[]) {
    if (!e || typeof e.name !== 'string' || !validName(e.name)) bad(digest, `unsafe entry name ${JSON.stringify(e?.name)}`);
    if (prev !== undefined && Buffer.compare(Buffer.from(prev), Buffer.from(e.name)) >= 0) bad(digest, `entries not sorted/unique at ${e.name}`);
    prev = e.name;
    if (e.type === 'dir') {
      if (typeof e.tree !== 'string' || !HEX64.test(e.tree)) bad(digest, `${e.name}: bad subtree digest`);
    } else if (e.type === 'file') {
      checkMeta(digest, e, e.name);
      if (typeof e.content !== 'string' || !HEX64.test(e.content)) bad(digest, `${e.name}: bad content digest`);
      if (!Number.isSafeInteger(e.size) || e.size < 0) bad(digest, `${e.name}: bad size`);
    } else if (e.type === 'symlink') {
      if (typeof e.target !== 'string' || e.target === '' || e.target.includes('\0')) bad(digest, `${e.name}: bad symlink target`);
      if (!Number.isInteger(e.uid) || !Number.isInteger(e.gid)) bad(digest, `${e.name}: bad owner`);
    } else bad(digest, `${String((e as { name: string }).name)}: unknown type`);
  }
  return { meta, entries: o.entries as TreeEntry[] };
}

/** Store a tree object; returns its digest. */
export async function putTree(cas: ContentStore, t: TreeObject): Promise<string> {
  return putBytesSync(cas, encodeTree(t)).sha256;
}

/** Read and validate a tree object, checking its bytes against the digest. */
export async function readTree(cas: ContentStore, digest: string): Promise<TreeObject> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cas.objectPath(digest));
  } catch (e) {
    throw new DriftlessError('HOST_OBJECT_MISSING', `tree object ${digest} is missing from the store`, { cause: e, details: { digest } });
  }
  if (sha256Hex(bytes) !== digest) {
    throw new DriftlessError('HOST_OBJECT_CORRUPT', `tree object ${digest} does not match its digest`, { details: { digest } });
  }
  return decodeTree(bytes, digest);
}

/** Store an in-memory tree bottom-up; returns the root tree digest. */
export async function writeTree(cas: ContentStore, dir: MemDir): Promise<string> {
  const entries: TreeEntry[] = [];
  for (const [name, node] of dir.children) {
    if (node.type === 'dir') entries.push({ name, type: 'dir', tree: await writeTree(cas, node) });
    else entries.push({ name, ...node } as TreeEntry);
  }
  return putTree(cas, { meta: dir.meta, entries });
}

/** One item while walking a stored tree: its path ('/usr/bin/sh') and entry (root: a dir entry). */
export interface WalkItem {
  path: string;
  entry: TreeEntry;
  /** For directories: the directory's own metadata. */
  meta?: Meta;
}

/**
 * Walk a stored tree depth-first, parents before children, entries in sorted order.
 * `skip(path)` prunes a subtree (e.g. '/var').
 */
export async function* walkTree(cas: ContentStore, digest: string, skip?: (path: string) => boolean): AsyncGenerator<WalkItem> {
  const t = await readTree(cas, digest);
  yield { path: '/', entry: { name: '', type: 'dir', tree: digest }, meta: t.meta };
  yield* walkEntries(cas, t, '', skip);
}

async function* walkEntries(cas: ContentStore, t: TreeObject, base: string, skip?: (path: string) => boolean): AsyncGenerator<WalkItem> {
  for (const e of t.entries) {
    const path = `${base}/${e.name}`;
    if (skip?.(path)) continue;
    if (e.type === 'dir') {
      const sub = await readTree(cas, e.tree);
      yield { path, entry: e, meta: sub.meta };
      yield* walkEntries(cas, sub, path, skip);
    } else yield { path, entry: e };
  }
}

/** Find the subtree digest at `path` ('/etc'); undefined when absent or not a directory. */
export async function subtreeAt(cas: ContentStore, root: string, path: string): Promise<string | undefined> {
  let digest = root;
  for (const p of splitPath(path)) {
    const t = await readTree(cas, digest);
    const e = t.entries.find((x) => x.name === p);
    if (!e || e.type !== 'dir') return undefined;
    digest = e.tree;
  }
  return digest;
}
