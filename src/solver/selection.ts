/**
 * Selections: turn user text ("A", "A.i686", "A > 1", "A-1-1.noarch", "/usr/bin/a", globs) into
 * job selections with libsolv's selection semantics (name, provides, filelist, canon; dotarch and
 * relation suffixes; source/disabled/badarch extras; flat lists) for testcase `job … selection`.
 */
import { REL, isRel, globMatch, EVRCMP, evrcmpStr, type Pool } from './pool.js';
import { JOB, JOB_NAMES, parseJobFlags, str2dep, str2solvid, type Job, type JobLists } from './testcase.js';

const SEL = {
  name: 1 << 0, provides: 1 << 1, filelist: 1 << 2, canon: 1 << 3, dotarch: 1 << 4, rel: 1 << 5, installedonly: 1 << 8,
  glob: 1 << 9, flat: 1 << 10, nocase: 1 << 11, sourceonly: 1 << 12, withsource: 1 << 13, skipkind: 1 << 14, depstr: 1 << 15,
  withdisabled: 1 << 16, withbadarch: 1 << 17, add: 1 << 24, subtract: 2 << 24, filter: 3 << 24,
} as const;
const MODEBITS = 3 << 24;

type Sel = Job[];

class Selector {
  constructor(readonly pool: Pool, readonly lists: JobLists) {}

  get src(): number { return this.pool.str2id('src'); }
  get nosrc(): number { return this.pool.str2id('nosrc'); }
  isSrc(arch: number): boolean { return arch === this.src || arch === this.nosrc; }
  disabled(p: number): boolean { return !this.pool.isConsidered(p); }
  badarch(p: number): boolean {
    const s = this.pool.solvables[p]!;
    return !!this.pool.archScore && (!s.arch || this.pool.arch2score(s.arch) === 0);
  }
  installed(p: number): boolean { return !!this.pool.installed && this.pool.solvables[p]!.repo === this.pool.installed; }
  all(): number[] {
    const out: number[] = [];
    for (let p = 2; p < this.pool.solvables.length; p++) if (this.pool.solvables[p]!.repo) out.push(p);
    return out;
  }

  /** Packages of one selection element (FOR_JOB_SELECT). */
  select(j: Job): number[] {
    const pool = this.pool;
    const sel = j.how & JOB.SELECTMASK;
    if (sel === JOB.SOLVABLE) return [j.what];
    if (sel === JOB.ONE_OF) return this.lists.lists[j.what] ?? [];
    if (sel === JOB.NAME || sel === JOB.PROVIDES) {
      let prov = this.providers(j.what);
      if (sel === JOB.NAME) prov = prov.filter((p) => pool.matchNevr(pool.solvables[p]!, j.what));
      return prov;
    }
    return [];
  }

  /** whatprovides, with libsolv's special case for name.src (sources are not in the index). */
  providers(id: number): number[] {
    const pool = this.pool;
    if (isRel(id)) {
      const r = pool.getRel(id);
      if (r.flags === REL.ARCH && this.isSrc(r.evr)) {
        return this.all().filter((p) => {
          const s = pool.solvables[p]!;
          return (s.arch === r.evr || (r.evr === this.src && s.arch === this.nosrc)) && !this.disabled(p) && pool.matchNevr(s, r.name);
        });
      }
    }
    return pool.whatProvides(id);
  }

  matchesFlags(p: number, flags: number): boolean {
    const s = this.pool.solvables[p]!;
    if (this.isSrc(s.arch)) {
      if (!(flags & SEL.sourceonly) && !(flags & SEL.withsource)) return false;
      if (!(flags & SEL.withdisabled) && this.disabled(p)) return false;
    } else {
      if (flags & SEL.sourceonly) return false;
      if (!this.installed(p)) {
        if (!(flags & SEL.withdisabled) && this.disabled(p)) return false;
        if (!(flags & SEL.withbadarch) && this.badarch(p)) return false;
      }
    }
    return true;
  }

  str2archid(a: string): number {
    const pool = this.pool;
    const id = pool.lookupStr(a);
    if (!id) return 0;
    if (id === this.src || id === this.nosrc || id === pool.noarch) return id;
    if (pool.archScore && pool.arch2score(id) === 0) return 0;
    return id;
  }

