/**
 * One package's rpm-md entries (primary, filelists, other) from its RPM header, following
 * createrepo_c's rules so both tools describe a package the same way:
 *
 * - requires drop `rpmlib(...)`, files the package itself ships when they are "primary" files,
 *   exact duplicates of its own provides and repeated entries; only the highest `libc.so.6(...)`
 *   requirement is kept (appended last); `pre="1"` marks pre/post/prereq scriptlet deps;
 *   legacy `Requires(hint)` entries become recommends;
 * - primary lists only "primary" files (/etc/*, *bin/*, /usr/lib/sendmail), filelists all;
 * - other holds the newest `changelogLimit` changelog entries, oldest first.
 *
 * The XML text matches libxml2's formatting (2-space indentation, its escaping rules).
 *
 *   const e = packageEntries(pkg, { sha256, size, mtime, href: 'Packages/a.rpm' })
 *   e.primary   // '<package type="rpm">\n  <name>a</name>…</package>\n'
 */
import type { Header } from '../../rpm/header.js';
import type { RpmPackage } from '../../rpm/package.js';
import { filePaths } from '../../rpm/files.js';
import { rpmvercmp } from '../../rpm/vercmp.js';
import { DepFlag, FileFlag, Tag } from '../../rpm/tags.js';

export interface PackageEntries {
  pkgid: string;
  href: string;
  name: string;
  arch: string;
  primary: string;
  filelists: string;
  other: string;
}

export interface EntryFacts {
  /** sha256 of the .rpm file (pkgid). */
  sha256: string;
  size: number;
  /** `<time file>`: the file's mtime in seconds. */
  mtime: number;
  /** Location relative to the repository root. */
  href: string;
  changelogLimit?: number;
}

// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Escape text content as libxml2 does. */
export function xmlText(s: string): string {
  return s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Escape an attribute value as libxml2 does. */
export function xmlAttr(s: string): string {
  return s
    .replace(INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
}

/** createrepo_c's notion of a file worth listing in primary.xml. */
export function isPrimaryFile(path: string): boolean {
  return path.startsWith('/etc/') || path === '/usr/lib/sendmail' || path.includes('bin/');
}

function flagStr(flags: number): string | undefined {
  switch (flags & (DepFlag.LESS | DepFlag.GREATER | DepFlag.EQUAL)) {
    case DepFlag.LESS: return 'LT';
    case DepFlag.GREATER: return 'GT';
    case DepFlag.EQUAL: return 'EQ';
    case DepFlag.LESS | DepFlag.EQUAL: return 'LE';
    case DepFlag.GREATER | DepFlag.EQUAL: return 'GE';
    default: return undefined;
  }
}

/** createrepo_c's cr_str_to_evr: epoch defaults to "0", version/release split at the first '-'. */
export function splitEvr(evr: string): { epoch?: string; ver?: string; rel?: string } {
  if (!evr) return {};
  let rest = evr;
  let epoch = '0';
  const colon = evr.indexOf(':');
  if (colon >= 0) {
    const e = evr.slice(0, colon);
    if (/^[+-]?\d+$/.test(e)) epoch = e;
    rest = evr.slice(colon + 1);
  }
  const dash = rest.indexOf('-');
  return dash >= 0 ? { epoch, ver: rest.slice(0, dash), rel: rest.slice(dash + 1) } : { epoch, ver: rest };
}

interface Dep {
  name: string;
  flags?: string;
  evr: string;
  pre?: boolean;
}

type Kind = 'provides' | 'requires' | 'conflicts' | 'obsoletes' | 'suggests' | 'enhances' | 'recommends' | 'supplements';

const DEP_SOURCES: Array<{ kind: Kind; name: number; version: number; flags: number; legacy?: 'suggests' | 'enhances' }> = [
  { kind: 'provides', name: Tag.PROVIDENAME, version: Tag.PROVIDEVERSION, flags: Tag.PROVIDEFLAGS },
  { kind: 'conflicts', name: Tag.CONFLICTNAME, version: Tag.CONFLICTVERSION, flags: Tag.CONFLICTFLAGS },
  { kind: 'obsoletes', name: Tag.OBSOLETENAME, version: Tag.OBSOLETEVERSION, flags: Tag.OBSOLETEFLAGS },
  { kind: 'requires', name: Tag.REQUIRENAME, version: Tag.REQUIREVERSION, flags: Tag.REQUIREFLAGS },
  { kind: 'suggests', name: Tag.SUGGESTNAME, version: Tag.SUGGESTVERSION, flags: Tag.SUGGESTFLAGS },
  { kind: 'enhances', name: Tag.ENHANCENAME, version: Tag.ENHANCEVERSION, flags: Tag.ENHANCEFLAGS },
  { kind: 'recommends', name: Tag.RECOMMENDNAME, version: Tag.RECOMMENDVERSION, flags: Tag.RECOMMENDFLAGS },
  { kind: 'supplements', name: Tag.SUPPLEMENTNAME, version: Tag.SUPPLEMENTVERSION, flags: Tag.SUPPLEMENTFLAGS },
  // rpm < 4.12 weak deps (OLDSUGGESTS/OLDENHANCES; RPMSENSE_STRONG picks the strong kind)
  { kind: 'suggests', name: 1156, version: 1157, flags: 1158, legacy: 'suggests' },
  { kind: 'enhances', name: 1159, version: 1160, flags: 1161, legacy: 'enhances' },
];
const RPMSENSE_STRONG = 1 << 27;

/** createrepo_c's libc.so.6 comparison: 2 when `b` has the higher version in its first "(…)". */
function compareLibc(a: string, b: string): number {
  const part = (s: string) => {
    const o = s.indexOf('(');
    if (o < 0) return undefined;
    const c = s.indexOf(')', o);
    if (c < 0) return null;
    const inner = s.slice(o + 1, c);
    const m = /\d/.exec(inner);
    return { empty: inner.length === 0, ver: m ? inner.slice(m.index) : undefined };
  };
  const p1 = part(a);
  const p2 = part(b);
  if (p1 === undefined && p2 === undefined) return 0;
  if (p1 === undefined) return 2;
  if (p2 === undefined) return 1;
  if (p1 === null && p2 === null) return -1;
  if (p1 === null) return 2;
  if (p2 === null) return 1;
  if (p1.empty && p2.empty) return 0;
  if (p1.empty) return 2;
  if (p2.empty) return 1;
  if (p1.ver === undefined && p2.ver === undefined) return 0;
  if (p1.ver === undefined) return 2;
  if (p2.ver === undefined) return 1;
  const r = rpmvercmp(p1.ver, p2.ver);
  return r === -1 ? 2 : r;
}

function collectDeps(h: Header, files: Set<string>): Record<Kind, Dep[]> {
  const out: Record<Kind, Dep[]> = { provides: [], requires: [], conflicts: [], obsoletes: [], suggests: [], enhances: [], recommends: [], supplements: [] };
  const provided = new Set<string>();
  const seenReq = new Map<string, { flags?: string; evr: string; pre: boolean }>();
  for (const src of DEP_SOURCES) {
    const names = h.getStrings(src.name);
    const flagsArr = h.getNumbers(src.flags);
    const vers = h.getStrings(src.version);
    if (!names || !flagsArr || !vers) continue;
    let libc: Dep | undefined;
    for (let i = 0; i < names.length && i < flagsArr.length && i < vers.length; i++) {
      const name = names[i]!;
      const num = flagsArr[i]!;
      const flags = flagStr(num);
      const evr = vers[i]!;
      let pre = false;
      if (src.kind === 'requires') {
        if (name.startsWith('rpmlib(')) continue;
        if (name.startsWith('/') && files.has(name) && isPrimaryFile(name)) continue;
        if (provided.has(`${name}${flags ?? ''}${evr}`)) continue;
        if (num & (DepFlag.PREREQ | DepFlag.SCRIPT_PRE | DepFlag.SCRIPT_POST)) pre = true;
        const prev = seenReq.get(name);
        if (prev && prev.flags === flags && prev.evr === evr && prev.pre === pre) continue;
      }
      const dep: Dep = { name, flags, evr };
      if (src.kind === 'provides') {
        provided.add(`${name}${flags ?? ''}${evr}`);
        out.provides.push(dep);
      } else if (src.kind === 'requires') {
        if (num & DepFlag.MISSINGOK) {
          out.recommends.push(dep);
          continue;
        }
        dep.pre = pre;
        if (name.startsWith('libc.so.6')) {
          if (!libc || compareLibc(libc.name, name) === 2) libc = dep;
          continue;
        }
        out.requires.push(dep);
        seenReq.set(name, { flags, evr, pre });
      } else if (src.legacy) {
        const strong = (num & RPMSENSE_STRONG) !== 0;
        out[src.legacy === 'suggests' ? (strong ? 'recommends' : 'suggests') : strong ? 'supplements' : 'enhances'].push(dep);
      } else out[src.kind].push(dep);
    }
    if (src.kind === 'requires' && libc) out.requires.push(libc);
  }
  return out;
}

function depXml(kind: string, deps: Dep[], isReq: boolean): string {
  if (deps.length === 0) return '';
  let s = `    <rpm:${kind}>\n`;
  for (const d of deps) {
    s += `      <rpm:entry name="${xmlAttr(d.name)}"`;
    if (d.flags) {
      s += ` flags="${d.flags}"`;
      const e = splitEvr(d.evr);
      if (e.epoch) s += ` epoch="${xmlAttr(e.epoch)}"`;
      if (e.ver) s += ` ver="${xmlAttr(e.ver)}"`;
      if (e.rel) s += ` rel="${xmlAttr(e.rel)}"`;
    }
    if (isReq && d.pre) s += ' pre="1"';
    s += '/>\n';
  }
  return s + `    </rpm:${kind}>\n`;
}

/** Build the three entries for an opened package. */
export function packageEntries(pkg: RpmPackage, f: EntryFacts): PackageEntries {
  const h = pkg.header;
  const str = (tag: number) => h.getString(tag) ?? '';
  const name = str(Tag.NAME);
  const arch = pkg.isSource || h.has(Tag.SOURCEPACKAGE) ? 'src' : str(Tag.ARCH);
  const epoch = String(h.getNumber(Tag.EPOCH) ?? 0);
  const version = `<version epoch="${xmlAttr(epoch)}" ver="${xmlAttr(str(Tag.VERSION))}" rel="${xmlAttr(str(Tag.RELEASE))}"/>`;
  const paths = filePaths(h);
  const modes = h.getNumbers(Tag.FILEMODES) ?? [];
  const fflags = h.getNumbers(Tag.FILEFLAGS) ?? [];
  const fileXml = (only?: (p: string) => boolean, indent = '  ') => {
    let s = '';
    paths.forEach((p, i) => {
      if (only && !only(p)) return;
      const type = ((modes[i] ?? 0) & 0o170000) === 0o040000 ? 'dir' : (fflags[i] ?? 0) & FileFlag.GHOST ? 'ghost' : '';
      s += `${indent}<file${type ? ` type="${type}"` : ''}>${xmlText(p)}</file>\n`;
    });
    return s;
  };
  const deps = collectDeps(h, new Set(paths));
  const installed = h.getNumber(Tag.LONGSIZE) ?? h.getNumber(Tag.SIZE) ?? 0;
  // as rpm merges signature tags into the header: ARCHIVESIZE, else the signature's PAYLOADSIZE
  const archive = h.getNumber(Tag.ARCHIVESIZE) ?? pkg.signature.getNumber(1007) ?? h.getNumber(271 /* LONGARCHIVESIZE */) ?? pkg.signature.getNumber(271) ?? 0;
  const buildtime = h.getNumber(Tag.BUILDTIME) ?? 0;
  const headerStart = pkg.headerOffset;
  const headerEnd = pkg.headerOffset + pkg.header.raw.length;
  const idAttrs = `pkgid="${f.sha256}" name="${xmlAttr(name)}" arch="${xmlAttr(arch)}"`;

  const primary =
    `<package type="rpm">\n` +
    `  <name>${xmlText(name)}</name>\n` +
    `  <arch>${xmlText(arch)}</arch>\n` +
    `  ${version}\n` +
    `  <checksum type="sha256" pkgid="YES">${f.sha256}</checksum>\n` +
    `  <summary>${xmlText(str(Tag.SUMMARY))}</summary>\n` +
    `  <description>${xmlText(str(Tag.DESCRIPTION))}</description>\n` +
    `  <packager>${xmlText(str(Tag.PACKAGER))}</packager>\n` +
    `  <url>${xmlText(str(Tag.URL))}</url>\n` +
    `  <time file="${f.mtime}" build="${buildtime}"/>\n` +
    `  <size package="${f.size}" installed="${installed}" archive="${archive}"/>\n` +
    `  <location href="${xmlAttr(f.href)}"/>\n` +
    `  <format>\n` +
    `    <rpm:license>${xmlText(str(Tag.LICENSE))}</rpm:license>\n` +
    `    <rpm:vendor>${xmlText(str(Tag.VENDOR))}</rpm:vendor>\n` +
    `    <rpm:group>${xmlText(str(Tag.GROUP))}</rpm:group>\n` +
    `    <rpm:buildhost>${xmlText(str(Tag.BUILDHOST))}</rpm:buildhost>\n` +
    `    <rpm:sourcerpm>${xmlText(str(Tag.SOURCERPM))}</rpm:sourcerpm>\n` +
    `    <rpm:header-range start="${headerStart}" end="${headerEnd}"/>\n` +
    depXml('provides', deps.provides, false) +
    depXml('requires', deps.requires, true) +
    depXml('conflicts', deps.conflicts, false) +
    depXml('obsoletes', deps.obsoletes, false) +
    depXml('suggests', deps.suggests, false) +
    depXml('enhances', deps.enhances, false) +
    depXml('recommends', deps.recommends, false) +
    depXml('supplements', deps.supplements, false) +
    fileXml(isPrimaryFile, '    ') +
    `  </format>\n` +
    `</package>\n`;

  const filelists = `<package ${idAttrs}>\n  ${version}\n${fileXml()}</package>\n`;

  let changelog = '';
  const times = h.getNumbers(Tag.CHANGELOGTIME) ?? [];
  const authors = h.getStrings(Tag.CHANGELOGNAME) ?? [];
  const texts = h.getStrings(Tag.CHANGELOGTEXT) ?? [];
  const limit = f.changelogLimit ?? 10;
  const entries: { author: string; date: number; text: string }[] = [];
  let lastTime = 0;
  for (let i = 0; i < times.length && i < authors.length && i < texts.length && i < limit; i++) {
    const time = times[i]!;
    entries.unshift({ author: authors[i]!.replace(/ +$/, ''), date: time, text: texts[i]! });
    // createrepo_c: entries sharing a timestamp are made distinct by bumping the older ones
    if (lastTime === time) {
      let t = time;
      for (let j = 1; j < entries.length && entries[j]!.date === t; j++) {
        entries[j]!.date++;
        t++;
      }
    } else lastTime = time;
  }
  for (const c of entries) changelog += `  <changelog author="${xmlAttr(c.author)}" date="${c.date}">${xmlText(c.text)}</changelog>\n`;
  const other = `<package ${idAttrs}>\n  ${version}\n${changelog}</package>\n`;

  return { pkgid: f.sha256, href: f.href, name, arch, primary, filelists, other };
}
