/**
 * CDCL core over the solver's rules: decisions with levels, two-watched-literal unit
 * propagation, first-UIP conflict learning with backjumping, and the proof trail needed to
 * explain unsolvable problems. The decision *order* is driven from outside (solver.ts), which
 * is what gives libsolv's choice semantics.
 *
 *   const sat = new Sat(nvars, rules);
 *   sat.decide(+3, 1, 0); const conflict = sat.propagate(1);
 */
import { RuleClass, RuleInfo, type Rule, type RuleSet } from './rules.js';

export class Sat {
  /** >0: installed at that level, <0: not installed at -level, 0: undecided. */
  dm: Int32Array;
  /** Decided literals in order, the rule that implied each (0 = free decision). */
  q: number[] = [];
  why: number[] = [];
  private watches: number[][];
  /** The two watched literals of every rule (values, not positions). */
  private w1: Int32Array;
  private w2: Int32Array;
  /** Rule literals packed for propagation: rule i is flat[fs[i]] .. flat[fs[i + 1] - 1] (i < flatN). */
  private flat = new Int32Array(0);
  private fs = new Int32Array(2);
  private flatN = 1;
  /** Rule index -> slot of its disabled flag in rs.dis. */
  private slotOf = new Int32Array(2);
  private propIndex = 0;

  constructor(readonly nvars: number, readonly rs: RuleSet) {
    this.dm = new Int32Array(nvars);
    this.watches = Array.from({ length: nvars * 2 }, () => []);
    this.w1 = new Int32Array(0);
    this.w2 = new Int32Array(0);
    this.rebuildWatches();
  }

  private wi(lit: number): number {
    return lit > 0 ? lit * 2 : -lit * 2 + 1;
  }

  /** (Re)create watches for all enabled rules with >= 2 literals. */
  rebuildWatches(): void {
    for (const w of this.watches) w.length = 0;
    const n = this.rs.rules.length;
    this.w1 = new Int32Array(n + 64);
    this.w2 = new Int32Array(n + 64);
    this.flatN = 1;
    this.fs[1] = 0;
    this.pack(n);
    for (let i = 1; i < n; i++) this.watchRule(i);
  }

  /** Pack the literals of rules up to n - 1 (rule literals never change once solving starts). */
  private pack(n: number): void {
    if (n <= this.flatN) return;
    const rules = this.rs.rules;
    let len = this.fs[this.flatN]!;
    let need = len;
    for (let i = this.flatN; i < n; i++) need += rules[i]!.lits.length;
    if (need > this.flat.length) {
      const f = new Int32Array(Math.max(need, this.flat.length * 2) + 256);
      f.set(this.flat.subarray(0, len));
      this.flat = f;
    }
    if (n + 1 > this.fs.length) {
      const f = new Int32Array(Math.max(n + 1, this.fs.length * 2) + 64);
      f.set(this.fs);
      this.fs = f;
      const o = new Int32Array(f.length);
      o.set(this.slotOf);
      this.slotOf = o;
    }
    const flat = this.flat;
    for (let i = this.flatN; i < n; i++) {
      const lits = rules[i]!.lits;
      for (let k = 0; k < lits.length; k++) flat[len++] = lits[k]!;
      this.fs[i + 1] = len;
      this.slotOf[i] = rules[i]!.slot;
    }
    this.flatN = n;
  }

  watchRule(i: number): void {
    const r = this.rs.rules[i]!;
    if (i >= this.w1.length) {
      const a = new Int32Array(i * 2 + 64);
      a.set(this.w1);
      this.w1 = a;
      const b = new Int32Array(i * 2 + 64);
      b.set(this.w2);
      this.w2 = b;
    }
    this.pack(i + 1);
    if (r.dead || r.lits.length < 2) return;
    // watch two literals that are not false if possible
    const lits = r.lits;
    let a = -1;
    let b = -1;
    for (let k = 0; k < lits.length && b < 0; k++) {
      if (this.litValue(lits[k]!) >= 0) {
        if (a < 0) a = k;
        else b = k;
      }
    }
    if (a < 0) a = 0;
    if (b < 0) b = a === 0 ? 1 : 0;
    this.w1[i] = lits[a]!;
    this.w2[i] = lits[b]!;
    // entries are (rule, blocker) pairs: the blocker is another literal of the rule; when it is
    // true the rule is satisfied and propagation skips it without touching the rule object
    this.watches[this.wi(lits[a]!)]!.push(i, lits[b]!);
    this.watches[this.wi(lits[b]!)]!.push(i, lits[a]!);
  }

