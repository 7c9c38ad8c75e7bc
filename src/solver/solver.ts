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
import { EVRCMP, Pool, SYSTEMSOLVABLE, isRel } from './pool.js';
import { addPkgRulesFor, depCnf, isComplexDep, RuleClass, RuleInfo, RuleSet, unifyPkgRules, type PkgRuleContext } from './rules.js';
import { Sat } from './sat.js';
import { filterUnwanted, preferFavored, PolicyMode, type PolicyState } from './policy.js';
import { JOB, dep2str, job2str, solvid2str, type Job, type JobLists } from './testcase.js';
import { createHash } from 'node:crypto';

function md5hex(parts: string[]): string {
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
import { addJobRules, addUpdateRules, addDupRules, addInfarchRules, addBestRules, addChoiceRules, addBlackRules, addStrictRepoPrioRules, addYumobsRules, disablePolicyRules, type SolverSetup } from './setup.js';
import { analyzeProblems, type Problem } from './problems.js';
import { createCleandepsMap } from './cleandeps.js';

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
  featureRules = new Map<number, number>();
  updateRules = new Map<number, number>();
  /** Branch points: candidates, level, chosen index. */
  branches: Array<{ cands: number[]; level: number; tried: Set<number>; rule: number; weak?: boolean; from?: number; dep?: number }> = [];
  problems: Problem[] = [];
  recommendsmap = new Set<number>();
  suggestsmap = new Set<number>();
  private recIndex = 0;
  pkgRulesEnd = 0;
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
      return q !== p && qs.repo !== this.pool.installed && qs.name === s.name && qs.evr === s.evr && qs.arch === s.arch && (this.dupmap.size === 0 || this.dupmap.has(q));
    });
  }

  private updateRecommendsMap(): void {
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

  /** Solvables selected by a job. */
  jobSelect(job: Job): number[] {
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
      if (t === JOB.INSTALL || t === JOB.UPDATE || t === JOB.DISTUPGRADE || t === JOB.LOCK || t === JOB.FAVOR || t === JOB.DISFAVOR || t === JOB.BLACKLIST) {
        for (const p of this.jobSelect(job)) if (pool.solvables[p]!.repo) addPkgRulesFor(ctx, p);
      }
    }
    if (this.dupAll || this.dupmap.size) for (const p of this.dupmap) addPkgRulesFor(ctx, p);
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

  private processJobMaps(): void {
    const pool = this.pool;
    let favor = 0;
    for (const job of this.jobs) {
      const t = job.how & JOB.JOBMASK;
      const sel = this.jobSelect(job);
      switch (t) {
        case JOB.MULTIVERSION: for (const p of sel) this.multiversion.add(p); break;
        case JOB.FAVOR: case JOB.DISFAVOR:
          this.favormap ??= new Map();
          favor++;
          for (const p of sel) this.favormap.set(p, t === JOB.FAVOR ? favor : -favor);
          break;
        case JOB.UPDATE: {
          const fb = (job.how & JOB.FORCEBEST) !== 0;
          const selk = job.how & JOB.SELECTMASK;
          if (selk === JOB.ALL || (selk === JOB.REPO && pool.installed && job.what === pool.installed.id)) {
            this.updateAll = true;
            if (fb) this.bestupdateAll = true;
            if (job.how & JOB.CLEANDEPS) for (const q of this.installedIds()) this.cleandepsUpdatePkgs.add(q);
            break;
          }
          let targeted = (job.how & JOB.TARGETED) !== 0;
          if (pool.installed && !targeted && !this.flags.noautotarget) targeted = !sel.some((p) => this.isInstalledPkg(p));
          const mark = (q: number) => { this.updatemap.add(q); if (fb) this.bestupdatemap.add(q); if (job.how & JOB.CLEANDEPS) this.cleandepsUpdatePkgs.add(q); };
          if (pool.installed && !targeted) {
            for (const p of sel) if (this.isInstalledPkg(p)) mark(p);
          } else if (targeted) {
            for (const p of sel) {
              const s = pool.solvables[p]!;
              const addT = (q: number) => {
                let l = this.updateTargets.get(q);
                if (!l) this.updateTargets.set(q, (l = []));
                if (!l.includes(p)) l.push(p);
                mark(q);
              };
              if (this.isInstalledPkg(p)) { addT(p); continue; }
              for (const q of pool.whatProvides(s.name)) {
                const qs = pool.solvables[q]!;
                if (!this.isInstalledPkg(q) || qs.name !== s.name) continue;
                if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, qs)) continue;
                addT(q);
              }
              for (const obs of s.obsoletes) for (const q of pool.whatProvides(obs)) {
                if (!this.isInstalledPkg(q)) continue;
                if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(pool.solvables[q]!, obs)) continue;
                if (pool.flags.obsoleteusescolors && !pool.colormatch(s, pool.solvables[q]!)) continue;
                addT(q);
              }
            }
          }
          break;
        }
        case JOB.ERASE: for (const p of sel) if (this.isInstalledPkg(p)) this.noupdate.add(p); break;
        case JOB.VERIFY:
          if ((job.how & JOB.SELECTMASK) === JOB.ALL) this.fixAll = true;
          for (const p of sel) this.fixmap.add(p);
          break;
        case JOB.ALLOWUNINSTALL:
          if ((job.how & JOB.SELECTMASK) === JOB.ALL) this.allowuninstallAll = true;
          for (const p of sel) this.allowuninstallmap.add(p);
          break;
        case JOB.DISTUPGRADE: {
          const selk = job.how & JOB.SELECTMASK;
          if (job.how & JOB.FORCEBEST) {
            if (selk === JOB.ALL) this.bestupdateAll = true;
            else for (const p of sel) for (const q of this.installedIds()) if (q === p || pool.solvables[q]!.name === pool.solvables[p]!.name) this.bestupdatemap.add(q);
          }
          if (selk === JOB.ALL) {
            this.dupAll = true;
            this.dupinvolvedAll = true;
            this.updateAll = true;
            for (let p = 2; p < pool.solvables.length; p++) if (pool.solvables[p]!.repo && !this.isInstalledPkg(p)) this.dupmap.add(p);
            if (job.how & JOB.CLEANDEPS) for (const q of this.installedIds()) this.cleandepsUpdatePkgs.add(q);
            break;
          }
          let targeted = (job.how & JOB.TARGETED) !== 0;
          if (!targeted && !this.flags.noautotarget) targeted = !sel.some((p) => this.isInstalledPkg(p));
          for (const p of sel) {
            const s = pool.solvables[p]!;
            if (!s.repo) continue;
            if (!targeted && !this.isInstalledPkg(p)) continue;
            this.addToDupMaps(p, targeted, job.how);
          }
          break;
        }
        case JOB.EXCLUDEFROMWEAK: for (const p of sel) this.excludefromweak.add(p); break;
        case JOB.BLACKLIST: for (const p of sel) this.blacklisted.add(p); break;
        default: break;
      }
    }
    if (this.flags.allowuninstall) this.allowuninstallAll = true;
    for (const p of this.dupinvolved) if (this.isInstalledPkg(p)) this.updatemap.add(p);
  }

  private addToDupMaps(p: number, targeted: boolean, how: number): void {
    const pool = this.pool;
    const s = pool.solvables[p]!;
    this.dupinvolved.add(p);
    if (how & JOB.CLEANDEPS) {
      for (const q of pool.whatProvides(s.name)) if (pool.solvables[q]!.name === s.name && this.isInstalledPkg(q)) this.cleandepsUpdatePkgs.add(q);
    }
    if (targeted) this.dupmap.add(p);
    for (const q of pool.whatProvides(s.name)) {
      const qs = pool.solvables[q]!;
      if (qs.name !== s.name) continue;
      this.dupinvolved.add(q);
      if (targeted && this.isInstalledPkg(q)) {
        for (let o = 2; o < pool.solvables.length; o++) {
          const os = pool.solvables[o]!;
          if (!os.obsoletes.length || !os.repo || this.isInstalledPkg(o) || os.name === qs.name) continue;
          if (this.isObsoleting(o, q)) this.dupinvolved.add(o);
        }
      }
      if (!targeted && !this.isInstalledPkg(q)) this.dupmap.add(q);
    }
    if (this.isInstalledPkg(p)) {
      for (let q = 2; q < pool.solvables.length; q++) {
        const qs = pool.solvables[q]!;
        if (!qs.obsoletes.length || this.isInstalledPkg(q) || !qs.repo || qs.name === s.name) continue;
        if (!this.isObsoleting(q, p)) continue;
        this.dupinvolved.add(q);
        if (!targeted) this.dupmap.add(q);
      }
    } else if (targeted) {
      for (const obs of s.obsoletes) for (const q of pool.whatProvides(obs)) {
        if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(pool.solvables[q]!, obs)) continue;
        this.dupinvolved.add(q);
      }
    }
  }

  private addWeakPkgRules(ctx: PkgRuleContext): void {
    const pool = this.pool;
    for (let again = true; again;) {
      again = false;
      for (let p = 2; p < pool.solvables.length; p++) {
        if (ctx.added[p]) continue;
        const s = pool.solvables[p]!;
        if (!s.repo) continue;
        if (s.repo !== pool.installed && !pool.installable(s)) continue;
        const possible = (d: number) => this.depProviders(d).some((x) => ctx.added[x]);
        if (s.supplements.some(possible) || s.enhances.some(possible)) {
          addPkgRulesFor(ctx, p);
          again = true;
        }
      }
    }
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

  private obsIndex: Map<number, number[]> | null = null;

  /** Installable, not installed packages with another name that obsolete installed package n (highest id first). */
  obsoletersOf(n: number): number[] {
    if (!this.obsIndex) {
      const pool = this.pool;
      const idx = new Map<number, number[]>();
      for (let p = pool.solvables.length - 1; p >= 2; p--) {
        const ps = pool.solvables[p]!;
        if (!ps.obsoletes.length || !ps.repo || ps.repo === pool.installed || !pool.installable(ps)) continue;
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

  private setPropagateLearn(level: number, decision: number, disablerules: boolean, why: number): number {
    const sat = this.sat;
    if (decision) {
      level++;
      sat.decide(decision, level, 0);
      this.decisionRule.set(Math.abs(decision), why);
    }
    for (;;) {
      const c = sat.propagate(level);
      if (!c) break;
      if (level === 1) return this.analyzeUnsolvable(c, disablerules);
      const [nl, lr] = sat.analyze(level, c);
      level = nl;
      this.branches = this.branches.filter((b) => b.level < level);
      sat.decide(this.rules.rules[lr]!.lits[0]!, level, lr);
    }
    return level;
  }

  decisionRule = new Map<number, number>();
  /** The current Sat must not be reset in place (it holds the main result while problems are refined). */
  private satShared = false;

  private analyzeUnsolvable(conflict: number, disablerules: boolean): number {
    const proof = this.sat.expandLearnt(this.sat.proof(conflict));
    const rs = this.rules.rules;
    const weak = proof.filter((r) => this.weakrules.has(r));
    if (weak.length) {
      let last = weak.reduce((a, b) => (a > b ? a : b), 0);
      const isRec = (r: number) => rs[r]!.info.type === RuleInfo.PKG_RECOMMENDS && r < this.pkgRulesEnd;
      if (isRec(last) || weak.some(isRec)) {
        const recs = weak.filter(isRec);
        if (recs.length && (isRec(last) || last < this.pkgRulesEnd)) {
          for (const r of recs) rs[r]!.disabled = true;
          this.resetSat();
          return 0;
        }
      }
      if (rs[last]!.cls === RuleClass.CHOICE) this.disableRelatedChoiceRules(last);
      else this.fixProblem(this.toProblemId(last));
      void last;
      last = 0;
      this.resetSat();
      return 0;
    }
    const elements: number[] = [];
    for (const r of proof) {
      if (r < this.pkgRulesEnd || rs[r]!.cls === RuleClass.LEARNT) continue;
      const v = this.toProblemId(r);
      if (!elements.includes(v)) elements.push(v);
    }
    if (this.allowuninstallAll || this.allowuninstallmap.size) {
      if (this.autoUninstall(elements)) {
        this.resetSat();
        return 0;
      }
    }
    this.problems.push({ proof, rules: elements });
    if (disablerules && elements.length) {
      for (const v of elements) this.disableProblem(v);
      this.resetSat();
      return 0;
    }
    return -1;
  }

  private autoUninstall(elements: number[]): boolean {
    const rs = this.rules.rules;
    let lastfeature = 0;
    let lastupdate = 0;
    for (const v of elements) {
      if (v <= 0 || rs[v]!.cls !== RuleClass.UPDATE) continue;
      const p = rs[v]!.info.from!;
      if (!this.allowuninstallAll && !this.allowuninstallmap.has(p)) continue;
      if (!this.pool.isConsidered(p)) continue;
      if (elements.some((x) => x > 0 && rs[x]!.cls === RuleClass.BEST && rs[x]!.info.from === p)) continue;
      const fr = rs[this.featureRules.get(p)!]!;
      if (!fr.lits.length) {
        if (v > lastfeature) lastfeature = v;
        if (this.flags.keeporphans && rs[v]!.lits.length === 1 && rs[v]!.lits[0] === p) {
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
    this.disableProblem(v);
    return true;
  }

  /** Normalise a rule id to its problem element: jobs become -(job index + 1), dup/infarch rules the first of their name. */
  toProblemId(rid: number): number {
    const rs = this.rules.rules;
    const r = rs[rid]!;
    if (r.cls === RuleClass.JOB) return -(r.job! + 1);
    if (r.cls === RuleClass.BEST && r.job !== undefined) return -(r.job + 1);
    if (r.cls === RuleClass.INFARCH || r.cls === RuleClass.DISTUPGRADE || r.cls === RuleClass.STRICT_REPO_PRIORITY) {
      const name = this.pool.solvables[r.info.from!]!.name;
      let i = rid;
      while (i > 1 && rs[i - 1]!.cls === r.cls && this.pool.solvables[rs[i - 1]!.info.from!]!.name === name) i--;
      return i;
    }
    return rid;
  }

  private sameGroup(v: number): number[] {
    const rs = this.rules.rules;
    const r = rs[v]!;
    if (r.cls !== RuleClass.INFARCH && r.cls !== RuleClass.DISTUPGRADE && r.cls !== RuleClass.STRICT_REPO_PRIORITY) return [v];
    const name = this.pool.solvables[r.info.from!]!.name;
    const out: number[] = [];
    for (let i = v; i < rs.length && rs[i]!.cls === r.cls && this.pool.solvables[rs[i]!.info.from!]!.name === name; i++) out.push(i);
    return out;
  }

  disableProblem(v: number): void {
    const rs = this.rules.rules;
    if (v > 0) {
      for (const i of this.sameGroup(v)) rs[i]!.disabled = true;
      return;
    }
    const job = -v - 1;
    for (const r of rs) if ((r.cls === RuleClass.JOB || r.cls === RuleClass.BEST) && r.job === job) r.disabled = true;
  }

  enableProblem(v: number): void {
    const rs = this.rules.rules;
    if (v > 0) {
      const r = rs[v]!;
      if (r.cls === RuleClass.FEATURE) {
        const ur = this.updateRules.get(r.info.from!);
        if (ur !== undefined && !rs[ur]!.disabled) return;
      }
      for (const i of this.sameGroup(v)) rs[i]!.disabled = false;
      if (r.cls === RuleClass.UPDATE) {
        const fr = this.featureRules.get(r.info.from!);
        if (fr !== undefined && rs[fr]!.lits.length) rs[fr]!.disabled = true;
      }
      return;
    }
    const job = -v - 1;
    for (const r of rs) if ((r.cls === RuleClass.JOB || r.cls === RuleClass.BEST) && r.job === job) r.disabled = false;
  }

  /** Disable a problem element and re-enable policy rules the disabled job had switched off. */
  fixProblem(v: number): void {
    this.disableProblem(v);
    if (v < 0) this.reenablePolicyRules();
  }

  /** Recompute which update/dup/infarch rules the (still enabled) jobs switch off. */
  reenablePolicyRules(): void {
    for (const r of this.policyDisabled) this.rules.rules[r]!.disabled = false;
    this.policyDisabled.clear();
    this.applyPolicyRules();
  }

  policyDisabled = new Set<number>();

  applyPolicyRules(): void {
    const rs = this.rules.rules;
    const before = rs.map((r) => r.disabled);
    const saveJobs = this.jobs;
    const active = new Set<number>();
    saveJobs.forEach((_, i) => {
      const jr = rs.filter((r) => r.cls === RuleClass.JOB && r.job === i);
      if (!jr.length || jr.some((r) => !r.disabled)) active.add(i);
    });
    this.jobs = saveJobs.filter((_, i) => active.has(i));
    disablePolicyRules(this);
    this.jobs = saveJobs;
    for (const p of this.cleandeps) {
      this.noupdate.add(p);
      const ur = this.updateRules.get(p);
      if (ur !== undefined) rs[ur]!.disabled = true;
      const fr = this.featureRules.get(p);
      if (fr !== undefined) rs[fr]!.disabled = true;
    }
    rs.forEach((r, i) => { if (r.disabled && !before[i]) this.policyDisabled.add(i); });
  }

  /** A choice rule whose original rule is fulfilled by a package the choice rule left out was not needed. */
  private checkUnneededChoiceRules(): boolean {
    const rs = this.rules.rules;
    const dm = this.sat.dm;
    let changed = false;
    for (let i = 1; i < rs.length; i++) {
      const r = rs[i]!;
      if (r.cls !== RuleClass.CHOICE || r.disabled) continue;
      const or = rs[r.info.from!]!;
      if (or.disabled) continue;
      for (const p of or.lits) {
        if (p < 0 || dm[p]! <= 0) continue;
        if (!r.lits.includes(p)) {
          this.disableRelatedChoiceRules(i);
          changed = true;
          break;
        }
      }
    }
    return changed;
  }

  private disableRelatedChoiceRules(rid: number): void {
    const rs = this.rules.rules;
    rs[rid]!.disabled = true;
    const orig = rs[rs[rid]!.info.from!]!;
    const m = new Set(orig.lits.filter((p) => p > 0));
    for (const p of rs[rid]!.lits) if (p > 0) m.delete(p);
    for (const r of rs) {
      if (r.cls !== RuleClass.CHOICE || r.disabled) continue;
      if (rs[r.info.from!]!.lits.some((p) => p > 0 && m.has(p))) r.disabled = true;
    }
  }


  resetSat(): void {
    // drop learnt rules, start from scratch
    const rs = this.rules.rules;
    // learnt rules depend on the rules enabled when they were learnt: retire them
    for (let i = rs.length - 1; i >= 1 && rs[i]!.cls === RuleClass.LEARNT && !rs[i]!.dead; i--) {
      rs[i]!.dead = true;
      rs[i]!.disabled = true;
    }
    if (this.sat && this.sat.nvars === this.pool.solvables.length && !this.satShared) {
      this.sat.reset();
    } else {
      this.sat = new Sat(this.pool.solvables.length, this.rules);
      this.satShared = false;
    }
    this.branches = [];
    this.recIndex = 0;
    this.recommendsmap.clear();
    this.suggestsmap.clear();
  }

  /** Drop candidates that come with an earlier candidate anyway (yumobs groups). */
  private pruneYumobs(dq: number[]): number[] {
    const rs = this.rules.rules;
    const out = dq.slice();
    for (let i = 0; i < out.length - 1; i++) {
      const p = out[i]!;
      if (!p || !this.pool.solvables[p]!.obsoletes.length) continue;
      const m = new Set<number>();
      for (const r of rs) if (r.cls === RuleClass.YUMOBS && r.lits[0] === -p) for (const l of r.lits) if (l > 0) m.add(l);
      if (!m.size) continue;
      for (let j = i + 1; j < out.length; j++) if (m.has(out[j]!)) out[j] = 0;
    }
    return out.filter((p) => p);
  }

  /** Would installing p replace an installed package (that is not being erased)? */
  private replacesInstalled(p: number): boolean {
    const pool = this.pool;
    const s = pool.solvables[p]!;
    if (this.isInstalledPkg(p) && !this.noupdate.has(p)) return true;
    for (const q of pool.whatProvides(s.name)) {
      const qs = pool.solvables[q]!;
      if (qs.name !== s.name || !this.isInstalledPkg(q) || this.noupdate.has(q)) continue;
      if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, qs)) continue;
      return true;
    }
    for (const obs of s.obsoletes) for (const q of pool.whatProvides(obs)) {
      const qs = pool.solvables[q]!;
      if (!this.isInstalledPkg(q) || this.noupdate.has(q)) continue;
      if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(qs, obs)) continue;
      if (pool.flags.obsoleteusescolors && !pool.colormatch(s, qs)) continue;
      return true;
    }
    return false;
  }

  /** Before installed packages are kept: prefer candidates that relate to what will stay installed. */
  private reorderForFutureInstalled(dq: number[]): number[] {
    const pool = this.pool;
    const dm = this.sat.dm;
    const future = (p: number) => dm[p]! > 0 || (dm[p] === 0 && this.isInstalledPkg(p) && !this.noupdate.has(p));
    const rec = new Set<number>();
    const sug = new Set<number>();
    const consider = (p: number) => {
      const s = pool.solvables[p]!;
      for (const d of s.recommends) for (const x of this.depProviders(d)) rec.add(x);
      for (const d of s.suggests) for (const x of this.depProviders(d)) sug.add(x);
    };
    for (const l of this.sat.q) if (l > 0) consider(l);
    for (const p of this.installedIds()) if (dm[p] === 0 && !this.noupdate.has(p)) consider(p);
    const fulfilled = (d: number) => this.depFulfilled(d, future);
    const enhancing = (p: number) => pool.solvables[p]!.enhances.some(fulfilled);
    const supplementing = (p: number) => pool.solvables[p]!.supplements.some(fulfilled);
    const inst = (p: number) => this.isInstalledPkg(p);
    let a = dq.filter((p) => inst(p) || sug.has(p) || enhancing(p));
    let list = [...a, ...dq.filter((p) => !a.includes(p))];
    a = list.filter((p) => inst(p) || rec.has(p) || supplementing(p));
    list = [...a, ...list.filter((p) => !a.includes(p))];
    return preferFavored(this, list);
  }

  private selectAndInstall(level: number, dq: number[], disablerules: boolean, rule: number): number {
    if (dq.length > 1) dq = filterUnwanted(this, dq, PolicyMode.CHOOSE);
    if (dq.length > 1 && this.flags.yumobsoletes) dq = this.pruneYumobs(dq);
    if (dq.length > 1 && this.doExtraReordering) {
      const pr = dq.filter((p) => this.replacesInstalled(p));
      if (pr.length) dq = pr;
      if (dq.length > 1) dq = this.reorderForFutureInstalled(dq);
    }
    if (dq.length > 1) this.branches.push({ cands: dq.slice(), level, tried: new Set([dq[0]!]), rule });
    return this.setPropagateLearn(level, dq[0]!, disablerules, rule);
  }

  private assertions: number[] | null = null;
  private assertionsUpTo = 0;

  private makeRuleDecisions(disablerules: boolean): number {
    const rs = this.rules.rules;
    if (this.sat.dm[SYSTEMSOLVABLE] === 0) this.sat.decide(SYSTEMSOLVABLE, 1, 0);
    if (!this.assertions || this.assertionsUpTo !== rs.length) {
      this.assertions = [];
      for (let i = 1; i < rs.length; i++) if (rs[i]!.lits.length === 1) this.assertions.push(i);
      this.assertionsUpTo = rs.length;
    }
    for (const i of this.assertions) {
      const r = rs[i]!;
      if (r.disabled) continue;
      const l = r.lits[0]!;
      const v = this.sat.litValue(l);
      if (v === 1) continue;
      if (v === -1) return this.analyzeUnsolvable(i, disablerules);
      this.sat.decide(l, 1, i);
    }
    return 1;
  }

  runSat(disablerules: boolean, doweak = !this.flags.ignorerecommended): void {
    let level = 0;
    let systemlevel = 1;
    let guard = 0;
    for (;;) {
      if (++guard > 100000) break;
      if (level <= 0) {
        if (level < 0) break;
        level = this.makeRuleDecisions(disablerules);
        if (level <= 0) { if (level < 0) break; continue; }
        const c = this.sat.propagate(1);
        if (c) { level = this.analyzeUnsolvable(c, disablerules); continue; }
        systemlevel = level + 1;
      }
      const hasInstalled = this.installedIds().length > 0;
      if (level < systemlevel && !this.flags.focusinstalled) {
        this.doExtraReordering = hasInstalled;
        const ol = level;
        level = this.resolveJobRules(level, disablerules);
        this.doExtraReordering = false;
        if (level < ol) continue;
        systemlevel = level + 1;
      }
      if (level < systemlevel && (this.flags.focusnew || this.flags.focusbest) && !this.flags.focusinstalled && hasInstalled) {
        this.doExtraReordering = true;
        const ol = level;
        level = this.resolveDependencies(level, disablerules, true);
        this.doExtraReordering = false;
        if (level < ol) continue;
        systemlevel = level + 1;
      }
      if (level < systemlevel && this.installedIds().length) {
        const ol = level;
        level = this.resolveInstalled(level, disablerules);
        if (level < ol) continue;
        systemlevel = level + 1;
      }
      if (level < systemlevel && this.flags.focusinstalled) {
        const ol = level;
        level = this.resolveJobRules(level, disablerules);
        if (level < ol) continue;
        systemlevel = level + 1;
      }
      if (level < systemlevel) systemlevel = level;
      {
        const ol = level;
        level = this.resolveDependencies(level, disablerules);
        if (level < ol) continue;
      }
      if (this.cleandeps.size) {
        let rerun = false;
        for (const p of this.installedIds()) {
          if (this.sat.dm[p] !== 0 || !this.cleandeps.has(p)) continue;
          const ol = level;
          level = this.setPropagateLearn(level, -p, disablerules, 0);
          if (level < ol) { rerun = true; break; }
        }
        if (rerun) continue;
      }
      if (doweak) {
        const ol = level;
        const [nl, rerun] = this.resolveWeak(level, disablerules);
        level = nl;
        if (rerun || level < ol) continue;
      }
      // keep orphaned packages if possible
      let restarted = false;
      for (const p of this.orphaned) {
        if (this.sat.dm[p]) continue;
        const ol = level;
        level = this.setPropagateLearn(level, p, false, 0);
        if (level <= ol) { restarted = true; break; }
      }
      if (restarted) continue;
      // erase still undecided installed packages
      for (const p of this.installedIds()) {
        if (this.sat.dm[p]) continue;
        const ol = level;
        level = this.setPropagateLearn(level, -p, false, 0);
        if (level < ol) { restarted = true; break; }
      }
      if (restarted) continue;
      if (this.checkUnneededChoiceRules()) {
        this.resetSat();
        level = 0;
        continue;
      }
      if (this.minimize()) { level = this.minLevel; continue; }
      break;
    }
  }

  private minLevel = 0;
  private doExtraReordering = false;

  private minimize(): boolean {
    const dm = this.sat.dm;
    for (let bi = this.branches.length - 1; bi >= 0; bi--) {
      const b = this.branches[bi]!;
      for (const p of b.cands) {
        if (b.tried.has(p)) continue;
        if (dm[p]! > b.level + 1) {
          b.tried.add(p);
          this.branches.length = bi + 1;
          this.sat.revert(b.level);
          this.branches = this.branches.filter((x) => x.level < b.level || x === b);
          this.minLevel = this.setPropagateLearn(b.level, p, true, b.rule);
          return true;
        }
      }
    }
    return false;
  }

  private resolveJobRules(level: number, disablerules: boolean): number {
    const rs = this.rules.rules;
    const dm = this.sat.dm;
    const oldlevel = level;
    for (let i = this.pkgRulesEnd; i < rs.length; i++) {
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
      const job = this.jobs[r.job!]!;
      if (cands.length > 1 && this.pool.installed && !this.updateAll && !this.flags.installalsoupdates && !(job.how & JOB.ORUPDATE)) {
        if (!cands.some((p) => this.isInstalledPkg(p) && this.updatemap.has(p))) {
          const inst = cands.filter((p) => this.isInstalledPkg(p));
          if (inst.length) cands = inst;
        }
      }
      const ol = level;
      level = this.selectAndInstall(level, cands, disablerules, i);
      if (level <= ol) {
        if (level < oldlevel || level <= 0) return level;
        i = this.pkgRulesEnd - 1;
      }
    }
    return level;
  }

  private resolveInstalled(level: number, disablerules: boolean): number {
    const installed = this.installedIds();
    const rs = this.rules.rules;
    const dm = this.sat.dm;
    const origlevel = level;
    const startpass = this.updateAll ? 2 : this.updatemap.size ? 0 : 1;
    for (let pass = startpass; pass < 3;) {
      let needpass2 = false;
      const passlevel = level;
      let trouble = false;
      for (let k = 0; k < installed.length; k++) {
        const i = installed[k]!;
        const special = this.specialUpdaters.get(i);
        if (dm[i]! > 0 && !special) continue;
        if (!pass && this.updatemap.size && !this.updatemap.has(i)) continue;
        const ur = this.updateRules.get(i);
        const fr = this.featureRules.get(i);
        let rid = ur !== undefined && !rs[ur]!.disabled && rs[ur]!.lits.length ? ur : fr;
        if (rid === undefined || !rs[rid]!.lits.length) rid = ur;
        if (rid === undefined || !rs[rid]!.lits.length || rs[rid]!.lits[0] !== i) continue;
        const rr = rs[rid]!;
        if (!this.noupdate.has(i) && (dm[i]! < 0 || this.updateAll || this.updatemap.has(i))) {
          if (pass === 1) { needpass2 = true; continue; }
          if (special) {
            let sq: number[] = [];
            if (dm[i]! >= 0) sq.push(i);
            for (const p of special) if (dm[p]! >= 0) sq.push(p);
            const tg = this.updateTargets.get(i);
            if (tg && sq.length) sq = sq.filter((p) => tg.includes(p));
            if (sq.length) {
              sq = filterUnwanted(this, sq, PolicyMode.CHOOSE);
              const p = sq[0]!;
              if (p !== i && dm[p] === 0) {
                const ol = level;
                level = this.selectAndInstall(level, [p], disablerules, this.featureRules.get(i) ?? rid);
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
          const targets = this.updateTargets.get(i);
          if (!ful && dq.length && targets) dq = dq.filter((p) => targets.includes(p));
          if (!ful && dq.length) {
            const ol = level;
            level = this.selectAndInstall(level, dq, disablerules, rid);
            if (level <= ol) {
              if (level < passlevel) { trouble = true; break; }
              k = -1;
              continue;
            }
          }
        }
        if (dm[i] === 0) {
          if (this.cleandeps.has(i)) continue;
          const ol = level;
          level = this.setPropagateLearn(level, i, disablerules, ur ?? 0);
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

  private resolveDependencies(level: number, disablerules: boolean, focus = false): number {
    const rs = this.rules.rules;
    const dm = this.sat.dm;
    const origlevel = level;
    const focusbest = focus && (this.flags.focusnew || this.flags.focusbest) && this.doExtraReordering;
    let postponed = 0;
    const nrules = () => rs.length;
    for (let i = 1, n = 1; ; i++, n++) {
      if (n >= nrules()) {
        if (postponed <= 0) break;
        i = postponed;
        postponed = -1;
        n = 1;
      }
      if (i >= nrules()) i = 1;
      const r = rs[i]!;
      if (r.disabled || r.lits.length < 2) continue;
      if (focusbest && i >= this.pkgRulesEnd) continue;
      const lits = r.lits;
      const p0 = lits[0]!;
      if (p0 < 0 && dm[-p0]! <= 0) continue;
      if (focusbest && lits.length > 2 && this.pool.installed) {
        if (!(p0 < 0 && !this.isInstalledPkg(-p0)) && !lits.some((p) => p < 0 && dm[-p]! > 0 && !this.isInstalledPkg(-p))) continue;
        if (!this.flags.focusbest && lits.some((p) => p > 1 && this.isInstalledPkg(p))) continue;
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
      if (this.cleandeps.size) {
        const cd = cands.find((p) => this.isInstalledPkg(p) && this.cleandeps.has(p) && !(this.updateAll || this.updatemap.has(p)));
        if (cd !== undefined) cands = [cd];
      }
      if (r.info.type === RuleInfo.PKG_RECOMMENDS && this.favormap) {
        const nf = cands.filter((p) => (this.favormap!.get(p) ?? 0) >= 0);
        if (nf.length) cands = nf;
        if (cands.length < 2) { level = this.selectAndInstall(level, cands, disablerules, i); if (level < origlevel || level <= 0) break; n = 0; continue; }
      }
      if (cands.length > 1 && postponed >= 0) {
        cands = filterUnwanted(this, cands, PolicyMode.CHOOSE_NOREORDER);
        if (cands.length > 1) {
          if (!postponed) postponed = i;
          continue;
        }
      }
      level = this.selectAndInstall(level, cands, disablerules, i);
      if (level < origlevel || level <= 0) break;
      n = 0;
    }
    return level;
  }

  /** Recommends and supplements; returns [level, rerun]. */
  private resolveWeak(level: number, _disablerules: boolean): [number, boolean] {
    const pool = this.pool;
    const dm = this.sat.dm;
    let dq: number[] = [];
    let dqs: number[] = [];
    const dqset = new Set<number>();
    const pushUnique = (p: number) => { if (!dqset.has(p)) { dqset.add(p); dq.push(p); } };
    const favor = (p: number) => this.favormap?.get(p) ?? 0;
    for (let i = 2; i < pool.solvables.length; i++) {
      if (dm[i]! < 0) continue;
      const s = pool.solvables[i]!;
      if (dm[i]! > 0) {
        if (!this.flags.addalreadyrecommended && s.repo === pool.installed) continue;
        for (const rec of s.recommends) {
          if (this.flags.onlynamespacerecommended && !this.isNamespaceDep(rec)) continue;
          const prov = this.depProviders(rec);
          if (isComplexDep(pool, rec)) {
            if (this.depFulfilled(rec, (x) => dm[x]! > 0)) continue;
            for (const x of prov) if (dm[x] === 0) pushUnique(x);
            continue;
          }
          if (prov.some((x) => dm[x]! > 0)) continue;
          for (const x of prov) if (dm[x] === 0) pushUnique(x);
        }
      } else {
        if (!s.supplements.length || !s.repo || !pool.installable(s)) continue;
        if (!this.isSupplementing(i)) continue;
        if (favor(i) < 0) continue;
        if (this.excludefromweak.has(i)) continue;
        dqs.push(i);
      }
    }
    dq = dq.filter((p) => favor(p) >= 0 && !this.excludefromweak.has(p));
    if ((dqs.length || dq.length) && pool.installed) {
      const obsmap = new Set<number>();
      for (const p of this.installedIds()) {
        const s = pool.solvables[p]!;
        if (!s.obsoletes.length || dm[p]! <= 0) continue;
        if (!this.flags.keepexplicitobsoletes && this.multiversion.has(p)) continue;
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
    if (!this.flags.addalreadyrecommended && dqs.length) dqs = dqs.filter((p) => this.isSupplementingNew(p));
    if (dqs.length && this.multiversion.size) {
      dqs = dqs.filter((p) => {
        if (!this.multiversion.has(p)) return true;
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
      this.weakInstalled.add(p);
      return [this.setPropagateLearn(level, p, false, 0), true];
    }
    dq = filterUnwanted(this, dq, PolicyMode.RECOMMEND);
    const dqmap = new Set(dq);
    dqs = dqs.filter((p) => dqmap.has(p));
    if (dqs.length > 1) dqs = filterUnwanted(this, dqs, PolicyMode.SUPPLEMENT);
    const decisioncount = this.sat.q.length;
    for (const p of dqs) {
      if (dm[p]) continue;
      const ol = level;
      this.weakInstalled.add(p);
      level = this.setPropagateLearn(level, p, false, 0);
      if (level <= ol) return [level, true];
    }
    if (this.sat.q.length < decisioncount) return [level, true];
    for (let i = 0; i < decisioncount; i++) {
      const p = this.sat.q[i]!;
      if (p < 0) continue;
      const s = pool.solvables[p]!;
      if (!s.repo || (!this.flags.addalreadyrecommended && s.repo === pool.installed)) continue;
      for (const rec of s.recommends) {
        let cands: number[];
        if (isComplexDep(pool, rec)) {
          if (this.depFulfilled(rec, (x) => dm[x]! > 0)) continue;
          cands = this.depProviders(rec).filter((x) => dm[x] === 0 && dqmap.has(x));
        } else {
          const prov = pool.whatProvides(rec);
          if (prov.some((x) => dm[x]! > 0)) continue;
          cands = prov.filter((x) => dm[x] === 0 && dqmap.has(x));
        }
        if (!cands.length) continue;
        if (cands.length > 1) cands = filterUnwanted(this, cands, PolicyMode.CHOOSE);
        if (cands.length > 1) this.branches.push({ cands: cands.slice(), level, tried: new Set([cands[0]!]), rule: 0, weak: true, from: p, dep: rec });
        const ol = level;
        this.weakInstalled.add(cands[0]!);
        level = this.setPropagateLearn(level, cands[0]!, false, 0);
        if (level <= ol || this.sat.q.length < decisioncount) return [level, true];
      }
    }
    return [level, true];
  }

  /** Namespace dependencies explicitly requested by "install provides namespace:…" jobs. */
  private installSuppDeps: Set<number> | null = null;

  private mentionsInstallSuppDep(d: number): boolean {
    if (!this.installSuppDeps) {
      this.installSuppDeps = new Set();
      for (const j of this.jobs) {
        if ((j.how & (JOB.JOBMASK | JOB.SELECTMASK)) !== (JOB.INSTALL | JOB.PROVIDES) || !isRel(j.what)) continue;
        const r = this.pool.getRel(j.what);
        if (r.flags === 19) { this.installSuppDeps.add(j.what); this.installSuppDeps.add(r.name); }
      }
    }
    if (!this.installSuppDeps.size || !isRel(d)) return false;
    const r = this.pool.getRel(d);
    if (r.flags === 19) return this.installSuppDeps.has(d) || this.installSuppDeps.has(r.name);
    if (r.flags >= 16) return this.mentionsInstallSuppDep(r.name) || this.mentionsInstallSuppDep(r.evr);
    return false;
  }

  private isNamespaceDep(d: number): boolean {
    const pool = this.pool;
    if (!isRel(d)) return false;
    const r = pool.getRel(d);
    if (r.flags === 19) return true;
    return this.isNamespaceDep(r.name) || this.isNamespaceDep(r.evr);
  }

  /** Supplementing only through packages that are newly installed (not already installed ones). */
  private isSupplementingNew(p: number): boolean {
    const dm = this.sat.dm;
    const s = this.pool.solvables[p]!;
    if (s.supplements.some((d) => this.depFulfilled(d, (x) => dm[x]! > 0) && this.mentionsInstallSuppDep(d))) return true;
    return s.supplements.some((d) => this.depFulfilled(d, (x) => dm[x]! > 0) && this.depProviders(d).some((x) => x !== SYSTEMSOLVABLE && dm[x]! > 0 && !this.isInstalledPkg(x)));
  }

  /** Packages recommended by the result that are not installed (solver_get_recommendations). */
  recommendedList(): number[] {
    return this.weakList((s) => s.recommends, (s) => s.supplements);
  }

  suggestedList(): number[] {
    return this.weakList((s) => s.suggests, (s) => s.enhances);
  }

  private weakList(fwd: (s: import('./pool.js').Solvable) => number[], rev: (s: import('./pool.js').Solvable) => number[]): number[] {
    const pool = this.pool;
    const dm = this.sat.dm;
    const obsmap = new Set<number>();
    for (const p of this.installedIds()) {
      const s = pool.solvables[p]!;
      if (dm[p]! <= 0 || this.multiversion.has(p)) continue;
      for (const o of s.obsoletes) for (const x of pool.whatProvides(o)) obsmap.add(x);
    }
    const map = new Set<number>();
    if (fwd === ((x: import('./pool.js').Solvable) => x.recommends) || true) {
      for (const p of this.weakInstalled) if (dm[p]! > 0 && fwd(pool.solvables[p]!) === pool.solvables[p]!.recommends) map.add(p);
    }
    for (const p of this.sat.q) {
      if (p <= 0) continue;
      for (const d of fwd(pool.solvables[p]!)) {
        const prov = this.depProviders(d);
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
        if (!rev(s).some((d) => this.depFulfilled(d, (x) => dm[x]! > 0))) continue;
      }
      out.push(i);
    }
    return out.length > 1 ? filterUnwanted(this, out, PolicyMode.SUGGEST) : out;
  }

  /** Installed packages erased because of cleandeps (solver_get_cleandeps). */
  cleandepsList(): number[] {
    const dm = this.sat.dm;
    const rs = this.rules.rules;
    return this.installedIds().filter((p) => {
      if (!this.cleandeps.has(p) || dm[p]! >= 0) return false;
      const ur = rs[this.updateRules.get(p)!];
      return !(ur && ur.lits.length && ur.lits.some((x) => dm[x]! > 0));
    });
  }

  /** libsolv's "alternatives" result lines: every open choice point with its candidates. */
  alternativeLines(): string[] {
    const out: string[] = [];
    const pool = this.pool;
    const dm = this.sat.dm;
    for (const b of this.branches) {
      let text: string;
      let id: string;
      if (b.weak) {
        text = `${solvid2str(pool, b.from!)} recommends ${pool.dep2str(b.dep!)}`;
        id = md5hex([solvid2str(pool, b.from!), dep2str(pool, b.dep!)]).slice(0, 8);
      } else {
        let rid = b.rule;
        const r = this.rules.rules[rid]!;
        if (r.cls === RuleClass.CHOICE) rid = r.info.from!;
        const rr = this.rules.rules[rid]!;
        if (rr.cls === RuleClass.JOB) {
          const job = this.jobs[rr.job!]!;
          text = (job.how & JOB.SELECTMASK) === JOB.PROVIDES ? `job for ${pool.dep2str(job.what)}` : `job for ${job2str(pool, this.lists, job)}`;
        } else if (rr.info.type === RuleInfo.PKG_REQUIRES) text = `${solvid2str(pool, rr.info.from!)} requires ${pool.dep2str(rr.info.dep!)}`;
        else if (rr.info.type === RuleInfo.PKG_RECOMMENDS) text = `${solvid2str(pool, rr.info.from!)} recommends ${pool.dep2str(rr.info.dep!)}`;
        else text = `Rule #${rid}`;
        id = md5hex([ruleIdString(this, b.rule)]).slice(0, 8);
      }
      const chosen = b.cands.find((p) => dm[p]! > 0) ?? 0;
      out.push(`alternative ${id}  0 ${text}`);
      b.cands.forEach((p, i) => {
        const num = String(i + 1).padStart(2, ' ');
        const mark = p === chosen ? '+ ' : b.tried.has(p) ? '- ' : '  ';
        out.push(`alternative ${id} ${num} ${mark}${solvid2str(pool, p)}`);
      });
    }
    return out;
  }

  /** Packages that are installed after solving. */
  installedSet(): number[] {
    const out: number[] = [];
    const dm = this.sat.dm;
    for (let p = 2; p < dm.length; p++) if (dm[p]! > 0) out.push(p);
    return out;
  }
}
