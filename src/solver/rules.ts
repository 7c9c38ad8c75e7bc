/**
 * Solver rules (clauses over package literals: +p install, -p do not install) and the
 * package-rule generator: requires, conflicts, obsoletes, same-name implicit obsoletes and
 * rich/complex dependencies converted to CNF.
 *
 *   const rs = new RuleSet();
 *   rs.add(RuleClass.PKG, [-a, b, c], { type: RuleInfo.PKG_REQUIRES, from: a, dep })
 */
import { Pool, REL, isRel, SYSTEMSOLVABLE } from './pool.js';

/** Rule classes in libsolv's order (rules are stored grouped by class). */
export enum RuleClass {
  PKG = 'pkg', FEATURE = 'feature', UPDATE = 'update', JOB = 'job', INFARCH = 'infarch', DISTUPGRADE = 'distupgrade',
  BEST = 'best', YUMOBS = 'yumobs', BLACK = 'black', RECOMMENDS = 'recommends', STRICT_REPO_PRIORITY = 'strictrepoprio',
  CHOICE = 'choice', LEARNT = 'learnt',
}

/** Why a rule exists (drives problem texts). */
export enum RuleInfo {
  UNKNOWN, PKG_NOT_INSTALLABLE, PKG_NOTHING_PROVIDES_DEP, PKG_REQUIRES, PKG_SELF_CONFLICT, PKG_CONFLICTS, PKG_SAME_NAME,
  PKG_OBSOLETES, PKG_IMPLICIT_OBSOLETES, PKG_INSTALLED_OBSOLETES, PKG_RECOMMENDS, PKG_CONSTRAINS, PKG_SUPPLEMENTS,
  UPDATE, FEATURE, JOB, JOB_NOTHING_PROVIDES_DEP, JOB_PROVIDED_BY_SYSTEM, JOB_UNKNOWN_PACKAGE, JOB_UNSUPPORTED,
  DISTUPGRADE, INFARCH, CHOICE, LEARNT, BEST, YUMOBS, BLACK, RECOMMENDS, STRICT_REPO_PRIORITY,
}

export interface RuleMeta { type: RuleInfo; from?: number; to?: number; dep?: number }

export interface Rule {
  /** Literals; lits[0] is libsolv's "p". */
  lits: number[];
  cls: RuleClass;
  info: RuleMeta;
  disabled: boolean;
  /** Index into the job list for job rules. */
  job?: number;
  /** For learnt rules: the rules it was derived from. */
  why?: number[];
  /** A learnt rule of an earlier run: never used again. */
  dead?: boolean;
  /** All reasons a (de-duplicated) package rule exists. */
  infos?: RuleMeta[] | undefined;
  /** Index of the rule's flag in its RuleSet's `dis` array. */
  readonly slot: number;
}

/** Rules are instances of one class (one hidden class keeps propagation monomorphic). */
class RuleImpl implements Rule {
  why: number[] | undefined = undefined;
  dead = false;
  infos: RuleMeta[] | undefined = undefined;
  constructor(private readonly set: RuleSet, readonly slot: number, public lits: number[], public cls: RuleClass, public info: RuleMeta, public job: number | undefined) {}
  /** Stored in the rule set's flag array, so the SAT core can test it without loading the rule. */
  get disabled(): boolean {
    return this.set.dis[this.slot] === 1;
  }
  set disabled(v: boolean) {
    this.set.dis[this.slot] = v ? 1 : 0;
  }
}

export class RuleSet {
  /** Disabled flags by rule slot (a rule keeps its slot when unifyPkgRules reorders rules). */
  dis = new Uint8Array(1024);
  private nslots = 0;
  rules: Rule[] = [this.make(RuleClass.PKG, [], { type: RuleInfo.UNKNOWN }, undefined, true)];

  private make(cls: RuleClass, lits: number[], info: RuleMeta, job: number | undefined, disabled: boolean): Rule {
    const slot = this.nslots++;
    if (slot >= this.dis.length) {
      const d = new Uint8Array(this.dis.length * 2);
      d.set(this.dis);
      this.dis = d;
    }
    const r = new RuleImpl(this, slot, lits, cls, info, job);
    r.disabled = disabled;
    return r;
  }

  add(cls: RuleClass, lits: number[], info: RuleMeta, job?: number): number {
    this.rules.push(this.make(cls, lits, info, job, false));
    return this.rules.length - 1;
  }
}