  /** 1 true, -1 false, 0 undecided. */
  litValue(lit: number): number {
    const v = this.dm[lit > 0 ? lit : -lit]!;
    if (v === 0) return 0;
    return (v > 0) === (lit > 0) ? 1 : -1;
  }

  level(lit: number): number {
    const v = this.dm[lit > 0 ? lit : -lit]!;
    return v > 0 ? v : -v;
  }

  decide(lit: number, level: number, why: number): void {
    this.dm[lit > 0 ? lit : -lit] = lit > 0 ? level : -level;
    this.q.push(lit);
    this.why.push(why);
  }

  /** Unit propagation; returns the id of a conflicting rule or 0. */
  propagate(level: number): number {
    const rules = this.rs.rules;
    const dm = this.dm;
    const w1 = this.w1;
    const w2 = this.w2;
    const dis = this.rs.dis;
    const slotOf = this.slotOf;
    while (this.propIndex < this.q.length) {
      const lit = this.q[this.propIndex++]!;
      const falseLit = -lit;
      const wl = this.watches[this.wi(falseLit)]!;
      const n = wl.length;
      let j = 0;
      for (let k = 0; k < n; k += 2) {
        const ri = wl[k]!;
        const blk = wl[k + 1]!;
        const bdv = dm[blk > 0 ? blk : -blk]!;
        if (bdv !== 0 && (bdv > 0) === (blk > 0)) { wl[j++] = ri; wl[j++] = blk; continue; }
        // which watch is the false literal? (stale entries watch neither)
        let first = true;
        let ol = w2[ri]!;
        if (w1[ri] !== falseLit) {
          if (ol !== falseLit) { wl[j++] = ri; wl[j++] = blk; continue; }
          ol = w1[ri]!;
          first = false;
        }
        const odv = dm[ol > 0 ? ol : -ol]!;
        const ov = odv === 0 ? 0 : (odv > 0) === (ol > 0) ? 1 : -1;
        if (ov === 1) { wl[j++] = ri; wl[j++] = ol; continue; }
        // look for a new literal to watch (in the packed literals: the rule object is only
        // needed when the rule became unit or conflicting; moving a watch of a disabled rule
        // is harmless, it never propagates)
        let found = 0;
        const flat = this.flat;
        for (let m = this.fs[ri]!, e = this.fs[ri + 1]!; m < e; m++) {
          const l = flat[m]!;
          if (l === falseLit || l === ol) continue;
          const v = dm[l > 0 ? l : -l]!;
          if (v === 0 || (v > 0) === (l > 0)) { found = l; break; }
        }
        if (found !== 0) {
          if (first) w1[ri] = found;
          else w2[ri] = found;
          this.watches[this.wi(found)]!.push(ri, ol);
          continue;
        }
        if (dis[slotOf[ri]!]) {
          if (!rules[ri]!.dead) { wl[j++] = ri; wl[j++] = blk; } // keep: the rule may be enabled again
          continue;
        }
        wl[j++] = ri;
        wl[j++] = ol;
        if (ov === -1) {
          for (k += 2; k < n; k++) wl[j++] = wl[k]!;
          if (j !== n) wl.length = j;
          return ri;
        }
        this.decide(ol, level, ri);
      }
      if (j !== n) wl.length = j;
    }
    return 0;
  }

  /** Undo all decisions above `level`. */
  revert(level: number): void {
    while (this.q.length) {
      const lit = this.q[this.q.length - 1]!;
      const v = lit > 0 ? lit : -lit;
      const l = this.dm[v]!;
      if ((l > 0 ? l : -l) <= level) break;
      this.dm[v] = 0;
      this.q.pop();
      this.why.pop();
    }
    if (this.propIndex > this.q.length) this.propIndex = this.q.length;
  }

