/**
 * Non-package rules: feature/update rules that keep installed packages (or update them), job
 * rules, distupgrade rules and "best" rules, plus disabling update rules that jobs override.
 */
import { SYSTEMSOLVABLE, type Pool } from './pool.js';
import { depCnf, isComplexDep, RuleClass, RuleInfo, ruleCmp, type RuleSet } from './rules.js';
import { JOB, type Job } from './testcase.js';
import { filterUnwanted, PolicyMode, type PolicyState } from './policy.js';

/** What rule setup needs from the solver. */
export interface SolverSetup extends PolicyState {
  pool: Pool;
  rules: RuleSet;
  jobs: Job[];
  flags: { keeporphans: boolean; allowuninstall: boolean; keepexplicitobsoletes: boolean; bestobeypolicy: boolean; noautotarget: boolean };
  multiversion: Set<number>;
  updateAll: boolean;
  updatemap: Set<number>;
  noupdate: Set<number>;
  dupAll: boolean;
  dupmap: Set<number>;
  dupinvolved: Set<number>;
  dupinvolvedAll: boolean;
  allowuninstallAll: boolean;
  allowuninstallmap: Set<number>;
  weakrules: Set<number>;
  orphaned: number[];
  specialUpdaters: Map<number, number[]>;
  updateTargets: Map<number, number[]>;
  featureRules: Map<number, number>;
  updateRules: Map<number, number>;
  blacklisted: Set<number>;
  installedIds(): number[];
  isInstalledPkg(p: number): boolean;
  jobSelect(job: Job): number[];
  findUpdatePackages(p: number, mode: 0 | 1 | 2): number[];
  depProviders(d: number): number[];
}

export function identical(pool: Pool, a: number, b: number): boolean {
  const sa = pool.solvables[a]!;
  const sb = pool.solvables[b]!;
  return sa.name === sb.name && sa.evr === sb.evr && sa.arch === sb.arch && sa.vendor === sb.vendor;
}

function dupMayKeep(st: SolverSetup, p: number): boolean {
  const pool = st.pool;
  if (st.dupmap.has(p)) return true;
  const s = pool.solvables[p]!;
  return pool.whatProvides(s.name).some((q) => q !== p && st.dupmap.has(q) && !st.isInstalledPkg(q) && identical(pool, p, q));
}

/** Feature and update rules for every installed package. */
export function addUpdateRules(st: SolverSetup): void {
  const { pool, rules } = st;
  const installed = st.installedIds();
  for (const p of installed) {
    let lits: number[] = [p, ...st.findUpdatePackages(p, 1)];
    const dupinv = st.dupinvolvedAll || st.dupinvolved.has(p);
    if (dupinv && !dupMayKeep(st, p)) {
      const cands = lits.slice(1);
      if (!cands.some((q) => !st.isInstalledPkg(q) || dupMayKeep(st, q))) lits = [];
    }
    const id = rules.add(RuleClass.FEATURE, lits, { type: RuleInfo.FEATURE, from: p });
    st.featureRules.set(p, id);
  }
  for (const p of installed) {
    const fr = rules.rules[st.featureRules.get(p)!]!;
    const s = pool.solvables[p]!;
    let lits: number[];
    if (!pool.isConsidered(p)) lits = [p];
    else if (!fr.lits.length) {
      st.orphaned.push(p);
      lits = st.flags.keeporphans ? [p] : [];
    } else {
      const dupinv = st.dupinvolvedAll || st.dupinvolved.has(p);
      let qs = st.findUpdatePackages(p, dupinv ? 2 : 0);
      if (qs.length && st.multiversion.size && qs.some((q) => st.multiversion.has(q))) {
        const d = qs.slice();
        let filtered = qs.filter((q) => {
          if (!st.multiversion.has(q)) return true;
          const ps = pool.solvables[q]!;
          if (st.flags.keepexplicitobsoletes && ps.obsoletes.some((o) => pool.matchNevr(s, o))) return true;
          return ps.name === s.name && ps.evr === s.evr && ps.arch === s.arch;
        });
        let orphanKeep = false;
        if (!filtered.length && dupinv && !dupMayKeep(st, p)) {
          st.orphaned.push(p);
          st.specialUpdaters.set(p, d);
          if (st.flags.keeporphans) orphanKeep = true;
          filtered = d;
        }
        if (orphanKeep) qs = [];
        else if (filtered.length < d.length) {
          if (st.updateAll || st.updatemap.has(p)) st.specialUpdaters.set(p, d);
          qs = filtered;
        } else qs = d;
      }
      lits = [p, ...qs];
    }
    const id = rules.add(RuleClass.UPDATE, lits, { type: RuleInfo.UPDATE, from: p });
    st.updateRules.set(p, id);
    if (fr.lits.length && ruleCmp(fr.lits, lits) === 0) fr.lits = [];
    else fr.disabled = true;
  }
}

