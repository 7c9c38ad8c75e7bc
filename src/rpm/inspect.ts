/**
 * `inspectPackage(path)`: everything a person or a tool wants to know about an .rpm, as one
 * JSON-ready object. Dependency lists are formatted and ordered exactly as `rpm -qp --requires`
 * etc. print them; `files` follows header order with paths equal to `rpm -qpl`.
 *
 *   const info = await inspectPackage('hello-2.0-1.x86_64.rpm')
 *   info.requires   // ['/bin/sh', 'rpmlib(CompressedFileNames) <= 3.0.4-1', ...]
 *
 * Source packages: `arch` is the ARCH tag, i.e. the architecture the SRPM was built on, which is
 * what `rpm -qp --qf '%{ARCH}'` prints; `isSource` tells them apart (the file name says "src").
 */
import { detectCompression } from '../core/compression.js';
import type { Header } from './header.js';
import { openPackage, type RpmPackage, type OpenPackageOptions } from './package.js';
import { packageFiles, type RpmFile } from './files.js';
import { headerDeps, packageDeps, depType, formatRpmDep, type RpmDepKind } from './depformat.js';
import { DepFlag, Tag } from './tags.js';

export interface InspectFile {
  path: string;
  size: number;
  mode: number;
  user: string;
  group: string;
  digest: string;
  linkto: string;
  /** Flag names: config, doc, ghost, license, missingok, noreplace, readme, artifact, ... */
  flags: string[];
  /** The raw FILEFLAGS value (what `rpm -qp --qf '[%{FILEFLAGS}\n]'` prints). */
  fileFlags: number;
  mtime: number;
  nlink: number;
  caps?: string;
  lang?: string;
  imaSignature?: string;
}

export interface Scriptlet {
  body: string;
  prog: string[];
  flags: number;
}

/** One trigger script with the conditions that fire it (rpm groups them per script). */
export interface Trigger {
  /** 'in', 'un', 'postun' or 'prein' (rpm's triggertype of the script's first condition). */
  type: string;
  /** Conditions as rpm prints them ('foo < 2', '/usr/lib'). */
  conditions: string[];
  script: Scriptlet;
  /** File triggers only. */
  priority?: number;
}

export interface PackageInfo {
  path?: string;
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string;
  nevra: string;
  isSource: boolean;
  format: number;
  license: string | null;
  summary: string | null;
  description: string | null;
  url: string | null;
  vendor: string | null;
  group: string | null;
  packager: string | null;
  buildhost: string | null;
  sourcerpm: string | null;
  buildtime: number | null;
  size: number | null;
  payloadFormat: string | null;
  /** PAYLOADCOMPRESSOR, or the codec sniffed from the payload when the tag is absent (v6). */
  payloadCompressor: string;
  requires: string[];
  provides: string[];
  conflicts: string[];
  obsoletes: string[];
  recommends: string[];
  suggests: string[];
  supplements: string[];
  enhances: string[];
  order: string[];
  /** Requires with rpm's deptype (pre, post,interp, rpmlib, auto, manual...), as `rpm -qp --requires -v` shows them. */
  requiresDetail: Array<{ text: string; type: string }>;
  files: InspectFile[];
  changelog: Array<{ time: number; name: string; text: string }>;
  scriptlets: Record<string, Scriptlet>;
  triggers: Trigger[];
  fileTriggers: Trigger[];
  transFileTriggers: Trigger[];
  signatureTags: number[];
}

const SCRIPTS: Array<[string, number, number, number]> = [
  ['pretrans', Tag.PRETRANS, Tag.PRETRANSPROG, Tag.PRETRANSFLAGS],
  ['prein', Tag.PREIN, Tag.PREINPROG, Tag.PREINFLAGS],
  ['postin', Tag.POSTIN, Tag.POSTINPROG, Tag.POSTINFLAGS],
  ['preun', Tag.PREUN, Tag.PREUNPROG, Tag.PREUNFLAGS],
  ['postun', Tag.POSTUN, Tag.POSTUNPROG, Tag.POSTUNFLAGS],
  ['posttrans', Tag.POSTTRANS, Tag.POSTTRANSPROG, Tag.POSTTRANSFLAGS],
  ['preuntrans', Tag.PREUNTRANS, Tag.PREUNTRANSPROG, Tag.PREUNTRANSFLAGS],
  ['postuntrans', Tag.POSTUNTRANS, Tag.POSTUNTRANSPROG, Tag.POSTUNTRANSFLAGS],
  ['verify', Tag.VERIFYSCRIPT, Tag.VERIFYSCRIPTPROG, Tag.VERIFYSCRIPTFLAGS],
];

