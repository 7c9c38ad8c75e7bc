/**
 * Resolve an install request against rpm-md repositories: the install set for an image.
 *
 *   const r = resolveInstall([{ name: 'baseos', packages }], ['bash', 'dnf'], { arch: 'x86_64' });
 *   r.problems   // [] or libsolv-worded problem texts
 *   r.packages   // PackageMeta[] sorted by NEVRA
 */
import type { PackageMeta } from '../rpm/metadata.js';
import { nevraWithEpoch } from '../rpm/metadata.js';
import { parseDependency } from '../rpm/deps.js';
import { Pool } from './pool.js';
import { addPackageMetas, depToId } from './meta.js';
import { Solver } from './solver.js';
import { JobLists, JOB } from './testcase.js';
import { ruleInfo2str } from './problems.js';

export interface ResolveOptions {
  arch: string;
  /** Install Recommends/Supplements too (off by default for images). */
  weakDeps?: boolean;
  /** Only accept the best candidate for each request (libsolv SOLVER_FORCEBEST). Default true. */
  forceBest?: boolean;
}

export interface ResolveResult {
  packages: PackageMeta[];
  problems: string[];
}

export function resolveInstall(repos: Array<{ name: string; packages: readonly PackageMeta[]; priority?: number }>, requests: string[], opts: ResolveOptions): ResolveResult {
  const pool = new Pool();
  pool.installed = pool.addRepo('@System');
  const back = new Map<number, PackageMeta>();
  for (const r of repos) {
    const repo = pool.addRepo(r.name, r.priority ?? 0);
    const ids = addPackageMetas(pool, repo, r.packages);
    ids.forEach((id, i) => back.set(id, r.packages[i]!));
  }
  pool.setArch(opts.arch);
  pool.createWhatProvides();
  const solver = new Solver(pool, new JobLists());
  solver.flags.ignorerecommended = !opts.weakDeps;
  const best = opts.forceBest === false ? 0 : JOB.FORCEBEST;
  const jobs = requests.map((req) => ({ how: JOB.INSTALL | JOB.PROVIDES | best, what: depToId(pool, parseDependency(req)) }));
  solver.solve(jobs);
  const problems = solver.problems.map((pr) => ruleInfo2str(solver, pr.infoRule!));
  const packages = solver.installedSet().map((p) => back.get(p)!).filter(Boolean);
  packages.sort((a, b) => (nevraWithEpoch(a) < nevraWithEpoch(b) ? -1 : nevraWithEpoch(a) > nevraWithEpoch(b) ? 1 : 0));
  return { packages, problems };
}