/** Installed packages that p would obsolete (implicitly by name or explicitly). */
function obsoletedBy(st: SolverSetup, p: number): number[] {
  const pool = st.pool;
  const s = pool.solvables[p]!;
  const out = new Set<number>();
  const multi = st.multiversion.has(p);
  if (!st.flags.keepexplicitobsoletes || !multi) {
    for (const q of pool.whatProvides(s.name)) {
      const qs = pool.solvables[q]!;
      if (!st.isInstalledPkg(q)) continue;
      if (!pool.flags.implicitobsoleteusesprovides && qs.name !== s.name) continue;
      if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, qs)) continue;
      out.add(q);
    }
  }
  for (const obs of s.obsoletes) for (const q of pool.whatProvides(obs)) {
    if (!st.isInstalledPkg(q)) continue;
    if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(pool.solvables[q]!, obs)) continue;
    if (pool.flags.obsoleteusescolors && !pool.colormatch(s, pool.solvables[q]!)) continue;
    out.add(q);
  }
  return [...out];
}

const SET = { EV: JOB.SETEV, EVR: JOB.SETEVR, ARCH: JOB.SETARCH, VENDOR: JOB.SETVENDOR, REPO: JOB.SETREPO, NAME: 0x40000000 };

/** Disable policy rules (update, dup, infarch) that contradict the jobs (libsolv's jobtodisablelist). */
export function disablePolicyRules(st: SolverSetup & { illegalArchChange(a: number, b: number): boolean; illegalVendorChange(a: number, b: number): boolean; flags: { allowdowngrade: boolean; allownamechange: boolean; allowarchchange: boolean; allowvendorchange: boolean } }): void {
  const { pool, rules } = st;
  const disableName = (cls: RuleClass, name: number) => {
    for (const r of rules.rules) if (r.cls === cls && r.info.from && pool.solvables[r.info.from]!.name === name) r.disabled = true;
  };
  for (const job of st.jobs) {
    const t = job.how & JOB.JOBMASK;
    const select = job.how & JOB.SELECTMASK;
    const sel = st.jobSelect(job);
    if (t === JOB.INSTALL) {
      let set = job.how & (JOB.SETEV | JOB.SETEVR | JOB.SETARCH | JOB.SETVENDOR | JOB.SETREPO);
      if (!(job.how & JOB.NOAUTOSET)) {
        if (select === JOB.NAME) set |= SET.NAME;
        if (select === JOB.SOLVABLE) set |= SET.NAME | SET.ARCH | SET.VENDOR | SET.REPO | SET.EVR;
        else if ((select === JOB.NAME || select === JOB.PROVIDES) && job.what >= 0x40000000) {
          let rd = pool.getRel(job.what);
          if (rd.flags === 2 && select === JOB.NAME) set |= pool.strs[rd.evr]?.includes('-') ? SET.EVR : SET.EV;
          if (rd.flags <= 7 && rd.name >= 0x40000000) rd = pool.getRel(rd.name);
          if (rd.flags === 20) set |= SET.ARCH;
        }
      }
      if (!set) continue;
      if (set & SET.ARCH) for (const p of sel) disableName(RuleClass.INFARCH, pool.solvables[p]!.name);
      if (set & SET.REPO) for (const p of sel) { disableName(RuleClass.DISTUPGRADE, pool.solvables[p]!.name); disableName(RuleClass.STRICT_REPO_PRIORITY, pool.solvables[p]!.name); }
      if (set & SET.EVR) for (const p of sel) for (const r of rules.rules) if (r.cls === RuleClass.BLACK && r.info.from === p) r.disabled = true;
      if (!pool.installed || !pool.installed.solvables.length) continue;
      if (sel.some((p) => st.isInstalledPkg(p))) continue;
      if (sel.some((p) => st.multiversion.has(p) && !st.flags.keepexplicitobsoletes)) continue;
      let inter: number[] | null = null;
      for (const p of sel) {
        const o = obsoletedBy(st, p);
        inter = inter === null ? o : inter.filter((x) => o.includes(x));
        if (!inter.length) break;
      }
      if (!inter || !inter.length) continue;
      const all = (set & (SET.EVR | SET.ARCH | SET.VENDOR)) === (SET.EVR | SET.ARCH | SET.VENDOR);
      for (const i of inter) {
        const is = pool.solvables[i]!;
        let keep = true;
        if (!all) {
          for (const p of sel) {
            const s = pool.solvables[p]!;
            let illegal = 0;
            if (!(set & SET.EVR) && !st.flags.allowdowngrade && is.name === s.name && pool.evrcmp(is.evr, s.evr, 0) > 0) illegal |= 1;
            if (!(set & SET.ARCH) && !st.flags.allowarchchange && is.arch !== s.arch && st.illegalArchChange(is.arch, s.arch)) illegal |= 2;
            if (!(set & SET.VENDOR) && !st.flags.allowvendorchange && is.vendor !== s.vendor && st.illegalVendorChange(is.vendor, s.vendor)) illegal |= 4;
            if (!(set & SET.NAME) && !st.flags.allownamechange && is.name !== s.name) illegal |= 8;
            if (illegal === 1 && set & SET.EV && pool.evrcmp(is.evr, s.evr, 3) !== 0) illegal = 0;
            if (illegal) { keep = false; break; }
          }
        }
        if (keep) disableUpdate(st, i);
      }
    } else if (t === JOB.ERASE) {
      if (!pool.installed) continue;
      if (select === JOB.ALL || (select === JOB.REPO && job.what === pool.installed.id)) for (const p of st.installedIds()) disableUpdate(st, p);
      for (const p of sel) if (st.isInstalledPkg(p)) disableUpdate(st, p);
    } else if (t === JOB.LOCK) {
      if (!pool.installed) continue;
      const list = select === JOB.ALL || (select === JOB.REPO && job.what === pool.installed.id) ? st.installedIds() : sel.filter((p) => st.isInstalledPkg(p));
      for (const p of list) disableName(RuleClass.DISTUPGRADE, pool.solvables[p]!.name);
    }
  }
}

