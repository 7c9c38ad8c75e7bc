/**
 * Installing a package into the rootfs model — rootless and without scriptlets: every payload
 * entry becomes a Rootfs entry with the header's mode, owner names, mtime, capabilities and
 * hardlinks; file content goes to the content store and is read lazily by the emitters.
 * Ghost files are not created (rpm does not create them either). Scriptlets and triggers are
 * not run; they are returned so the build report can list them per package.
 *
 *   const r = await installPackage(rootfs, pkg, { cas })
 *   r.skippedScriptlets // ['%post', '%postun']
 */
import { createHash } from 'node:crypto';
import type { ContentStore } from '../core/cas.js';
import { DriftlessError } from '../core/errors.js';
import { Tag } from '../rpm/tags.js';
import type { RpmPackage } from '../rpm/package.js';
import { readPayload } from '../rpm/payload.js';
import { packageFiles, S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, type RpmFile } from '../rpm/files.js';
import { FileFlag } from '../rpm/tags.js';
import { Rootfs, type EntryType } from './rootfs.js';
import { capabilityXattr, isEmptyCapability } from './caps.js';

export interface InstallResult {
  name: string;
  files: number;
  installedSize: number;
  skippedScriptlets: string[];
}

const SCRIPTLET_TAGS: Array<[number, string]> = [
  [Tag.PRETRANS, '%pretrans'],
  [Tag.PREIN, '%pre'],
  [Tag.POSTIN, '%post'],
  [Tag.PREUN, '%preun'],
  [Tag.POSTUN, '%postun'],
  [Tag.POSTTRANS, '%posttrans'],
  [Tag.PREUNTRANS, '%preuntrans'],
  [Tag.POSTUNTRANS, '%postuntrans'],
  [Tag.VERIFYSCRIPT, '%verifyscript'],
  [Tag.TRIGGERSCRIPTS, '%trigger'],
  [Tag.FILETRIGGERSCRIPTS, '%filetrigger'],
  [Tag.TRANSFILETRIGGERSCRIPTS, '%transfiletrigger'],
];

/** Scriptlets and triggers a package carries (none of them run at compose time). */
export function packageScriptlets(pkg: RpmPackage): string[] {
  const out: string[] = [];
  for (const [tag, name] of SCRIPTLET_TAGS) if (pkg.header.has(tag)) out.push(name);
  // a scriptlet may be a bare interpreter (e.g. <lua> or /sbin/ldconfig) with no body
  for (const [tag, name] of [[Tag.POSTINPROG, '%post'], [Tag.POSTUNPROG, '%postun'], [Tag.PREINPROG, '%pre']] as const) {
    if (pkg.header.has(tag) && !out.includes(name)) out.push(name);
  }
  return out;
}

function capsXattrs(caps: string): Record<string, Uint8Array> {
  if (!caps) return {};
  const x = capabilityXattr(caps);
  return isEmptyCapability(x) ? {} : { 'security.capability': x };
}

function entryType(mode: number): EntryType {
  switch (mode & S_IFMT) {
    case S_IFREG: return 'file';
    case S_IFDIR: return 'dir';
    case S_IFLNK: return 'symlink';
    case S_IFCHR: return 'char';
    case S_IFBLK: return 'block';
    case S_IFIFO: return 'fifo';
  }
  throw new DriftlessError('COMPOSE_UNSUPPORTED_FILE', `unsupported file type ${(mode & S_IFMT).toString(8)}`);
}

/** Files up to this size are kept in memory (while the budget lasts) instead of the content store. */
export const INLINE_MAX = 256 * 1024;

export interface InstallOptions {
  cas: ContentStore;
  /**
   * Bytes of file content that may still be kept in memory; shared across packages and decreased
   * as files are inlined. Small files then cost no store round trips (open/write/rename per file).
   * Default: nothing inlined.
   */
  inlineBudget?: { remaining: number };
  /** Leave out %doc files (and %license if `excludeLicenses`): smaller images. Default false. */
  excludeDocs?: boolean;
}

