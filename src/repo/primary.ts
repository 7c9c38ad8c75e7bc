/**
 * primary.xml reader: one PackageMeta per `<package>`, streamed, with repeated strings interned.
 *
 *   const pkgs = await parsePrimary(decompressedChunks, 'primary.xml.gz');
 *
 * rpm-md EVR rules (as createrepo_c writes them and libsolv reads them): a missing epoch
 * attribute is 0; dependency entries carry flags EQ/LT/LE/GT/GE and epoch/ver/rel attributes,
 * formatted into `evr` as `[epoch:]ver[-rel]` with epoch 0 omitted; `pre="1"` marks a
 * pre-requirement.
 */
import { DriftlessError } from '../core/errors.js';
import type { Dependency, DepKind, DepOp, PackageMeta } from '../rpm/metadata.js';
import { emptyPackageMeta } from '../rpm/metadata.js';
import { Interner, parseXmlStream } from './xmlstream.js';

const RPMMD_OPS: Record<string, DepOp> = Object.assign(Object.create(null) as Record<string, DepOp>, { EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=' });

const DEP_SECTIONS: Record<string, DepKind> = Object.assign(Object.create(null) as Record<string, DepKind>, {
  provides: 'provides',
  requires: 'requires',
  conflicts: 'conflicts',
  obsoletes: 'obsoletes',
  recommends: 'recommends',
  suggests: 'suggests',
  supplements: 'supplements',
  enhances: 'enhances',
});

/** `[epoch:]ver[-rel]` from rpm-md attributes; epoch "0" or empty is omitted. */
export function rpmmdEvr(epoch: string | undefined, ver: string | undefined, rel: string | undefined): string {
  const e = epoch === undefined || epoch === '' || epoch === '0' || /^0+$/.test(epoch) ? '' : `${epoch}:`;
  const v = ver ?? '';
  return rel === undefined || rel === '' ? e + v : `${e}${v}-${rel}`;
}

// One-entry memo: consecutive entries often share an EVR (name and name(x86-64) provides, ...).
let lastE: string | undefined, lastV: string | undefined, lastR: string | undefined, lastEvr = '';
function cachedEvr(e: string | undefined, v: string | undefined, r: string | undefined): string {
  if (v === lastV && r === lastR && e === lastE) return lastEvr;
  lastE = e;
  lastV = v;
  lastR = r;
  return (lastEvr = rpmmdEvr(e, v, r));
}

/** Parse a dependency `<rpm:entry>` element's attributes. */
export function rpmmdDependency(a: Record<string, string>, intern: Interner): Dependency {
  const name = intern.get(a.name ?? '');
  const flags = a.flags;
  const pre = a.pre === '1' || a.pre === 'true';
  if (flags !== undefined && flags !== '') {
    const op = RPMMD_OPS[flags];
    if (op === undefined) {
      throw new DriftlessError('REPO_BAD_METADATA', `unknown dependency flags "${flags}" on "${a.name}"`, {
        hint: 'rpm-md flags are EQ, LT, LE, GT, GE',
      });
    }
    const evr = cachedEvr(a.epoch, a.ver, a.rel);
    if (evr !== '') return pre ? { name, op, evr, pre } : { name, op, evr };
  }
  return pre ? { name, pre } : { name };
}

function parseEpoch(e: string | undefined, label: string): number {
  if (e === undefined || e === '') return 0;
  if (!/^\d+$/.test(e)) throw new DriftlessError('REPO_BAD_METADATA', `${label}: bad epoch "${e}"`);
  return Number(e);
}

function num(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

export interface PrimaryResult {
  packages: PackageMeta[];
  /** The `packages="N"` count the document announces, when present. */
  declaredCount?: number;
}

/** Stream-parse primary.xml. Throws REPO_BAD_XML / REPO_BAD_METADATA on malformed input. */
export async function parsePrimary(chunks: AsyncIterable<Uint8Array>, label: string, intern = new Interner()): Promise<PrimaryResult> {
  const packages: PackageMeta[] = [];
  let declaredCount: number | undefined;
  let cur: PackageMeta | undefined;
  let deps: Dependency[] | undefined;
  let inFormat = false;
  let sawRoot = false;
  let fileType: string | undefined;
  await parseXmlStream(chunks, label, {
    open(name, a) {
      if (!cur) {
        if (name === 'package') {
          cur = emptyPackageMeta('', { version: '', release: '', arch: '' });
          if (a.type && a.type !== 'rpm') (cur as PackageMeta & { type?: string }).type = a.type;
        } else if (name === 'metadata') {
          sawRoot = true;
          declaredCount = num(a.packages);
        }
        return;
      }
      if (deps) {
        if (name === 'entry') deps.push(rpmmdDependency(a, intern));
        return;
      }
      switch (name) {
        case 'format':
          inFormat = true;
          break;
        case 'version':
          cur.epoch = parseEpoch(a.epoch, label);
          cur.version = intern.get(a.ver ?? '');
          cur.release = intern.get(a.rel ?? '');
          break;
        case 'checksum':
          cur.checksum = { type: intern.get(a.type ?? ''), value: '' };
          break;
        case 'time':
          cur.filetime = num(a.file);
          cur.buildtime = num(a.build);
          break;
        case 'size':
          cur.size = { package: num(a.package), installed: num(a.installed), archive: num(a.archive) };
          break;
        case 'location':
          cur.location = { href: a.href ?? '' };
          if (a['xml:base']) cur.location.base = intern.get(a['xml:base']);
          break;
        case 'file':
          fileType = a.type;
          break;
        case 'header-range':
          cur.headerRange = { start: num(a.start) ?? 0, end: num(a.end) ?? 0 };
          break;
        default:
          if (inFormat) {
            const kind = DEP_SECTIONS[name];
            if (kind) deps = cur[kind];
          }
      }
    },
    close(name, text) {
      if (!cur) return;
      if (deps) {
        if (name !== 'entry' && DEP_SECTIONS[name]) deps = undefined;
        return;
      }
      switch (name) {
        case 'package':
          if (!cur.name) throw new DriftlessError('REPO_BAD_METADATA', `${label}: package #${packages.length + 1} has no name`);
          packages.push(cur);
          cur = undefined;
          inFormat = false;
          break;
        case 'name': cur.name = intern.get(text); break;
        case 'arch': cur.arch = intern.get(text); break;
        case 'checksum': if (cur.checksum) cur.checksum.value = text.trim(); break;
        case 'summary': cur.summary = text; break;
        case 'description': cur.description = text; break;
        case 'packager': if (text) cur.packager = intern.get(text); break;
        case 'url': if (text) cur.url = intern.get(text); break;
        case 'license': if (text) cur.license = intern.get(text); break;
        case 'vendor': if (text) cur.vendor = intern.get(text); break;
        case 'group': if (text) cur.group = intern.get(text); break;
        case 'buildhost': if (text) cur.buildhost = intern.get(text); break;
        case 'sourcerpm': if (text) cur.sourcerpm = text; break;
        case 'format': inFormat = false; break;
        case 'file':
          if (inFormat) cur.files.push(fileEntry(text, fileType));
          break;
      }
    },
  });
  if (!sawRoot) throw new DriftlessError('REPO_BAD_METADATA', `${label}: not a primary.xml document (no <metadata> root)`, { path: label });
  return { packages, declaredCount };
}

/** A file entry from `<file [type="dir|ghost"]>path</file>`. */
export function fileEntry(path: string, type: string | undefined): PackageMeta['files'][number] {
  return type === 'dir' || type === 'ghost' ? { path, type } : { path };
}