function disableUpdate(st: SolverSetup, p: number): void {
  st.noupdate.add(p);
  const ur = st.updateRules.get(p);
  if (ur !== undefined) st.rules.rules[ur]!.disabled = true;
  const fr = st.featureRules.get(p);
  if (fr !== undefined) st.rules.rules[fr]!.disabled = true;
}

/** One or more rules per job. */
export function addJobRules(st: SolverSetup): void {
  const { pool, rules } = st;
  st.jobs.forEach((job, idx) => {
    const t = job.how & JOB.JOBMASK;
    const weak = (job.how & JOB.WEAK) !== 0;
    const add = (lits: number[], type = RuleInfo.JOB, dep?: number) => {
      const id = rules.add(RuleClass.JOB, lits, { type, dep }, idx);
      if (weak) st.weakrules.add(id);
    };
    const sel = job.how & JOB.SELECTMASK;
    if (t === JOB.INSTALL) {
      if ((sel === JOB.PROVIDES || sel === JOB.NAME) && isComplexDep(pool, job.what)) {
        for (const c of depCnf(pool, job.what, false)) add(c.length ? c : [-SYSTEMSOLVABLE], c.length ? RuleInfo.JOB : RuleInfo.JOB_NOTHING_PROVIDES_DEP, job.what);
        return;
      }
      const all = st.jobSelect(job);
      if (all.includes(SYSTEMSOLVABLE)) return;
      const q = all.filter((p) => pool.solvables[p]!.repo);
      if (!q.length) {
        add([-SYSTEMSOLVABLE], sel === JOB.NAME || sel === JOB.PROVIDES ? RuleInfo.JOB_NOTHING_PROVIDES_DEP : RuleInfo.JOB, job.what);
        return;
      }
      if (q.includes(SYSTEMSOLVABLE)) return;
      add(q);
    } else if (t === JOB.ERASE) {
      for (const p of st.jobSelect(job)) if (pool.solvables[p]!.repo) add([-p]);
    } else if (t === JOB.LOCK) {
      for (const p of st.jobSelect(job)) {
        if (!pool.solvables[p]!.repo) continue;
        add(st.isInstalledPkg(p) ? [p] : [-p]);
      }
    }
  });
}