  oneOf(ps: number[], extra = 0): Job {
    if (ps.length === 1) return { how: JOB.SOLVABLE | JOB.NOAUTOSET | extra, what: ps[0]! };
    return { how: JOB.ONE_OF | extra, what: this.lists.add(ps) };
  }

  addExtra(sel: Sel, flags: number): void {
    const pool = this.pool;
    if (flags & SEL.installedonly) flags &= ~SEL.withsource;
    if (!(flags & (SEL.withsource | SEL.withdisabled | SEL.withbadarch))) return;
    for (const j of sel) {
      let doprovides: boolean;
      if (j.how === JOB.NAME) doprovides = false;
      else if (j.how === JOB.PROVIDES) doprovides = true;
      else continue;
      const dep = j.what;
      let haveextra = false;
      const q: number[] = [];
      if (doprovides) for (const p of pool.whatProvides(dep)) if (!(flags & SEL.installedonly) || this.installed(p)) q.push(p);
      for (const p of this.all()) {
        const s = pool.solvables[p]!;
        if (!doprovides && !pool.matchNevr(s, dep)) continue;
        if (flags & SEL.installedonly && !this.installed(p)) continue;
        let isextra = false;
        if (this.isSrc(s.arch)) {
          if (!(flags & SEL.withsource) && !(flags & SEL.sourceonly)) continue;
          if (!(flags & SEL.sourceonly)) isextra = true;
          if (this.disabled(p)) { if (!(flags & SEL.withdisabled)) continue; isextra = true; }
        } else {
          if (flags & SEL.sourceonly) continue;
          if (!this.installed(p)) {
            if (this.disabled(p)) { if (!(flags & SEL.withdisabled)) continue; isextra = true; }
            if (this.badarch(p)) { if (!(flags & SEL.withbadarch)) continue; isextra = true; }
          }
        }
        if (doprovides) {
          if (!isextra) continue;
          if (!s.provides.some((pr) => this.depMatch(pr, dep))) continue;
        }
        haveextra ||= isextra;
        q.push(p);
      }
      if (!haveextra || !q.length) continue;
      if (doprovides) q.sort((a, b) => a - b);
      const nj = this.oneOf(q, j.how & ~JOB.SELECTMASK);
      j.how = nj.how;
      j.what = nj.what;
    }
  }

  depMatch(provide: number, dep: number): boolean {
    const pool = this.pool;
    const pn = isRel(provide) ? pool.getRel(provide).name : provide;
    const dn = isRel(dep) ? pool.getRel(dep).name : dep;
    if (pn !== dn) return false;
    if (!isRel(dep) || !isRel(provide)) return true;
    const a = pool.getRel(provide);
    const b = pool.getRel(dep);
    return pool.intersectEvrs(a.flags, a.evr, b.flags, b.evr);
  }

  prune(sel: Sel): Sel {
    return sel.filter((j) => this.select(j).length > 0);
  }

  matchNevrRel(p: number, rflags: number, revr: number): boolean {
    const s = this.pool.solvables[p]!;
    if (rflags === REL.ARCH) return s.arch === revr || (revr === this.src && s.arch === this.nosrc);
    if (rflags > 7) return false;
    return this.pool.intersectEvrs(REL.EQ, s.evr, rflags, revr);
  }

  filterRelNoprune(sel: Sel, relflags: number, relevr: number): void {
    const pool = this.pool;
    for (const j of sel) {
      const select = j.how & JOB.SELECTMASK;
      if (select === JOB.SOLVABLE || select === JOB.ONE_OF) {
        const all = this.select(j);
        const q = all.filter((p) => this.matchNevrRel(p, relflags, relevr));
        if (q.length !== all.length) {
          if (q.length === 1) { j.how = JOB.SOLVABLE | JOB.NOAUTOSET; j.what = q[0]!; }
          else { j.how = JOB.ONE_OF; j.what = this.lists.add(q); }
        }
      } else if (select === JOB.NAME || select === JOB.PROVIDES) {
        let id = j.what;
        if (relflags === REL.ARCH && this.isSrc(relevr) && isRel(id)) {
          const rd = pool.getRel(id);
          if (rd.flags === REL.ARCH && rd.evr === this.src) id = rd.name;
        }
        j.what = pool.rel(id, relevr, relflags);
      } else continue;
      if (relflags === REL.ARCH) j.how |= JOB.SETARCH;
      if (relflags === REL.EQ && select !== JOB.PROVIDES) j.how |= pool.strs[relevr]!.includes('-') ? JOB.SETEVR : JOB.SETEV;
    }
  }