/** A CNF: list of clauses, each a list of literals. `null` clause list entries never appear. */
type Cnf = number[][];

/** Is the dependency a boolean (complex) dependency? */
export function isComplexDep(pool: Pool, dep: number): boolean {
  if (!isRel(dep)) return false;
  const f = pool.getRel(dep).flags;
  return f === REL.AND || f === REL.OR || f === REL.COND || f === REL.UNLESS || f === REL.ELSE;
}

function orCnf(a: Cnf, b: Cnf): Cnf {
  const out: Cnf = [];
  for (const x of a) for (const y of b) out.push(uniq([...x, ...y]));
  return out.filter((c) => !c.some((l) => c.includes(-l)));
}

function uniq(l: number[]): number[] {
  return [...new Set(l)];
}

/** CNF of "dep is fulfilled" (neg=false) or "dep is not fulfilled" (neg=true). */
export function depCnf(pool: Pool, dep: number, neg: boolean): Cnf {
  if (isRel(dep)) {
    const r = pool.getRel(dep);
    switch (r.flags) {
      case REL.AND:
        return neg ? orCnf(depCnf(pool, r.name, true), depCnf(pool, r.evr, true)) : [...depCnf(pool, r.name, false), ...depCnf(pool, r.evr, false)];
      case REL.OR:
        return neg ? [...depCnf(pool, r.name, true), ...depCnf(pool, r.evr, true)] : orCnf(depCnf(pool, r.name, false), depCnf(pool, r.evr, false));
      case REL.COND:
      case REL.UNLESS: {
        // A if B [else C]  ==  (A | !B) & (C | B);  A unless B [else C] == (A | B) & (C | !B)
        let a = r.name;
        let c = 0;
        if (isRel(r.evr) && pool.getRel(r.evr).flags === REL.ELSE) {
          const e = pool.getRel(r.evr);
          c = e.evr;
          const b = e.name;
          return condCnf(pool, a, b, c, r.flags === REL.UNLESS, neg);
        }
        return condCnf(pool, a, r.evr, c, r.flags === REL.UNLESS, neg);
      }
      default:
        break;
    }
  }
  const providers = pool.whatProvides(dep);
  if (!neg) return [providers.slice()];
  return providers.map((p) => [-p]);
}

function condCnf(pool: Pool, a: number, b: number, c: number, unless: boolean, neg: boolean): Cnf {
  // positive form: unless ? (A | B) & (C | !B) : (A | !B) & (C | B)
  const A = (n: boolean) => depCnf(pool, a, n);
  const B = (n: boolean) => depCnf(pool, b, n);
  const C = (n: boolean) => depCnf(pool, c, n);
  if (!neg) {
    const first = orCnf(A(false), B(!unless));
    if (!c) return first;
    return [...first, ...orCnf(C(false), B(unless))];
  }
  // negation: unless ? (!A & !B) | (!C & B) : (!A & B) | (!C & !B)
  const left = [...A(true), ...B(unless)];
  if (!c) return left;
  const right = [...C(true), ...B(!unless)];
  return orCnf(left, right);
}

/** Package-rule generator state. */
export interface PkgRuleContext {
  pool: Pool;
  rules: RuleSet;
  /** Installed packages whose broken deps are not repaired. */
  dontfix: (p: number) => boolean;
  multiversion: Set<number>;
  keepexplicitobsoletes: boolean;
  strongrecommends: boolean;
  /** Packages whose rules were added. */
  added: Uint8Array;
}

function addPkgRule(ctx: PkgRuleContext, lits: number[], info: RuleMeta): void {
  ctx.rules.add(RuleClass.PKG, lits, info);
}

