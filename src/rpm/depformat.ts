/**
 * Dependencies of a header, read and printed exactly as `rpm -qp --requires` (and --provides,
 * --conflicts, ...) prints them: one string per entry in header order, `name`, `name op evr`;
 * rich dependencies "(a or b)" as stored; rpmlib() and pre/post requires included.
 *
 *   headerDeps(h, 'requires')          // [{ name: '/bin/sh', flags: 0x200, evr: '', text: '/bin/sh' }, ...]
 *   formatRpmDep('foo', DepFlag.GREATER | DepFlag.EQUAL, '1.2')   // 'foo >= 1.2'
 */
import { DriftlessError } from '../core/errors.js';
import type { Header } from './header.js';
import { DepFlag, Tag } from './tags.js';

export type RpmDepKind = 'requires' | 'provides' | 'conflicts' | 'obsoletes' | 'recommends' | 'suggests' | 'supplements' | 'enhances' | 'order';

export const DEP_TAGS: Record<RpmDepKind, { name: number; version: number; flags: number }> = {
  requires: { name: Tag.REQUIRENAME, version: Tag.REQUIREVERSION, flags: Tag.REQUIREFLAGS },
  provides: { name: Tag.PROVIDENAME, version: Tag.PROVIDEVERSION, flags: Tag.PROVIDEFLAGS },
  conflicts: { name: Tag.CONFLICTNAME, version: Tag.CONFLICTVERSION, flags: Tag.CONFLICTFLAGS },
  obsoletes: { name: Tag.OBSOLETENAME, version: Tag.OBSOLETEVERSION, flags: Tag.OBSOLETEFLAGS },
  recommends: { name: Tag.RECOMMENDNAME, version: Tag.RECOMMENDVERSION, flags: Tag.RECOMMENDFLAGS },
  suggests: { name: Tag.SUGGESTNAME, version: Tag.SUGGESTVERSION, flags: Tag.SUGGESTFLAGS },
  supplements: { name: Tag.SUPPLEMENTNAME, version: Tag.SUPPLEMENTVERSION, flags: Tag.SUPPLEMENTFLAGS },
  enhances: { name: Tag.ENHANCENAME, version: Tag.ENHANCEVERSION, flags: Tag.ENHANCEFLAGS },
  order: { name: Tag.ORDERNAME, version: Tag.ORDERVERSION, flags: Tag.ORDERFLAGS },
};

export interface RpmDep {
  name: string;
  flags: number;
  evr: string;
  /** rpm's printed form. */
  text: string;
}

/** rpm's DNEVR text: name, then the sense operator if any sense bit is set, then the EVR if non-empty. */
export function formatRpmDep(name: string, flags: number, evr: string): string {
  let s = name;
  const sense = flags & (DepFlag.LESS | DepFlag.GREATER | DepFlag.EQUAL);
  if (sense) {
    s += ' ';
    if (sense & DepFlag.LESS) s += '<';
    if (sense & DepFlag.GREATER) s += '>';
    if (sense & DepFlag.EQUAL) s += '=';
  }
  if (evr) s += ` ${evr}`;
  return s;
}

/** Dependency entries of one kind, in header order. */
export function headerDeps(header: Header, kind: RpmDepKind): RpmDep[] {
  const t = DEP_TAGS[kind];
  const names = header.getStrings(t.name) ?? [];
  const versions = header.getStrings(t.version) ?? [];
  const flags = header.getNumbers(t.flags) ?? [];
  if ((versions.length && versions.length !== names.length) || (flags.length && flags.length !== names.length)) {
    throw new DriftlessError('RPM_BAD_DEPS', `${kind}: ${names.length} names, ${versions.length} versions, ${flags.length} flags`);
  }
  return names.map((name, i) => {
    const evr = versions[i] ?? '';
    const f = flags[i] ?? 0;
    return { name, flags: f, evr, text: formatRpmDep(name, f, evr) };
  });
}

const DEPTYPES: Array<[number, string]> = [
  [DepFlag.SCRIPT_PRE, 'pre'],
  [DepFlag.SCRIPT_POST, 'post'],
  [DepFlag.SCRIPT_PREUN, 'preun'],
  [DepFlag.SCRIPT_POSTUN, 'postun'],
  [DepFlag.SCRIPT_VERIFY, 'verify'],
  [DepFlag.INTERP, 'interp'],
  [DepFlag.RPMLIB, 'rpmlib'],
  [DepFlag.FIND_REQUIRES | DepFlag.FIND_PROVIDES, 'auto'],
  [DepFlag.PREREQ, 'prereq'],
  [DepFlag.PRETRANS, 'pretrans'],
  [DepFlag.POSTTRANS, 'posttrans'],
  [DepFlag.PREUNTRANS, 'preuntrans'],
  [DepFlag.POSTUNTRANS, 'postuntrans'],
  [DepFlag.CONFIG, 'config'],
  [DepFlag.MISSINGOK, 'missingok'],
  [DepFlag.META, 'meta'],
];

/**
 * rpm's `deptype` text for a dependency's flags, as `rpm -qp --requires -v` prefixes it:
 * 'pre', 'post,interp', 'rpmlib', 'auto', ... or 'manual' when no qualifier bit is set.
 */
export function depType(flags: number): string {
  const out = DEPTYPES.filter(([bit]) => flags & bit).map(([, n]) => n);
  return out.length ? out.join(',') : 'manual';
}

/**
 * Dependencies as rpm presents them after reading a package: like headerDeps, plus rpm's
 * legacy retrofit for v3 binary packages (no header region), which appends an explicit
 * "name = [epoch:]version-release" provide (rpm ≤ 3.0.4 provided it implicitly). Current rpm
 * appends it even when an equal provide exists (its duplicate lookup also compares the entry's
 * tag index, which never matches), so `rpm -qp --provides` lists it twice; we do the same.
 */
export function packageDeps(header: Header, kind: RpmDepKind): RpmDep[] {
  const deps = headerDeps(header, kind);
  if (kind !== 'provides' || header.region || !header.has(Tag.SOURCERPM)) return deps;
  const name = header.getString(Tag.NAME);
  const v = header.getString(Tag.VERSION);
  const r = header.getString(Tag.RELEASE);
  if (name === undefined || v === undefined || r === undefined) return deps;
  const e = header.getNumber(Tag.EPOCH);
  const evr = `${e !== undefined ? `${e}:` : ''}${v}-${r}`;
  return [...deps, { name, flags: DepFlag.EQUAL, evr, text: formatRpmDep(name, DepFlag.EQUAL, evr) }];
}