  filterRel(sel: Sel, relflags: number, relevr: number): Sel {
    this.filterRelNoprune(sel, relflags, relevr);
    return this.prune(sel);
  }

  nameId(sel: Sel, id: number, flags: number): number {
    const pool = this.pool;
    let matchid = id;
    if (flags & SEL.sourceonly) {
      if (flags & SEL.installedonly) return 0;
      matchid = pool.rel(id, this.src, REL.ARCH);
      flags &= ~SEL.withsource;
    }
    for (const p of this.providers(matchid)) {
      const s = pool.solvables[p]!;
      if (s.name !== id) continue;
      if (flags & SEL.installedonly && !this.installed(p)) continue;
      sel.push({ how: JOB.NAME, what: matchid });
      if (flags & (SEL.withsource | SEL.withbadarch | SEL.withdisabled)) this.addExtra(sel, flags);
      return SEL.name;
    }
    if (flags & (SEL.withbadarch | SEL.withdisabled)) {
      sel.push({ how: JOB.NAME, what: matchid });
      this.addExtra(sel, flags);
      if (sel[0]!.how === JOB.NAME) sel.length = 0;
      return sel.length ? SEL.name : 0;
    }
    if (flags & SEL.withsource && !(flags & SEL.installedonly)) {
      matchid = pool.rel(id, this.src, REL.ARCH);
      for (const p of this.providers(matchid)) {
        if (pool.solvables[p]!.name !== id) continue;
        sel.push({ how: JOB.NAME, what: matchid });
        return SEL.name;
      }
    }
    return 0;
  }

