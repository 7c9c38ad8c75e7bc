/**
 * Problem bookkeeping during solving: proofs of level-1 conflicts, weak-rule and auto-uninstall
 * handling, and enabling/disabling problem elements (jobs, update/dup/infarch/... rules).
 */
import type { Solver } from './solver.js';
import { RuleClass, RuleInfo } from './rules.js';
import { disablePolicyRules } from './setup.js';

export function analyzeUnsolvable(sv: Solver, conflict: number, disablerules: boolean): number {
  const proof = sv.sat.expandLearnt(sv.sat.proof(conflict));
  const rs = sv.rules.rules;
  const weak = proof.filter((r) => sv.weakrules.has(r));
  if (weak.length) {
    let last = weak.reduce((a, b) => (a > b ? a : b), 0);
    const isRec = (r: number) => rs[r]!.info.type === RuleInfo.PKG_RECOMMENDS && r < sv.pkgRulesEnd;
    if (isRec(last) || weak.some(isRec)) {
      const recs = weak.filter(isRec);
      if (recs.length && (isRec(last) || last < sv.pkgRulesEnd)) {
        for (const r of recs) rs[r]!.disabled = true;
        sv.resetSat();
        return 0;
      }
    }
    if (rs[last]!.cls === RuleClass.CHOICE) sv.disableRelatedChoiceRules(last);
    else sv.fixProblem(sv.toProblemId(last));
    void last;
    last = 0;
    sv.resetSat();
    return 0;
  }
  const elements: number[] = [];
  for (const r of proof) {
    if (r < sv.pkgRulesEnd || rs[r]!.cls === RuleClass.LEARNT) continue;
    const v = sv.toProblemId(r);
    if (!elements.includes(v)) elements.push(v);
  }
  if (sv.allowuninstallAll || sv.allowuninstallmap.size) {
    if (sv.autoUninstall(elements)) {
      sv.resetSat();
      return 0;
    }
  }
  sv.problems.push({ proof, rules: elements });
  if (disablerules && elements.length) {
    for (const v of elements) sv.disableProblem(v);
    sv.resetSat();
    return 0;
  }
  return -1;
}

export function autoUninstall(sv: Solver, elements: number[]): boolean {
  const rs = sv.rules.rules;
  let lastfeature = 0;
  let lastupdate = 0;
  for (const v of elements) {
    if (v <= 0 || rs[v]!.cls !== RuleClass.UPDATE) continue;
    const p = rs[v]!.info.from!;
    if (!sv.allowuninstallAll && !sv.allowuninstallmap.has(p)) continue;
    if (!sv.pool.isConsidered(p)) continue;
    if (elements.some((x) => x > 0 && rs[x]!.cls === RuleClass.BEST && rs[x]!.info.from === p)) continue;
    const fr = rs[sv.featureRules.get(p)!]!;
    if (!fr.lits.length) {
      if (v > lastfeature) lastfeature = v;
      if (sv.flags.keeporphans && rs[v]!.lits.length === 1 && rs[v]!.lits[0] === p) {
        lastfeature = v;
        lastupdate = 0;
        break;
      }
      continue;
    }
    if (v > lastupdate) lastupdate = v;
  }
  const v = lastupdate || lastfeature;
  if (!v) return false;
  sv.disableProblem(v);
  return true;
}

/** Normalise a rule id to its problem element: jobs become -(job index + 1), dup/infarch rules the first of their name. */
export function toProblemId(sv: Solver, rid: number): number {
  const rs = sv.rules.rules;
  const r = rs[rid]!;
  if (r.cls === RuleClass.JOB) return -(r.job! + 1);
  if (r.cls === RuleClass.BEST && r.job !== undefined) return -(r.job + 1);
  if (r.cls === RuleClass.INFARCH || r.cls === RuleClass.DISTUPGRADE || r.cls === RuleClass.STRICT_REPO_PRIORITY) {
    const name = sv.pool.solvables[r.info.from!]!.name;
    let i = rid;
    while (i > 1 && rs[i - 1]!.cls === r.cls && sv.pool.solvables[rs[i - 1]!.info.from!]!.name === name) i--;
    return i;
  }
  return rid;
}

export function sameGroup(sv: Solver, v: number): number[] {
  const rs = sv.rules.rules;
  const r = rs[v]!;
  if (r.cls !== RuleClass.INFARCH && r.cls !== RuleClass.DISTUPGRADE && r.cls !== RuleClass.STRICT_REPO_PRIORITY) return [v];
  const name = sv.pool.solvables[r.info.from!]!.name;
  const out: number[] = [];
  for (let i = v; i < rs.length && rs[i]!.cls === r.cls && sv.pool.solvables[rs[i]!.info.from!]!.name === name; i++) out.push(i);
  return out;
}