/** Rules that forbid packages of an inferior architecture class (multilib), with lock-step for colors. */
export function addInfarchRules(st: SolverSetup, added: Uint8Array): void {
  const { pool, rules } = st;
  if (!pool.archScore) return;
  const dupinv = (p: number) => st.dupinvolvedAll || st.dupinvolved.has(p);
  const seenName = new Set<number>();
  for (let i = 2; i < added.length; i++) {
    if (!added[i]) continue;
    const s = pool.solvables[i]!;
    if (seenName.has(s.name)) continue;
    seenName.add(s.name);
    const group = pool.whatProvides(s.name).filter((p) => pool.solvables[p]!.name === s.name && added[p]);
    let bestscore = 0;
    let bests = 0;
    let allowed: number[] = [];
    for (const p of group) {
      const ps = pool.solvables[p]!;
      const a = pool.arch2score(ps.arch);
      if (a !== 1 && st.isInstalledPkg(p)) {
        if (dupinv(p)) continue;
        if (!allowed.includes(ps.arch)) allowed.push(ps.arch);
        continue;
      }
      if (a && a !== 1 && (!bestscore || a < bestscore)) { bestscore = a; bests = p; }
    }
    if (!bestscore && allowed.length > 1 && pool.flags.implicitobsoleteusescolors) {
      for (const aa of allowed) {
        const a = pool.arch2score(aa);
        if (a && a !== 1 && (!bestscore || a < bestscore)) bestscore = a;
      }
    }
    if (!bestscore) continue;
    if (allowed.length === 1 && bests && allowed[0] === pool.solvables[bests]!.arch) allowed = [];
    if (allowed.length && pool.flags.implicitobsoleteusescolors && pool.installed) {
      allowed = [];
      for (const p of group) {
        const ps = pool.solvables[p]!;
        if (!st.isInstalledPkg(p) || dupinv(p)) continue;
        const a = pool.arch2score(ps.arch);
        if (!a) { if (!allowed.includes(ps.arch)) allowed.push(ps.arch); continue; }
        if (a === 1 || ((a ^ bestscore) & 0xffff0000) === 0) continue;
        const lockstepped = pool.whatProvides(s.name).some((p2) => {
          const s2 = pool.solvables[p2]!;
          if (p2 === p || s2.name !== s.name || s2.evr !== ps.evr || s2.arch === ps.arch) return false;
          const a2 = pool.arch2score(s2.arch);
          return !!a2 && (a2 === 1 || ((a2 ^ bestscore) & 0xffff0000) === 0);
        });
        if (!lockstepped && !allowed.includes(ps.arch)) allowed.push(ps.arch);
      }
    }
    const bad: number[] = [];
    for (const p of group) {
      const ps = pool.solvables[p]!;
      const a = pool.arch2score(ps.arch);
      if (a === 1 || ((a ^ bestscore) & 0xffff0000) === 0) continue;
      if (st.isInstalledPkg(p)) {
        if (pool.flags.implicitobsoleteusescolors) bad.push(p);
        continue;
      }
      const ok = allowed.some((aa) => ps.arch === aa || ((a ^ pool.arch2score(aa)) & 0xffff0000) === 0 && pool.arch2score(aa) !== 0);
      if (!ok) bad.push(p);
    }
    for (const p of bad) {
      const ps = pool.solvables[p]!;
      if (pool.flags.implicitobsoleteusescolors) {
        const lsq: number[] = [];
        let haveinstalled = false;
        for (const p2 of pool.whatProvides(s.name)) {
          const s2 = pool.solvables[p2]!;
          if (p2 === p || s2.name !== s.name || s2.evr !== ps.evr || s2.arch === ps.arch) continue;
          const a = pool.arch2score(s2.arch);
          if (a && (a === 1 || ((a ^ bestscore) & 0xffff000) === 0)) {
            lsq.push(p2);
            if (st.isInstalledPkg(p2)) haveinstalled = true;
          }
        }
        if (st.isInstalledPkg(p) && !haveinstalled) continue;
        rules.add(RuleClass.INFARCH, [-p, ...lsq], { type: RuleInfo.INFARCH, from: p });
      } else {
        rules.add(RuleClass.INFARCH, [-p], { type: RuleInfo.INFARCH, from: p });
      }
    }
  }
}

