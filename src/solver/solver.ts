/**
 * The dependency solver: turns jobs into rules, then decides packages in libsolv's order
 * (jobs, keep/update installed packages, open requirements, weak dependencies) with CDCL
 * underneath; unsolvable parts become problems with solutions.
 *
 *   const solver = new Solver(pool, lists);
 *   solver.flags.ignorerecommended = true;
 *   solver.solve([{ how: JOB.INSTALL | JOB.NAME, what: pool.str2id('bash') }]);
 *   solver.installedSet()   // solvable ids that end up installed
 */
import { EVRCMP, Pool } from './pool.js';
import { addPkgRulesFor, depCnf, isComplexDep, RuleClass, RuleInfo, RuleSet, unifyPkgRules, type PkgRuleContext } from './rules.js';
import { Sat } from './sat.js';
import type { PolicyState } from './policy.js';
import { JOB, solvid2str, type Job, type JobLists } from './testcase.js';
import { createHash } from 'node:crypto';

export function md5hex(parts: string[]): string {
  const h = createHash('md5');
  for (const p of parts) { h.update(p); h.update(Buffer.from([0])); }
  return h.digest('hex');
}

/** md5 of a rule's sorted literal strings (testcase rule id). */
export function ruleIdString(solver: Solver, rid: number): string {
  const pool = solver.pool;
  const strs = [...new Set(solver.rules.rules[rid]!.lits.map((p) => (p < 0 ? '!' : '') + solvid2str(pool, Math.abs(p))))].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return md5hex(strs);
}
import { addJobRules, addUpdateRules, addDupRules, addInfarchRules, type SolverSetup } from './setup.js';
import { addBestRules, addChoiceRules, addBlackRules, addStrictRepoPrioRules, addYumobsRules, addRecommendsRules } from './policyrules.js';
import { analyzeProblems, type Problem } from './problems.js';
import { createCleandepsMap } from './cleandeps.js';
import * as jobmaps from './jobmaps.js';
import * as problemstate from './problemstate.js';
import * as driver from './driver.js';
import * as weak from './weak.js';

export interface SolverFlags {
  allowdowngrade: boolean; allownamechange: boolean; allowarchchange: boolean; allowvendorchange: boolean;
  allowuninstall: boolean; noupdateprovide: boolean; splitprovides: boolean; ignorerecommended: boolean;
  addalreadyrecommended: boolean; noinfarchcheck: boolean; keepexplicitobsoletes: boolean; bestobeypolicy: boolean;
  noautotarget: boolean; dupallowdowngrade: boolean; dupallowarchchange: boolean; dupallowvendorchange: boolean;
  dupallownamechange: boolean; keeporphans: boolean; breakorphans: boolean; focusinstalled: boolean; yumobsoletes: boolean;
  needupdateprovide: boolean; urpmreorder: boolean; focusbest: boolean; strongrecommends: boolean; installalsoupdates: boolean;
  onlynamespacerecommended: boolean; strictrepopriority: boolean; focusnew: boolean;
}

export const DEFAULT_SOLVER_FLAGS: SolverFlags = {
  allowdowngrade: false, allownamechange: true, allowarchchange: false, allowvendorchange: false, allowuninstall: false,
  noupdateprovide: false, splitprovides: false, ignorerecommended: false, addalreadyrecommended: false, noinfarchcheck: false,
  keepexplicitobsoletes: false, bestobeypolicy: false, noautotarget: false, dupallowdowngrade: true, dupallowarchchange: true,
  dupallowvendorchange: true, dupallownamechange: true, keeporphans: false, breakorphans: false, focusinstalled: false,
  yumobsoletes: false, needupdateprovide: false, urpmreorder: false, focusbest: false, strongrecommends: false,
  installalsoupdates: false, onlynamespacerecommended: false, strictrepopriority: false, focusnew: false,
};

export class Solver implements PolicyState, SolverSetup {
  flags: SolverFlags = { ...DEFAULT_SOLVER_FLAGS };
  rules = new RuleSet();
  sat!: Sat;
  jobs: Job[] = [];
  favormap: Map<number, number> | null = null;
  multiversion = new Set<number>();
  /** Installed packages that should be updated / not updated / may be removed. */
  updateAll = false;
  updatemap = new Set<number>();
  noupdate = new Set<number>();
  fixAll = false;
  fixmap = new Set<number>();
  cleandeps = new Set<number>();
  /** Installed packages updated by cleandeps update jobs. */
  cleandepsUpdatePkgs = new Set<number>();
  allowuninstallAll = false;
  allowuninstallmap = new Set<number>();
  dupAll = false;
  bestupdateAll = false;
  /** Targeted updates: installed package -> the packages it may be updated to. */
  updateTargets = new Map<number, number[]>();
  bestupdatemap = new Set<number>();
  dupmap = new Set<number>();
  dupinvolved = new Set<number>();
  dupinvolvedAll = false;
  excludefromweak = new Set<number>();
  blacklisted = new Set<number>();
  weakrules = new Set<number>();
  orphaned: number[] = [];
  specialUpdaters = new Map<number, number[]>();
  dropOrphanedAll = false;
  dropOrphanedSet = new Set<number>();

