/**
 * Writes the installed-package database `usr/lib/sysimage/rpm/rpmdb.sqlite` in the layout rpm's
 * sqlite backend uses (Fedora ≥33, Azure Linux), so that the real `rpm --root ROOT -qa` lists the
 * composed packages and `rpm -V` can check them.
 *
 * Each package's installed header is its original main header, byte for byte (the signed
 * immutable region), followed by the tags rpm adds at install time (signature digests, install
 * time/tid, file states) outside the region — exactly how rpm stores it. Index tables map names,
 * files and dependencies to header numbers. Rows are inserted in a fixed order so the file is
 * reproducible for the same inputs and SQLite version.
 *
 *   await writeRpmdb(join(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite'), packages, { installTime: epoch })
 */
import Database from 'better-sqlite3';
import { promises as fsp } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Header, encodeValue, decodeHeader, readU32, writeU32, TYPE_ALIGN, type EncodeEntry } from '../rpm/header.js';
import { Tag, SigTag, TagType } from '../rpm/tags.js';
import { DriftlessError } from '../core/errors.js';
import { fsyncDir } from '../core/atomic.js';

/** Where Fedora-family systems keep the rpmdb (relative to the root). */
export const RPMDB_DIR = 'usr/lib/sysimage/rpm';

export interface RpmdbPackage {
  /** Decoded signature header of the .rpm. */
  signature: Header;
  /** Decoded main header of the .rpm (its `raw` bytes are kept verbatim). */
  header: Header;
}

export interface RpmdbOptions {
  /** INSTALLTIME for every package (the build timestamp). */
  installTime: number;
  /** INSTALLTID; defaults to installTime. */
  tid?: number;
  /** Skip fsync (scratch copies that are stored elsewhere right away). Default false. */
  noSync?: boolean;
}

/** Signature-header tag → main-header tag that rpm copies into installed headers. */
const SIG_TO_HEADER: Array<[number, number]> = [
  [SigTag.SIZE, 257], // RPMTAG_SIGSIZE
  [SigTag.PGP, 259], // RPMTAG_SIGPGP
  [SigTag.MD5, 261], // RPMTAG_SIGMD5
  [SigTag.GPG, 262], // RPMTAG_SIGGPG
  [SigTag.DSA, 267], // RPMTAG_DSAHEADER
  [SigTag.RSA, 268], // RPMTAG_RSAHEADER
  [SigTag.SHA1, 269], // RPMTAG_SHA1HEADER
  [SigTag.LONGSIZE, 270], // RPMTAG_LONGSIGSIZE
  [SigTag.LONGARCHIVESIZE, 271], // RPMTAG_LONGARCHIVESIZE
  [SigTag.SHA256, 273], // RPMTAG_SHA256HEADER
  [SigTag.OPENPGP, 278], // RPMTAG_OPENPGP
  [SigTag.SHA3_256, 279], // RPMTAG_SHA3_256HEADER
  [SigTag.PAYLOADSIZE, Tag.ARCHIVESIZE],
  [SigTag.FILESIGNATURES, Tag.FILESIGNATURES],
  [SigTag.FILESIGNATURELENGTH, Tag.FILESIGNATURELENGTH],
];

/**
 * The installed header blob as rpm stores it in `Packages.blob` (no 8-byte magic intro):
 * original region entries and data unchanged, install-time tags appended outside the region.
 */
export function installedHeaderBlob(pkg: RpmdbPackage, opts: RpmdbOptions): Uint8Array {
  const { header, signature } = pkg;
  const region = header.region;
  const raw = header.regionBlob();
  if (!region || !raw) {
    throw new DriftlessError('RPMDB_NO_REGION', `${header.getString(Tag.NAME) ?? 'package'}: header has no immutable region (v3 package)`, {
      hint: 'only v4+ packages can be recorded in an rpmdb',
    });
  }
  const extras: EncodeEntry[] = [];
  const present = new Set(header.entries.map((e) => e.tag));
  for (const [sigTag, hdrTag] of SIG_TO_HEADER) {
    const e = signature.entry(sigTag);
    if (!e || present.has(hdrTag)) continue;
    extras.push({ tag: hdrTag, type: e.type, value: e.value });
    present.add(hdrTag);
  }
  const fileCount = header.getStrings(Tag.BASENAMES)?.length ?? header.getStrings(Tag.OLDFILENAMES)?.length ?? 0;
  const add = (tag: number, type: TagType, value: EncodeEntry['value']) => {
    if (!present.has(tag)) extras.push({ tag, type, value });
  };
  add(Tag.INSTALLTIME, TagType.INT32, [opts.installTime]);
  add(Tag.INSTALLTID, TagType.INT32, [opts.tid ?? opts.installTime]);
  add(Tag.INSTALLCOLOR, TagType.INT32, [0]);
  if (fileCount > 0) add(Tag.FILESTATES, TagType.CHAR, new Array<number>(fileCount).fill(0));
  // Append the extras after the region the way rpm does: index entries after the region's,
  // data after the region's data, each value at its type's natural alignment.
  extras.sort((a, b) => a.tag - b.tag);
  const ril = readU32(raw, 8);
  const rdl = readU32(raw, 12);
  const placed: Array<{ tag: number; type: number; offset: number; count: number; bytes: Uint8Array }> = [];
  let dl = rdl;
  for (const e of extras) {
    const align = TYPE_ALIGN[e.type] ?? 1;
    dl += (align - (dl % align)) % align;
    const { bytes, count } = encodeValue(e);
    placed.push({ tag: e.tag, type: e.type, offset: dl, count, bytes });
    dl += bytes.length;
  }
  const il = ril + placed.length;
  const out = new Uint8Array(8 + il * 16 + dl);
  writeU32(out, 0, il);
  writeU32(out, 4, dl);
  out.set(raw.subarray(16, 16 + ril * 16), 8);
  const dataStart = 8 + il * 16;
  out.set(raw.subarray(16 + ril * 16, 16 + ril * 16 + rdl), dataStart);
  placed.forEach((x, i) => {
    const p = 8 + (ril + i) * 16;
    writeU32(out, p, x.tag);
    writeU32(out, p + 4, x.type);
    writeU32(out, p + 8, x.offset);
    writeU32(out, p + 12, x.count);
    out.set(x.bytes, dataStart + x.offset);
  });
  return out;
}

