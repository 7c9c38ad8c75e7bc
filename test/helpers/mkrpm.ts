/**
 * Craft small (possibly malicious) RPMs in memory for reader/extractor tests: a lead, a
 * signature header, a main header with the given file list, and a cpio payload whose entry
 * names/sizes can be overridden to lie about the header.
 */
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { encodeHeader, type EncodeEntry } from '../../src/rpm/header.js';
import { encodeLead } from '../../src/rpm/lead.js';
import { Tag, SigTag, TagType, RPMTAG_HEADERIMMUTABLE, RPMTAG_HEADERSIGNATURES } from '../../src/rpm/tags.js';

export interface MkFile {
  path: string;
  mode: number;
  data?: string | Uint8Array;
  linkto?: string;
  flags?: number;
  inode?: number;
  /** Name written into the cpio archive (default './' + path without leading '/'). */
  cpioName?: string;
  /** Size written into the cpio header (default: data length). */
  cpioSize?: number;
  /** Data written into the payload instead of `data` (the header keeps `data`'s size/digest). */
  cpioData?: string;
  /** Leave this file out of the payload. */
  omit?: boolean;
}

export interface MkOptions {
  name?: string;
  compressor?: 'gzip' | 'none';
  /** Declared uncompressed archive size (default: the real size). */
  archiveSize?: number;
  /** Write rpm's stripped cpio (07070X + file index; sizes from LONGFILESIZES), as v6 does. */
  stripped?: boolean;
  /** Extra raw cpio entries appended before the trailer. */
  extraEntries?: Array<{ name: string; mode: number; data: string }>;
}

const enc = new TextEncoder();

function cpioEntry(name: string, mode: number, size: number, data: Uint8Array, ino: number, nlink = 1): Uint8Array {
  const h = (n: number) => n.toString(16).padStart(8, '0');
  const nameBytes = enc.encode(name + '\0');
  const head = enc.encode('070701' + h(ino) + h(mode) + h(0) + h(0) + h(nlink) + h(0) + h(size) + h(0) + h(0) + h(0) + h(0) + h(nameBytes.length) + h(0));
  const pad1 = (4 - ((head.length + nameBytes.length) % 4)) % 4;
  const pad2 = (4 - (data.length % 4)) % 4;
  const out = new Uint8Array(head.length + nameBytes.length + pad1 + data.length + pad2);
  out.set(head, 0);
  out.set(nameBytes, head.length);
  out.set(data, head.length + nameBytes.length + pad1);
  return out;
}