  /** Orphaned installed packages the jobs ask to drop (droporphaned). */
  dropOrphaned(p: number): boolean {
    return this.dropOrphanedAll || this.dropOrphanedSet.has(p);
  }
  featureRules = new Map<number, number>();
  updateRules = new Map<number, number>();
  /** Branch points: candidates, level, chosen index. */
  branches: Array<{ cands: number[]; level: number; tried: Set<number>; rule: number; weak?: boolean; from?: number; dep?: number }> = [];
  problems: Problem[] = [];
  recommendsmap = new Set<number>();
  suggestsmap = new Set<number>();
  recIndex = 0;
  pkgRulesEnd = 0;
  /** First literals of the rules (driver.ts ruleHeads). */
  ruleHeadCache: Int32Array | null = null;
  installedPos = 0;
  /** Packages installed because of weak dependencies (for the "recommended" output). */
  weakInstalled = new Set<number>();

  constructor(readonly pool: Pool, readonly lists: JobLists) {}

  // ---- PolicyState ----
  isRecommended(p: number): boolean {
    this.updateRecommendsMap();
    return this.recommendsmap.has(p) || this.isSupplementing(p);
  }
  isSuggested(p: number): boolean {
    this.updateRecommendsMap();
    return this.suggestsmap.has(p) || this.isEnhancing(p);
  }
  dupInvolved(p: number): boolean {
    return this.dupinvolvedAll || this.dupinvolved.has(p);
  }
  dupAllowed(p: number): boolean {
    const s = this.pool.solvables[p]!;
    return this.pool.whatProvides(s.name).some((q) => {
      const qs = this.pool.solvables[q]!;
      return q !== p && qs.repo !== this.pool.installed && qs.name === s.name && this.pool.identical(p, q) && (this.dupmap.size === 0 || this.dupmap.has(q));
    });
  }

  updateRecommendsMap(): void {
    if (!this.sat) return;
    const q = this.sat.q;
    if (this.recIndex > q.length) {
      this.recIndex = 0;
      this.recommendsmap.clear();
      this.suggestsmap.clear();
    }
    while (this.recIndex < q.length) {
      const p = q[this.recIndex++]!;
      if (p <= 0) continue;
      const s = this.pool.solvables[p]!;
      for (const d of s.recommends) for (const x of this.depProviders(d)) this.recommendsmap.add(x);
      for (const d of s.suggests) for (const x of this.depProviders(d)) this.suggestsmap.add(x);
    }
  }

  depProviders(d: number): number[] {
    if (!isComplexDep(this.pool, d)) return this.pool.whatProvides(d);
    const out: number[] = [];
    for (const c of depCnf(this.pool, d, false)) for (const l of c) if (l > 0) out.push(l);
    return out;
  }

  /** Is the dependency fulfilled by the currently installed (decided) packages? */
  depFulfilled(d: number, val: (p: number) => boolean): boolean {
    if (isComplexDep(this.pool, d)) return depCnf(this.pool, d, false).every((c) => c.some((l) => (l > 0 ? val(l) : !val(-l))));
    return this.pool.whatProvides(d).some(val);
  }

  isSupplementing(p: number): boolean {
    const s = this.pool.solvables[p]!;
    if (!s.supplements.length) return false;
    return s.supplements.some((d) => this.depFulfilled(d, (x) => this.sat.dm[x]! > 0));
  }
  isEnhancing(p: number): boolean {
    const s = this.pool.solvables[p]!;
    return s.enhances.some((d) => this.depFulfilled(d, (x) => this.sat.dm[x]! > 0));
  }

  installedIds(): number[] {
    return this.pool.installed ? this.pool.installed.solvables : [];
  }
  isInstalledPkg(p: number): boolean {
    return !!this.pool.installed && this.pool.solvables[p]!.repo === this.pool.installed;
  }

  private jobSelectCache = new WeakMap<Job, number[]>();