  reset(): void {
    this.dm.fill(0);
    this.q.length = 0;
    this.why.length = 0;
    this.propIndex = 0;
  }

  /**
   * First-UIP conflict analysis at `level` (> 1). Adds a learnt rule (first literal is the
   * asserting one) and returns [backjump level, learnt rule id].
   */
  analyze(level: number, conflict: number): [number, number] {
    const rules = this.rs.rules;
    const seen = this.scratchMap();
    const learnt: number[] = [];
    const whys: number[] = [];
    let pending = 0;
    let rlev = 1;
    let r = conflict;
    let idx = this.q.length;
    let uip = 0;
    for (;;) {
      whys.push(r);
      for (const l of rules[r]!.lits) {
        const v = l > 0 ? l : -l;
        if (seen[v]) continue;
        if (uip && v === (uip > 0 ? uip : -uip)) continue;
        const lv = this.level(l);
        if (lv === 0) continue;
        seen[v] = 1;
        if (lv === level) pending++;
        else if (lv > 1) {
          learnt.push(l);
          if (lv > rlev) rlev = lv;
        }
      }
      // find next seen literal on the trail at this level
      let lit = 0;
      while (idx > 0) {
        lit = this.q[--idx]!;
        const v = lit > 0 ? lit : -lit;
        if (seen[v]) break;
      }
      pending--;
      const v = lit > 0 ? lit : -lit;
      seen[v] = 0;
      if (pending <= 0) {
        uip = -lit;
        break;
      }
      uip = lit;
      r = this.why[idx]!;
      if (!r) {
        uip = -lit;
        break;
      }
    }
    seen.fill(0);
    const lits = [uip, ...learnt];
    const id = this.rs.add(RuleClass.LEARNT, lits, { type: RuleInfo.LEARNT });
    rules[id]!.why = whys;
    this.revert(rlev);
    this.watchRule(id);
    return [rlev, id];
  }

  /**
   * The proof of a level-1 conflict in libsolv's order: the conflicting rule, then the reason of
   * every involved decision walking the trail backwards. Learnt rules stay in the list; use
   * expandLearnt() to replace them by the rules they came from.
   */
  proof(conflict: number): number[] {
    const rules = this.rs.rules;
    const involved = this.scratchMap();
    const out = [conflict];
    for (const l of rules[conflict]!.lits) involved[l > 0 ? l : -l] = 1;
    for (let idx = this.q.length - 1; idx >= 0; idx--) {
      const lit = this.q[idx]!;
      const v = lit > 0 ? lit : -lit;
      if (!involved[v] || v === 1) continue;
      const why = this.why[idx]!;
      if (!why) continue;
      out.push(why);
      for (const l of rules[why]!.lits) {
        if (l === lit) continue;
        involved[l > 0 ? l : -l] = 1;
      }
    }
    involved.fill(0);
    return out;
  }

  private scratch: Uint8Array | null = null;

  /** A zeroed per-variable map, reused (conflicts are frequent when problems are refined); callers zero it again. */
  private scratchMap(): Uint8Array {
    if (!this.scratch) this.scratch = new Uint8Array(this.nvars);
    return this.scratch;
  }

  /** Replace learnt rules in a proof by their origins (recursively), keeping first occurrences. */
  expandLearnt(proof: number[]): number[] {
    const rules = this.rs.rules;
    const out: number[] = [];
    const seen = new Set<number>();
    const visit = (r: number) => {
      if (seen.has(r)) return;
      seen.add(r);
      const rr = rules[r]!;
      if (rr.cls === RuleClass.LEARNT && rr.why) for (const x of rr.why) visit(x);
      else out.push(r);
    };
    for (const r of proof) visit(r);
    return out;
  }
}

export function ruleIsDisableable(r: Rule): boolean {
  return r.cls !== RuleClass.PKG && r.cls !== RuleClass.LEARNT;
}