export function disableProblem(sv: Solver, v: number): void {
  const rs = sv.rules.rules;
  if (v > 0) {
    for (const i of sv.sameGroup(v)) rs[i]!.disabled = true;
    return;
  }
  const job = -v - 1;
  for (let i = sv.pkgRulesEnd || 1; i < rs.length; i++) {
    const r = rs[i]!;
    if ((r.cls === RuleClass.JOB || r.cls === RuleClass.BEST) && r.job === job) r.disabled = true;
  }
}

export function enableProblem(sv: Solver, v: number): void {
  const rs = sv.rules.rules;
  if (v > 0) {
    const r = rs[v]!;
    if (r.cls === RuleClass.FEATURE) {
      const ur = sv.updateRules.get(r.info.from!);
      if (ur !== undefined && !rs[ur]!.disabled) return;
    }
    for (const i of sv.sameGroup(v)) rs[i]!.disabled = false;
    if (r.cls === RuleClass.UPDATE) {
      const fr = sv.featureRules.get(r.info.from!);
      if (fr !== undefined && rs[fr]!.lits.length) rs[fr]!.disabled = true;
    }
    return;
  }
  const job = -v - 1;
  for (let i = sv.pkgRulesEnd || 1; i < rs.length; i++) {
    const r = rs[i]!;
    if ((r.cls === RuleClass.JOB || r.cls === RuleClass.BEST) && r.job === job) r.disabled = false;
  }
}

/** Disable a problem element and re-enable policy rules the disabled job had switched off. */
export function fixProblem(sv: Solver, v: number): void {
  sv.disableProblem(v);
  if (v < 0) sv.reenablePolicyRules();
}

/** Recompute which update/dup/infarch rules the (still enabled) jobs switch off. */
export function reenablePolicyRules(sv: Solver): void {
  for (const r of sv.policyDisabled) sv.rules.rules[r]!.disabled = false;
  sv.policyDisabled.clear();
  sv.applyPolicyRules();
}

export function applyPolicyRules(sv: Solver): void {
  const rs = sv.rules.rules;
  // policy rules are never package rules: only look at the rules after them
  const start = Math.min(sv.pkgRulesEnd || 1, rs.length);
  const n = rs.length;
  const before = new Uint8Array(n - start);
  for (let i = start; i < n; i++) before[i - start] = rs[i]!.disabled ? 1 : 0;
  const saveJobs = sv.jobs;
  const hasRule = new Uint8Array(saveJobs.length);
  const hasEnabled = new Uint8Array(saveJobs.length);
  for (let i = start; i < n; i++) {
    const r = rs[i]!;
    if (r.cls !== RuleClass.JOB || r.job === undefined) continue;
    hasRule[r.job] = 1;
    if (!r.disabled) hasEnabled[r.job] = 1;
  }
  sv.jobs = saveJobs.filter((_, i) => !hasRule[i] || hasEnabled[i]);
  disablePolicyRules(sv);
  sv.jobs = saveJobs;
  for (const p of sv.cleandeps) {
    sv.noupdate.add(p);
    const ur = sv.updateRules.get(p);
    if (ur !== undefined) rs[ur]!.disabled = true;
    const fr = sv.featureRules.get(p);
    if (fr !== undefined) rs[fr]!.disabled = true;
  }
  for (let i = start; i < n; i++) if (rs[i]!.disabled && !before[i - start]) sv.policyDisabled.add(i);
}

/** A choice rule whose original rule is fulfilled by a package the choice rule left out was not needed. */
export function checkUnneededChoiceRules(sv: Solver): boolean {
  const rs = sv.rules.rules;
  const dm = sv.sat.dm;
  let changed = false;
  for (let i = sv.pkgRulesEnd || 1; i < rs.length; i++) {
    const r = rs[i]!;
    if (r.cls !== RuleClass.CHOICE || r.disabled) continue;
    const or = rs[r.info.from!]!;
    if (or.disabled) continue;
    for (const p of or.lits) {
      if (p < 0 || dm[p]! <= 0) continue;
      if (!r.lits.includes(p)) {
        sv.disableRelatedChoiceRules(i);
        changed = true;
        break;
      }
    }
  }
  return changed;
}

export function disableRelatedChoiceRules(sv: Solver, rid: number): void {
  const rs = sv.rules.rules;
  rs[rid]!.disabled = true;
  const orig = rs[rs[rid]!.info.from!]!;
  const m = new Set(orig.lits.filter((p) => p > 0));
  for (const p of rs[rid]!.lits) if (p > 0) m.delete(p);
  for (let i = sv.pkgRulesEnd || 1; i < rs.length; i++) {
    const r = rs[i]!;
    if (r.cls !== RuleClass.CHOICE || r.disabled) continue;
    if (rs[r.info.from!]!.lits.some((p) => p > 0 && m.has(p))) r.disabled = true;
  }
}