export function mkRpm(files: MkFile[], opts: MkOptions = {}): Uint8Array {
  const name = opts.name ?? 'evil';
  const parts: Uint8Array[] = [];
  files.forEach((f, i) => {
    if (f.omit) return;
    const data = f.cpioData !== undefined ? enc.encode(f.cpioData) : f.linkto !== undefined ? enc.encode(f.linkto) : typeof f.data === 'string' ? enc.encode(f.data) : f.data ?? new Uint8Array(0);
    if (opts.stripped) {
      const head = enc.encode('07070X' + i.toString(16).padStart(8, '0'));
      const pad = (4 - (data.length % 4)) % 4;
      const e = new Uint8Array(head.length + 2 + data.length + pad);
      e.set(head, 0);
      e.set(data, head.length + 2);
      parts.push(e);
      return;
    }
    parts.push(cpioEntry(f.cpioName ?? './' + f.path.replace(/^\//, ''), f.mode, f.cpioSize ?? data.length, data, f.inode ?? i + 1));
  });
  for (const x of opts.extraEntries ?? []) parts.push(cpioEntry(x.name, x.mode, x.data.length, enc.encode(x.data), 999));
  parts.push(cpioEntry('TRAILER!!!', 0, 0, new Uint8Array(0), 0));
  const cpio = Buffer.concat(parts);
  const payload = opts.compressor === 'none' ? cpio : gzipSync(cpio);
  const dirs: string[] = [];
  const dirIndexes: number[] = [];
  const bases: string[] = [];
  for (const f of files) {
    const k = f.path.lastIndexOf('/');
    const d = f.path.slice(0, k + 1);
    let di = dirs.indexOf(d);
    if (di < 0) di = dirs.push(d) - 1;
    dirIndexes.push(di);
    bases.push(f.path.slice(k + 1));
  }
  const data = (f: MkFile) => (f.linkto !== undefined ? enc.encode(f.linkto) : typeof f.data === 'string' ? enc.encode(f.data) : f.data ?? new Uint8Array(0));
  const entries: EncodeEntry[] = [
    { tag: Tag.NAME, type: TagType.STRING, value: name },
    { tag: Tag.VERSION, type: TagType.STRING, value: '1' },
    { tag: Tag.RELEASE, type: TagType.STRING, value: '1' },
    { tag: Tag.SUMMARY, type: TagType.I18NSTRING, value: ['s'] },
    { tag: Tag.LICENSE, type: TagType.STRING, value: 'MIT' },
    { tag: Tag.ARCH, type: TagType.STRING, value: 'noarch' },
    { tag: Tag.OS, type: TagType.STRING, value: 'linux' },
    { tag: Tag.SOURCERPM, type: TagType.STRING, value: `${name}-1-1.src.rpm` },
    { tag: Tag.PAYLOADFORMAT, type: TagType.STRING, value: 'cpio' },
    { tag: Tag.FILEDIGESTALGO, type: TagType.INT32, value: [8] },
  ];
  if (opts.stripped) entries.push({ tag: Tag.RPMFORMAT, type: TagType.INT32, value: [6] });
  if (opts.compressor !== 'none') entries.push({ tag: Tag.PAYLOADCOMPRESSOR, type: TagType.STRING, value: 'gzip' });
  if (files.length) {
    entries.push(
      { tag: Tag.BASENAMES, type: TagType.STRING_ARRAY, value: bases },
      { tag: Tag.DIRNAMES, type: TagType.STRING_ARRAY, value: dirs },
      { tag: Tag.DIRINDEXES, type: TagType.INT32, value: dirIndexes },
      { tag: Tag.FILEMODES, type: TagType.INT16, value: files.map((f) => f.mode) },
      opts.stripped
        ? { tag: Tag.LONGFILESIZES, type: TagType.INT64, value: files.map((f) => BigInt(data(f).length)) }
        : { tag: Tag.FILESIZES, type: TagType.INT32, value: files.map((f) => data(f).length) },
      { tag: Tag.FILEMTIMES, type: TagType.INT32, value: files.map(() => 1700000000) },
      { tag: Tag.FILEDIGESTS, type: TagType.STRING_ARRAY, value: files.map((f) => ((f.mode & 0o170000) === 0o100000 ? createHash('sha256').update(data(f)).digest('hex') : '')) },
      { tag: Tag.FILELINKTOS, type: TagType.STRING_ARRAY, value: files.map((f) => f.linkto ?? '') },
      { tag: Tag.FILEFLAGS, type: TagType.INT32, value: files.map((f) => f.flags ?? 0) },
      { tag: Tag.FILEUSERNAME, type: TagType.STRING_ARRAY, value: files.map(() => 'root') },
      { tag: Tag.FILEGROUPNAME, type: TagType.STRING_ARRAY, value: files.map(() => 'root') },
      { tag: Tag.FILEINODES, type: TagType.INT32, value: files.map((f, i) => f.inode ?? i + 1) },
      { tag: Tag.FILEDEVICES, type: TagType.INT32, value: files.map(() => 1) },
      { tag: Tag.FILERDEVS, type: TagType.INT16, value: files.map(() => 0) },
    );
  }
  const header = encodeHeader(entries, { region: RPMTAG_HEADERIMMUTABLE });
  const sig = encodeHeader([
    { tag: SigTag.SIZE, type: TagType.INT32, value: [header.length + payload.length] },
    { tag: SigTag.PAYLOADSIZE, type: TagType.INT32, value: [opts.archiveSize ?? cpio.length] },
  ], { region: RPMTAG_HEADERSIGNATURES });
  const pad = new Uint8Array((8 - (sig.length % 8)) % 8);
  const lead = encodeLead({ major: 3, minor: 0, type: 0, archnum: 0, name: `${name}-1-1`, osnum: 1, signatureType: 5 });
  return Buffer.concat([lead, sig, pad, header, payload]);
}
