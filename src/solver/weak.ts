/**
 * Weak dependencies: installing recommended/supplementing packages, the recommended/suggested
 * lists, the cleandeps list and libsolv's "alternatives" result output.
 */
import { ruleIdString, md5hex, type Solver } from './solver.js';
import { SYSTEMSOLVABLE, isRel, type Solvable } from './pool.js';
import { RuleClass, RuleInfo, isComplexDep } from './rules.js';
import { filterUnwanted, PolicyMode } from './policy.js';
import { JOB, dep2str, job2str, solvid2str } from './testcase.js';

/** Recommends and supplements; returns [level, rerun]. */
export function resolveWeak(sv: Solver, level: number, _disablerules: boolean): [number, boolean] {
  const pool = sv.pool;
  const dm = sv.sat.dm;
  let dq: number[] = [];
  let dqs: number[] = [];
  const dqset = new Set<number>();
  const pushUnique = (p: number) => { if (!dqset.has(p)) { dqset.add(p); dq.push(p); } };
  const favor = (p: number) => sv.favormap?.get(p) ?? 0;
  for (let i = 2; i < pool.solvables.length; i++) {
    if (dm[i]! < 0) continue;
    const s = pool.solvables[i]!;
    if (dm[i]! > 0) {
      if (!sv.flags.addalreadyrecommended && s.repo === pool.installed) continue;
      for (const rec of s.recommends) {
        if (sv.flags.onlynamespacerecommended && !sv.isNamespaceDep(rec)) continue;
        const prov = sv.depProviders(rec);
        if (isComplexDep(pool, rec)) {
          if (sv.depFulfilled(rec, (x) => dm[x]! > 0)) continue;
          for (const x of prov) if (dm[x] === 0) pushUnique(x);
          continue;
        }
        if (prov.some((x) => dm[x]! > 0)) continue;
        for (const x of prov) if (dm[x] === 0) pushUnique(x);
      }
    } else {
      if (!s.supplements.length || !s.repo || !pool.installable(s)) continue;
      if (!sv.isSupplementing(i)) continue;
      if (favor(i) < 0) continue;
      if (sv.excludefromweak.has(i)) continue;
      dqs.push(i);
    }
  }
  dq = dq.filter((p) => favor(p) >= 0 && !sv.excludefromweak.has(p));
  if ((dqs.length || dq.length) && pool.installed) {
    const obsmap = new Set<number>();
    for (const p of sv.installedIds()) {
      const s = pool.solvables[p]!;
      if (!s.obsoletes.length || dm[p]! <= 0) continue;
      if (!sv.flags.keepexplicitobsoletes && sv.multiversion.has(p)) continue;
      for (const obs of s.obsoletes) for (const po of pool.whatProvides(obs)) {
        const pos = pool.solvables[po]!;
        if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(pos, obs)) continue;
        if (pool.flags.obsoleteusescolors && !pool.colormatch(s, pos)) continue;
        obsmap.add(po);
      }
    }
    dqs = dqs.filter((p) => !obsmap.has(p));
    dq = dq.filter((p) => !obsmap.has(p));
  }
  if ((!sv.flags.addalreadyrecommended || sv.flags.onlynamespacerecommended) && dqs.length) dqs = dqs.filter((p) => sv.isSupplementingNew(p));
  if (dqs.length && sv.multiversion.size) {
    dqs = dqs.filter((p) => {
      if (!sv.multiversion.has(p)) return true;
      const s = pool.solvables[p]!;
      return !pool.whatProvides(s.name).some((p2) => dm[p2]! > 0 && pool.solvables[p2]!.name === s.name);
    });
  }
  if (dqs.length && pool.flags.implicitobsoleteusescolors) {
    dqs = dqs.filter((p) => {
      const s = pool.solvables[p]!;
      return !pool.whatProvides(s.name).some((p2) => dm[p2]! > 0 && pool.solvables[p2]!.name === s.name && pool.solvables[p2]!.arch !== s.arch);
    });
  }
  for (const p of dqs) pushUnique(p);
  if (!dq.length) return [level, false];
  if (dq.length === 1) {
    const p = dq[0]!;
    sv.weakInstalled.add(p);
    return [sv.setPropagateLearn(level, p, false, 0), true];
  }
  dq = filterUnwanted(sv, dq, PolicyMode.RECOMMEND);
  const dqmap = new Set(dq);
  dqs = dqs.filter((p) => dqmap.has(p));
  if (dqs.length > 1) dqs = filterUnwanted(sv, dqs, PolicyMode.SUPPLEMENT);
  const decisioncount = sv.sat.q.length;
  for (const p of dqs) {
    if (dm[p]) continue;
    const ol = level;
    sv.weakInstalled.add(p);
    level = sv.setPropagateLearn(level, p, false, 0);
    if (level <= ol) return [level, true];
  }
  if (sv.sat.q.length < decisioncount) return [level, true];
  for (let i = 0; i < decisioncount; i++) {
    const p = sv.sat.q[i]!;
    if (p < 0) continue;
    const s = pool.solvables[p]!;
    if (!s.repo || (!sv.flags.addalreadyrecommended && s.repo === pool.installed)) continue;
    for (const rec of s.recommends) {
      let cands: number[];
      if (isComplexDep(pool, rec)) {
        if (sv.depFulfilled(rec, (x) => dm[x]! > 0)) continue;
        cands = sv.depProviders(rec).filter((x) => dm[x] === 0 && dqmap.has(x));
      } else {
        const prov = pool.whatProvides(rec);
        if (prov.some((x) => dm[x]! > 0)) continue;
        cands = prov.filter((x) => dm[x] === 0 && dqmap.has(x));
      }
      if (!cands.length) continue;
      if (cands.length > 1) cands = filterUnwanted(sv, cands, PolicyMode.CHOOSE);
      if (cands.length > 1) sv.branches.push({ cands: cands.slice(), level, tried: new Set([cands[0]!]), rule: 0, weak: true, from: p, dep: rec });
      const ol = level;
      sv.weakInstalled.add(cands[0]!);
      level = sv.setPropagateLearn(level, cands[0]!, false, 0);
      if (level <= ol || sv.sat.q.length < decisioncount) return [level, true];
    }
  }
  return [level, true];
}

