/**
 * Policy rules added after the job rules: best (forcebest), choice, blacklist, strict repo
 * priority and yumobsoletes rules.
 */
import { RuleClass, RuleInfo } from './rules.js';
import { JOB } from './testcase.js';
import { filterUnwanted, PolicyMode } from './policy.js';
import type { SolverSetup } from './setup.js';

/** forcebest: install only the best candidates of jobs / updates (libsolv's best rules). */
export function addBestRules(st: SolverSetup & { bestupdateAll: boolean; bestupdatemap: Set<number>; flags: { bestobeypolicy: boolean } }): void {
  const { pool, rules } = st;
  const rs = rules.rules;
  const haslock = st.jobs.some((j) => (j.how & JOB.JOBMASK) === JOB.LOCK);
  const locked = new Set<number>();
  if (haslock) for (const r of rs) if (r.cls === RuleClass.JOB && r.lits.length === 1 && (st.jobs[r.job!]!.how & JOB.JOBMASK) === JOB.LOCK) locked.add(Math.abs(r.lits[0]!));
  const prunedDisabled = (q: number[]) => (pool.considered && pool.flags.whatprovideswithdisabled ? q.filter((p) => !pool.solvables[p]!.repo || st.isInstalledPkg(p) || pool.isConsidered(p)) : q);
  const best = (q: number[]) => filterUnwanted(st, q, PolicyMode.RECOMMEND);
  const pushUnique = (q: number[], p: number) => { if (!q.includes(p)) q.push(p); };
  // job rules by job index, collected once (not one scan of every rule per job)
  const byJob = new Map<number, typeof rs>();
  for (const r of rs) {
    if (r.cls !== RuleClass.JOB || r.job === undefined) continue;
    const l = byJob.get(r.job);
    if (l) l.push(r);
    else byJob.set(r.job, [r]);
  }
  st.jobs.forEach((job, idx) => {
    if ((job.how & (JOB.JOBMASK | JOB.FORCEBEST)) !== (JOB.INSTALL | JOB.FORCEBEST)) return;
    for (const r of byJob.get(idx) ?? []) {
      let q = prunedDisabled(r.lits.filter((l) => l > 0));
      let q2 = r.lits.filter((l) => l < 0);
      if (!q.length) continue;
      const oldcnt = q.length;
      q = best(q);
      if (q.length === oldcnt) continue;
      if (locked.size) {
        q = [...q2, ...q];
        q2 = [];
        for (const p2 of r.lits) {
          if (p2 <= 0) continue;
          if (st.isInstalledPkg(p2)) { if (locked.has(p2)) pushUnique(q, p2); }
          else if (locked.has(p2)) continue;
          q2.push(p2);
        }
        q2 = best(prunedDisabled(q2));
        for (const p of q2) pushUnique(q, p);
        q2 = [];
      }
      if (q2.length) q = [...q2, ...q];
      const id = rules.add(RuleClass.BEST, q, { type: RuleInfo.BEST, from: 0 }, idx);
      if (job.how & JOB.WEAK) st.weakrules.add(id);
    }
  });
  if (!pool.installed || (!st.bestupdateAll && !st.bestupdatemap.size)) return;
  const allowUn = (p: number) => st.allowuninstallAll || st.allowuninstallmap.has(p);
  for (const p of st.installedIds()) {
    if (!st.updateAll && !st.updatemap.has(p)) continue;
    if (!st.bestupdateAll && !st.bestupdatemap.has(p)) continue;
    const ur = rs[st.updateRules.get(p)!]!;
    const fr = rs[st.featureRules.get(p)!]!;
    const r = st.flags.bestobeypolicy ? ur : fr.lits.length ? fr : ur;
    let q: number[];
    const special = st.specialUpdaters.get(p);
    if (special && r === ur) {
      q = [];
      if (r.lits[0] === p) q.push(p);
      q.push(...special);
    } else q = r.lits.filter((l) => l > 0);
    const pruneBest = (x: number[]) => {
      let y = x;
      const tg = st.updateTargets.get(p);
      if (tg) y = y.filter((z) => tg.includes(z));
      if (st.dupinvolved.has(p) || st.dupinvolvedAll) y = y.filter((z) => st.dupmap.has(z));
      return y.length ? best(y) : y;
    };
    let q2 = locked.size ? q.slice() : [];
    q = pruneBest(q);
    if (!q.length) continue;
    if (locked.size) {
      if (locked.has(p)) pushUnique(q2, p);
      for (const p2 of q2) if (st.isInstalledPkg(p2) && locked.has(p2)) pushUnique(q, p2);
      q2 = pruneBest(q2.filter((p2) => st.isInstalledPkg(p2) || !locked.has(p2)));
      for (const p2 of q2) pushUnique(q, p2);
    }
    if (st.flags.bestobeypolicy && fr.lits.length) {
      for (const p2 of pruneBest(fr.lits.filter((l) => l > 0))) pushUnique(q, p2);
      if (locked.size) for (const p2 of pruneBest(fr.lits.filter((l) => l > 0 && (st.isInstalledPkg(l) || !locked.has(l))))) pushUnique(q, p2);
    }
    if (allowUn(p)) {
      const base = fr.lits.length ? fr : ur;
      for (const p2 of base.lits) {
        if (q.includes(p2)) continue;
        rules.add(RuleClass.BEST, [-p2, ...q], { type: RuleInfo.BEST, from: p });
      }
      continue;
    }
    rules.add(RuleClass.BEST, q, { type: RuleInfo.BEST, from: p });
  }
}

