/**
 * The decision driver on top of the CDCL core, in libsolv's order: assertions, jobs, installed
 * packages (keep or update), open requirements, then (weak.ts) recommends/supplements, and a
 * final minimisation over the recorded branch points.
 */
import type { Solver } from './solver.js';
import { SYSTEMSOLVABLE } from './pool.js';
import { RuleClass, RuleInfo } from './rules.js';
import { Sat } from './sat.js';
import { filterUnwanted, preferFavored, PolicyMode } from './policy.js';
import { JOB } from './testcase.js';

export function setPropagateLearn(sv: Solver, level: number, decision: number, disablerules: boolean, why: number): number {
  const sat = sv.sat;
  if (decision) {
    level++;
    sat.decide(decision, level, 0);
    sv.decisionRule.set(Math.abs(decision), why);
  }
  for (;;) {
    const c = sat.propagate(level);
    if (!c) break;
    if (level === 1) return sv.analyzeUnsolvable(c, disablerules);
    const [nl, lr] = sat.analyze(level, c);
    level = nl;
    sv.branches = sv.branches.filter((b) => b.level < level);
    sat.decide(sv.rules.rules[lr]!.lits[0]!, level, lr);
  }
  return level;
}

export function resetSat(sv: Solver): void {
  // drop learnt rules, start from scratch
  const rs = sv.rules.rules;
  // learnt rules depend on the rules enabled when they were learnt: retire them
  for (let i = rs.length - 1; i >= 1 && rs[i]!.cls === RuleClass.LEARNT && !rs[i]!.dead; i--) {
    rs[i]!.dead = true;
    rs[i]!.disabled = true;
  }
  if (sv.sat && sv.sat.nvars === sv.pool.solvables.length && !sv.satShared) {
    sv.sat.reset();
  } else {
    sv.sat = new Sat(sv.pool.solvables.length, sv.rules);
    sv.satShared = false;
  }
  sv.branches = [];
  sv.recIndex = 0;
  sv.recommendsmap.clear();
  sv.suggestsmap.clear();
}

/** Drop candidates that come with an earlier candidate anyway (yumobs groups). */
export function pruneYumobs(sv: Solver, dq: number[]): number[] {
  const rs = sv.rules.rules;
  const out = dq.slice();
  for (let i = 0; i < out.length - 1; i++) {
    const p = out[i]!;
    if (!p || !sv.pool.solvables[p]!.obsoletes.length) continue;
    const m = new Set<number>();
    for (const r of rs) if (r.cls === RuleClass.YUMOBS && r.lits[0] === -p) for (const l of r.lits) if (l > 0) m.add(l);
    if (!m.size) continue;
    for (let j = i + 1; j < out.length; j++) if (m.has(out[j]!)) out[j] = 0;
  }
  return out.filter((p) => p);
}

/** Would installing p replace an installed package (that is not being erased)? */
export function replacesInstalled(sv: Solver, p: number): boolean {
  const pool = sv.pool;
  const s = pool.solvables[p]!;
  if (sv.isInstalledPkg(p) && !sv.noupdate.has(p)) return true;
  for (const q of pool.whatProvides(s.name)) {
    const qs = pool.solvables[q]!;
    if (qs.name !== s.name || !sv.isInstalledPkg(q) || sv.noupdate.has(q)) continue;
    if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, qs)) continue;
    return true;
  }
  for (const obs of s.obsoletes) for (const q of pool.whatProvides(obs)) {
    const qs = pool.solvables[q]!;
    if (!sv.isInstalledPkg(q) || sv.noupdate.has(q)) continue;
    if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(qs, obs)) continue;
    if (pool.flags.obsoleteusescolors && !pool.colormatch(s, qs)) continue;
    return true;
  }
  return false;
}

