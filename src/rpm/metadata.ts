/**
 * Package metadata as the repository reader produces it and the solver consumes it: what a
 * repo *offers* (a candidate), independent of where it was read from (rpm-md primary, an RPM
 * header, a testsolv testcase, the installed rpmdb).
 *
 *   const p: PackageMeta = { name: 'bash', epoch: 0, version: '5.1.8', release: '9.el9', arch: 'x86_64',
 *     provides: [{ name: 'bash', op: '=', evr: '5.1.8-9.el9' }], requires: [{ name: 'libc.so.6()(64bit)' }], ... }
 */

/** Comparison operator of a versioned dependency. */
export type DepOp = '<' | '<=' | '=' | '>=' | '>';

/** One dependency entry. Rich/boolean deps keep the whole expression in `name` ("(a or b)"). */
export interface Dependency {
  name: string;
  op?: DepOp;
  /** `[epoch:]version[-release]`, present iff `op` is. */
  evr?: string;
  /** Requires(pre)/(post) — needed before scriptlets run. */
  pre?: boolean;
}

export type DepKind = 'provides' | 'requires' | 'conflicts' | 'obsoletes' | 'recommends' | 'suggests' | 'supplements' | 'enhances';
export const DEP_KINDS: readonly DepKind[] = ['provides', 'requires', 'conflicts', 'obsoletes', 'recommends', 'suggests', 'supplements', 'enhances'];

export interface PackageFileEntry {
  path: string;
  /** rpm-md file type: plain file (undefined), directory or ghost. */
  type?: 'dir' | 'ghost';
}

export interface PackageMeta {
  name: string;
  /** Numeric epoch; 0 when absent. */
  epoch: number;
  version: string;
  release: string;
  arch: string;
  summary?: string;
  description?: string;
  url?: string;
  license?: string;
  vendor?: string;
  group?: string;
  packager?: string;
  buildhost?: string;
  sourcerpm?: string;
  buildtime?: number;
  filetime?: number;
  /** Sizes in bytes: the .rpm file, the installed files, the cpio archive. */
  size?: { package?: number; installed?: number; archive?: number };
  /** Where the .rpm is, relative to the repo base (or absolute when `base` is given). */
  location?: { href: string; base?: string };
  /** Package file checksum from the metadata (hex). */
  checksum?: { type: string; value: string };
  /** Byte range of the header in the .rpm (rpm-md `header-range`). */
  headerRange?: { start: number; end: number };
  provides: Dependency[];
  requires: Dependency[];
  conflicts: Dependency[];
  obsoletes: Dependency[];
  recommends: Dependency[];
  suggests: Dependency[];
  supplements: Dependency[];
  enhances: Dependency[];
  /** Files known for this package (primary's subset, or all of them once filelists is loaded). */
  files: PackageFileEntry[];
}

/** `name-[epoch:]version-release.arch` with the epoch only when non-zero (rpm's NEVRA form). */
export function nevra(p: Pick<PackageMeta, 'name' | 'epoch' | 'version' | 'release' | 'arch'>): string {
  return `${p.name}-${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}.${p.arch}`;
}

/** `name-epoch:version-release.arch` with the epoch always present (the CLI's `--format nevra`). */
export function nevraWithEpoch(p: Pick<PackageMeta, 'name' | 'epoch' | 'version' | 'release' | 'arch'>): string {
  return `${p.name}-${p.epoch}:${p.version}-${p.release}.${p.arch}`;
}

/** An empty metadata record with all dependency lists present. */
export function emptyPackageMeta(name: string, evra: { epoch?: number; version: string; release: string; arch: string }): PackageMeta {
  return {
    name,
    epoch: evra.epoch ?? 0,
    version: evra.version,
    release: evra.release,
    arch: evra.arch,
    provides: [],
    requires: [],
    conflicts: [],
    obsoletes: [],
    recommends: [],
    suggests: [],
    supplements: [],
    enhances: [],
    files: [],
  };
}
