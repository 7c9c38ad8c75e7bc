/**
 * Main header assembly for built packages: the tag set rpmbuild 4.18 writes for a binary
 * package (identity, descriptions, file lists with compressed file names, dependencies,
 * payload description and digests), with host-independent values (BUILDHOST "driftless",
 * BUILDTIME = SOURCE_DATE_EPOCH).
 */
import { encodeHeader, type EncodeEntry } from '../header.js';
import { FileFlag, RPMTAG_HEADERIMMUTABLE, Tag, TagType } from '../tags.js';
import { DEP_TAGS, type BuildDepKind, type DepTriple } from './deps.js';
import { splitPath, type FileRecord } from './files.js';
import type { Payload } from './payload.js';
import type { PackageDefinition } from './schema.js';

export const BUILDHOST = 'driftless';
/** The rpm format level these packages are written for (RPMVERSION). */
export const RPM_FORMAT_VERSION = '4.18.0';
/** FILEDIGESTALGO / PAYLOADDIGESTALGO: SHA-256 (OpenPGP hash id 8). */
export const SHA256_ALGO = 8;

/** rpm's verify flags: all on, minus digest/size/linkto/mtime for ghosts. */
const VERIFY_ALL = 0xffffffff;
const VERIFY_GHOST = (VERIFY_ALL & ~(1 | 2 | 4 | 32)) >>> 0;

export interface HeaderInput {
  def: PackageDefinition;
  files: FileRecord[];
  inodes: number[];
  deps: Record<BuildDepKind, DepTriple[]>;
  payload: Payload;
  epoch: number;
  compressionLevel: number;
}

const str = (tag: number, value: string): EncodeEntry => ({ tag, type: TagType.STRING, value });
const i18n = (tag: number, value: string): EncodeEntry => ({ tag, type: TagType.I18NSTRING, value: [value] });
const strs = (tag: number, value: string[]): EncodeEntry => ({ tag, type: TagType.STRING_ARRAY, value });
const i32 = (tag: number, value: number[]): EncodeEntry => ({ tag, type: TagType.INT32, value });
const i16 = (tag: number, value: number[]): EncodeEntry => ({ tag, type: TagType.INT16, value });

/** Installed size: non-ghost files, each hardlink set counted once (rpmbuild's SIZE). */
export function installedSize(files: FileRecord[]): number {
  let n = 0;
  for (const f of files) {
    if (f.flags & FileFlag.GHOST || f.hardlinkOf) continue;
    n += fileSize(f);
  }
  return n;
}

function fileSize(f: FileRecord): number {
  if (f.kind === 'symlink') return Buffer.byteLength(f.linkto);
  if (f.kind === 'dir') return 0;
  return f.content.size;
}

/** Encode the main header (region 63). */
export function buildMainHeader(h: HeaderInput): Uint8Array {
  const { def, files } = h;
  const e: EncodeEntry[] = [
    strs(100, ['C']),
    str(Tag.NAME, def.name),
    str(Tag.VERSION, def.version),
    str(Tag.RELEASE, def.release),
    i18n(Tag.SUMMARY, def.summary),
    i18n(Tag.DESCRIPTION, (def.description ?? def.summary).replace(/\n+$/, '')),
    i32(Tag.BUILDTIME, [h.epoch]),
    str(Tag.BUILDHOST, BUILDHOST),
    i32(Tag.SIZE, [installedSize(files)]),
    str(Tag.LICENSE, def.license),
    i18n(Tag.GROUP, def.group ?? 'Unspecified'),
    str(Tag.OS, 'linux'),
    str(Tag.ARCH, def.arch),
    str(Tag.SOURCERPM, `${def.name}-${def.version}-${def.release}.src.rpm`),
    str(Tag.RPMVERSION, RPM_FORMAT_VERSION),
    str(Tag.PAYLOADFORMAT, 'cpio'),
    str(Tag.PAYLOADCOMPRESSOR, 'zstd'),
    str(Tag.PAYLOADFLAGS, String(h.compressionLevel)),
    str(Tag.PLATFORM, `${def.arch}-driftless-linux`),
    str(Tag.ENCODING, 'utf-8'),
    strs(Tag.PAYLOADDIGEST, [h.payload.digest]),
    i32(Tag.PAYLOADDIGESTALGO, [SHA256_ALGO]),
    strs(Tag.PAYLOADDIGESTALT, [h.payload.digestAlt]),
  ];
  if (def.epoch !== undefined) e.push(i32(Tag.EPOCH, [def.epoch]));
  if (def.url) e.push(str(Tag.URL, def.url));
  if (def.vendor) e.push(str(Tag.VENDOR, def.vendor));
  if (def.packager) e.push(str(Tag.PACKAGER, def.packager));

  if (files.length) {
    const dirs: string[] = [];
    const dirIndex = new Map<string, number>();
    const dirIdx: number[] = [];
    const bases: string[] = [];
    for (const f of files) {
      const { dir, base } = splitPath(f.path);
      let i = dirIndex.get(dir);
      if (i === undefined) {
        i = dirs.length;
        dirs.push(dir);
        dirIndex.set(dir, i);
      }
      dirIdx.push(i);
      bases.push(base);
    }
    const ghost = (f: FileRecord) => (f.flags & FileFlag.GHOST) !== 0;
    e.push(
      i32(Tag.FILESIZES, files.map(fileSize)),
      i16(Tag.FILEMODES, files.map((f) => f.mode)),
      i16(Tag.FILERDEVS, files.map(() => 0)),
      i32(Tag.FILEMTIMES, files.map((f) => f.mtime)),
      strs(Tag.FILEDIGESTS, files.map((f) => (f.kind === 'file' && !ghost(f) ? f.content.sha256 : ''))),
      strs(Tag.FILELINKTOS, files.map((f) => f.linkto)),
      i32(Tag.FILEFLAGS, files.map((f) => f.flags)),
      strs(Tag.FILEUSERNAME, files.map((f) => f.owner)),
      strs(Tag.FILEGROUPNAME, files.map((f) => f.group)),
      i32(Tag.FILEVERIFYFLAGS, files.map((f) => (ghost(f) ? VERIFY_GHOST : VERIFY_ALL))),
      i32(Tag.FILEDEVICES, files.map(() => 1)),
      i32(Tag.FILEINODES, h.inodes),
      strs(Tag.FILELANGS, files.map(() => '')),
      i32(Tag.DIRINDEXES, dirIdx),
      strs(Tag.BASENAMES, bases),
      strs(Tag.DIRNAMES, dirs),
      i32(Tag.FILECOLORS, files.map(() => 0)),
      i32(Tag.FILEDIGESTALGO, [SHA256_ALGO]),
    );
    if (files.some((f) => f.caps)) e.push(strs(Tag.FILECAPS, files.map((f) => f.caps)));
  }

  for (const [kind, tags] of Object.entries(DEP_TAGS) as Array<[BuildDepKind, (typeof DEP_TAGS)[BuildDepKind]]>) {
    const list = h.deps[kind];
    if (!list.length) continue;
    e.push(strs(tags.name, list.map((d) => d.name)), i32(tags.flags, list.map((d) => d.flags)), strs(tags.version, list.map((d) => d.version)));
  }
  return encodeHeader(e, { region: RPMTAG_HEADERIMMUTABLE });
}