/** Before installed packages are kept: prefer candidates that relate to what will stay installed. */
export function reorderForFutureInstalled(sv: Solver, dq: number[]): number[] {
  const pool = sv.pool;
  const dm = sv.sat.dm;
  const future = (p: number) => dm[p]! > 0 || (dm[p] === 0 && sv.isInstalledPkg(p) && !sv.noupdate.has(p));
  const rec = new Set<number>();
  const sug = new Set<number>();
  const consider = (p: number) => {
    const s = pool.solvables[p]!;
    for (const d of s.recommends) for (const x of sv.depProviders(d)) rec.add(x);
    for (const d of s.suggests) for (const x of sv.depProviders(d)) sug.add(x);
  };
  for (const l of sv.sat.q) if (l > 0) consider(l);
  for (const p of sv.installedIds()) if (dm[p] === 0 && !sv.noupdate.has(p)) consider(p);
  const fulfilled = (d: number) => sv.depFulfilled(d, future);
  const enhancing = (p: number) => pool.solvables[p]!.enhances.some(fulfilled);
  const supplementing = (p: number) => pool.solvables[p]!.supplements.some(fulfilled);
  const inst = (p: number) => sv.isInstalledPkg(p);
  let a = dq.filter((p) => inst(p) || sug.has(p) || enhancing(p));
  let list = [...a, ...dq.filter((p) => !a.includes(p))];
  a = list.filter((p) => inst(p) || rec.has(p) || supplementing(p));
  list = [...a, ...list.filter((p) => !a.includes(p))];
  return preferFavored(sv, list);
}

export function selectAndInstall(sv: Solver, level: number, dq: number[], disablerules: boolean, rule: number): number {
  if (dq.length > 1) dq = filterUnwanted(sv, dq, PolicyMode.CHOOSE);
  if (dq.length > 1 && sv.flags.yumobsoletes) dq = sv.pruneYumobs(dq);
  if (dq.length > 1 && sv.doExtraReordering) {
    const pr = dq.filter((p) => sv.replacesInstalled(p));
    if (pr.length) dq = pr;
    if (dq.length > 1) dq = sv.reorderForFutureInstalled(dq);
  }
  if (dq.length > 1) sv.branches.push({ cands: dq.slice(), level, tried: new Set([dq[0]!]), rule });
  return sv.setPropagateLearn(level, dq[0]!, disablerules, rule);
}

export function makeRuleDecisions(sv: Solver, disablerules: boolean): number {
  const rs = sv.rules.rules;
  if (sv.sat.dm[SYSTEMSOLVABLE] === 0) sv.sat.decide(SYSTEMSOLVABLE, 1, 0);
  // rules are only appended (learnt rules): extend the list of single-literal rules in rule order
  if (!sv.assertions || sv.assertionsUpTo > rs.length) {
    sv.assertions = [];
    sv.assertionsUpTo = 1;
  }
  if (sv.assertionsUpTo !== rs.length) {
    for (let i = sv.assertionsUpTo; i < rs.length; i++) if (rs[i]!.lits.length === 1) sv.assertions.push(i);
    sv.assertionsUpTo = rs.length;
  }
  for (const i of sv.assertions) {
    const r = rs[i]!;
    if (r.disabled) continue;
    const l = r.lits[0]!;
    const v = sv.sat.litValue(l);
    if (v === 1) continue;
    if (v === -1) return sv.analyzeUnsolvable(i, disablerules);
    sv.sat.decide(l, 1, i);
  }
  return 1;
}