  /** Solvables selected by a job (memoised: policy rules are re-derived after every refinement step; callers never modify it). */
  jobSelect(job: Job): number[] {
    let r = this.jobSelectCache.get(job);
    if (!r) {
      r = this.jobSelectUncached(job);
      this.jobSelectCache.set(job, r);
    }
    return r;
  }

  private jobSelectUncached(job: Job): number[] {
    const pool = this.pool;
    const sel = job.how & JOB.SELECTMASK;
    switch (sel) {
      case JOB.SOLVABLE: return [job.what];
      case JOB.NAME: {
        if (isComplexDep(pool, job.what)) return this.depProviders(job.what);
        return pool.whatProvides(job.what).filter((p) => pool.matchNevr(pool.solvables[p]!, job.what));
      }
      case JOB.PROVIDES: return this.depProviders(job.what);
      case JOB.ONE_OF: return this.lists.lists[job.what] ?? [];
      case JOB.REPO: return pool.repos[job.what - 1]?.solvables.slice() ?? [];
      case JOB.ALL: {
        const out: number[] = [];
        for (let p = 2; p < pool.solvables.length; p++) if (pool.solvables[p]!.repo) out.push(p);
        return out;
      }
      default: return [];
    }
  }

  /** Package rules and the packages they cover, kept for a solver that is reused. */
  addedMap: Uint8Array | null = null;

  /** Start from the package rules of an earlier solve on the same pool (libsolv's "reusesolver"). */
  reuseFrom(prev: Solver): void {
    if (!prev.addedMap) return;
    this.addedMap = prev.addedMap.slice();
    for (let i = 1; i < prev.pkgRulesEnd; i++) {
      const r = prev.rules.rules[i]!;
      this.rules.add(RuleClass.PKG, r.lits.slice(), { ...r.info });
    }
  }

  /** Run the solver; returns the number of problems. */
  solve(jobs: Job[]): number {
    const pool = this.pool;
    this.jobs = jobs;
    this.processJobMaps();
    // package rules
    const added = this.addedMap ?? new Uint8Array(pool.solvables.length);
    this.addedMap = added;
    const ctx: PkgRuleContext = {
      pool, rules: this.rules, added, multiversion: this.multiversion, keepexplicitobsoletes: this.flags.keepexplicitobsoletes,
      strongrecommends: this.flags.strongrecommends,
      dontfix: (p) => !this.fixAll && !this.fixmap.has(p),
    };
    for (const p of this.installedIds()) addPkgRulesFor(ctx, p);
    for (const p of this.installedIds()) {
      for (const q of this.findUpdatePackages(p, 1)) addPkgRulesFor(ctx, q);
    }
    for (const job of jobs) {
      const t = job.how & JOB.JOBMASK;
      if (t === JOB.INSTALL) {
        for (const p of this.jobSelect(job)) if (pool.solvables[p]!.repo) addPkgRulesFor(ctx, p);
      }
    }
    // (packages of the dup set get rules when reached from jobs, installed packages or their updates)
    this.addWeakPkgRules(ctx);
    unifyPkgRules(this.rules, 1);
    this.pkgRulesEnd = this.rules.rules.length;
    for (let i = 1; i < this.pkgRulesEnd; i++) if (this.rules.rules[i]!.info.type === RuleInfo.PKG_RECOMMENDS) this.weakrules.add(i);
    addUpdateRules(this);
    addJobRules(this);
    addInfarchRules(this, added);
    addDupRules(this, added);
    addBestRules(this);
    if (this.flags.yumobsoletes) addYumobsRules(this);
    addBlackRules(this);
    if (this.flags.strongrecommends) addRecommendsRules(this);
    if (this.flags.strictrepopriority) addStrictRepoPrioRules(this, added);
    this.applyPolicyRules();
    addChoiceRules(this, this.pkgRulesEnd);
    if (this.jobs.some((j) => j.how & JOB.CLEANDEPS) && this.installedIds().length) {
      this.cleandeps = createCleandepsMap(this);
      this.applyPolicyRules();
    }
    this.sat = new Sat(pool.solvables.length, this.rules);
    this.runSat(true);
    const mainSat = this.sat;
    const mainBranches = this.branches;
    this.satShared = true;
    analyzeProblems(this);
    this.sat = mainSat;
    this.branches = mainBranches;
    return this.problems.length;
  }

  processJobMaps(): void {
    return jobmaps.processJobMaps(this);
  }


  addToDupMaps(p: number, targeted: boolean, how: number): void {
    return jobmaps.addToDupMaps(this, p, targeted, how);
  }