/** Distupgrade: packages outside the dup set must not be installed (or kept). */
export function addDupRules(st: SolverSetup, added: Uint8Array): void {
  const { pool, rules } = st;
  if (!st.dupinvolvedAll && !st.dupinvolved.size) return;
  for (let p = 2; p < added.length; p++) {
    if (!added[p]) continue;
    if (!st.dupinvolvedAll && !st.dupinvolved.has(p)) continue;
    if (st.isInstalledPkg(p)) {
      if (!pool.isConsidered(p)) continue;
      if (st.dupmap.has(p)) continue;
      if (dupMayKeep(st, p)) { st.dupmap.add(p); continue; }
      const ur = rules.rules[st.updateRules.get(p)!]!;
      const fr = rules.rules[st.featureRules.get(p)!]!;
      if (!ur.lits.length && !fr.lits.length) { st.dupmap.add(p); continue; }
      const sp = st.specialUpdaters.get(p);
      if (sp) { rules.add(RuleClass.DISTUPGRADE, [-p, ...sp], { type: RuleInfo.DISTUPGRADE, from: p }); continue; }
      if (ur.lits.length === 1 && (!fr.lits.length || fr.lits.length === 1)) { st.dupmap.add(p); continue; }
      rules.add(RuleClass.DISTUPGRADE, [-p], { type: RuleInfo.DISTUPGRADE, from: p });
    } else if (!st.dupmap.has(p)) {
      rules.add(RuleClass.DISTUPGRADE, [-p], { type: RuleInfo.DISTUPGRADE, from: p });
    }
  }
}

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
  st.jobs.forEach((job, idx) => {
    if ((job.how & (JOB.JOBMASK | JOB.FORCEBEST)) !== (JOB.INSTALL | JOB.FORCEBEST)) return;
    const jobRules = rs.map((r, i) => [r, i] as const).filter(([r]) => r.cls === RuleClass.JOB && r.job === idx);
    for (const [r] of jobRules) {
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