export function runSat(sv: Solver, disablerules: boolean, doweak = !sv.flags.ignorerecommended): void {
  let level = 0;
  let systemlevel = 1;
  let guard = 0;
  for (;;) {
    if (++guard > 100000) break;
    if (level <= 0) {
      if (level < 0) break;
      level = sv.makeRuleDecisions(disablerules);
      if (level <= 0) { if (level < 0) break; continue; }
      const c = sv.sat.propagate(1);
      if (c) { level = sv.analyzeUnsolvable(c, disablerules); continue; }
      systemlevel = level + 1;
    }
    const hasInstalled = sv.installedIds().length > 0;
    if (level < systemlevel && !sv.flags.focusinstalled) {
      sv.doExtraReordering = hasInstalled;
      const ol = level;
      level = sv.resolveJobRules(level, disablerules);
      sv.doExtraReordering = false;
      if (level < ol) continue;
      systemlevel = level + 1;
    }
    if (level < systemlevel && (sv.flags.focusnew || sv.flags.focusbest) && !sv.flags.focusinstalled && hasInstalled) {
      sv.doExtraReordering = true;
      const ol = level;
      level = sv.resolveDependencies(level, disablerules, true);
      sv.doExtraReordering = false;
      if (level < ol) continue;
      systemlevel = level + 1;
    }
    if (level < systemlevel && sv.installedIds().length) {
      const ol = level;
      level = sv.resolveInstalled(level, disablerules);
      if (level < ol) continue;
      systemlevel = level + 1;
    }
    if (level < systemlevel && sv.flags.focusinstalled) {
      const ol = level;
      level = sv.resolveJobRules(level, disablerules);
      if (level < ol) continue;
      systemlevel = level + 1;
    }
    if (level < systemlevel) systemlevel = level;
    {
      const ol = level;
      level = sv.resolveDependencies(level, disablerules);
      if (level < ol) continue;
    }
    if (sv.cleandeps.size) {
      let rerun = false;
      for (const p of sv.installedIds()) {
        if (sv.sat.dm[p] !== 0 || !sv.cleandeps.has(p)) continue;
        const ol = level;
        level = sv.setPropagateLearn(level, -p, disablerules, 0);
        if (level < ol) { rerun = true; break; }
      }
      if (rerun) continue;
    }
    if (doweak) {
      const ol = level;
      const [nl, rerun] = sv.resolveWeak(level, disablerules);
      level = nl;
      if (rerun || level < ol) continue;
    }
    // keep orphaned packages if possible
    let restarted = false;
    for (const p of sv.orphaned) {
      if (sv.sat.dm[p] || sv.dropOrphaned(p)) continue;
      const ol = level;
      level = sv.setPropagateLearn(level, p, false, 0);
      if (level <= ol) { restarted = true; break; }
    }
    if (restarted) continue;
    // erase still undecided installed packages
    for (const p of sv.installedIds()) {
      if (sv.sat.dm[p]) continue;
      const ol = level;
      level = sv.setPropagateLearn(level, -p, false, 0);
      if (level < ol) { restarted = true; break; }
    }
    if (restarted) continue;
    if (sv.checkUnneededChoiceRules()) {
      sv.resetSat();
      level = 0;
      continue;
    }
    if (sv.minimize()) { level = sv.minLevel; continue; }
    break;
  }
}

export function minimize(sv: Solver): boolean {
  const dm = sv.sat.dm;
  for (let bi = sv.branches.length - 1; bi >= 0; bi--) {
    const b = sv.branches[bi]!;
    for (const p of b.cands) {
      if (b.tried.has(p)) continue;
      if (dm[p]! > b.level + 1) {
        b.tried.add(p);
        sv.branches.length = bi + 1;
        sv.sat.revert(b.level);
        sv.branches = sv.branches.filter((x) => x.level < b.level || x === b);
        sv.minLevel = sv.setPropagateLearn(b.level, p, true, b.rule);
        return true;
      }
    }
  }
  return false;
}