/** Add package rules for `start` and everything reachable from it. */
export function addPkgRulesFor(ctx: PkgRuleContext, start: number): void {
  const { pool } = ctx;
  const installed = pool.installed;
  const work = [start];
  const pushWork = (p: number) => { if (!ctx.added[p]) work.push(p); };
  while (work.length) {
    const n = work.shift()!;
    if (ctx.added[n]) continue;
    ctx.added[n] = 1;
    const s = pool.solvables[n]!;
    const isinstalled = !!installed && s.repo === installed;
    const dontfix = isinstalled && ctx.dontfix(n);
    const archName = pool.strs[s.arch];
    const isSrc = archName === 'src' || archName === 'nosrc';
    if (!dontfix && (isSrc ? !pool.isConsidered(n) : !pool.installable(s))) {
      addPkgRule(ctx, [-n], { type: RuleInfo.PKG_NOT_INSTALLABLE, from: n });
    }
    for (const req of s.requires) {
      if (isComplexDep(pool, req)) {
        addComplexRules(ctx, n, req, RuleInfo.PKG_REQUIRES, dontfix, pushWork);
        continue;
      }
      const dp = pool.whatProvides(req);
      if (dp[0] === SYSTEMSOLVABLE) continue;
      if (dontfix && !dp.some((p) => pool.solvables[p]!.repo === installed)) continue;
      if (!dp.length) {
        addPkgRule(ctx, [-n], { type: RuleInfo.PKG_NOTHING_PROVIDES_DEP, from: n, dep: req });
        continue;
      }
      if (dp.includes(n)) continue;
      addPkgRule(ctx, [-n, ...dp], { type: RuleInfo.PKG_REQUIRES, from: n, dep: req });
      for (const p of dp) pushWork(p);
    }
    if (ctx.strongrecommends) {
      for (const req of s.recommends) {
        if (isComplexDep(pool, req)) continue;
        const dp = pool.whatProvides(req);
        if (!dp.length || dp[0] === SYSTEMSOLVABLE || dp.includes(n)) continue;
        ctx.rules.add(RuleClass.PKG, [-n, ...dp], { type: RuleInfo.PKG_RECOMMENDS, from: n, dep: req });
        for (const p of dp) pushWork(p);
      }
    }
    if (isSrc) continue;
    for (const con of s.conflicts) {
      if (isComplexDep(pool, con)) {
        addComplexRules(ctx, n, con, RuleInfo.PKG_CONFLICTS, dontfix, pushWork);
        continue;
      }
      for (const p of pool.whatProvides(con)) {
        if (dontfix && pool.solvables[p]!.repo === installed) continue;
        if (p === n) {
          if (!pool.flags.forbidselfconflicts) continue;
          addPkgRule(ctx, [-n], { type: RuleInfo.PKG_SELF_CONFLICT, from: n, dep: con });
          continue;
        }
        addPkgRule(ctx, p === SYSTEMSOLVABLE ? [-n] : [-n, -p], { type: RuleInfo.PKG_CONFLICTS, from: n, to: p, dep: con });
      }
    }
    if (!isinstalled || !pool.flags.noinstalledobsoletes) {
      const multi = ctx.multiversion.has(n);
      if (s.obsoletes.length && (!multi || ctx.keepexplicitobsoletes)) {
        for (const obs of s.obsoletes) {
          for (const p of pool.whatProvides(obs)) {
            const ps = pool.solvables[p]!;
            if (p === n) continue;
            if (isinstalled && dontfix && ps.repo === installed) continue;
            if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(ps, obs)) continue;
            if (pool.flags.obsoleteusescolors && !pool.colormatch(s, ps)) continue;
            addPkgRule(ctx, [-n, -p], { type: isinstalled ? RuleInfo.PKG_INSTALLED_OBSOLETES : RuleInfo.PKG_OBSOLETES, from: n, to: p, dep: obs });
          }
        }
      }
      if (!isinstalled || !dontfix) {
        for (const p of pool.whatProvides(s.name)) {
          const ps = pool.solvables[p]!;
          if (p === n) continue;
          if (isinstalled && ps.repo !== installed) continue;
          if (multi && (s.name !== ps.name || s.evr !== ps.evr || s.arch !== ps.arch)) {
            if (isinstalled || ps.repo !== installed) continue;
            if (ctx.multiversion.has(p)) continue;
          }
          if (!pool.flags.implicitobsoleteusesprovides && s.name !== ps.name) continue;
          if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, ps)) continue;
          if (s.name === ps.name) {
            addPkgRule(ctx, [-n, -p], { type: RuleInfo.PKG_SAME_NAME, from: n, to: p });
          } else {
            addPkgRule(ctx, [-n, -p], { type: RuleInfo.PKG_IMPLICIT_OBSOLETES, from: n, to: p, dep: s.name });
          }
        }
      }
    }
    if (pool.flags.implicitobsoleteusescolors && pool.arch2score(s.arch) > 1) {
      const a = pool.arch2score(s.arch);
      for (const p of pool.whatProvides(s.name)) {
        const ps = pool.solvables[p]!;
        if (s.name !== ps.name || s.evr !== ps.evr || ctx.added[p]) continue;
        const pa = pool.arch2score(ps.arch);
        if (!pa || pa === 1 || pa >= a) continue;
        work.push(p);
      }
    }
    for (const rec of [...s.recommends, ...s.suggests]) {
      if (isComplexDep(pool, rec)) {
        for (const c of depCnf(pool, rec, false)) for (const l of c) if (l > 0) pushWork(l);
        continue;
      }
      for (const p of pool.whatProvides(rec)) pushWork(p);
    }
  }
}