/** Scriptlets present in the header (a prog without a body counts, e.g. `%post -p /sbin/ldconfig`). */
export function scriptlets(h: Header): Record<string, Scriptlet> {
  const out: Record<string, Scriptlet> = {};
  for (const [name, body, prog, flags] of SCRIPTS) {
    if (!h.has(body) && !h.has(prog)) continue;
    out[name] = { body: h.getString(body) ?? '', prog: h.getStrings(prog) ?? [], flags: h.getNumber(flags) ?? 0 };
  }
  return out;
}

function triggerType(flags: number): string {
  if (flags & DepFlag.TRIGGERPREIN) return 'prein';
  if (flags & DepFlag.TRIGGERIN) return 'in';
  if (flags & DepFlag.TRIGGERUN) return 'un';
  if (flags & DepFlag.TRIGGERPOSTUN) return 'postun';
  return '';
}

/** Triggers of one family (package, file or transaction file), one entry per script. */
function readTriggers(h: Header, t: { name: number; version: number; flags: number; index: number; scripts: number; prog: number; sflags: number; prio?: number }): Trigger[] {
  const names = h.getStrings(t.name) ?? [];
  const versions = h.getStrings(t.version) ?? [];
  const flags = h.getNumbers(t.flags) ?? [];
  const index = h.getNumbers(t.index) ?? [];
  const scripts = h.getStrings(t.scripts) ?? [];
  const progs = h.getStrings(t.prog) ?? [];
  const sflags = h.getNumbers(t.sflags) ?? [];
  const prios = t.prio !== undefined ? h.getNumbers(t.prio) ?? [] : [];
  return scripts.map((body, i) => {
    const conds = names.map((n, j) => ({ n, j })).filter(({ j }) => index[j] === i);
    const tr: Trigger = {
      type: conds.length ? triggerType(flags[conds[0]!.j] ?? 0) : '',
      conditions: conds.map(({ n, j }) => formatRpmDep(n, flags[j] ?? 0, versions[j] ?? '')),
      script: { body, prog: progs[i] !== undefined ? [progs[i]!] : [], flags: sflags[i] ?? 0 },
    };
    if (prios[i] !== undefined) tr.priority = prios[i];
    return tr;
  });
}

/** The text `rpm -qp --triggers` (file: `--filetriggers`) prints for these triggers. */
export function formatTriggerScripts(triggers: Trigger[], prefix: string): string {
  return triggers.map((t) => `${prefix}${t.type} scriptlet (using ${t.script.prog[0] ?? ''}) -- ${t.conditions.join(', ')}\n${t.script.body}\n`).join('');
}

function inspectFile(f: RpmFile): InspectFile {
  const o: InspectFile = { path: f.path, size: f.size, mode: f.mode, user: f.user, group: f.group, digest: f.digest, linkto: f.linkto, flags: f.flagNames, fileFlags: f.flags, mtime: f.mtime, nlink: f.nlink };
  if (f.caps) o.caps = f.caps;
  if (f.lang) o.lang = f.lang;
  if (f.imaSignature) o.imaSignature = f.imaSignature;
  return o;
}

