/**
 * primary.xml reader: one PackageMeta per `<package>`, streamed into a column store
 * (columns.ts) whose string tables intern every repeated string.
 *
 *   const pkgs = await parsePrimary(decompressedChunks, 'primary.xml.gz');
 *
 * rpm-md EVR rules (as createrepo_c writes them and libsolv reads them): a missing epoch
 * attribute is 0; dependency entries carry flags EQ/LT/LE/GT/GE and epoch/ver/rel attributes,
 * formatted into `evr` as `[epoch:]ver[-rel]` with epoch 0 omitted; `pre="1"` marks a
 * pre-requirement.
 */
import { DriftlessError } from '../core/errors.js';
import type { DepOp, PackageMeta } from '../rpm/metadata.js';
import { DEP_KINDS } from '../rpm/metadata.js';
import { Cold, ColumnBuilder, Hot, Num } from './columns.js';
import { scanXml, type XmlCursor } from './xmlscan.js';
import { parseXmlStreamCursor } from './xmlstream.js';

const RPMMD_OPS: Record<string, DepOp> = Object.assign(Object.create(null) as Record<string, DepOp>, { EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=' });

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
  /** The packages (CachedPackage objects over a column store; dependencies decoded on access). */
  packages: PackageMeta[];
  /** The `packages="N"` count the document announces, when present. */
  declaredCount?: number;
}

const KIND_INDEX: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(DEP_KINDS.map((k, i) => [k, i])));
const COLD_TEXT: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, {
  packager: Cold.Packager, url: Cold.Url, license: Cold.License, vendor: Cold.Vendor, group: Cold.Group, buildhost: Cold.Buildhost, sourcerpm: Cold.Sourcerpm,
});

/** XML reader: the byte scanner (xmlscan.ts, default) or saxes (the reference it is tested against). */
export type XmlReader = 'scan' | 'saxes';

/**
 * Stream-parse primary.xml straight into a column store (no object per dependency while
 * parsing). Throws REPO_BAD_XML / REPO_BAD_METADATA on malformed input.
 */
export async function parsePrimary(chunks: AsyncIterable<Uint8Array>, label: string, reader: XmlReader = 'scan'): Promise<PrimaryResult> {
  const b = new ColumnBuilder();
  let declaredCount: number | undefined;
  let inPackage = false;
  let kind = -1;
  let inFormat = false;
  let sawRoot = false;
  let fileType: string | undefined;
  await (reader === 'scan' ? scanXml : parseXmlStreamCursor)(chunks, label, {
    open(name: string, a: XmlCursor) {
      if (!inPackage) {
        if (name === 'package') {
          inPackage = true;
          b.begin();
        } else if (name === 'metadata') {
          sawRoot = true;
          declaredCount = num(a.attr('packages'));
        }
        return;
      }
      if (kind >= 0) {
        if (name === 'entry') {
          const flags = a.attr('flags');
          const pre = a.attr('pre');
          let op: DepOp | undefined;
          let evr: string | undefined;
          if (flags !== undefined && flags !== '') {
            op = RPMMD_OPS[flags];
            if (op === undefined) {
              throw new DriftlessError('REPO_BAD_METADATA', `${label}: unknown dependency flags "${flags}" on "${a.attr('name')}"`, {
                hint: 'rpm-md flags are EQ, LT, LE, GT, GE',
              });
            }
            evr = cachedEvr(a.attr('epoch'), a.attr('ver'), a.attr('rel'));
            if (evr === '') op = undefined;
          }
          b.dep(kind, a.attr('name') ?? '', op, evr, pre === '1' || pre === 'true');
        }
        return;
      }
      switch (name) {
        case 'format':
          inFormat = true;
          break;
        case 'version':
          b.num(Num.Epoch, parseEpoch(a.attr('epoch'), label));
          b.hotField(Hot.Version, a.attr('ver') ?? '');
          b.hotField(Hot.Release, a.attr('rel') ?? '');
          break;
        case 'checksum':
          b.hotField(Hot.CkType, a.attr('type') ?? '');
          b.hotField(Hot.CkValue, '');
          break;
        case 'time':
          b.num(Num.Filetime, num(a.attr('file')));
          b.num(Num.Buildtime, num(a.attr('build')));
          break;
        case 'size':
          b.num(Num.SizePackage, num(a.attr('package')));
          b.num(Num.SizeInstalled, num(a.attr('installed')));
          b.num(Num.SizeArchive, num(a.attr('archive')));
          break;
        case 'location': {
          b.hotField(Hot.LocHref, a.attr('href') ?? '');
          const base = a.attr('xml:base');
          if (base) b.hotField(Hot.LocBase, base);
          break;
        }
        case 'file':
          fileType = a.attr('type');
          break;
        case 'header-range':
          b.num(Num.HdrStart, num(a.attr('start')) ?? 0);
          b.num(Num.HdrEnd, num(a.attr('end')) ?? 0);
          break;
        default:
          if (inFormat) {
            const k = KIND_INDEX[name];
            if (k !== undefined) kind = k;
          }
      }
    },
    close(name: string, x: XmlCursor) {
      if (!inPackage) return;
      if (kind >= 0) {
        if (name !== 'entry' && KIND_INDEX[name] !== undefined) kind = -1;
        return;
      }
      switch (name) {
        case 'package':
          if (!b.hotFieldValue(Hot.Name)) {
            throw new DriftlessError('REPO_BAD_METADATA', `${label}: package #${b.n + 1} has no name`, { path: label });
          }
          b.end();
          inPackage = false;
          inFormat = false;
          break;
        case 'name': b.hotField(Hot.Name, x.text()); break;
        case 'arch': b.hotField(Hot.Arch, x.text()); break;
        case 'checksum': b.hotField(Hot.CkValue, x.text().trim()); break;
        case 'summary': b.coldField(Cold.Summary, x.text()); break;
        case 'description': b.coldField(Cold.Description, x.text()); break;
        case 'format': inFormat = false; break;
        case 'file':
          if (inFormat) b.file(x.text(), fileType);
          break;
        default: {
          const c = COLD_TEXT[name];
          if (c !== undefined) {
            const text = x.text();
            if (text) b.coldField(c as Cold, text);
          }
        }
      }
    },
  });
  if (!sawRoot) throw new DriftlessError('REPO_BAD_METADATA', `${label}: not a primary.xml document (no <metadata> root)`, { path: label });
  return { packages: b.finish(), declaredCount };
}

/** A file entry from `<file [type="dir|ghost"]>path</file>`. */
export function fileEntry(path: string, type: string | undefined): PackageMeta['files'][number] {
  return type === 'dir' || type === 'ghost' ? { path, type } : { path };
}
