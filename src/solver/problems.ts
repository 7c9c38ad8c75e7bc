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

/** Pick the rule that best describes a problem (libsolv's findproblemrule preferences). */
export function findProblemRule(solver: Solver, pr: Problem): number {
  const rs = solver.rules.rules;
  const pool = solver.pool;
  const inst = (p: number) => solver.isInstalledPkg(p);
  let reqr = 0;
  let conr = 0;
  let sysr = 0;
  let jobr = 0;
  let blkr = 0;
  let scpr = 0;
  let reqset = 0;
  let conset = false;
  let jobassert = 0;
  for (const rid of pr.proof) {
    const r = rs[rid]!;
    if (r.cls === RuleClass.JOB && r.lits.length === 1 && r.lits[0]! > 0) { jobassert = r.lits[0]!; break; }
  }
  for (const rid of pr.proof) {
    const r = rs[rid]!;
    const lits = r.lits;
    switch (r.cls) {
      case RuleClass.JOB: case RuleClass.INFARCH: case RuleClass.DISTUPGRADE: case RuleClass.BEST: case RuleClass.YUMOBS:
        if (!jobr) jobr = rid;
        continue;
      case RuleClass.UPDATE: case RuleClass.FEATURE:
        if (!sysr) sysr = rid;
        continue;
      case RuleClass.BLACK:
        if (!blkr) blkr = rid;
        continue;
      case RuleClass.STRICT_REPO_PRIORITY:
        if (!scpr) scpr = rid;
        continue;
      case RuleClass.PKG:
        break;
      default:
        continue;
    }
    if (lits.length === 2 && lits[1]! < 0) {
      if (pool.installed && !conset && lits[0]! < 0 && (inst(-lits[0]!) || inst(-lits[1]!))) {
        conr = rid;
        conset = true;
      }
      if (!conr) conr = rid;
      continue;
    }
    if (lits.length === 1 && reqset < 3) {
      if (reqr > 0 && lits[0]! < -1) {
        const op = -rs[reqr]!.lits[0]!;
        if (op > 1 && pool.solvables[op]!.arch !== pool.solvables[-lits[0]!]!.arch && pool.solvables[-lits[0]!]!.arch !== pool.noarch) continue;
      }
      reqr = rid;
      reqset = 3;
    } else if (jobassert && lits[0] === -jobassert) {
      reqr = rid;
      reqset = 2;
    } else if (pool.installed && lits[0]! < 0 && inst(-lits[0]!) && reqset <= 1) {
      reqr = rid;
      reqset = 1;
    } else if (!reqr) reqr = rid;
  }
  if (reqr && conr && pool.installed && rs[reqr]!.lits[0]! < 0 && rs[conr]!.lits[0]! < 0) {
    const s = -rs[reqr]!.lits[0]!;
    const s1 = -rs[conr]!.lits[0]!;
    const s2 = -rs[conr]!.lits[1]!;
    let cp = 0;
    if (s === s1 && inst(s2)) cp = s2;
    else if (s === s2 && inst(s1)) cp = s1;
    if (cp && pool.solvables[s1]!.name !== pool.solvables[s2]!.name && !inst(s) && rs[reqr]!.lits.includes(cp)) return conr;
  }
  return reqr || conr || blkr || scpr || sysr || jobr || pr.proof[0] || 0;
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
    case RuleClass.YUMOBS: return `both package ${sv(i.from)} and ${sv(i.to)} obsolete ${dep(i.dep)}`;
    case RuleClass.STRICT_REPO_PRIORITY: return `package ${sv(i.from)} is excluded by strict repo priority`;
    case RuleClass.JOB: {
      if (r.lits.length === 1 && r.lits[0] === -1 && r.job !== undefined) {
        const how = solver.jobs[r.job]!.how;
        const jd = solver.jobs[r.job]!.what;
        const kind = how & 0xff00;
        const sel = how & 0xff;
        if ((kind === 0x100 || kind === 0x200) && sel === 0x02) return `package ${pool.dep2str(jd)} does not exist`;
        if ((kind === 0x100 || kind === 0x200) && sel === 0x03) return `nothing provides requested ${pool.dep2str(jd)}`;
        return 'unsupported request';
      }
      if (i.type === RuleInfo.JOB_NOTHING_PROVIDES_DEP) return `nothing provides requested ${dep(i.dep)}`;
      return 'conflicting requests';
    }
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

/** Sort problem elements like libsolv: rules first (by id), then jobs (essential last). */
function sortElements(solver: Solver, els: number[]): number[] {
  return els.slice().sort((a, b) => {
    if (a < 0 && b > 0) return 1;
    if (a > 0 && b < 0) return -1;
    if (a < 0 && b < 0) {
      const af = solver.jobs[-a - 1]!.how & JOB_ESSENTIAL;
      const bf = solver.jobs[-b - 1]!.how & JOB_ESSENTIAL;
      if (af !== bf) return af - bf;
    }
    return a - b;
  });
}

const JOB_ESSENTIAL = 0x020000;

function enableFeatureFor(solver: Solver, v: number): void {
  const rs = solver.rules.rules;
  if (v > 0 && rs[v]!.cls === RuleClass.UPDATE) {
    const fr = solver.featureRules.get(rs[v]!.info.from!);
    if (fr !== undefined && rs[fr]!.lits.length) rs[fr]!.disabled = false;
  }
}

/** Find a set of rules whose removal makes the problem go away, starting with `sug`. */
function refineSuggestion(solver: Solver, problem: number[], sug: number, essentialok: boolean): number[] {
  const rs = solver.rules.rules;
  const essential = (v: number) => v < 0 && (solver.jobs[-v - 1]!.how & JOB_ESSENTIAL) !== 0;
  if (!essentialok && essential(sug)) return [];
  const refined = [sug];
  for (const v of problem) if (v !== sug) solver.enableProblem(v);
  if (sug < 0) solver.reenablePolicyRules();
  enableFeatureFor(solver, sug);
  for (const w of solver.weakrules) if (rs[w] && rs[w]!.cls !== RuleClass.LEARNT) rs[w]!.disabled = false;
  const disabled: number[] = [];
  let ok = true;
  for (let guard = 0; guard < 1000; guard++) {
    const saved = solver.problems;
    solver.problems = [];
    solver.resetSat();
    solver.runSat(false, false);
    const found = solver.problems;
    solver.problems = saved;
    if (!found.length) break;
    const prob = found[0]!.rules;
    const disabledcnt = disabled.length;
    let nother = 0;
    let nfeature = 0;
    let nupdate = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (const v of prob) {
        if (!essentialok && essential(v)) continue;
        if (sug !== v) {
          const j = problem.findIndex((x) => x === v || (pass > 0 && x === sug));
          if (j >= 0 && problem[j] === v) continue;
        }
        if (v > 0 && rs[v]!.cls === RuleClass.FEATURE) nfeature++;
        else if (v > 0 && rs[v]!.cls === RuleClass.UPDATE) nupdate++;
        else nother++;
        disabled.push(v);
      }
      if (disabled.length !== disabledcnt) break;
    }
    if (disabled.length === disabledcnt) {
      ok = false;
      break;
    }
    if (!nother && nupdate && nfeature) {
      const keep = disabled.slice(disabledcnt).filter((v) => !(v > 0 && rs[v]!.cls === RuleClass.FEATURE));
      disabled.length = disabledcnt;
      disabled.push(...keep);
      nfeature = 0;
    }
    if (disabled.length === disabledcnt + 1) {
      const v = disabled[disabledcnt]!;
      if (!nfeature && v !== sug) refined.push(v);
      solver.disableProblem(v);
      if (v < 0) solver.reenablePolicyRules();
      enableFeatureFor(solver, v);
    } else {
      for (const v of disabled.slice(disabledcnt)) {
        solver.disableProblem(v);
        enableFeatureFor(solver, v);
      }
    }
  }
  for (const v of disabled) solver.enableProblem(v);
  for (const v of problem) solver.enableProblem(v);
  solver.reenablePolicyRules();
  for (const v of problem) solver.disableProblem(v);
  return ok ? refined : [];
}

