/**
 * Non-package rules: feature/update rules that keep installed packages (or update them), job
 * rules, distupgrade rules and "best" rules, plus disabling update rules that jobs override.
 */
import { SYSTEMSOLVABLE, type Pool } from './pool.js';
import { depCnf, isComplexDep, RuleClass, RuleInfo, ruleCmp, type RuleSet } from './rules.js';
import { JOB, type Job } from './testcase.js';
import type { PolicyState } from './policy.js';

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
  dropOrphaned(p: number): boolean;
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
  return pool.identical(a, b);
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
      lits = st.flags.keeporphans && !st.dropOrphaned(p) ? [p] : [];
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
          if (st.flags.keeporphans && !st.dropOrphaned(p)) orphanKeep = true;
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
  for (const r of st.rules.rules) if (r.cls === RuleClass.BEST && r.job === undefined && r.info.from === p) r.disabled = true;
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
      // namespace requests (e.g. language support) only steer supplements, they make no rule
      if (sel === JOB.PROVIDES && job.what >= 0x40000000 && pool.getRel(job.what).flags === 19) return;
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