/** Decode a `Packages.blob` back into a Header (used by tests and `image inspect`). */
export function decodeInstalledBlob(blob: Uint8Array): Header {
  const withIntro = new Uint8Array(8 + blob.length);
  withIntro.set([0x8e, 0xad, 0xe8, 0x01], 0);
  withIntro.set(blob, 8);
  return decodeHeader(withIntro, 0, { label: 'rpmdb header' }).header;
}

const INDEX_TABLES: Array<[string, number, 'TEXT' | 'BLOB', boolean]> = [
  // [table, tag, key type, has hnum index] — rpm's sqlite backend schema
  ['Name', Tag.NAME, 'TEXT', false],
  ['Basenames', Tag.BASENAMES, 'TEXT', true],
  ['Group', Tag.GROUP, 'TEXT', false],
  ['Requirename', Tag.REQUIRENAME, 'TEXT', true],
  ['Providename', Tag.PROVIDENAME, 'TEXT', true],
  ['Conflictname', Tag.CONFLICTNAME, 'TEXT', true],
  ['Obsoletename', Tag.OBSOLETENAME, 'TEXT', true],
  ['Triggername', Tag.TRIGGERNAME, 'TEXT', true],
  ['Dirnames', Tag.DIRNAMES, 'TEXT', true],
  ['Installtid', Tag.INSTALLTID, 'BLOB', false],
  ['Sigmd5', 261, 'BLOB', false],
  ['Sha1header', 269, 'TEXT', false],
  ['Filetriggername', Tag.FILETRIGGERNAME, 'TEXT', true],
  ['Transfiletriggername', Tag.TRANSFILETRIGGERNAME, 'TEXT', true],
  ['Recommendname', Tag.RECOMMENDNAME, 'TEXT', true],
  ['Suggestname', Tag.SUGGESTNAME, 'TEXT', true],
  ['Supplementname', Tag.SUPPLEMENTNAME, 'TEXT', true],
  ['Enhancename', Tag.ENHANCENAME, 'TEXT', true],
];

/** Tables without a key index in rpm's schema. */
const NO_KEY_INDEX = new Set(['Installtid', 'Sigmd5']);

function schema(): string[] {
  const s = ["CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)"];
  for (const [t, , keyType, hnumIdx] of INDEX_TABLES) {
    s.push(`CREATE TABLE IF NOT EXISTS '${t}' (key '${keyType}' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))`);
    if (!NO_KEY_INDEX.has(t)) s.push(`CREATE INDEX '${t}_key_idx' ON '${t}'(key ASC)`);
    if (hnumIdx) s.push(`CREATE INDEX '${t}_hnum_idx' ON '${t}'(hnum ASC)`);
  }
  return s;
}

function indexKeys(h: Header, tag: number, keyType: 'TEXT' | 'BLOB'): Array<string | Buffer> {
  const e = h.entry(tag);
  if (!e) return [];
  if (keyType === 'BLOB') {
    if (e.value instanceof Uint8Array) return [Buffer.from(e.value)];
    // integer keys are stored in host (little-endian) byte order, as rpm on x86/arm does
    return (h.getNumbers(tag) ?? []).map((n) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n >>> 0);
      return b;
    });
  }
  return h.getStrings(tag) ?? [];
}

/**
 * Write rpmdb.sqlite atomically at `path`. Packages get header numbers 1..n in the given order
 * (callers pass them sorted for reproducibility).
 */
export async function writeRpmdb(path: string, packages: RpmdbPackage[], opts: RpmdbOptions): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    const db = new Database(tmp);
    try {
      db.pragma('journal_mode = DELETE');
      // one transaction into a private temp file: durability comes from the fsync + rename below
      db.pragma('synchronous = OFF');
      db.pragma('page_size = 4096');
      for (const stmt of schema()) db.exec(stmt);
      const insertPkg = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
      const inserts = new Map(INDEX_TABLES.map(([t]) => [t, db.prepare(`INSERT INTO '${t}' (key, hnum, idx) VALUES (?, ?, ?)`)]));
      db.transaction(() => {
        packages.forEach((pkg, i) => {
          const hnum = i + 1;
          const blob = installedHeaderBlob(pkg, opts);
          insertPkg.run(hnum, Buffer.from(blob));
          const installed = decodeInstalledBlob(blob);
          for (const [t, tag, keyType] of INDEX_TABLES) {
            const keys = indexKeys(installed, tag, keyType);
            const seen = new Set<string>();
            keys.forEach((k, idx) => {
              // rpm records a name once per package for dependency indexes
              if (tag !== Tag.BASENAMES && tag !== Tag.DIRNAMES && typeof k === 'string') {
                if (seen.has(k)) return;
                seen.add(k);
              }
              inserts.get(t)!.run(k, hnum, idx);
            });
          }
        });
      })();
    } finally {
      db.close();
    }
    if (!opts.noSync) {
      const fh = await fsp.open(tmp, 'r+');
      await fh.sync();
      await fh.close();
    }
    await fsp.rename(tmp, path);
    if (!opts.noSync) await fsyncDir(dirname(path));
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    await fsp.rm(`${tmp}-journal`, { force: true });
    throw e;
  }
}