/** Installed package that p would update/replace (or p itself when installed). */
function choiceFindInstalled(st: SolverSetup, p: number): number {
  const pool = st.pool;
  const s = pool.solvables[p]!;
  if (!s.repo) return 0;
  if (s.repo === pool.installed) return p;
  for (const p2 of pool.whatProvides(s.name)) {
    const s2 = pool.solvables[p2]!;
    if (s2.repo !== pool.installed) continue;
    if (!pool.flags.implicitobsoleteusesprovides && s.name !== s2.name) continue;
    if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, s2)) continue;
    return p2;
  }
  for (const obs of s.obsoletes) {
    for (const p2 of pool.whatProvides(obs)) {
      const s2 = pool.solvables[p2]!;
      if (s2.repo !== pool.installed) continue;
      if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(s2, obs)) continue;
      if (pool.flags.obsoleteusescolors && !pool.colormatch(s, s2)) continue;
      return p2;
    }
  }
  return 0;
}

/**
 * Choice rules: for a requirement that can be met either by updating an installed package or
 * by installing something new, prefer the update (weak rules, dropped on conflict).
 */
export function addChoiceRules(st: SolverSetup & { illegalArchChange(a: number, b: number): boolean; illegalVendorChange(a: number, b: number): boolean; flags: { allowdowngrade: boolean; dupallowdowngrade: boolean } }, pkgRulesEnd: number): void {
  const { pool, rules } = st;
  if (!pool.installed) return;
  const mneg = new Set<number>();
  for (const r of rules.rules) {
    if ((r.cls === RuleClass.INFARCH || r.cls === RuleClass.DISTUPGRADE) && r.lits.length === 1 && r.lits[0]! < 0) mneg.add(-r.lits[0]!);
  }
  const dodowngradecheck = st.flags.allowdowngrade || ((st.dupinvolvedAll || st.dupinvolved.size > 0) && st.flags.dupallowdowngrade);
  let last: number[] | null = null;
  for (let rid = 1; rid < pkgRulesEnd; rid++) {
    const r = rules.rules[rid]!;
    const lits = r.lits;
    if (lits[0]! >= 0 || lits.length < 2 || (lits.length === 2 && lits[1]! < 0)) continue;
    const qi: Array<[number, number]> = [];
    let havechoice = false;
    let isinstalled = false;
    for (const p of lits) {
      if (p < 0) {
        if (st.isInstalledPkg(-p) && !(st.updateAll || st.updatemap.has(-p))) isinstalled = true;
        continue;
      }
      const s = pool.solvables[p]!;
      if (!s.repo) continue;
      if (s.repo === pool.installed) { qi.push([p, p]); continue; }
      const p2 = choiceFindInstalled(st, p);
      if (p2) {
        if (mneg.has(p)) continue;
        const is = pool.solvables[p2]!;
        let illegal = false;
        if (!st.flags.allowdowngrade && is.name === s.name && pool.evrcmp(is.evr, s.evr, 0) > 0) illegal = true;
        if (!(st.flags as { allowarchchange?: boolean }).allowarchchange && is.arch !== s.arch && st.illegalArchChange(is.arch, s.arch)) illegal = true;
        if (!(st.flags as { allowvendorchange?: boolean }).allowvendorchange && is.vendor !== s.vendor && st.illegalVendorChange(is.vendor, s.vendor)) illegal = true;
        if (!(st.flags as { allownamechange?: boolean }).allownamechange && is.name !== s.name) illegal = true;
        if (illegal) continue;
        qi.push([p2, p]);
        continue;
      }
      havechoice = true;
    }
    if (!havechoice || !qi.length) continue;
    const m = new Set(lits.filter((l) => l > 0));
    let q2 = qi;
    if (!isinstalled) {
      q2 = qi.filter(([p2, p]) => {
        let isdowngrade = false;
        if (dodowngradecheck && pool.solvables[p2]!.name === pool.solvables[p]!.name && pool.evrcmp(pool.solvables[p2]!.evr, pool.solvables[p]!.evr, 0) > 0) isdowngrade = true;
        if (isdowngrade || st.updateAll || st.updatemap.has(p2)) {
          if (choiceRuleCheck(st, p2, m)) return false;
        }
        return true;
      });
    }
    if (!q2.length) continue;
    const q = q2.map(([, p]) => p);
    const inst = q2.map(([p2]) => p2);
    let allCovered = true;
    for (const i of new Set(inst)) {
      const ur = rules.rules[st.updateRules.get(i)!]!;
      const rr = ur.lits.length ? ur : rules.rules[st.featureRules.get(i)!]!;
      if (!rr.lits.length) continue;
      if (!rr.lits.every((p) => m.has(p))) { allCovered = false; break; }
    }
    if (allCovered) continue;
    const negs = lits.filter((l) => l < 0 && l !== lits[0]);
    const newLits = [lits[0]!, ...negs, ...q];
    if (last && last.length === newLits.length && last.every((x, i) => x === newLits[i])) continue;
    last = newLits;
    const id = rules.add(RuleClass.CHOICE, newLits, { type: RuleInfo.CHOICE, from: rid });
    st.weakrules.add(id);
  }
}

