/**
 * The file list of a package header: paths (DIRNAMES/BASENAMES/DIRINDEXES, or OLDFILENAMES in
 * old packages), modes, owners, sizes, digests, link targets, flags, capabilities, IMA
 * signatures, mtimes, devices/inodes (hardlink groups), languages and verify flags.
 *
 *   const files = packageFiles(pkg.header, pkg.signature)
 *   files[0].path, files[0].flagNames   // '/etc/foo.conf', ['config', 'noreplace']
 */
import { DriftlessError } from '../core/errors.js';
import type { Header } from './header.js';
import { DigestAlgo, FileFlag, SigTag, Tag } from './tags.js';

export interface RpmFile {
  /** Index in the header's file arrays. */
  index: number;
  path: string;
  size: number;
  mode: number;
  rdev: number;
  mtime: number;
  /** Hex digest ('' for non-regular files and ghosts without one). */
  digest: string;
  /** Symlink target ('' if none). */
  linkto: string;
  flags: number;
  flagNames: string[];
  user: string;
  group: string;
  verifyFlags: number;
  device: number;
  inode: number;
  lang: string;
  /** Capability text as `getcap` shows it ('' if none). */
  caps: string;
  /** IMA signature (hex, '' if none). */
  imaSignature: string;
  /** Number of entries in this file's hardlink group (1 if not hardlinked). */
  nlink: number;
  /** Indices of the hardlink group, in header order (just [index] if not hardlinked). */
  links: number[];
}

const FLAG_NAMES: Array<[number, string]> = [
  [FileFlag.CONFIG, 'config'],
  [FileFlag.DOC, 'doc'],
  [FileFlag.ICON, 'icon'],
  [FileFlag.MISSINGOK, 'missingok'],
  [FileFlag.NOREPLACE, 'noreplace'],
  [FileFlag.SPECFILE, 'specfile'],
  [FileFlag.GHOST, 'ghost'],
  [FileFlag.LICENSE, 'license'],
  [FileFlag.README, 'readme'],
  [FileFlag.PUBKEY, 'pubkey'],
  [FileFlag.ARTIFACT, 'artifact'],
];

/** Names of the set bits of a FILEFLAGS value, e.g. ['config', 'noreplace']. */
export function fileFlagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
}

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;

/** Digest algorithm of FILEDIGESTS (FILEDIGESTALGO, default MD5). */
export function fileDigestAlgorithm(header: Header): (typeof DigestAlgo)[number] {
  const id = header.getNumber(Tag.FILEDIGESTALGO) ?? 1;
  const a = DigestAlgo[id];
  if (!a) throw new DriftlessError('RPM_UNKNOWN_DIGEST_ALGO', `unknown file digest algorithm ${id}`);
  return a;
}

/** Full paths in header order (what `rpm -qpl` prints). */
export function filePaths(header: Header): string[] {
  const base = header.getStrings(Tag.BASENAMES);
  if (base) {
    const dirs = header.getStrings(Tag.DIRNAMES) ?? [];
    const idx = header.getNumbers(Tag.DIRINDEXES) ?? [];
    if (idx.length !== base.length) {
      throw new DriftlessError('RPM_BAD_FILELIST', `DIRINDEXES has ${idx.length} entries, BASENAMES ${base.length}`);
    }
    return base.map((b, i) => {
      const d = dirs[idx[i]!];
      if (d === undefined) throw new DriftlessError('RPM_BAD_FILELIST', `file ${i}: directory index ${idx[i]} out of range (${dirs.length} dirs)`);
      return d + b;
    });
  }
  return header.getStrings(Tag.OLDFILENAMES) ?? [];
}

/** Decode the file list. Arrays shorter than the file count are a coded error. */
export function packageFiles(header: Header, signature?: Header): RpmFile[] {
  const paths = filePaths(header);
  const n = paths.length;
  if (n === 0) return [];
  const arr = <T>(v: T[] | undefined, tag: string, dflt: T): T[] => {
    if (v === undefined) return new Array<T>(n).fill(dflt);
    if (v.length < n) throw new DriftlessError('RPM_BAD_FILELIST', `${tag} has ${v.length} entries for ${n} files`);
    return v;
  };
  const sizes = arr(header.getNumbers(Tag.LONGFILESIZES) ?? header.getNumbers(Tag.FILESIZES), 'FILESIZES', 0);
  const modes = arr(header.getNumbers(Tag.FILEMODES), 'FILEMODES', 0);
  const rdevs = arr(header.getNumbers(Tag.FILERDEVS), 'FILERDEVS', 0);
  const mtimes = arr(header.getNumbers(Tag.FILEMTIMES), 'FILEMTIMES', 0);
  const digests = arr(header.getStrings(Tag.FILEDIGESTS), 'FILEDIGESTS', '');
  const links = arr(header.getStrings(Tag.FILELINKTOS), 'FILELINKTOS', '');
  const flags = arr(header.getNumbers(Tag.FILEFLAGS), 'FILEFLAGS', 0);
  const users = arr(header.getStrings(Tag.FILEUSERNAME), 'FILEUSERNAME', 'root');
  const groups = arr(header.getStrings(Tag.FILEGROUPNAME), 'FILEGROUPNAME', 'root');
  const vflags = arr(header.getNumbers(Tag.FILEVERIFYFLAGS), 'FILEVERIFYFLAGS', 0xffffffff);
  const devices = arr(header.getNumbers(Tag.FILEDEVICES), 'FILEDEVICES', 0);
  const inodes = arr(header.getNumbers(Tag.FILEINODES), 'FILEINODES', 0);
  const langs = arr(header.getStrings(Tag.FILELANGS), 'FILELANGS', '');
  const caps = arr(header.getStrings(Tag.FILECAPS), 'FILECAPS', '');
  const ima = arr(header.getStrings(Tag.FILESIGNATURES) ?? signature?.getStrings(SigTag.FILESIGNATURES), 'FILESIGNATURES', '');
  const files: RpmFile[] = [];
  for (let i = 0; i < n; i++) {
    files.push({
      index: i,
      path: paths[i]!,
      size: sizes[i]!,
      mode: modes[i]! & 0xffff,
      rdev: rdevs[i]! & 0xffff,
      mtime: mtimes[i]!,
      digest: digests[i]!,
      linkto: links[i]!,
      flags: flags[i]!,
      flagNames: fileFlagNames(flags[i]!),
      user: users[i]!,
      group: groups[i]!,
      verifyFlags: vflags[i]!,
      device: devices[i]!,
      inode: inodes[i]!,
      lang: langs[i]!,
      caps: caps[i]!,
      imaSignature: ima[i]!,
      nlink: 1,
      links: [i],
    });
  }
  // Hardlink groups: regular, non-ghost files sharing (device, inode).
  const groupsByKey = new Map<string, number[]>();
  for (const f of files) {
    if ((f.mode & S_IFMT) !== S_IFREG || f.flags & FileFlag.GHOST || (f.inode === 0 && f.device === 0)) continue;
    const k = `${f.device}:${f.inode}`;
    const g = groupsByKey.get(k);
    if (g) g.push(f.index);
    else groupsByKey.set(k, [f.index]);
  }
  for (const g of groupsByKey.values()) {
    if (g.length < 2) continue;
    for (const i of g) {
      files[i]!.nlink = g.length;
      files[i]!.links = g;
    }
  }
  return files;
}

/** True for the hardlink group member that carries the data in the payload (the last one). */
export function carriesContent(f: RpmFile): boolean {
  return f.links[f.links.length - 1] === f.index;
}
