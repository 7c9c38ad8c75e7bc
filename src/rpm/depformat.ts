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

/** Names of the qualifier bits of a requires entry, as rpm's `deptype` shows them (pre, post, ...). */
export function depQualifiers(flags: number): string[] {
  const out: string[] = [];
  if (flags & DepFlag.PRETRANS) out.push('pretrans');
  if (flags & DepFlag.SCRIPT_PRE) out.push('pre');
  if (flags & DepFlag.SCRIPT_POST) out.push('post');
  if (flags & DepFlag.SCRIPT_PREUN) out.push('preun');
  if (flags & DepFlag.SCRIPT_POSTUN) out.push('postun');
  if (flags & DepFlag.POSTTRANS) out.push('posttrans');
  if (flags & DepFlag.SCRIPT_VERIFY) out.push('verify');
  if (flags & DepFlag.INTERP) out.push('interp');
  if (flags & DepFlag.RPMLIB) out.push('rpmlib');
  if (flags & DepFlag.MISSINGOK) out.push('missingok');
  if (flags & DepFlag.PREREQ && !(flags & (DepFlag.SCRIPT_PRE | DepFlag.SCRIPT_POST | DepFlag.SCRIPT_PREUN | DepFlag.SCRIPT_POSTUN))) out.push('prereq');
  if (flags & DepFlag.META) out.push('meta');
  if (flags & DepFlag.CONFIG) out.push('config');
  return out;
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