function choiceRuleCheck(st: SolverSetup, pi: number, m: Set<number>): boolean {
  const rules = st.rules;
  const ur = rules.rules[st.updateRules.get(pi)!]!;
  const rr = ur.lits.length ? ur : rules.rules[st.featureRules.get(pi)!]!;
  if (!rr.lits.length) return false;
  let q = rr.lits.filter((p) => p > 0 && p !== pi);
  if (!q.length) return true;
  if (q.length === 1) return !m.has(q[0]!);
  if (q.every((p) => m.has(p))) return false;
  q = filterUnwanted(st, q, PolicyMode.CHOOSE);
  return !q.some((p) => m.has(p));
}

/** Blacklisted packages can only be installed by a direct request. */
export function addBlackRules(st: SolverSetup): void {
  const { pool, rules } = st;
  const instNames = new Set<number>();
  for (const job of st.jobs) {
    if ((job.how & JOB.JOBMASK) !== JOB.BLACKLIST) continue;
    for (const p of st.jobSelect(job)) if (st.isInstalledPkg(p)) instNames.add(pool.solvables[p]!.name);
  }
  for (const job of st.jobs) {
    if ((job.how & JOB.JOBMASK) !== JOB.BLACKLIST) continue;
    for (const p of st.jobSelect(job)) {
      const s = pool.solvables[p]!;
      if (st.isInstalledPkg(p) || !s.repo) continue;
      if (instNames.has(s.name)) continue;
      rules.add(RuleClass.BLACK, [-p], { type: RuleInfo.BLACK, from: p });
    }
  }
}

/** strictrepopriority: packages from lower-priority repos are excluded when a higher one has the name. */
export function addStrictRepoPrioRules(st: SolverSetup, added: Uint8Array): void {
  const { pool, rules } = st;
  const done = new Set<number>();
  for (let p = 2; p < added.length; p++) {
    if (!added[p] || done.has(p)) continue;
    const s = pool.solvables[p]!;
    let max = s.repo!.priority;
    const same = pool.whatProvides(s.name).filter((q) => pool.solvables[q]!.name === s.name);
    for (const q of same) max = Math.max(max, pool.solvables[q]!.repo!.priority);
    for (const q of same) {
      if (!added[q] || done.has(q)) continue;
      done.add(q);
      if (st.isInstalledPkg(q)) continue;
      if (pool.solvables[q]!.repo!.priority < max) rules.add(RuleClass.STRICT_REPO_PRIORITY, [-q], { type: RuleInfo.STRICT_REPO_PRIORITY, from: q });
    }
  }
}