  name(sel: Sel, name: string, flags: number): number {
    const pool = this.pool;
    if (flags & SEL.sourceonly) flags &= ~SEL.withsource;
    const nocase = (flags & SEL.nocase) !== 0;
    if (!nocase && !(flags & SEL.skipkind)) {
      const id = pool.lookupStr(name);
      if (id) {
        const r = this.nameId(sel, id, flags);
        if (r) return r;
      }
    }
    const doglob = (flags & SEL.glob) !== 0 && /[[*?]/.test(name);
    if (!nocase && !(flags & SEL.skipkind) && !doglob) return 0;
    let match = false;
    for (const p of this.all()) {
      const s = pool.solvables[p]!;
      if (flags & SEL.installedonly && !this.installed(p)) continue;
      if (!this.matchesFlags(p, flags)) continue;
      const n = pool.strs[s.name]!;
      const ok = doglob ? globMatch(name, n) && (nocase || globMatchCase(name, n)) : nocase ? name.toLowerCase() === n.toLowerCase() : name === n;
      if (!ok) continue;
      let id = s.name;
      if (flags & SEL.sourceonly) {
        if (!this.isSrc(s.arch)) continue;
        id = pool.rel(id, this.src, REL.ARCH);
      }
      if (!sel.some((j) => j.how === JOB.NAME && j.what === id)) sel.push({ how: JOB.NAME, what: id });
      match = true;
    }
    if (match) {
      if (flags & (SEL.withsource | SEL.withbadarch | SEL.withdisabled)) this.addExtra(sel, flags);
      return SEL.name;
    }
    return 0;
  }

  providesSel(sel: Sel, name: string, flags: number): number {
    const pool = this.pool;
    if (flags & SEL.sourceonly) return 0;
    const nocase = (flags & SEL.nocase) !== 0;
    if (!nocase) {
      const id = pool.lookupStr(name);
      if (id) {
        if (pool.whatProvides(id).some((p) => !(flags & SEL.installedonly) || this.installed(p))) {
          sel.push({ how: JOB.PROVIDES, what: id });
          return SEL.provides;
        }
        if (flags & (SEL.withbadarch | SEL.withdisabled)) {
          const t: Sel = [{ how: JOB.PROVIDES, what: id }];
          this.addExtra(t, flags);
          if (t[0]!.how !== JOB.PROVIDES) {
            sel.push({ how: JOB.PROVIDES, what: id });
            return SEL.provides;
          }
        }
      }
    }
    const doglob = (flags & SEL.glob) !== 0 && /[[*?]/.test(name);
    if (!nocase && !doglob) return 0;
    let match = false;
    for (let id = 2; id < pool.strs.length; id++) {
      const prov = pool.whatProvides(id);
      if (!prov.length) continue;
      const n = pool.strs[id]!;
      const ok = doglob ? globMatch(name, n) && (nocase || globMatchCase(name, n)) : name.toLowerCase() === n.toLowerCase();
      if (!ok) continue;
      if (flags & SEL.installedonly && !prov.some((p) => this.installed(p))) continue;
      sel.push({ how: JOB.PROVIDES, what: id });
      match = true;
    }
    if (flags & (SEL.withbadarch | SEL.withdisabled) && !(flags & SEL.installedonly)) {
      for (const p of this.all()) {
        const s = pool.solvables[p]!;
        if (!s.provides.length || this.isSrc(s.arch) || this.installed(p)) continue;
        if (this.disabled(p)) {
          if (!(flags & SEL.withdisabled)) continue;
          if (!(flags & SEL.withbadarch) && this.badarch(p)) continue;
        } else if (this.badarch(p)) {
          if (!(flags & SEL.withbadarch)) continue;
        } else continue;
        for (let id of s.provides) {
          while (isRel(id)) id = pool.getRel(id).name;
          if (pool.whatProvides(id).length) continue;
          const n = pool.strs[id]!;
          const ok = doglob ? globMatch(name, n) && (nocase || globMatchCase(name, n)) : nocase ? name.toLowerCase() === n.toLowerCase() : name === n;
          if (ok && !sel.some((j) => j.how === JOB.PROVIDES && j.what === id)) {
            sel.push({ how: JOB.PROVIDES, what: id });
            match = true;
          }
        }
      }
    }
    return match ? SEL.provides : 0;
  }

  nameArch(sel: Sel, name: string, flags: number, doprovides: boolean, noprune: boolean): { ret: number; sel: Sel } {
    let ret = doprovides ? this.providesSel(sel, name, flags) : this.name(sel, name, flags);
    if (ret) return { ret, sel };
    if (!(flags & SEL.dotarch)) return { ret: 0, sel };
    const k = name.lastIndexOf('.');
    if (k < 0 || k === name.length - 1) return { ret: 0, sel };
    const archid = this.str2archid(name.slice(k + 1));
    if (!archid) return { ret: 0, sel };
    if (this.isSrc(archid)) flags |= SEL.sourceonly;
    ret = doprovides ? this.providesSel(sel, name.slice(0, k), flags) : this.name(sel, name.slice(0, k), flags);
    if (ret) {
      this.filterRelNoprune(sel, REL.ARCH, archid);
      if (!noprune) sel = this.prune(sel);
    }
    return { ret: ret && sel.length ? ret | SEL.dotarch : 0, sel };
  }

  nameArchRel(name: string, flags: number, doprovides: boolean): { ret: number; sel: Sel } {
    let rname: string | null = null;
    let rflags = 0;
    let r = '';
    if (flags & SEL.rel) {
      const m = /[<=>]/.exec(name);
      if (m) {
        let nend = m.index;
        let i = m.index;
        if (nend && name[i] === '=' && name[i - 1] === '!') { nend--; i++; rflags = REL.LT | REL.GT; }
        for (; i < name.length; i++) {
          const c = name[i];
          if (c === '<') rflags |= REL.LT;
          else if (c === '=') rflags |= REL.EQ;
          else if (c === '>') rflags |= REL.GT;
          else break;
        }
        while (i < name.length && (name[i] === ' ' || name[i] === '\t')) i++;
        let n = name.slice(0, nend).replace(/[ \t]+$/, '');
        r = name.slice(i);
        if (n && r && rflags) rname = n;
        else { rflags = 0; n = ''; }
      }
    }
    const noprune = doprovides && (flags & (SEL.withdisabled | SEL.withbadarch)) !== 0;
    if (rname === null) {
      const res = this.nameArch([], name, flags, doprovides, noprune);
      let sel = res.sel;
      if (res.ret && noprune) {
        this.addExtra(sel, flags);
        sel = this.prune(sel);
      }
      return { ret: res.ret && sel.length ? res.ret : 0, sel };
    }
    const res = this.nameArch([], rname, flags, doprovides, noprune);
    let sel = res.sel;
    if (res.ret) {
      this.filterRelNoprune(sel, rflags, this.pool.str2id(r));
      if (noprune) this.addExtra(sel, flags);
      sel = this.prune(sel);
    }
    return { ret: res.ret && sel.length ? res.ret | SEL.rel : 0, sel };
  }

  filelist(name: string, flags: number): { ret: number; sel: Sel } {
    const pool = this.pool;
    if (!name.startsWith('/')) {
      if (!(flags & SEL.glob) || !'*[?'.includes(name[0] ?? '')) return { ret: 0, sel: [] };
    }
    const doglob = (flags & SEL.glob) !== 0 && /[[*?]/.test(name);
    const nocase = (flags & SEL.nocase) !== 0;
    const hits: Array<[string, number]> = [];
    const sel: Sel = [];
    for (const p of this.all()) {
      const s = pool.solvables[p]!;
      if (flags & SEL.installedonly && !this.installed(p)) continue;
      if (!this.matchesFlags(p, flags)) continue;
      for (const f of s.files) {
        const ok = doglob ? globMatch(name, f) && (nocase || globMatchCase(name, f)) : nocase ? f.toLowerCase() === name.toLowerCase() : f === name;
        if (!ok) continue;
        if (flags & SEL.flat) { sel.push({ how: JOB.SOLVABLE | JOB.NOAUTOSET, what: p }); break; }
        hits.push([f, p]);
      }
    }
    if (flags & SEL.flat) return { ret: sel.length ? SEL.filelist : 0, sel };
    if (!hits.length) return { ret: 0, sel: [] };
    hits.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    const byFile = new Map<string, number[]>();
    for (const [f, p] of hits) {
      const l = byFile.get(f) ?? [];
      if (l[l.length - 1] !== p) l.push(p);
      byFile.set(f, l);
    }
    for (const l of byFile.values()) {
      if (l.length === 1) {
        if (!sel.some((j) => j.how === (JOB.SOLVABLE | JOB.NOAUTOSET) && j.what === l[0])) sel.push({ how: JOB.SOLVABLE | JOB.NOAUTOSET, what: l[0]! });
      } else {
        const w = this.lists.add(l);
        if (!sel.some((j) => j.how === JOB.ONE_OF && j.what === w)) sel.push({ how: JOB.ONE_OF, what: w });
      }
    }
    return { ret: SEL.filelist, sel };
  }

  filterEvr(sel: Sel, evr: string): Sel {
    const pool = this.pool;
    const m = /^\d+:/.exec(evr);
    if (m && m[0].length > 1) return this.filterRel(sel, REL.EQ, pool.str2id(evr));
    const out: Sel = [];
    for (const j of sel) {
      const q: number[] = [];
      let lastepoch: string | null = null;
      let multi = false;
      for (const p of this.select(j)) {
        const sevr = pool.strs[pool.solvables[p]!.evr]!;
        const em = /^(\d+):/.exec(sevr);
        const vr = em ? sevr.slice(em[0].length) : sevr;
        if (vr !== evr) {
          const r = evrcmpStr(vr, evr, EVRCMP.MATCH_RELEASE);
          if (r === -1 || r === 1) continue;
        }
        q.push(p);
        const ep = em ? em[1]!.replace(/^0+/, '') : '';
        if (lastepoch === null) lastepoch = ep;
        else if (lastepoch !== ep) multi = true;
      }
      let id: number;
      if (lastepoch === null || (!multi && lastepoch === '')) id = pool.str2id(evr);
      else if (!multi) id = pool.str2id(`${lastepoch}:${evr}`);
      else {
        out.push({ how: (j.how & ~JOB.SELECTMASK) | JOB.ONE_OF, what: this.lists.add(q) });
        continue;
      }
      const t = this.filterRel([{ ...j }], REL.EQ, id);
      if (t.length) out.push(t[0]!);
    }
    return out;
  }

  canon(name: string, flags: number): { ret: number; sel: Sel } {
    flags |= SEL.name;
    flags &= ~SEL.provides;
    const k = name.lastIndexOf('-');
    if (k < 0) return { ret: 0, sel: [] };
    let rname = name.slice(0, k);
    let rest = name.slice(k + 1);
    let archid = 0;
    const d = rest.lastIndexOf('.');
    if (d >= 0 && d < rest.length - 1) {
      archid = this.str2archid(rest.slice(d + 1));
      if (archid) rest = rest.slice(0, d);
    }
    if (this.isSrc(archid)) flags |= SEL.sourceonly;
    let sel: Sel = [];
    let ret = this.name(sel, rname, flags);
    if (!ret) {
      const k2 = rname.lastIndexOf('-');
      if (k2 < 0) return { ret: 0, sel: [] };
      rest = `${rname.slice(k2 + 1)}-${rest}`;
      rname = rname.slice(0, k2);
      sel = [];
      ret = this.name(sel, rname, flags);
      if (!ret) return { ret: 0, sel: [] };
    }
    if (archid) sel = this.filterRel(sel, REL.ARCH, archid);
    sel = this.filterEvr(sel, rest);
    return { ret: sel.length ? ret | SEL.canon : 0, sel };
  }

  make(name: string, flags: number): Sel {
    if (flags & SEL.installedonly && !this.pool.installed) return [];
    let ret = 0;
    let sel: Sel = [];
    if (flags & SEL.filelist) ({ ret, sel } = this.filelist(name, flags));
    if (!ret && flags & SEL.name) ({ ret, sel } = this.nameArchRel(name, flags, false));
    if (!ret && flags & SEL.provides) ({ ret, sel } = this.nameArchRel(name, flags, true));
    if (!ret && flags & SEL.canon) ({ ret, sel } = this.canon(name, flags));
    if (ret && flags & SEL.flat) sel = this.flatten(sel);
    return ret ? sel : [];
  }

  flatten(sel: Sel): Sel {
    if (sel.length <= 1) return sel;
    const ps = [...new Set(sel.flatMap((j) => this.select(j)))].sort((a, b) => a - b);
    if (!ps.length) return [];
    return [this.oneOf(ps)];
  }

  /** Packages whose dependencies of one kind match `dep` (selection_make_matchdeps/-depid). */
  matchDeps(matcher: (dep: number) => boolean, keyname: string, flags: number): Sel {
    const pool = this.pool;
    const out: number[] = [];
    for (const p of this.all()) {
      if (flags & SEL.installedonly && !this.installed(p)) continue;
      if (!this.matchesFlags(p, flags)) continue;
      const sv = pool.solvables[p]!;
      const deps = keyname === 'name' ? [pool.rel(sv.name, sv.evr, REL.EQ)] : ((sv as unknown as Record<string, number[]>)[keyname] ?? []);
      if (Array.isArray(deps) && deps.some(matcher)) out.push(p);
    }
    if (!out.length) return [];
    return [this.oneOf(out)];
  }
}

function globMatchCase(pattern: string, s: string): boolean {
  // globMatch is case-insensitive (fnmatch with FNM_CASEFOLD); check case too
  const re = '^' + pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$';
  try { return new RegExp(re, 's').test(s); } catch { return globMatch(pattern, s); }
}

const KEYNAMES: Record<string, string> = {
  'solvable:provides': 'provides', 'solvable:requires': 'requires', 'solvable:conflicts': 'conflicts', 'solvable:obsoletes': 'obsoletes',
  'solvable:recommends': 'recommends', 'solvable:suggests': 'suggests', 'solvable:supplements': 'supplements', 'solvable:enhances': 'enhances',
};

/** Parse `job <type> selection[_matchdeps|_matchdepid|_matchsolvable] …` pieces (without "job"). */
export function selectionJobs(pool: Pool, lists: JobLists, pieces: string[], existing: Job[]): Job[] {
  const jt = JOB_NAMES.find(([, n]) => n === pieces[0]);
  if (!jt) return [];
  let how: number = jt[0];
  const kind = pieces[1]!;
  let rest = pieces.slice(kind === 'selection' ? 2 : 3);
  const keyname = kind === 'selection' ? '' : pieces[2]!;
  const last = rest[rest.length - 1]!;
  if (rest.length > 1 && last.startsWith('[') && last.endsWith(']')) {
    how |= parseJobFlags(last.slice(1, -1));
    rest = rest.slice(0, -1);
  }
  if (rest.length < 2) return [];
  let flags = 0;
  for (const f of rest[rest.length - 1]!.split(',')) flags |= (SEL as Record<string, number>)[f] ?? 0;
  const text = rest.slice(0, -1).join(' ');
  const sl = new Selector(pool, lists);
  let sel: Sel;
  const mode = flags & MODEBITS;
  const f = flags & ~MODEBITS;
  if (kind === 'selection') sel = sl.make(text, f);
  else {
    const key = KEYNAMES[keyname] ?? keyname.replace(/^solvable:/, '');
    if (kind === 'selection_matchdepid') {
      const dep = str2dep(pool, text);
      sel = sl.matchDeps((d) => (f & SEL.depstr ? d === dep : d === dep || sl.depMatch(d, dep)), key, f);
    } else if (kind === 'selection_matchsolvable') {
      const p = str2solvid(pool, text);
      const provBy = (d: number): boolean => {
        if (isRel(d)) {
          const r = pool.getRel(d);
          if (r.flags === REL.AND || r.flags === REL.OR || r.flags === REL.COND || r.flags === REL.UNLESS || r.flags === REL.ELSE) return provBy(r.name) || provBy(r.evr);
        }
        return pool.whatProvides(d).includes(p);
      };
      sel = p ? sl.matchDeps(provBy, key, f) : [];
    } else {
      const doglob = (f & SEL.glob) !== 0 && /[[*?]/.test(text);
      const nocase = (f & SEL.nocase) !== 0;
      const strMatch = (pat: string, str: string) => (doglob ? globMatch(pat, str) && (nocase || globMatchCase(pat, str)) : nocase ? pat.toLowerCase() === str.toLowerCase() : pat === str);
      let pat = text;
      let rflags = 0;
      let revr = 0;
      if (f & SEL.rel && !(f & SEL.depstr)) {
        const m = /^(.*?)\s*(<=|>=|<|>|=)\s*(\S+)$/.exec(text);
        if (m) {
          pat = m[1]!;
          rflags = m[2] === '<' ? REL.LT : m[2] === '>' ? REL.GT : m[2] === '=' ? REL.EQ : m[2] === '<=' ? REL.LT | REL.EQ : REL.GT | REL.EQ;
          revr = pool.str2id(m[3]!);
        }
      }
      sel = sl.matchDeps((d) => {
        if (f & SEL.depstr) return strMatch(pat, pool.dep2str(d));
        const n = pool.strs[isRel(d) ? pool.getRel(d).name : d]!;
        if (!strMatch(pat, n)) return false;
        if (!rflags) return true;
        if (!isRel(d)) return true;
        const r = pool.getRel(d);
        return r.flags < 8 && pool.intersectEvrs(r.flags, r.evr, rflags, revr);
      }, key, f);
    }
  }
  let out = sel.map((j) => ({ how: how | j.how, what: j.what }));
  if (mode) {
    const prev = existing.map((j) => ({ ...j }));
    existing.length = 0;
    const key = (j: Job) => `${j.how & ~JOB.JOBMASK},${j.what}`;
    if (mode === SEL.add) out = [...prev, ...out.filter((j) => !prev.some((x) => key(x) === key(j)))];
    else {
      const b = new Set(out.flatMap((j) => sl.select(j)));
      out = [];
      for (const j of prev) {
        const ps = sl.select(j);
        const keep = ps.filter((p) => (mode === SEL.filter ? b.has(p) : !b.has(p)));
        if (!keep.length) continue;
        if (keep.length === ps.length) { out.push(j); continue; }
        const nj = sl.oneOf(keep);
        out.push({ how: (j.how & JOB.JOBMASK) | nj.how, what: nj.what });
      }
    }
  }
  return out;
}