/** Solution elements for one disabled rule, read from the decisions of the refined solve. */
function convertSolution(solver: Solver, why: number): SolutionElement[] {
  const rs = solver.rules.rules;
  const dm = solver.sat.dm;
  const pool = solver.pool;
  if (why < 0) return [{ kind: 'deljob', job: -why - 1 }];
  const r = rs[why]!;
  switch (r.cls) {
    case RuleClass.INFARCH:
    case RuleClass.DISTUPGRADE: {
      const name = pool.solvables[r.info.from!]!.name;
      for (let i = why; i < rs.length && rs[i]!.cls === r.cls && pool.solvables[rs[i]!.info.from!]!.name === name; i++) {
        const p = -rs[i]!.lits[0]!;
        if (p > 0 && dm[p]! > 0) return [{ kind: 'allow', q: p }];
      }
      return [];
    }
    case RuleClass.UPDATE: {
      if (r.lits.some((p) => p > 0 && dm[p]! > 0)) return [];
      const p = r.info.from!;
      if (dm[p]! > 0) return [];
      const fr = rs[solver.featureRules.get(p)!]!;
      const rr = fr.lits.length ? fr : r;
      const out: SolutionElement[] = [];
      let rp = 0;
      if (rr.lits.length > 1) {
        let mvrp = 0;
        for (const x of rr.lits) {
          if (x > 0 && dm[x]! > 0 && !solver.isInstalledPkg(x)) {
            mvrp = x;
            if (!solver.multiversion.has(x)) { rp = x; break; }
          }
        }
        if (!rp && mvrp) out.push({ kind: 'replace', p, q: mvrp });
      }
      out.push(rp ? { kind: 'replace', p, q: rp } : { kind: 'erase', p });
      return out;
    }
    case RuleClass.BEST: {
      if (r.lits.some((p) => p > 0 && dm[p]! > 0)) return [];
      if (r.job !== undefined) return [{ kind: 'deljob', job: r.job }];
      const p = r.info.from!;
      if (dm[p]! > 0) return [{ kind: 'allow', q: p }];
      const fr = rs[solver.featureRules.get(p)!]!;
      const rr = fr.lits.length ? fr : rs[solver.updateRules.get(p)!]!;
      const rp = rr.lits.find((x) => x > 0 && dm[x]! > 0 && !solver.isInstalledPkg(x));
      return rp ? [{ kind: 'allow', q: rp }] : [];
    }
    case RuleClass.BLACK:
    case RuleClass.STRICT_REPO_PRIORITY:
      return [{ kind: 'allow', q: -r.lits[0]! }];
    default:
      return [];
  }
}

function createSolutions(solver: Solver, pr: Problem): Solution[] {
  const problem = sortElements(solver, pr.rules);
  const sols: Solution[] = [];
  let essentialok = false;
  for (let i = 0; i < problem.length; i++) {
    const sug = problem[i]!;
    const refined = refineSuggestion(solver, problem, sug, essentialok);
    let elements = refined.flatMap((v) => convertSolution(solver, v));
    if (!elements.length) {
      if (sols.length || i + 1 < problem.length) continue;
      if (!essentialok) {
        essentialok = true;
        i = -1;
        continue;
      }
      for (const v of problem) {
        elements = convertSolution(solver, v);
        if (elements.length) break;
      }
      if (!elements.length) continue;
    }
    sols.push({ source: sug, elements });
  }
  return sols;
}

/** Fill in info rules and solutions for all recorded problems. */
export function analyzeProblems(solver: Solver): void {
  if (!solver.problems.length) return;
  const probs = solver.problems;
  for (const pr of probs) pr.infoRule = findProblemRule(solver, pr);
  for (const pr of probs) {
    pr.solutions = createSolutions(solver, pr);
    solver.problems = probs;
  }
}