export function resolveJobRules(sv: Solver, level: number, disablerules: boolean): number {
  const rs = sv.rules.rules;
  const dm = sv.sat.dm;
  const oldlevel = level;
  for (let i = sv.pkgRulesEnd; i < rs.length; i++) {
    const r = rs[i]!;
    if (r.cls !== RuleClass.JOB || r.disabled) continue;
    const dq: number[] = [];
    let done = false;
    for (const l of r.lits) {
      if (l < 0) { if (dm[-l]! <= 0) { done = true; break; } }
      else {
        if (dm[l]! > 0) { done = true; break; }
        if (dm[l] === 0) dq.push(l);
      }
    }
    if (done || !dq.length) continue;
    let cands = dq;
    const job = sv.jobs[r.job!]!;
    if (cands.length > 1 && sv.pool.installed && !sv.updateAll && !sv.flags.installalsoupdates && !(job.how & JOB.ORUPDATE)) {
      if (!cands.some((p) => sv.isInstalledPkg(p) && sv.updatemap.has(p))) {
        const inst = cands.filter((p) => sv.isInstalledPkg(p));
        if (inst.length) cands = inst;
      }
    }
    const ol = level;
    level = sv.selectAndInstall(level, cands, disablerules, i);
    if (level <= ol) {
      if (level < oldlevel || level <= 0) return level;
      i = sv.pkgRulesEnd - 1;
    }
  }
  return level;
}

export function resolveInstalled(sv: Solver, level: number, disablerules: boolean): number {
  const installed = sv.installedIds();
  const rs = sv.rules.rules;
  const dm = sv.sat.dm;
  const origlevel = level;
  const startpass = sv.updateAll ? 2 : sv.updatemap.size ? 0 : 1;
  for (let pass = startpass; pass < 3;) {
    let needpass2 = false;
    const passlevel = level;
    let trouble = false;
    for (let k = 0; k < installed.length; k++) {
      const i = installed[k]!;
      const special = sv.specialUpdaters.get(i);
      if (dm[i]! > 0 && !special) continue;
      if (!pass && sv.updatemap.size && !sv.updatemap.has(i)) continue;
      const ur = sv.updateRules.get(i);
      const fr = sv.featureRules.get(i);
      let rid = ur !== undefined && !rs[ur]!.disabled && rs[ur]!.lits.length ? ur : fr;
      if (rid === undefined || !rs[rid]!.lits.length) rid = ur;
      if (rid === undefined || !rs[rid]!.lits.length || rs[rid]!.lits[0] !== i) continue;
      const rr = rs[rid]!;
      if (!sv.noupdate.has(i) && (dm[i]! < 0 || sv.updateAll || sv.updatemap.has(i))) {
        if (pass === 1) { needpass2 = true; continue; }
        if (special) {
          let sq: number[] = [];
          if (dm[i]! >= 0) sq.push(i);
          for (const p of special) if (dm[p]! >= 0) sq.push(p);
          const tg = sv.updateTargets.get(i);
          if (tg && sq.length) sq = sq.filter((p) => tg.includes(p));
          if (sq.length) {
            sq = filterUnwanted(sv, sq, PolicyMode.CHOOSE);
            const p = sq[0]!;
            if (p !== i && dm[p] === 0) {
              const ol = level;
              level = sv.selectAndInstall(level, [p], disablerules, sv.featureRules.get(i) ?? rid);
              if (level <= ol) {
                if (level < passlevel) { trouble = true; break; }
                k = -1;
                continue;
              }
            }
          }
        }
        let dq: number[] = [];
        let ful = false;
        for (const p of rr.lits) {
          if (dm[p]! > 0) { ful = true; break; }
          if (!dm[p]) dq.push(p);
        }
        const targets = sv.updateTargets.get(i);
        if (!ful && dq.length && targets) dq = dq.filter((p) => targets.includes(p));
        if (!ful && dq.length) {
          const ol = level;
          level = sv.selectAndInstall(level, dq, disablerules, rid);
          if (level <= ol) {
            if (level < passlevel) { trouble = true; break; }
            k = -1;
            continue;
          }
        }
      }
      if (dm[i] === 0) {
        if (sv.cleandeps.has(i)) continue;
        const ol = level;
        level = sv.setPropagateLearn(level, i, disablerules, ur ?? 0);
        if (level <= ol) {
          if (level < passlevel) { trouble = true; break; }
          k = -1;
          continue;
        }
      }
    }
    if (trouble) {
      if (level < origlevel) break;
      pass = startpass;
      continue;
    }
    pass++;
    if (pass === 2 && !needpass2) break;
  }
  return level;
}

