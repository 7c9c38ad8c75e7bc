/**
 * filelists.xml (every file of every package) and other.xml (changelogs) readers. Both key
 * their entries by `pkgid` (the package checksum) plus name/arch/EVR, which `load.ts` uses to
 * attach them to the packages from primary.xml.
 *
 *   const lists = await parseFilelists(chunks, 'filelists.xml.gz');   // [{ pkgid, name, arch, files: [...] }]
 */
import { DriftlessError } from '../core/errors.js';
import type { PackageFileEntry, PackageMeta } from '../rpm/metadata.js';
import type { Report } from '../core/report.js';
import { fileEntry, type XmlReader } from './primary.js';
import { scanXml, type XmlCursor } from './xmlscan.js';
import { Interner, parseXmlStreamCursor } from './xmlstream.js';

/** Identity of a package inside filelists/other documents. */
export interface PackageRef {
  pkgid: string;
  name: string;
  arch: string;
  epoch: number;
  version: string;
  release: string;
}

export interface FilelistEntry extends PackageRef {
  files: PackageFileEntry[];
}

export interface ChangelogEntry {
  author: string;
  date: number;
  text: string;
}

export interface OtherEntry extends PackageRef {
  changelogs: ChangelogEntry[];
}

/** Key used to match filelists/other entries to primary packages. */
export function packageRefKey(r: { pkgid?: string; name: string; arch: string; epoch: number; version: string; release: string }): string {
  return `${r.pkgid ?? ''}\0${r.name}\0${r.arch}\0${r.epoch}\0${r.version}\0${r.release}`;
}

async function parsePerPackage<T extends PackageRef>(
  chunks: AsyncIterable<Uint8Array>,
  label: string,
  root: string,
  reader: XmlReader,
  make: (ref: PackageRef) => T,
  onOpen: (cur: T, name: string, x: XmlCursor) => void,
  onClose: (cur: T, name: string, x: XmlCursor) => void,
): Promise<T[]> {
  const out: T[] = [];
  let cur: T | undefined;
  let sawRoot = false;
  await (reader === 'scan' ? scanXml : parseXmlStreamCursor)(chunks, label, {
    open(name: string, x: XmlCursor) {
      if (name === root) sawRoot = true;
      else if (name === 'package') {
        const pkgid = x.attr('pkgid'), pname = x.attr('name');
        if (!pkgid || !pname) throw new DriftlessError('REPO_BAD_METADATA', `${label}: <package> without pkgid or name`, { path: label });
        cur = make({ pkgid, name: pname, arch: x.attr('arch') ?? '', epoch: 0, version: '', release: '' });
      } else if (cur) {
        if (name === 'version') {
          const epoch = x.attr('epoch');
          cur.epoch = epoch ? Number(epoch) : 0;
          cur.version = x.attr('ver') ?? '';
          cur.release = x.attr('rel') ?? '';
        } else onOpen(cur, name, x);
      }
    },
    close(name: string, x: XmlCursor) {
      if (!cur) return;
      if (name === 'package') {
        out.push(cur);
        cur = undefined;
      } else onClose(cur, name, x);
    },
  });
  if (!sawRoot) throw new DriftlessError('REPO_BAD_METADATA', `${label}: no <${root}> root element`, { path: label });
  return out;
}

/** Stream-parse filelists.xml (with the byte scanner of xmlscan.ts unless `reader` says saxes). */
export async function parseFilelists(chunks: AsyncIterable<Uint8Array>, label: string, intern = new Interner(), reader: XmlReader = 'scan'): Promise<FilelistEntry[]> {
  let type: string | undefined;
  return parsePerPackage<FilelistEntry>(
    chunks,
    label,
    'filelists',
    reader,
    (r) => ({ ...r, name: intern.get(r.name), arch: intern.get(r.arch), files: [] }),
    (_cur, name, x) => {
      if (name === 'file') type = x.attr('type');
    },
    (cur, name, x) => {
      if (name === 'file') cur.files.push(fileEntry(x.text(), type));
    },
  );
}

/** Stream-parse other.xml (changelogs; saxes). */
export async function parseOther(chunks: AsyncIterable<Uint8Array>, label: string): Promise<OtherEntry[]> {
  let author = '';
  let date = 0;
  return parsePerPackage<OtherEntry>(
    chunks,
    label,
    'otherdata',
    'saxes',
    (r) => ({ ...r, changelogs: [] }),
    (_cur, name, x) => {
      if (name === 'changelog') {
        author = x.attr('author') ?? '';
        date = Number(x.attr('date') ?? 0);
      }
    },
    (cur, name, x) => {
      if (name === 'changelog') cur.changelogs.push({ author, date, text: x.text() });
    },
  );
}

/** Replace each package's primary file subset with its full list from filelists.xml. */
export function attachFilelists(packages: PackageMeta[], lists: FilelistEntry[], location: string, report: Report): void {
  const byKey = new Map<string, PackageMeta>();
  for (const p of packages) byKey.set(packageRefKey({ pkgid: p.checksum?.value, name: p.name, arch: p.arch, epoch: p.epoch, version: p.version, release: p.release }), p);
  let unmatched = 0;
  for (const l of lists) {
    const p = byKey.get(packageRefKey(l));
    if (p) p.files = l.files;
    else unmatched++;
  }
  if (unmatched) report.warn('REPO_FILELISTS_UNMATCHED', `${location}: ${unmatched} filelists entries match no package in primary.xml`);
}