/** Install one package's payload into `fs`. Ownership stays by name until resolveOwners(). */
export async function installPackage(fs: Rootfs, pkg: RpmPackage, opts: InstallOptions): Promise<InstallResult> {
  const name = pkg.header.getString(Tag.NAME) ?? '?';
  const files = packageFiles(pkg.header, pkg.signature);
  const result: InstallResult = { name, files: 0, installedSize: 0, skippedScriptlets: packageScriptlets(pkg) };
  const skip = (f: RpmFile) => (f.flags & FileFlag.GHOST) !== 0 || (opts.excludeDocs === true && (f.flags & FileFlag.DOC) !== 0);
  // hardlink groups: the first path (header order) becomes the file, the others link to it
  const placed = new Set<number>();
  const base = (f: RpmFile): { mode: number; uid: number; gid: number; user: string; group: string; mtime: number; owner: string; xattrs: Record<string, Uint8Array> } => ({
    mode: f.mode & 0o7777,
    uid: 0,
    gid: 0,
    user: f.user || 'root',
    group: f.group || 'root',
    mtime: f.mtime,
    owner: name,
    xattrs: capsXattrs(f.caps),
  });
  for await (const { entry, file, data } of readPayload(pkg, { files, verifyDigests: true })) {
    if (!file) continue;
    if (skip(file)) {
      for await (const _ of data()) void _;
      continue;
    }
    const type = entryType(file.mode);
    if (type === 'file') {
      if (file.nlink > 1 && entry.size === 0 && file.size > 0) continue; // data comes with the last link
      const budget = opts.inlineBudget;
      let content: { sha256: string; bytes?: Uint8Array; open?: () => AsyncIterable<Uint8Array> };
      let size: number;
      if (budget && file.size <= INLINE_MAX && budget.remaining >= file.size) {
        const parts: Uint8Array[] = [];
        for await (const c of data()) parts.push(c);
        const bytes = Buffer.concat(parts);
        if (bytes.length !== file.size) throw new DriftlessError('COMPOSE_SIZE_MISMATCH', `${name}:${file.path}: payload has ${bytes.length} bytes, header says ${file.size}`);
        budget.remaining -= bytes.length;
        size = bytes.length;
        content = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
      } else {
        const put = await opts.cas.putStream(data(), { expectedSize: file.size, noSync: true, label: `${name}:${file.path}` });
        size = put.size;
        content = { sha256: put.sha256, open: () => opts.cas.read(put.sha256) };
      }
      const group = file.links.filter((i) => !skip(files[i]!));
      const primary = files[group[0] ?? file.index]!;
      if (placed.has(primary.index)) continue;
      placed.add(primary.index);
      fs.add({ path: primary.path, type: 'file', size, ...base(primary), content });
      result.files++;
      result.installedSize += size;
      for (const i of group.slice(1)) {
        fs.add({ path: files[i]!.path, type: 'hardlink', size: 0, ...base(files[i]!), linkTarget: primary.path });
        result.files++;
      }
      continue;
    }
    for await (const _ of data()) void _;
    if (type === 'dir') fs.add({ path: file.path, type, size: 0, ...base(file) });
    else if (type === 'symlink') fs.add({ path: file.path, type, size: 0, ...base(file), mode: 0o777, linkTarget: file.linkto });
    else fs.add({ path: file.path, type: type as EntryType, size: 0, ...base(file), rdev: { major: (file.rdev >> 8) & 0xfff, minor: (file.rdev & 0xff) | ((file.rdev >> 12) & 0xfff00) } });
    result.files++;
  }
  return result;
}

/**
 * Turn owner names into ids once the accounts exist. Unknown names fall back to root, as rpm
 * does ("user X does not exist - using root"); they are returned for the report.
 */
export function resolveOwners(fs: Rootfs, ids: { uid: Map<string, number>; gid: Map<string, number> }): Array<{ path: string; missing: string }> {
  const missing: Array<{ path: string; missing: string }> = [];
  for (const e of fs.sorted()) {
    const uid = ids.uid.get(e.user ?? 'root');
    const gid = ids.gid.get(e.group ?? 'root');
    if (uid === undefined) missing.push({ path: e.path, missing: `user ${e.user}` });
    if (gid === undefined) missing.push({ path: e.path, missing: `group ${e.group}` });
    if (e.uid !== (uid ?? 0) || e.gid !== (gid ?? 0)) {
      fs.update(e.path, { uid: uid ?? 0, gid: gid ?? 0, ...(uid === undefined ? { user: 'root' } : {}), ...(gid === undefined ? { group: 'root' } : {}) });
    }
  }
  return missing;
}
