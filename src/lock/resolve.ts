/**
 * From repositories to an install set: loads PackageMeta from every repo into the solver's pool
 * (rpm-md semantics as libsolv's repo_rpmmd: rpmlib() requires dropped, rich deps as boolean
 * relations, files as file provides), runs the solver with dnf's image defaults (best version
 * forced, weak deps off unless asked), and reports for each chosen package which chosen packages
 * satisfy each of its requirements — the edges `driftless why` walks.
 *
 *   const r = resolveInstallSet(repos, { install: ['bash'], exclude: [], arch: 'x86_64', weakDeps: false })
 *   if (r.problems.length) ... else r.packages
 */
import { DriftlessError } from '../core/errors.js';
import type { PackageMeta, Dependency } from '../rpm/metadata.js';
import { isRichDep } from '../rpm/richdeps.js';
import { Pool } from '../solver/pool.js';
import { addPackageMetas, depToId } from '../solver/meta.js';
import { Solver } from '../solver/solver.js';
import { JOB, JobLists, type Job } from '../solver/testcase.js';
import { analyzeProblems, findProblemRule, ruleInfo2str } from '../solver/problems.js';

export interface ResolveRepo {
  name: string;
  /** dnf priority: lower wins (1..99, default 99). */
  priority?: number;
  packages: PackageMeta[];
}

export interface ResolveRequest {
  /** Package names, globs are not expanded; anything else is taken as a capability. */
  install: string[];
  /** Package names never to install. */
  exclude: string[];
  arch: string;
  weakDeps: boolean;
  /** Also compute each package's dependency edges (`requires`, for lockfiles and `why`). Default true. */
  edges?: boolean;
}

export interface ResolvedPackage {
  meta: PackageMeta;
  repo: string;
  reason: 'requested' | 'dependency' | 'weak';
  requestedAs?: string[];
  /** Requirement text → NEVRAs of chosen packages that satisfy it. */
  requires: Array<{ dep: string; to: string }>;
}

export interface ResolveResult {
  packages: ResolvedPackage[];
  /** Human-readable problems (libsolv wording) when the request cannot be satisfied. */
  problems: string[];
}

function evrString(p: PackageMeta): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`;
}

export function nevraOf(p: PackageMeta): string {
  return `${p.name}-${evrString(p)}.${p.arch}`;
}

function depText(d: Dependency): string {
  return d.op ? `${d.name} ${d.op} ${d.evr}` : d.name;
}

/** Resolve an install request against repositories (pure: no I/O). */
export function resolveInstallSet(repos: ResolveRepo[], req: ResolveRequest): ResolveResult {
  const pool = new Pool();
  const meta: PackageMeta[] = [];
  const repoOf: string[] = [];
  const excluded = new Set(req.exclude);
  for (const r of repos) {
    // libsolv: a higher priority value wins; dnf: a lower one does
    const repo = pool.addRepo(r.name, -(r.priority ?? 99));
    const offered = r.packages.filter((p) => p.arch !== 'src' && p.arch !== 'nosrc' && !excluded.has(p.name));
    addPackageMetas(pool, repo, offered).forEach((id, i) => {
      meta[id] = offered[i]!;
      repoOf[id] = r.name;
    });
  }
  pool.setArch(req.arch);
  pool.createWhatProvides();
  const lists = new JobLists();
  const jobs: Job[] = [];
  const names = new Set(meta.filter(Boolean).map((p) => p.name));
  for (const what of req.install) {
    const sel = names.has(what) ? JOB.NAME : JOB.PROVIDES;
    const id = sel === JOB.NAME ? pool.str2id(what) : depToId(pool, parseSimpleDep(what));
    if (pool.whatProvides(id).length === 0 && !(sel === JOB.NAME)) {
      return { packages: [], problems: [`nothing provides requested ${what}`] };
    }
    jobs.push({ how: JOB.INSTALL | sel | JOB.FORCEBEST, what: id });
  }
  const solver = new Solver(pool, lists);
  solver.flags.ignorerecommended = !req.weakDeps;
  const nproblems = solver.solve(jobs);
  if (nproblems > 0) {
    analyzeProblems(solver);
    const problems = solver.problems.map((pr) => ruleInfo2str(solver, pr.infoRule ?? findProblemRule(solver, pr)));
    return { packages: [], problems: [...new Set(problems)] };
  }
  const installed = solver.installedSet().filter((p) => meta[p]);
  const chosen = new Set(installed);
  const requested = new Map<number, string[]>();
  for (const what of req.install) {
    const id = names.has(what) ? pool.str2id(what) : depToId(pool, parseSimpleDep(what));
    const provs = names.has(what) ? installed.filter((p) => meta[p]!.name === what) : pool.whatProvides(id).filter((p) => chosen.has(p));
    for (const p of provs) requested.set(p, [...(requested.get(p) ?? []), what]);
  }
  const weak = new Set(solver.weakInstalled);
  const packages: ResolvedPackage[] = installed.map((p) => {
    const m = meta[p]!;
    const edges: Array<{ dep: string; to: string }> = [];
    if (req.edges !== false) for (const d of m.requires) {
      if (d.name.startsWith('rpmlib(')) continue;
      for (const q of pool.whatProvides(depToId(pool, d))) if (chosen.has(q) && q !== p) edges.push({ dep: depText(d), to: nevraOf(meta[q]!) });
    }
    if (req.weakDeps && req.edges !== false) {
      for (const d of m.recommends) for (const q of pool.whatProvides(depToId(pool, d))) if (chosen.has(q) && q !== p) edges.push({ dep: `recommends ${depText(d)}`, to: nevraOf(meta[q]!) });
    }
    const as = requested.get(p);
    return {
      meta: m,
      repo: repoOf[p]!,
      reason: as ? 'requested' : weak.has(p) ? 'weak' : 'dependency',
      ...(as ? { requestedAs: as } : {}),
      requires: edges,
    };
  });
  return { packages, problems: [] };
}

/** "name", "name >= 1.0" or a rich dep as typed on a command line. */
export function parseSimpleDep(text: string): Dependency {
  const t = text.trim();
  if (isRichDep(t)) return { name: t };
  const m = /^(\S+)\s*(<=|>=|=|<|>)\s*(\S+)$/.exec(t);
  if (m) return { name: m[1]!, op: m[2] as Dependency['op'], evr: m[3]! };
  if (/\s/.test(t)) throw new DriftlessError('RESOLVE_BAD_REQUEST', `cannot parse request "${text}"`, { hint: 'use NAME, CAPABILITY or "NAME >= VERSION"' });
  return { name: t };
}
