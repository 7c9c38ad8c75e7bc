/**
 * Problems: the rules that made a request unsolvable, a plain-language description in
 * libsolv's wording ("nothing provides libfoo needed by bar-1-1.x86_64") and solutions
 * (drop a job, allow erasing or replacing an installed package, allow a package).
 */
import { SYSTEMSOLVABLE, type Pool } from './pool.js';
import { RuleClass, RuleInfo, type Rule } from './rules.js';
import type { Solver } from './solver.js';

export interface SolutionElement {
  kind: 'deljob' | 'erase' | 'replace' | 'allow';
  job?: number;
  p?: number;
  q?: number;
}

export interface Solution {
  /** Rule id (or -(job index + 1)) the solution disables; used for its id. */
  source: number;
  elements: SolutionElement[];
}

export interface Problem {
  /** Every rule that took part in the conflict. */
  proof: number[];
  /** Rules that can be disabled (jobs, updates, ...). */
  rules: number[];
  solutions?: Solution[];
  /** The rule that best describes the problem. */
  infoRule?: number;
}

/** `name-evr.arch` (pool_solvid2str). */
export function solvable2str(pool: Pool, p: number): string {
  if (p === SYSTEMSOLVABLE) return 'SYSTEM';
  const s = pool.solvables[p]!;
  return `${pool.strs[s.name]}-${pool.strs[s.evr]}${s.arch ? `.${pool.strs[s.arch]}` : ''}`;
}

/** Pick the most descriptive rule of a problem (requires before conflicts before jobs). */
export function findProblemRule(solver: Solver, pr: Problem): number {
  const rs = solver.rules.rules;
  let req = 0;
  let reqInst = 0;
  let con = 0;
  let sys = 0;
  let job = 0;
  let other = 0;
  for (const id of pr.proof) {
    const r = rs[id]!;
    if (r.cls === RuleClass.PKG) {
      const t = r.info.type;
      if (t === RuleInfo.PKG_NOTHING_PROVIDES_DEP || t === RuleInfo.PKG_NOT_INSTALLABLE) {
        if (!req || rs[req]!.info.type === RuleInfo.PKG_REQUIRES) req = id;
      } else if (t === RuleInfo.PKG_REQUIRES) {
        const from = r.info.from!;
        if (solver.isInstalledPkg(from)) { if (!reqInst) reqInst = id; }
        else if (!req) req = id;
      } else if (!con) con = id;
    } else if (r.cls === RuleClass.JOB) {
      if (!job) job = id;
    } else if (r.cls === RuleClass.UPDATE || r.cls === RuleClass.FEATURE) {
      if (!sys) sys = id;
    } else if (!other) other = id;
  }
  return req || reqInst || con || other || sys || job || pr.proof[0] || 0;
}

/** Problem description text for a rule. */
export function ruleInfo2str(solver: Solver, rid: number): string {
  const pool = solver.pool;
  const r: Rule = solver.rules.rules[rid]!;
  const i = r.info;
  const sv = (p: number | undefined) => solvable2str(pool, p ?? 0);
  const dep = (d: number | undefined) => pool.dep2str(d ?? 0);
  switch (r.cls) {
    case RuleClass.DISTUPGRADE: return `${sv(i.from)} does not belong to a distupgrade repository`;
    case RuleClass.INFARCH: return `${sv(i.from)} has inferior architecture`;
    case RuleClass.UPDATE: case RuleClass.FEATURE: return `problem with installed package ${sv(i.from)}`;
    case RuleClass.BEST: return i.from ? `cannot install the best update candidate for package ${sv(i.from)}` : 'cannot install the best candidate for the job';
    case RuleClass.BLACK: return `package ${sv(i.from)} can only be installed by a direct request`;
    case RuleClass.STRICT_REPO_PRIORITY: return `package ${sv(i.from)} is excluded by strict repo priority`;
    case RuleClass.JOB:
      if (i.type === RuleInfo.JOB_NOTHING_PROVIDES_DEP) return `nothing provides requested ${dep(i.dep)}`;
      return 'conflicting requests';
    default: break;
  }
  switch (i.type) {
    case RuleInfo.PKG_NOT_INSTALLABLE: {
      const s = pool.solvables[i.from!]!;
      if (!pool.isConsidered(i.from!)) return `package ${sv(i.from)} is disabled`;
      if (s.arch && pool.archScore && pool.arch2score(s.arch) === 0) return `package ${sv(i.from)} does not have a compatible architecture`;
      return `package ${sv(i.from)} is not installable`;
    }
    case RuleInfo.PKG_NOTHING_PROVIDES_DEP: return `nothing provides ${dep(i.dep)} needed by ${sv(i.from)}`;
    case RuleInfo.PKG_SAME_NAME: return `cannot install both ${sv(i.from)} and ${sv(i.to)}`;
    case RuleInfo.PKG_CONFLICTS: return `package ${sv(i.from)} conflicts with ${dep(i.dep)} provided by ${sv(i.to)}`;
    case RuleInfo.PKG_OBSOLETES: return `package ${sv(i.from)} obsoletes ${dep(i.dep)} provided by ${sv(i.to)}`;
    case RuleInfo.PKG_INSTALLED_OBSOLETES: return `installed package ${sv(i.from)} obsoletes ${dep(i.dep)} provided by ${sv(i.to)}`;
    case RuleInfo.PKG_IMPLICIT_OBSOLETES: return `package ${sv(i.from)} implicitly obsoletes ${dep(i.dep)} provided by ${sv(i.to)}`;
    case RuleInfo.PKG_REQUIRES: return `package ${sv(i.from)} requires ${dep(i.dep)}, but none of the providers can be installed`;
    case RuleInfo.PKG_SELF_CONFLICT: return `package ${sv(i.from)} conflicts with ${dep(i.dep)} provided by itself`;
    default: return 'some dependency problem';
  }
}

/** Fill in info rules and solutions for all recorded problems. */
export function analyzeProblems(solver: Solver): void {
  const rs = solver.rules.rules;
  for (const pr of solver.problems) {
    pr.infoRule = findProblemRule(solver, pr);
    const sols: Solution[] = [];
    const seenJobs = new Set<number>();
    for (const id of pr.rules) {
      const r = rs[id]!;
      switch (r.cls) {
        case RuleClass.JOB: {
          if (r.job === undefined || seenJobs.has(r.job)) break;
          seenJobs.add(r.job);
          sols.push({ source: -(r.job + 1), elements: [{ kind: 'deljob', job: r.job }] });
          break;
        }
        case RuleClass.UPDATE:
        case RuleClass.FEATURE: {
          const p = r.info.from!;
          sols.push({ source: id, elements: [{ kind: 'erase', p }] });
          break;
        }
        case RuleClass.DISTUPGRADE: {
          const p = r.info.from!;
          sols.push({ source: id, elements: [solver.isInstalledPkg(p) ? { kind: 'erase', p } : { kind: 'allow', q: p }] });
          break;
        }
        case RuleClass.INFARCH:
        case RuleClass.BLACK:
        case RuleClass.STRICT_REPO_PRIORITY:
          sols.push({ source: id, elements: [{ kind: 'allow', q: r.info.from! }] });
          break;
        case RuleClass.BEST: {
          const pos = r.lits.filter((l) => l > 0);
          sols.push({ source: id, elements: pos.slice(0, 1).map((q) => ({ kind: 'allow' as const, q })) });
          break;
        }
        default: break;
      }
    }
    pr.solutions = sols;
  }
}
