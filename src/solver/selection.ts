/**
 * Selections: turn user text ("A", "A-1-1.noarch", "A > 1", "/usr/bin/a", globs) into jobs,
 * as libsolv's selection_make for the testcase `job ... selection` lines.
 */
import { REL, type Pool } from './pool.js';
import { JOB, JOB_NAMES, parseJobFlags, str2dep, type Job, type JobLists } from './testcase.js';

const SEL = {
  name: 1, provides: 2, filelist: 4, canon: 8, dotarch: 16, rel: 32, installedonly: 0x100, glob: 0x200, flat: 0x400,
  nocase: 0x800, sourceonly: 0x1000, withsource: 0x2000, skipkind: 0x4000, depstr: 0x8000, withdisabled: 0x10000,
  withbadarch: 0x20000, add: 0x1000000, subtract: 0x2000000, filter: 0x4000000,
} as const;

function globToRe(g: string, nocase: boolean): RegExp {
  const re = g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, nocase ? 'i' : '');
}

function candidates(pool: Pool, flags: number): number[] {
  const out: number[] = [];
  for (let p = 2; p < pool.solvables.length; p++) {
    const s = pool.solvables[p]!;
    if (!s.repo) continue;
    if (flags & SEL.installedonly && s.repo !== pool.installed) continue;
    const a = pool.strs[s.arch];
    const isSrc = a === 'src' || a === 'nosrc';
    if (flags & SEL.sourceonly ? !isSrc : isSrc && !(flags & SEL.withsource)) continue;
    if (!(flags & SEL.withdisabled) && !pool.isConsidered(p)) continue;
    if (!(flags & SEL.withbadarch) && s.arch && pool.archScore && !pool.arch2score(s.arch) && !isSrc) continue;
    out.push(p);
  }
  return out;
}

/** Select packages for one selection string; returns job selections. */
function selectionMake(pool: Pool, lists: JobLists, text: string, flags: number): Job[] {
  const nocase = (flags & SEL.nocase) !== 0;
  const isGlob = (flags & SEL.glob) !== 0 && /[*?[]/.test(text);
  const cands = candidates(pool, flags);
  const matchName = (name: string, pat: string) => (isGlob ? globToRe(pat, nocase).test(name) : nocase ? name.toLowerCase() === pat.toLowerCase() : name === pat);
  const toJobs = (ps: number[], how: number, what?: number): Job[] => {
    if (!ps.length) return [];
    if (what !== undefined) return [{ how, what }];
    if (ps.length === 1) return [{ how: JOB.SOLVABLE, what: ps[0]! }];
    return [{ how: JOB.ONE_OF, what: lists.add(ps) }];
  };
  // rel: "name op evr"
  const relm = /^(\S+)\s*(<=|>=|=|<|>)\s*(\S+)$/.exec(text);
  if (flags & SEL.rel && relm) {
    const [, n, op, evr] = relm;
    const inner = selectionMake(pool, lists, n!, flags & ~SEL.rel);
    if (!inner.length) return [];
    const f = op === '<' ? REL.LT : op === '>' ? REL.GT : op === '=' ? REL.EQ : op === '<=' ? REL.LT | REL.EQ : REL.GT | REL.EQ;
    if (inner.length === 1 && inner[0]!.how === JOB.NAME) return [{ how: JOB.NAME, what: pool.rel(inner[0]!.what, pool.str2id(evr!), f) }];
    if (inner.length === 1 && inner[0]!.how === JOB.PROVIDES) return [{ how: JOB.PROVIDES, what: pool.rel(inner[0]!.what, pool.str2id(evr!), f) }];
    return [];
  }
  if (flags & SEL.filelist && text.startsWith('/')) {
    const ps = cands.filter((p) => pool.solvables[p]!.files.some((f) => matchName(f, text)));
    if (ps.length) return toJobs(ps, 0);
  }
  if (flags & SEL.name) {
    const ps = cands.filter((p) => matchName(pool.strs[pool.solvables[p]!.name]!, text));
    if (ps.length) {
      if (!isGlob && !nocase && !(flags & SEL.flat)) return [{ how: JOB.NAME, what: pool.str2id(text) }];
      if (flags & SEL.flat || isGlob) {
        const names = [...new Set(ps.map((p) => pool.solvables[p]!.name))].sort((a, b) => (pool.strs[a]! < pool.strs[b]! ? -1 : 1));
        if (isGlob && !(flags & SEL.flat)) return names.map((n) => ({ how: JOB.NAME, what: n }));
        return toJobs(ps, 0);
      }
      return [{ how: JOB.NAME, what: pool.str2id(text) }];
    }
  }
  if (flags & SEL.provides) {
    const d = pool.lookupStr(text);
    if (d && pool.whatProvides(d).some((p) => cands.includes(p))) return [{ how: JOB.PROVIDES, what: d }];
  }
  if (flags & SEL.canon) {
    // name-evr.arch, name-evr, name.arch
    for (let k = text.length - 1; k > 0; k--) {
      if (text[k] !== '-') continue;
      for (let k2 = k - 1; k2 > 0; k2--) {
        if (text[k2] !== '-') continue;
        const name = text.slice(0, k2);
        let evr = text.slice(k2 + 1);
        let arch = '';
        const dot = evr.lastIndexOf('.');
        if (dot > 0 && pool.lookupStr(evr.slice(dot + 1)) && evr.slice(dot + 1) !== '') {
          arch = evr.slice(dot + 1);
          evr = evr.slice(0, dot);
        }
        const ps = cands.filter((p) => {
          const s = pool.solvables[p]!;
          return matchName(pool.strs[s.name]!, name) && pool.strs[s.evr] === evr && (!arch || pool.strs[s.arch] === arch);
        });
        if (ps.length) return toJobs(ps, 0);
      }
    }
  }
  if (flags & SEL.dotarch) {
    const dot = text.lastIndexOf('.');
    if (dot > 0) {
      const arch = pool.lookupStr(text.slice(dot + 1));
      if (arch) {
        const inner = selectionMake(pool, lists, text.slice(0, dot), flags & ~SEL.dotarch);
        if (inner.length === 1 && inner[0]!.how === JOB.NAME) return [{ how: JOB.NAME, what: pool.rel(inner[0]!.what, arch, REL.ARCH) }];
      }
    }
  }
  return [];
}

/** Parse `job <type> selection <text> <flags> [jobflags]` pieces (without "job"). */
export function selectionJobs(pool: Pool, lists: JobLists, pieces: string[], existing: Job[]): Job[] {
  const jt = JOB_NAMES.find(([, n]) => n === pieces[0]);
  if (!jt) return [];
  let how: number = jt[0];
  let rest = pieces.slice(1);
  const last = rest[rest.length - 1]!;
  if (rest.length > 2 && last.startsWith('[') && last.endsWith(']')) {
    how |= parseJobFlags(last.slice(1, -1));
    rest = rest.slice(0, -1);
  }
  const kind = rest[0];
  if (kind !== 'selection' || rest.length < 3) return [];
  let flags = 0;
  for (const f of rest[rest.length - 1]!.split(',')) flags |= (SEL as Record<string, number>)[f] ?? 0;
  const text = rest.slice(1, -1).join(' ');
  const jobs = selectionMake(pool, lists, text, flags);
  void str2dep;
  void existing;
  return jobs.map((j) => ({ how: how | j.how, what: j.what }));
}