  addWeakPkgRules(ctx: PkgRuleContext): void {
    return jobmaps.addWeakPkgRules(this, ctx);
  }


  /** Update candidates of installed package p (policy_findupdatepackages). mode 1 = all, 2 = dup. */
  findUpdatePackages(n: number, mode: 0 | 1 | 2): number[] {
    const pool = this.pool;
    const s = pool.solvables[n]!;
    const f = this.flags;
    let allowdowngrade = mode ? true : f.allowdowngrade;
    let allownamechange = mode ? true : f.allownamechange;
    let allowarchchange = mode ? true : f.allowarchchange;
    let allowvendorchange = mode ? true : f.allowvendorchange;
    if (mode === 2) {
      allowdowngrade = f.dupallowdowngrade;
      allownamechange = f.dupallownamechange;
      allowarchchange = f.dupallowarchchange;
      allowvendorchange = f.dupallowvendorchange;
    }
    const out: number[] = [];
    let haveprovobs = false;
    for (const p of pool.whatProvides(s.name)) {
      if (p === n) continue;
      const ps = pool.solvables[p]!;
      if (s.name === ps.name) {
        if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, ps)) continue;
        if (!allowdowngrade && pool.evrcmp(s.evr, ps.evr, EVRCMP.COMPARE) > 0) continue;
      } else if (!allownamechange) continue;
      else if ((!f.noupdateprovide || f.needupdateprovide) && ps.obsoletes.length) {
        if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, ps)) continue;
        if (!this.isObsoleting(ps.id, n)) continue;
        haveprovobs = true;
      } else continue;
      if (!allowarchchange && s.arch !== ps.arch && this.illegalArchChange(s.arch, ps.arch)) continue;
      if (!allowvendorchange && s.vendor !== ps.vendor && this.illegalVendorChange(s.vendor, ps.vendor)) continue;
      out.push(p);
    }
    if (!allownamechange) return out;
    if (f.needupdateprovide || (!f.noupdateprovide && haveprovobs)) return out;
    // all packages that obsolete n
    for (const p of this.obsoletersOf(n)) {
      const ps = pool.solvables[p]!;
      if (ps.name === s.name) continue;
      if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, ps)) continue;
      if (!allowarchchange && s.arch !== ps.arch && this.illegalArchChange(s.arch, ps.arch)) continue;
      if (!allowvendorchange && s.vendor !== ps.vendor && this.illegalVendorChange(s.vendor, ps.vendor)) continue;
      if (!out.includes(p)) out.push(p);
    }
    return out;
  }

  obsIndex: Map<number, number[]> | null = null;

  /** Installable packages with another name (installed ones included) that obsolete installed package n. */
  obsoletersOf(n: number): number[] {
    if (!this.obsIndex) {
      const pool = this.pool;
      const idx = new Map<number, number[]>();
      for (let p = pool.solvables.length - 1; p >= 2; p--) {
        const ps = pool.solvables[p]!;
        if (!ps.obsoletes.length || !ps.repo || !pool.installable(ps)) continue;
        for (const obs of ps.obsoletes) {
          for (const q of pool.whatProvides(obs)) {
            const qs = pool.solvables[q]!;
            if (qs.repo !== pool.installed || qs.name === ps.name) continue;
            if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(qs, obs)) continue;
            if (pool.flags.obsoleteusescolors && !pool.colormatch(ps, qs)) continue;
            let l = idx.get(q);
            if (!l) idx.set(q, (l = []));
            if (l[l.length - 1] !== p) l.push(p);
          }
        }
      }
      this.obsIndex = idx;
    }
    return this.obsIndex.get(n) ?? [];
  }

  isObsoleting(p: number, target: number): boolean {
    const pool = this.pool;
    const s = pool.solvables[p]!;
    const ts = pool.solvables[target]!;
    if (pool.flags.obsoleteusescolors && !pool.colormatch(ts, s)) return false;
    for (const obs of s.obsoletes) {
      if (!pool.whatProvides(obs).includes(target)) continue;
      if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(ts, obs)) continue;
      return true;
    }
    return false;
  }

  illegalArchChange(a1: number, a2: number): boolean {
    const pool = this.pool;
    if (a1 === a2 || a1 === pool.noarch || a2 === pool.noarch || !pool.archScore) return false;
    return ((pool.arch2score(a1) ^ pool.arch2score(a2)) & 0xffff0000) !== 0;
  }

  illegalVendorChange(v1: number, v2: number): boolean {
    const a = v1 || 1;
    const b = v2 || 1;
    if (a === b) return false;
    const m1 = this.pool.vendor2mask(a);
    if (!m1) return true;
    return (m1 & this.pool.vendor2mask(b)) === 0;
  }

  // ---------------- the SAT driver ----------------

  setPropagateLearn(level: number, decision: number, disablerules: boolean, why: number): number {
    return driver.setPropagateLearn(this, level, decision, disablerules, why);
  }


  decisionRule = new Map<number, number>();
  /** The current Sat must not be reset in place (it holds the main result while problems are refined). */
  satShared = false;

  analyzeUnsolvable(conflict: number, disablerules: boolean): number {
    return problemstate.analyzeUnsolvable(this, conflict, disablerules);
  }


  autoUninstall(elements: number[]): boolean {
    return problemstate.autoUninstall(this, elements);
  }


  toProblemId(rid: number): number {
    return problemstate.toProblemId(this, rid);
  }


  sameGroup(v: number): number[] {
    return problemstate.sameGroup(this, v);
  }


  disableProblem(v: number): void {
    return problemstate.disableProblem(this, v);
  }


  enableProblem(v: number): void {
    return problemstate.enableProblem(this, v);
  }


  fixProblem(v: number): void {
    return problemstate.fixProblem(this, v);
  }


  reenablePolicyRules(): void {
    return problemstate.reenablePolicyRules(this);
  }


  policyDisabled = new Set<number>();

  applyPolicyRules(): void {
    return problemstate.applyPolicyRules(this);
  }


  checkUnneededChoiceRules(): boolean {
    return problemstate.checkUnneededChoiceRules(this);
  }


  disableRelatedChoiceRules(rid: number): void {
    return problemstate.disableRelatedChoiceRules(this, rid);
  }



  resetSat(): void {
    return driver.resetSat(this);
  }


  pruneYumobs(dq: number[]): number[] {
    return driver.pruneYumobs(this, dq);
  }


  replacesInstalled(p: number): boolean {
    return driver.replacesInstalled(this, p);
  }


  reorderForFutureInstalled(dq: number[]): number[] {
    return driver.reorderForFutureInstalled(this, dq);
  }


  selectAndInstall(level: number, dq: number[], disablerules: boolean, rule: number): number {
    return driver.selectAndInstall(this, level, dq, disablerules, rule);
  }


  assertions: number[] | null = null;
  assertionsUpTo = 0;

  makeRuleDecisions(disablerules: boolean): number {
    return driver.makeRuleDecisions(this, disablerules);
  }


  runSat(disablerules: boolean, doweak = !this.flags.ignorerecommended): void {
    return driver.runSat(this, disablerules, doweak);
  }


  minLevel = 0;
  doExtraReordering = false;

  minimize(): boolean {
    return driver.minimize(this);
  }


  resolveJobRules(level: number, disablerules: boolean): number {
    return driver.resolveJobRules(this, level, disablerules);
  }


  resolveInstalled(level: number, disablerules: boolean): number {
    return driver.resolveInstalled(this, level, disablerules);
  }


  resolveDependencies(level: number, disablerules: boolean, focus = false): number {
    return driver.resolveDependencies(this, level, disablerules, focus);
  }


  resolveWeak(level: number, _disablerules: boolean): [number, boolean] {
    return weak.resolveWeak(this, level, _disablerules);
  }


  /** Namespace dependencies explicitly requested by "install provides namespace:…" jobs. */
  installSuppDeps: Set<number> | null = null;

  mentionsInstallSuppDep(d: number): boolean {
    return weak.mentionsInstallSuppDep(this, d);
  }


  isNamespaceDep(d: number): boolean {
    return weak.isNamespaceDep(this, d);
  }


  isSupplementingNew(p: number): boolean {
    return weak.isSupplementingNew(this, p);
  }


  recommendedList(): number[] {
    return weak.recommendedList(this);
  }


  suggestedList(): number[] {
    return weak.suggestedList(this);
  }


  weakList(fwd: (s: import('./pool.js').Solvable) => number[], rev: (s: import('./pool.js').Solvable) => number[]): number[] {
    return weak.weakList(this, fwd, rev);
  }


  cleandepsList(): number[] {
    return weak.cleandepsList(this);
  }


  alternativeLines(): string[] {
    return weak.alternativeLines(this);
  }


  /** Packages that are installed after solving. */
  installedSet(): number[] {
    const out: number[] = [];
    const dm = this.sat.dm;
    for (let p = 2; p < dm.length; p++) if (dm[p]! > 0) out.push(p);
    return out;
  }
}