export function mentionsInstallSuppDep(sv: Solver, d: number): boolean {
  if (!sv.installSuppDeps) {
    sv.installSuppDeps = new Set();
    for (const j of sv.jobs) {
      if ((j.how & (JOB.JOBMASK | JOB.SELECTMASK)) !== (JOB.INSTALL | JOB.PROVIDES) || !isRel(j.what)) continue;
      const r = sv.pool.getRel(j.what);
      if (r.flags === 19) sv.installSuppDeps.add(r.evr === 0 ? r.name : j.what);
    }
  }
  if (!sv.installSuppDeps.size || !isRel(d)) return false;
  const r = sv.pool.getRel(d);
  if (r.flags === 19) return sv.installSuppDeps.has(d) || sv.installSuppDeps.has(r.name);
  if (r.flags >= 16) return sv.mentionsInstallSuppDep(r.name) || sv.mentionsInstallSuppDep(r.evr);
  return false;
}

export function isNamespaceDep(sv: Solver, d: number): boolean {
  const pool = sv.pool;
  if (!isRel(d)) return false;
  const r = pool.getRel(d);
  if (r.flags === 19) return true;
  return sv.isNamespaceDep(r.name) || sv.isNamespaceDep(r.evr);
}

/** Combine fulfilment levels of a boolean dependency (0 = not fulfilled, 1 = by old packages, 2 = by new ones). */
function complexLevel(sv: Solver, d: number, simple: (d: number) => number): number {
  const pool = sv.pool;
  if (isRel(d)) {
    const r = pool.getRel(d);
    if (r.flags === 16) { // AND
      const a = complexLevel(sv, r.name, simple);
      if (!a) return 0;
      const b = complexLevel(sv, r.evr, simple);
      if (!b) return 0;
      return a > b ? a : b;
    }
    if (r.flags === 17) { // OR
      const a = complexLevel(sv, r.name, simple);
      const b = complexLevel(sv, r.evr, simple);
      return a > b ? a : b;
    }
    if (r.flags === 22 || r.flags === 29) { // IF / UNLESS
      return sv.depFulfilled(d, (x) => sv.sat.dm[x]! > 0) ? Math.max(1, complexLevel(sv, r.name, simple)) : 0;
    }
  }
  return simple(d);
}

/** Supplementing through packages that are newly installed (solver_is_supplementing_alreadyinstalled). */
export function isSupplementingNew(sv: Solver, p: number): boolean {
  const dm = sv.sat.dm;
  const s = sv.pool.solvables[p]!;
  const already = (d: number): number => {
    if (isRel(d)) {
      const r = sv.pool.getRel(d);
      if (r.flags === 19 && sv.mentionsInstallSuppDep(d)) return 2;
    }
    let r = 0;
    for (const x of sv.depProviders(d)) {
      if (dm[x]! <= 0) continue;
      if (x !== SYSTEMSOLVABLE && !sv.isInstalledPkg(x)) return 2;
      r = 1;
    }
    return r;
  };
  const ns = (d: number): number => {
    let r = 1;
    if (isRel(d) && sv.pool.getRel(d).flags === 19) r = 2;
    return sv.depProviders(d).some((x) => dm[x]! > 0) ? r : 0;
  };
  return s.supplements.some((d) => {
    if (!sv.flags.addalreadyrecommended && complexLevel(sv, d, already) !== 2) return false;
    if (sv.flags.onlynamespacerecommended && complexLevel(sv, d, ns) !== 2) return false;
    return true;
  });
}