/**
 * First literal of every rule with >= 2 literals (0 otherwise), cached on the solver: rule
 * literals never change once solving starts, and rules are only appended (learnt rules, which
 * the caller checks on the rule objects). resolveDependencies sweeps all rules after every
 * decision, so this keeps the sweep on one typed array.
 */
function ruleHeads(sv: Solver): Int32Array {
  const rs = sv.rules.rules;
  const c = sv.ruleHeadCache;
  if (c && (c.length === rs.length || (c.length >= sv.pkgRulesEnd && rs.length - c.length < 4096))) return c;
  const h = new Int32Array(rs.length);
  for (let i = 1; i < rs.length; i++) {
    const l = rs[i]!.lits;
    h[i] = l.length >= 2 ? l[0]! : 0;
  }
  sv.ruleHeadCache = h;
  return h;
}

export function resolveDependencies(sv: Solver, level: number, disablerules: boolean, focus = false): number {
  const rs = sv.rules.rules;
  const dm = sv.sat.dm;
  const origlevel = level;
  const focusbest = focus && (sv.flags.focusnew || sv.flags.focusbest) && sv.doExtraReordering;
  let postponed = 0;
  const nrules = () => rs.length;
  const heads = ruleHeads(sv);
  const nheads = heads.length;
  for (let i = 1, n = 1; ; i++, n++) {
    if (n >= nrules()) {
      if (postponed <= 0) break;
      i = postponed;
      postponed = -1;
      n = 1;
    }
    if (i >= nrules()) i = 1;
    // cheap skip tests on the cached first literals before touching the rule object
    if (i < nheads) {
      const h = heads[i]!;
      if (h === 0 || (h < 0 && dm[-h]! <= 0)) continue;
    }
    const r = rs[i]!;
    if (r.disabled || r.lits.length < 2) continue;
    if (focusbest && i >= sv.pkgRulesEnd) continue;
    const lits = r.lits;
    const p0 = lits[0]!;
    if (p0 < 0 && dm[-p0]! <= 0) continue;
    if (focusbest && lits.length > 2 && sv.pool.installed) {
      if (!(p0 < 0 && !sv.isInstalledPkg(-p0)) && !lits.some((p) => p < 0 && dm[-p]! > 0 && !sv.isInstalledPkg(-p))) continue;
      if (!sv.flags.focusbest && lits.some((p) => p > 1 && sv.isInstalledPkg(p))) continue;
    }
    const dq: number[] = [];
    let skip = false;
    for (const l of lits) {
      if (l < 0) { if (dm[-l]! <= 0) { skip = true; break; } }
      else {
        if (dm[l]! > 0) { skip = true; break; }
        if (dm[l] === 0) dq.push(l);
      }
    }
    if (skip || dq.length < 2) continue;
    let cands = dq;
    if (sv.cleandeps.size) {
      const cd = cands.find((p) => sv.isInstalledPkg(p) && sv.cleandeps.has(p) && !(sv.updateAll || sv.updatemap.has(p)));
      if (cd !== undefined) cands = [cd];
    }
    if (r.info.type === RuleInfo.PKG_RECOMMENDS && sv.favormap) {
      const nf = cands.filter((p) => (sv.favormap!.get(p) ?? 0) >= 0);
      if (nf.length) cands = nf;
      if (cands.length < 2) { level = sv.selectAndInstall(level, cands, disablerules, i); if (level < origlevel || level <= 0) break; n = 0; continue; }
    }
    if (cands.length > 1 && postponed >= 0) {
      cands = filterUnwanted(sv, cands, PolicyMode.CHOOSE_NOREORDER);
      if (cands.length > 1) {
        if (!postponed) postponed = i;
        continue;
      }
    }
    level = sv.selectAndInstall(level, cands, disablerules, i);
    if (level < origlevel || level <= 0) break;
    n = 0;
  }
  return level;
}
