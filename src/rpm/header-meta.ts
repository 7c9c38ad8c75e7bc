/**
 * PackageMeta (the shared model of src/rpm/metadata.ts) from an RPM header, for the repository
 * writer (createrepo) and the composer.
 *
 *   const meta = packageMetaFromHeader(pkg.header)   // { name, epoch, version, ..., requires: [...] }
 */
import type { Header } from './header.js';
import type { RpmPackage } from './package.js';
import { DEP_KINDS, type PackageMeta, type Dependency } from './metadata.js';
import { depFromFlags } from './deps.js';
import { packageDeps } from './depformat.js';
import { filePaths } from './files.js';
import { FileFlag, Tag } from './tags.js';

/** Build PackageMeta from a main header (files: all paths, with dir/ghost types). */
export function packageMetaFromHeader(header: Header): PackageMeta {
  const deps = (kind: (typeof DEP_KINDS)[number]): Dependency[] => packageDeps(header, kind).map((d) => depFromFlags(d.name, d.flags, d.evr));
  const paths = filePaths(header);
  const modes = header.getNumbers(Tag.FILEMODES) ?? [];
  const flags = header.getNumbers(Tag.FILEFLAGS) ?? [];
  const size = header.getNumber(Tag.LONGSIZE) ?? header.getNumber(Tag.SIZE);
  const archive = header.getNumber(271 /* LONGARCHIVESIZE */) ?? header.getNumber(Tag.ARCHIVESIZE);
  const opt = <K extends keyof PackageMeta>(k: K, v: PackageMeta[K] | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    name: header.getString(Tag.NAME) ?? '',
    epoch: header.getNumber(Tag.EPOCH) ?? 0,
    version: header.getString(Tag.VERSION) ?? '',
    release: header.getString(Tag.RELEASE) ?? '',
    arch: header.getString(Tag.ARCH) ?? '',
    ...opt('summary', header.getString(Tag.SUMMARY)),
    ...opt('description', header.getString(Tag.DESCRIPTION)),
    ...opt('url', header.getString(Tag.URL)),
    ...opt('license', header.getString(Tag.LICENSE)),
    ...opt('vendor', header.getString(Tag.VENDOR)),
    ...opt('group', header.getString(Tag.GROUP)),
    ...opt('packager', header.getString(Tag.PACKAGER)),
    ...opt('buildhost', header.getString(Tag.BUILDHOST)),
    ...opt('sourcerpm', header.getString(Tag.SOURCERPM)),
    ...opt('buildtime', header.getNumber(Tag.BUILDTIME)),
    size: { ...(size !== undefined ? { installed: size } : {}), ...(archive !== undefined ? { archive } : {}) },
    provides: deps('provides'),
    requires: deps('requires'),
    conflicts: deps('conflicts'),
    obsoletes: deps('obsoletes'),
    recommends: deps('recommends'),
    suggests: deps('suggests'),
    supplements: deps('supplements'),
    enhances: deps('enhances'),
    files: paths.map((path, i) => {
      if ((flags[i] ?? 0) & FileFlag.GHOST) return { path, type: 'ghost' as const };
      if (((modes[i] ?? 0) & 0o170000) === 0o040000) return { path, type: 'dir' as const };
      return { path };
    }),
  };
}

/**
 * PackageMeta for an opened package file: the header's metadata plus what only the file knows
 * (package size, archive size from the signature, rpm-md's header-range), as createrepo_c
 * reports them.
 */
export function packageMetaFromPackage(pkg: RpmPackage): PackageMeta {
  const m = packageMetaFromHeader(pkg.header);
  m.size = { ...m.size, package: pkg.fileSize, ...(pkg.archiveSize !== undefined ? { archive: pkg.archiveSize } : {}) };
  m.headerRange = { start: pkg.headerOffset, end: pkg.payloadOffset };
  return m;
}