function addComplexRules(ctx: PkgRuleContext, n: number, dep: number, type: RuleInfo, dontfix: boolean, pushWork: (p: number) => void): void {
  const { pool } = ctx;
  const cnf = depCnf(pool, dep, type === RuleInfo.PKG_CONFLICTS);
  for (const clause of cnf) {
    if (clause.includes(n) || clause.includes(SYSTEMSOLVABLE)) continue;
    const lits = uniq(clause.filter((l) => l !== -SYSTEMSOLVABLE));
    if (lits.includes(-n)) {
      // conflict with itself inside a complex dep: ignore like libsolv does for self conflicts
      continue;
    }
    // installed package: only enforce what the installed system satisfies today
    if (dontfix && type === RuleInfo.PKG_REQUIRES && !lits.some((l) => (l > 0) === (pool.solvables[Math.abs(l)]!.repo === pool.installed))) continue;
    if (dontfix && type === RuleInfo.PKG_CONFLICTS && lits.some((l) => l < 0 && pool.solvables[-l]!.repo === pool.installed)) continue;
    if (!lits.length) {
      addPkgRule(ctx, [-n], { type: type === RuleInfo.PKG_REQUIRES ? RuleInfo.PKG_NOTHING_PROVIDES_DEP : type, from: n, dep });
      continue;
    }
    const to = type === RuleInfo.PKG_CONFLICTS ? lits.find((l) => l < 0) : undefined;
    addPkgRule(ctx, [-n, ...lits], { type, from: n, dep, ...(to !== undefined ? { to: -to } : {}) });
    for (const l of lits) if (l > 0) pushWork(l);
  }
}

/** libsolv's choice among the reasons of a package rule: same-name first, else the lowest type. */
function pickRuleInfo(r: Rule): RuleMeta {
  const order = (m: RuleMeta) => {
    const i = r.lits.indexOf(-(m.from ?? 0));
    return i < 0 ? r.lits.length : i;
  };
  const infos = r.infos!.map((m, i) => ({ m, i })).sort((a, b) => order(a.m) - order(b.m) || a.i - b.i).map((x) => x.m);
  let best: RuleMeta | null = null;
  for (const m of infos) {
    if (!best || m.type === RuleInfo.PKG_SAME_NAME || best.type > m.type) {
      best = m;
      if (m.type === RuleInfo.PKG_SAME_NAME) break;
    }
  }
  return best ?? r.info;
}

/** Compare rules the way libsolv sorts them before removing duplicates. */
export function ruleCmp(a: number[], b: number[]): number {
  const pa = a[0]!;
  const pb = b[0]!;
  if (pa !== pb) return pa - pb;
  for (let i = 1; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Normalise, sort and de-duplicate package rules (libsolv's unifyrules). */
export function unifyPkgRules(rs: RuleSet, from: number): void {
  const pkg = rs.rules.slice(from);
  for (const r of pkg) {
    if (r.lits.length === 2 && r.lits[0]! > r.lits[1]!) r.lits = [r.lits[1]!, r.lits[0]!];
  }
  const kept: Rule[] = [];
  const filtered = pkg.filter((r) => {
    const l = r.lits;
    // self-fulfilling rules
    for (let i = 1; i < l.length; i++) if (l[i] === -l[0]!) return false;
    return true;
  });
  filtered.sort((x, y) => ruleCmp(x.lits, y.lits));
  for (const r of filtered) {
    const last = kept[kept.length - 1];
    if (last && ruleCmp(last.lits, r.lits) === 0) {
      (last.infos ??= [last.info]).push(r.info);
      continue;
    }
    kept.push(r);
  }
  rs.rules.length = from;
  for (const r of kept) {
    if (r.infos) r.info = pickRuleInfo(r);
    if (r.info.type === RuleInfo.PKG_SAME_NAME && r.lits.length === 2) r.info = { ...r.info, from: -r.lits[0]!, to: -r.lits[1]! };
    rs.rules.push(r);
  }
}
