/**
 * filelists.xml (every file of every package) and other.xml (changelogs) readers. Both key
 * their entries by `pkgid` (the package checksum) plus name/arch/EVR, which `load.ts` uses to
 * attach them to the packages from primary.xml.
 *
 *   const lists = await parseFilelists(chunks, 'filelists.xml.gz');   // [{ pkgid, name, arch, files: [...] }]
 */
import { DriftlessError } from '../core/errors.js';
import type { PackageFileEntry } from '../rpm/metadata.js';
import { fileEntry } from './primary.js';
import { Interner, parseXmlStream } from './xmlstream.js';

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
  make: (ref: PackageRef) => T,
  onOpen: (cur: T, name: string, a: Record<string, string>) => void,
  onClose: (cur: T, name: string, text: string) => void,
): Promise<T[]> {
  const out: T[] = [];
  let cur: T | undefined;
  let sawRoot = false;
  await parseXmlStream(chunks, label, {
    open(name, a) {
      if (name === root) sawRoot = true;
      else if (name === 'package') {
        if (!a.pkgid || !a.name) throw new DriftlessError('REPO_BAD_METADATA', `${label}: <package> without pkgid or name`, { path: label });
        cur = make({ pkgid: a.pkgid, name: a.name, arch: a.arch ?? '', epoch: 0, version: '', release: '' });
      } else if (cur) {
        if (name === 'version') {
          cur.epoch = a.epoch ? Number(a.epoch) : 0;
          cur.version = a.ver ?? '';
          cur.release = a.rel ?? '';
        } else onOpen(cur, name, a);
      }
    },
    close(name, text) {
      if (!cur) return;
      if (name === 'package') {
        out.push(cur);
        cur = undefined;
      } else onClose(cur, name, text);
    },
  });
  if (!sawRoot) throw new DriftlessError('REPO_BAD_METADATA', `${label}: no <${root}> root element`, { path: label });
  return out;
}

/** Stream-parse filelists.xml. */
export async function parseFilelists(chunks: AsyncIterable<Uint8Array>, label: string, intern = new Interner()): Promise<FilelistEntry[]> {
  let type: string | undefined;
  return parsePerPackage<FilelistEntry>(
    chunks,
    label,
    'filelists',
    (r) => ({ ...r, name: intern.get(r.name), arch: intern.get(r.arch), files: [] }),
    (_cur, name, a) => {
      if (name === 'file') type = a.type;
    },
    (cur, name, text) => {
      if (name === 'file') cur.files.push(fileEntry(text, type));
    },
  );
}

/** Stream-parse other.xml (changelogs). */
export async function parseOther(chunks: AsyncIterable<Uint8Array>, label: string): Promise<OtherEntry[]> {
  let author = '';
  let date = 0;
  return parsePerPackage<OtherEntry>(
    chunks,
    label,
    'otherdata',
    (r) => ({ ...r, changelogs: [] }),
    (_cur, name, a) => {
      if (name === 'changelog') {
        author = a.author ?? '';
        date = Number(a.date ?? 0);
      }
    },
    (cur, name, text) => {
      if (name === 'changelog') cur.changelogs.push({ author, date, text });
    },
  );
}