/** Inspect an opened package (reads at most the first bytes of the payload to name its codec). */
export async function inspectOpened(pkg: RpmPackage): Promise<PackageInfo> {
  const h = pkg.header;
  const s = (tag: number) => h.getString(tag) ?? null;
  const deps = (k: RpmDepKind) => packageDeps(h, k).map((d) => d.text);
  const epoch = h.getNumber(Tag.EPOCH) ?? null;
  const name = s(Tag.NAME) ?? '';
  const version = s(Tag.VERSION) ?? '';
  const release = s(Tag.RELEASE) ?? '';
  const arch = s(Tag.ARCH) ?? '';
  let payloadCompressor = h.getString(Tag.PAYLOADCOMPRESSOR);
  if (payloadCompressor === undefined) {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of pkg.rawPayload()) {
      parts.push(c);
      n += c.length;
      if (n >= 6) break; // `break` closes the file stream
    }
    payloadCompressor = detectCompression(Buffer.concat(parts));
  }
  const ft = (n: [number, number, number, number, number, number, number, number]) =>
    readTriggers(h, { name: n[0], version: n[1], flags: n[2], index: n[3], scripts: n[4], prog: n[5], sflags: n[6], prio: n[7] });
  return {
    ...(pkg.path ? { path: pkg.path } : {}),
    name,
    epoch,
    version,
    release,
    arch,
    nevra: `${name}-${epoch !== null ? `${epoch}:` : ''}${version}-${release}.${pkg.isSource ? 'src' : arch}`,
    isSource: pkg.isSource,
    format: pkg.format,
    license: s(Tag.LICENSE),
    summary: s(Tag.SUMMARY),
    description: s(Tag.DESCRIPTION),
    url: s(Tag.URL),
    vendor: s(Tag.VENDOR),
    group: s(Tag.GROUP),
    packager: s(Tag.PACKAGER),
    buildhost: s(Tag.BUILDHOST),
    sourcerpm: s(Tag.SOURCERPM),
    buildtime: h.getNumber(Tag.BUILDTIME) ?? null,
    size: h.getNumber(Tag.LONGSIZE) ?? h.getNumber(Tag.SIZE) ?? null,
    payloadFormat: s(Tag.PAYLOADFORMAT),
    payloadCompressor,
    requires: deps('requires'),
    provides: deps('provides'),
    conflicts: deps('conflicts'),
    obsoletes: deps('obsoletes'),
    recommends: deps('recommends'),
    suggests: deps('suggests'),
    supplements: deps('supplements'),
    enhances: deps('enhances'),
    order: deps('order'),
    requiresDetail: headerDeps(h, 'requires').map((d) => ({ text: d.text, type: depType(d.flags) })),
    files: packageFiles(h, pkg.signature).map(inspectFile),
    changelog: (h.getStrings(Tag.CHANGELOGNAME) ?? []).map((n, i) => ({
      time: h.getNumbers(Tag.CHANGELOGTIME)?.[i] ?? 0,
      name: n,
      text: h.getStrings(Tag.CHANGELOGTEXT)?.[i] ?? '',
    })),
    scriptlets: scriptlets(h),
    triggers: readTriggers(h, { name: Tag.TRIGGERNAME, version: Tag.TRIGGERVERSION, flags: Tag.TRIGGERFLAGS, index: Tag.TRIGGERINDEX, scripts: Tag.TRIGGERSCRIPTS, prog: Tag.TRIGGERSCRIPTPROG, sflags: Tag.TRIGGERSCRIPTFLAGS }),
    fileTriggers: ft([Tag.FILETRIGGERNAME, Tag.FILETRIGGERVERSION, Tag.FILETRIGGERFLAGS, Tag.FILETRIGGERINDEX, Tag.FILETRIGGERSCRIPTS, Tag.FILETRIGGERSCRIPTPROG, Tag.FILETRIGGERSCRIPTFLAGS, Tag.FILETRIGGERPRIORITIES]),
    transFileTriggers: ft([Tag.TRANSFILETRIGGERNAME, Tag.TRANSFILETRIGGERVERSION, Tag.TRANSFILETRIGGERFLAGS, Tag.TRANSFILETRIGGERINDEX, Tag.TRANSFILETRIGGERSCRIPTS, Tag.TRANSFILETRIGGERSCRIPTPROG, Tag.TRANSFILETRIGGERSCRIPTFLAGS, Tag.TRANSFILETRIGGERPRIORITIES]),
    signatureTags: pkg.signature.entries.map((e) => e.tag),
  };
}

/** Open and inspect a package file (headers only plus a peek at the payload). */
export async function inspectPackage(path: string, opts: OpenPackageOptions = {}): Promise<PackageInfo> {
  return inspectOpened(await openPackage(path, opts));
}

/** A short human summary (the CLI's non-JSON output). */
export function formatSummary(i: PackageInfo): string {
  const lines = [
    `${i.nevra}${i.isSource ? ' (source package)' : ''}  [rpm v${i.format}]`,
    `Summary     : ${i.summary ?? ''}`,
    `License     : ${i.license ?? ''}`,
    `Arch        : ${i.arch}`,
    `Source RPM  : ${i.sourcerpm ?? '(none)'}`,
    `Build time  : ${i.buildtime !== null ? new Date(i.buildtime * 1000).toISOString() : '(none)'}`,
    `Payload     : ${i.payloadFormat ?? 'cpio'}, ${i.payloadCompressor}`,
    `Size        : ${i.size ?? 0} bytes in ${i.files.length} files`,
  ];
  for (const k of ['requires', 'provides', 'conflicts', 'obsoletes', 'recommends', 'suggests', 'supplements', 'enhances'] as const) {
    if (i[k].length) lines.push(`${k[0]!.toUpperCase()}${k.slice(1)}:`, ...i[k].map((d) => `  ${d}`));
  }
  const sc = Object.keys(i.scriptlets);
  if (sc.length) lines.push(`Scriptlets  : ${sc.join(', ')}`);
  if (i.triggers.length || i.fileTriggers.length || i.transFileTriggers.length) {
    lines.push(`Triggers    : ${i.triggers.length} package, ${i.fileTriggers.length} file, ${i.transFileTriggers.length} transaction file`);
  }
  return lines.join('\n');
}
