/**
 * Queries over loaded repositories, with libsolv's semantics so answers match dnf/libsolv:
 *
 *   const hits = queryRepos(repos, { whatprovides: 'libc.so.6()(64bit)', arch: 'x86_64' });
 *   hits.map((h) => nevraWithEpoch(h.pkg))  // sorted, byte order
 *
 * - No selector: every package in the repos' primary metadata (src packages included), like
 *   iterating every libsolv solvable. Duplicate NEVRAs across repos are listed once per repo.
 * - `arch`: keep packages installable on that arch (the arch, its compatible arches and noarch;
 *   never src/nosrc), as libsolv's `pool.setarch` + `installable()`.
 * - `whatprovides CAP` (`name` or `name OP evr`): explicit provides whose range overlaps CAP;
 *   a CAP starting with '/' also matches packages that contain that file. src packages are never
 *   providers (they are not installable).
 * - `whatrequires CAP`: packages with a requires entry matching CAP (any leaf of a rich dep).
 * - `file PATH`: packages whose file list contains PATH (primary's subset, or all files when
 *   filelists were loaded).
 */
import { depMatches, parseDependency } from '../rpm/deps.js';
import type { Dependency, PackageMeta } from '../rpm/metadata.js';
import { nevraWithEpoch } from '../rpm/metadata.js';
import { isRichDep, parseRichDep, type RichNode } from '../rpm/richdeps.js';
import type { LoadedRepo } from './load.js';

/** Arches installable on a machine arch (libsolv's arch policies for common arches), best first. */
const ARCH_POLICIES: Record<string, string[]> = {
  x86_64: ['x86_64', 'amd64', 'ia32e', 'athlon', 'i686', 'i586', 'i486', 'i386'],
  x86_64_v2: ['x86_64_v2', 'x86_64', 'amd64', 'ia32e', 'athlon', 'i686', 'i586', 'i486', 'i386'],
  x86_64_v3: ['x86_64_v3', 'x86_64_v2', 'x86_64', 'amd64', 'ia32e', 'athlon', 'i686', 'i586', 'i486', 'i386'],
  x86_64_v4: ['x86_64_v4', 'x86_64_v3', 'x86_64_v2', 'x86_64', 'amd64', 'ia32e', 'athlon', 'i686', 'i586', 'i486', 'i386'],
  i686: ['i686', 'i586', 'i486', 'i386'],
  i586: ['i586', 'i486', 'i386'],
  i486: ['i486', 'i386'],
  i386: ['i386'],
  aarch64: ['aarch64'],
  ppc64le: ['ppc64le'],
  ppc64: ['ppc64', 'ppc'],
  s390x: ['s390x', 's390'],
  riscv64: ['riscv64'],
  armv7hl: ['armv7hl', 'armv6hl'],
};

/** The set of package arches installable on `arch` (always including noarch). */
export function compatibleArches(arch: string): Set<string> {
  return new Set([...(ARCH_POLICIES[arch] ?? [arch]), 'noarch']);
}

export interface RepoQuery {
  arch?: string;
  whatprovides?: string;
  whatrequires?: string;
  file?: string;
  /** Exact package name. */
  name?: string;
}

export interface QueryHit {
  repo: LoadedRepo;
  pkg: PackageMeta;
}

const isSource = (p: PackageMeta) => p.arch === 'src' || p.arch === 'nosrc';

/** Does package `p` provide `cap` (libsolv whatprovides semantics, see module doc)? */
export function providesCap(p: PackageMeta, cap: Dependency): boolean {
  for (const d of p.provides) if (d.name === cap.name && depMatches(d, cap, 'libsolv')) return true;
  if (cap.name.startsWith('/') && cap.op === undefined) return hasFile(p, cap.name);
  return false;
}

function hasFile(p: PackageMeta, path: string): boolean {
  for (const f of p.files) if (f.path === path) return true;
  return false;
}

function richMatches(n: RichNode, cap: Dependency): boolean {
  if (n.kind === 'dep') return n.dep.name === cap.name && depMatches(cap, n.dep, 'libsolv');
  return n.args.some((a) => richMatches(a, cap)) || (n.else !== undefined && richMatches(n.else, cap));
}

/** Does package `p` require something matching `cap`? */
export function requiresCap(p: PackageMeta, cap: Dependency): boolean {
  for (const d of p.requires) {
    if (isRichDep(d.name)) {
      try {
        if (richMatches(parseRichDep(d.name), cap)) return true;
      } catch {
        // an unparseable rich dep matches nothing, as in libsolv
      }
    } else if (d.name === cap.name && depMatches(cap, d, 'libsolv')) return true;
  }
  return false;
}

/** Run a query; hits are sorted by NEVRA (byte order), then repo order. */
export function queryRepos(repos: LoadedRepo[], q: RepoQuery): QueryHit[] {
  const arches = q.arch ? compatibleArches(q.arch) : undefined;
  const prov = q.whatprovides !== undefined ? parseDependency(q.whatprovides) : undefined;
  const req = q.whatrequires !== undefined ? parseDependency(q.whatrequires) : undefined;
  const hits: QueryHit[] = [];
  for (const repo of repos) {
    for (const pkg of repo.packages) {
      if (arches && !arches.has(pkg.arch)) continue;
      if (q.name !== undefined && pkg.name !== q.name) continue;
      if (prov && (isSource(pkg) || !providesCap(pkg, prov))) continue;
      if (req && (isSource(pkg) || !requiresCap(pkg, req))) continue;
      if (q.file !== undefined && !hasFile(pkg, q.file)) continue;
      hits.push({ repo, pkg });
    }
  }
  return sortHits(hits);
}

/** Sort by `name-epoch:version-release.arch` bytes (stable: ties keep repo order). */
export function sortHits(hits: QueryHit[]): QueryHit[] {
  const keyed = hits.map((h, i) => ({ h, i, k: Buffer.from(nevraWithEpoch(h.pkg)) }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k) || a.i - b.i);
  return keyed.map((x) => x.h);
}

/**
 * Paths rpm-md puts into primary.xml's file list (createrepo_c's rule): /etc/*, any *bin/* path,
 * and /usr/lib/sendmail. Other paths need filelists.xml.
 */
export function pathInPrimary(path: string): boolean {
  return path.startsWith('/etc/') || path.includes('bin/') || path === '/usr/lib/sendmail';
}

/** Find packages by NEVRA text (`name-[epoch:]version-release.arch`, epoch optional) or by name. */
export function findByNevra(repos: LoadedRepo[], spec: string): QueryHit[] {
  const hits: QueryHit[] = [];
  for (const repo of repos) {
    for (const pkg of repo.packages) {
      const full = nevraWithEpoch(pkg);
      const short = `${pkg.name}-${pkg.version}-${pkg.release}.${pkg.arch}`;
      if (spec === full || spec === short || spec === pkg.name || spec === `${pkg.name}.${pkg.arch}`) hits.push({ repo, pkg });
    }
  }
  return sortHits(hits);
}