/** yumobsoletes: packages obsoleting the same installed package through the same dependency go together. */
export function addYumobsRules(st: SolverSetup & { obsoletersOf(n: number): number[] }): void {
  const { pool, rules } = st;
  if (!pool.installed) return;
  const colors = pool.flags.obsoleteusescolors || pool.flags.implicitobsoleteusescolors;
  const qo: number[] = [];
  for (const p of st.installedIds()) {
    const s = pool.solvables[p]!;
    for (const op of [...st.obsoletersOf(p)].sort((a, b) => a - b)) {
      for (const obs of pool.solvables[op]!.obsoletes) {
        const hit = pool.whatProvides(obs).some((p2) => {
          const s2 = pool.solvables[p2]!;
          if (!st.isInstalledPkg(p2)) return false;
          if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(s2, obs)) return false;
          if (colors && !pool.colormatch(s, s2)) return false;
          return true;
        });
        if (hit && !qo.includes(obs)) qo.push(obs);
      }
    }
  }
  for (const obs of qo) {
    const q: number[] = [];
    for (const p2 of pool.whatProvides(obs)) {
      const s2 = pool.solvables[p2]!;
      if (!st.isInstalledPkg(p2)) continue;
      if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(s2, obs)) continue;
      const cands = [...st.obsoletersOf(p2)].sort((a, b) => a - b);
      for (const op of pool.whatProvides(s2.name)) if (pool.solvables[op]!.name === s2.name) cands.push(op);
      for (const op of cands) {
        const os = pool.solvables[op]!;
        if (!os.obsoletes.includes(obs)) continue;
        if (colors && !pool.colormatch(s2, os)) continue;
        if (!q.includes(op)) q.push(op);
      }
    }
    const names = pruneBestNames(st, q);
    if (names.length <= 1) continue;
    const groups: number[][] = [];
    for (const n of names) {
      const g = q.filter((p) => pool.solvables[p]!.name === n);
      if (g.length) groups.push(g);
    }
    if (groups.length <= 1) continue;
    groups.forEach((g, gi) => {
      for (const p of g) {
        if (st.isInstalledPkg(p)) continue;
        groups.forEach((h, hi) => {
          if (hi === gi) return;
          rules.add(RuleClass.YUMOBS, [-p, ...h], { type: RuleInfo.YUMOBS, from: p, to: h[0], dep: obs });
        });
      }
    });
  }
}

function pruneBestNames(st: SolverSetup, q: number[]): number[] {
  if (!q.length) return [];
  const best = q.length > 1 ? filterUnwanted(st, q, PolicyMode.SUGGEST) : q;
  const out: number[] = [];
  for (const p of best) {
    const n = st.pool.solvables[p]!.name;
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** Strong recommends with disfavored candidates: replace the rule by one without them (weak). */
export function addRecommendsRules(st: SolverSetup & { favormap: Map<number, number> | null; pkgRulesEnd: number }): void {
  const { rules } = st;
  const fm = st.favormap;
  if (!fm) return;
  const rs = rules.rules;
  for (let rid = 1; rid < st.pkgRulesEnd; rid++) {
    const r = rs[rid]!;
    if (r.info.type !== RuleInfo.PKG_RECOMMENDS) continue;
    const q: number[] = [];
    let havedis = false;
    let havepos = false;
    for (const p of r.lits) {
      if (p > 0 && (fm.get(p) ?? 0) < 0) havedis = true;
      else {
        if (p > 0) havepos = true;
        q.push(p);
      }
    }
    if (!havedis) continue;
    r.disabled = true;
    if (!havepos || q.length < 2) continue;
    const id = rules.add(RuleClass.RECOMMENDS, q, { type: RuleInfo.RECOMMENDS, from: rid });
    st.weakrules.add(id);
  }
}