/** Packages recommended by the result that are not installed (solver_get_recommendations). */
export function recommendedList(sv: Solver): number[] {
  return sv.weakList((s) => s.recommends, (s) => s.supplements);
}

export function suggestedList(sv: Solver): number[] {
  return sv.weakList((s) => s.suggests, (s) => s.enhances);
}

export function weakList(sv: Solver, fwd: (s: import('./pool.js').Solvable) => number[], rev: (s: import('./pool.js').Solvable) => number[]): number[] {
  const pool = sv.pool;
  const dm = sv.sat.dm;
  const obsmap = new Set<number>();
  for (const p of sv.installedIds()) {
    const s = pool.solvables[p]!;
    if (dm[p]! <= 0 || sv.multiversion.has(p)) continue;
    for (const o of s.obsoletes) for (const x of pool.whatProvides(o)) obsmap.add(x);
  }
  const map = new Set<number>();
  // packages already pulled in by recommends count as recommended (not for the suggests list)
  for (const p of sv.weakInstalled) if (dm[p]! > 0 && fwd(pool.solvables[p]!) === pool.solvables[p]!.recommends) map.add(p);
  for (const p of sv.sat.q) {
    if (p <= 0) continue;
    for (const d of fwd(pool.solvables[p]!)) {
      const prov = sv.depProviders(d);
      if (prov.some((x) => dm[x]! > 0)) {
        for (const x of prov) if (dm[x]! > 0) map.add(x);
        continue;
      }
      for (const x of prov) map.add(x);
    }
  }
  const out: number[] = [];
  for (let i = 2; i < dm.length; i++) {
    if (dm[i]! < 0 || obsmap.has(i)) continue;
    const s = pool.solvables[i]!;
    if (!map.has(i)) {
      if (!rev(s).length || !pool.installable(s)) continue;
      if (!rev(s).some((d) => sv.depFulfilled(d, (x) => dm[x]! > 0))) continue;
    }
    out.push(i);
  }
  return out.length > 1 ? filterUnwanted(sv, out, PolicyMode.SUGGEST) : out;
}

/** Installed packages erased because of cleandeps (solver_get_cleandeps). */
export function cleandepsList(sv: Solver): number[] {
  const dm = sv.sat.dm;
  const rs = sv.rules.rules;
  return sv.installedIds().filter((p) => {
    if (!sv.cleandeps.has(p) || dm[p]! >= 0) return false;
    const ur = rs[sv.updateRules.get(p)!];
    return !(ur && ur.lits.length && ur.lits.some((x) => dm[x]! > 0));
  });
}

/** libsolv's "alternatives" result lines: every open choice point with its candidates. */
export function alternativeLines(sv: Solver): string[] {
  const out: string[] = [];
  const pool = sv.pool;
  const dm = sv.sat.dm;
  for (const b of sv.branches) {
    let text: string;
    let id: string;
    if (b.weak) {
      text = `${solvid2str(pool, b.from!)} recommends ${pool.dep2str(b.dep!)}`;
      id = md5hex([solvid2str(pool, b.from!), dep2str(pool, b.dep!)]).slice(0, 8);
    } else {
      let rid = b.rule;
      const r = sv.rules.rules[rid]!;
      if (r.cls === RuleClass.CHOICE) rid = r.info.from!;
      const rr = sv.rules.rules[rid]!;
      if (rr.cls === RuleClass.JOB) {
        const job = sv.jobs[rr.job!]!;
        text = (job.how & JOB.SELECTMASK) === JOB.PROVIDES ? `job for ${pool.dep2str(job.what)}` : `job for ${job2str(pool, sv.lists, job)}`;
      } else if (rr.info.type === RuleInfo.PKG_REQUIRES) text = `${solvid2str(pool, rr.info.from!)} requires ${pool.dep2str(rr.info.dep!)}`;
      else if (rr.info.type === RuleInfo.PKG_RECOMMENDS) text = `${solvid2str(pool, rr.info.from!)} recommends ${pool.dep2str(rr.info.dep!)}`;
      else text = `Rule #${rid}`;
      id = md5hex([ruleIdString(sv, b.rule)]).slice(0, 8);
    }
    const chosen = b.cands.find((p) => dm[p]! > 0) ?? 0;
    // libsolv prints no description line for branches on recommends rules
    if (b.weak || sv.rules.rules[b.rule]!.cls !== RuleClass.RECOMMENDS) out.push(`alternative ${id}  0 ${text}`);
    b.cands.forEach((p, i) => {
      const num = String(i + 1).padStart(2, ' ');
      const mark = p === chosen ? '+ ' : b.tried.has(p) ? '- ' : '  ';
      out.push(`alternative ${id} ${num} ${mark}${solvid2str(pool, p)}`);
    });
  }
  return out;
}
