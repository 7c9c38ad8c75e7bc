/**
 * Choice policy: which of several candidates the solver tries first. Mirrors libsolv's
 * semantics: repo priority, best architecture, best version per name, obsoletes, then
 * recommended/suggested/favored packages first.
 */
import { EVRCMP, REL, isRel, type Pool, type Solvable } from './pool.js';

export enum PolicyMode { CHOOSE, RECOMMEND, SUGGEST, CHOOSE_NOREORDER, SUPPLEMENT }

/** What the policy needs to know about the solver state. */
export interface PolicyState {
  pool: Pool;
  favormap: Map<number, number> | null;
  /** Is the package recommended by / supplementing the decided packages? */
  isRecommended(p: number): boolean;
  isSuggested(p: number): boolean;
  dupInvolved(p: number): boolean;
  dupAllowed(p: number): boolean;
}

function nameCmp(pool: Pool, a: Solvable, b: Solvable): number {
  if (a.name === b.name) return 0;
  const na = pool.strs[a.name]!;
  const nb = pool.strs[b.name]!;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** libsolv's sort for prune_to_best_version: name, arch score, installed first, subprio, id. */
export function bestVersionSort(pool: Pool, list: number[]): void {
  list.sort((x, y) => {
    const a = pool.solvables[x]!;
    const b = pool.solvables[y]!;
    const r = nameCmp(pool, a, b);
    if (r) return r;
    if (a.arch !== b.arch) {
      const aa = pool.arch2score(a.arch);
      const ab = pool.arch2score(b.arch);
      if (aa !== ab && aa > 1 && ab > 1) return aa < ab ? -1 : 1;
    }
    if (pool.installed) {
      if (a.repo === pool.installed) {
        if (b.repo !== pool.installed) return -1;
      } else if (b.repo === pool.installed) return 1;
    }
    const sp = (b.repo?.subpriority ?? 0) - (a.repo?.subpriority ?? 0);
    if (sp) return sp;
    return x - y;
  });
}

export function pruneToHighestPrio(pool: Pool, list: number[]): number[] {
  let best: number | null = null;
  for (const p of list) {
    const s = pool.solvables[p]!;
    if (pool.installed && s.repo === pool.installed) continue;
    if (best === null || s.repo!.priority > best) best = s.repo!.priority;
  }
  if (best === null) return list;
  return list.filter((p) => {
    const s = pool.solvables[p]!;
    return s.repo!.priority === best || (pool.installed !== null && s.repo === pool.installed);
  });
}

export function pruneToBestArch(pool: Pool, list: number[]): number[] {
  if (!pool.archScore || list.length < 2) return list;
  let best = 0;
  for (const p of list) {
    const a = pool.arch2score(pool.solvables[p]!.arch);
    if (a && a !== 1 && (!best || a < best)) best = a;
  }
  if (!best) return list;
  const out = list.filter((p) => {
    const a = pool.arch2score(pool.solvables[p]!.arch);
    if (!a) return false;
    return a === 1 || ((a ^ best) & 0xffff0000) === 0;
  });
  return out.length ? out : list;
}

/**
 * For each candidate, the other candidates it obsoletes (a different name, matched by one of its
 * obsoletes: by name/EVR unless obsoleteusesprovides, and by color when obsoleteusescolors).
 */
function obsoletionsAmong(pool: Pool, cands: readonly number[]): Map<number, Set<number>> {
  const inCands = new Set(cands);
  const out = new Map<number, Set<number>>();
  for (const p of cands) {
    const s = pool.solvables[p]!;
    for (const o of s.obsoletes) {
      for (const q of pool.whatProvides(o)) {
        if (q === p || !inCands.has(q)) continue;
        const ps = pool.solvables[q]!;
        if (ps.name === s.name) continue;
        if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(ps, o)) continue;
        if (pool.flags.obsoleteusescolors && !pool.colormatch(s, ps)) continue;
        let t = out.get(p);
        if (!t) out.set(p, (t = new Set()));
        t.add(q);
      }
    }
  }
  return out;
}

export function pruneToBestVersion(pool: Pool, list: number[]): number[] {
  if (list.length < 2) return list;
  const l = list.slice();
  bestVersionSort(pool, l);
  const out: number[] = [];
  let best: number | null = null;
  for (const p of l) {
    if (best === null) { best = p; continue; }
    const bs = pool.solvables[best]!;
    const s = pool.solvables[p]!;
    if (bs.name !== s.name) { out.push(best); best = p; continue; }
    const r = bs.evr !== s.evr ? pool.evrcmp(bs.evr, s.evr, EVRCMP.COMPARE) : 0;
    if (r < 0) best = p;
  }
  out.push(best!);
  if (out.length < 2) return out;
  // drop packages obsoleted by another candidate (unless they obsolete each other)
  // (who obsoletes whom among the candidates, from each candidate's obsoletes: not a test per pair)
  const obsoletesOf = obsoletionsAmong(pool, out);
  const obs = (p: number, q: number) => obsoletesOf.get(p)?.has(q) ?? false;
  const obsoleted = new Set<number>();
  for (const targets of obsoletesOf.values()) for (const q of targets) obsoleted.add(q);
  const res = out.filter((p) => !obsoleted.has(p) || out.every((q) => q === p || !obs(q, p) || obs(p, q)));
  return res.length ? res : out;
}

function dislikeOldVersions(pool: Pool, list: number[]): number[] {
  const good: number[] = [];
  const bad: number[] = [];
  for (const p of list) {
    const s = pool.solvables[p]!;
    let isBad = false;
    if (s.repo && s.repo !== pool.installed) {
      for (const q of pool.whatProvides(s.name)) {
        const qs = pool.solvables[q]!;
        if (q === p || qs.name !== s.name || qs.arch !== s.arch) continue;
        if (s.repo.priority !== qs.repo!.priority) {
          if (s.repo.priority > qs.repo!.priority) continue;
          isBad = true;
          break;
        }
        if (pool.evrcmp(qs.evr, s.evr, EVRCMP.COMPARE) > 0) { isBad = true; break; }
      }
    }
    (isBad ? bad : good).push(p);
  }
  return [...good, ...bad];
}

/** Prefer candidates that provide the highest version of a commonly provided dependency. */
function sortByCommonDep(pool: Pool, list: number[]): number[] {
  const ent: Array<[number, number, number]> = [];
  list.forEach((p, i) => {
    for (const id of pool.solvables[p]!.provides) {
      if (!isRel(id)) continue;
      const rd = pool.getRel(id);
      if ((rd.flags === REL.EQ || rd.flags === (REL.EQ | REL.LT) || rd.flags === REL.LT) && !isRel(rd.evr)) {
        if (rd.flags === REL.EQ) {
          const s = pool.strs[rd.evr]!;
          if (s.length >= 4 && /^[a-f0-9]*$/.test(s)) continue;
        }
        ent.push([i, rd.name, rd.flags === REL.LT ? -rd.evr : rd.evr]);
      }
    }
  });
  if (ent.length < 2) return list;
  const cmp = (a: [number, number, number], b: [number, number, number]) => {
    if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
    if (a[2] === b[2]) return 0;
    const ea = Math.abs(a[2]);
    const eb = Math.abs(b[2]);
    let r = pool.evrcmp(eb, ea, EVRCMP.MATCH_RELEASE);
    if (r > 1) r = 1;
    if (r < -1) r = -1;
    if (!r && (a[2] < 0 || b[2] < 0)) {
      if (b[2] >= 0) return 1;
      if (a[2] >= 0) return -1;
    }
    return r;
  };
  ent.sort(cmp);
  const bad = new Array<number>(list.length).fill(0);
  let lastname = 0;
  let b = 0;
  let havebad = false;
  for (let i = 0; i < ent.length; i++) {
    const e = ent[i]!;
    if (lastname && e[1] === lastname) {
      const prev = ent[i - 1]!;
      if (e[0] !== prev[0] && cmp(prev, e) === -1) { b++; havebad = true; }
    } else {
      b = 0;
      lastname = e[1];
    }
    bad[e[0]] += b;
  }
  if (!havebad) return list;
  if (pool.installed) list.forEach((p, i) => { if (pool.solvables[p]!.repo === pool.installed) bad[i] = 0; });
  return list.map((p, i) => ({ p, i })).sort((x, y) => bad[x.i]! - bad[y.i]! || x.i - y.i).map((x) => x.p);
}

function moveInstalledToFront(pool: Pool, list: number[]): number[] {
  if (!pool.installed) return list;
  const front: number[] = [];
  const back: number[] = [];
  for (const p of list) {
    const s = pool.solvables[p]!;
    let inst = s.repo === pool.installed;
    if (!inst) inst = pool.whatProvides(s.name).some((q) => pool.solvables[q]!.name === s.name && pool.solvables[q]!.repo === pool.installed);
    (inst ? front : back).push(p);
  }
  return [...front, ...back];
}

function preferSuggested(st: PolicyState, list: number[]): number[] {
  const { pool } = st;
  const good: number[] = [];
  const bad: number[] = [];
  for (const p of list) {
    const s = pool.solvables[p]!;
    if ((pool.installed && s.repo === pool.installed) || st.isSuggested(p)) good.push(p);
    else bad.push(p);
  }
  return [...good, ...bad];
}

export function preferFavored(st: PolicyState, list: number[]): number[] {
  const fm = st.favormap;
  if (!fm || list.length < 2) return list;
  return list
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (fm.get(b.p) ?? 0) - (fm.get(a.p) ?? 0) || a.i - b.i)
    .map((x) => x.p);
}

function pruneToRecommended(st: PolicyState, list: number[]): number[] {
  const { pool } = st;
  const isInst = (p: number) => !!pool.installed && pool.solvables[p]!.repo === pool.installed;
  const ninst = list.filter(isInst).length;
  if (list.length - ninst < 2) return list;
  const rec = list.filter((p) => !isInst(p) && st.isRecommended(p));
  if (!rec.length) return list;
  const out: number[] = [];
  let seenRec = false;
  for (const p of list) {
    if (isInst(p)) {
      if (seenRec) out.push(p);
      continue;
    }
    if (!st.isRecommended(p)) continue;
    if (!seenRec) {
      seenRec = true;
      for (const q of list) if (isInst(q)) out.push(q);
    }
    out.push(p);
  }
  return out;
}

function pruneInstalledDup(st: PolicyState, list: number[]): number[] {
  const { pool } = st;
  let best: number | null = null;
  for (const p of list) {
    const s = pool.solvables[p]!;
    if (s.repo === pool.installed) continue;
    if (best === null || s.repo!.priority > best) best = s.repo!.priority;
  }
  const out = list.filter((p) => {
    const s = pool.solvables[p]!;
    if (s.repo !== pool.installed) return true;
    if (!st.dupInvolved(p)) return true;
    return st.dupAllowed(p);
  });
  return out.length ? out : list;
}

/** Order and prune candidates; the first element is the preferred choice. */
export function filterUnwanted(st: PolicyState, input: number[], mode: PolicyMode, favorRec = false): number[] {
  const { pool } = st;
  let list = input.slice();
  if (mode === PolicyMode.SUPPLEMENT) {
    list = dislikeOldVersions(pool, list);
    list = sortByCommonDep(pool, list);
    list = preferSuggested(st, list);
    return preferFavored(st, list);
  }
  if (!favorRec && st.favormap && list.length > 1) {
    const f0 = st.favormap.get(list[0]!) ?? 0;
    if (list.some((p) => (st.favormap!.get(p) ?? 0) !== f0)) {
      const sorted = preferFavored(st, list);
      const out: number[] = [];
      for (let i = 0; i < sorted.length;) {
        const f = st.favormap.get(sorted[i]!) ?? 0;
        let j = i;
        while (j < sorted.length && (st.favormap.get(sorted[j]!) ?? 0) === f) j++;
        const group = filterUnwanted(st, sorted.slice(0, j), mode, true);
        for (const p of group) if ((st.favormap.get(p) ?? 0) === f) out.push(p);
        i = j;
      }
      return out;
    }
  }
  if (list.length > 1) {
    if (mode !== PolicyMode.SUGGEST) {
      list = pruneToHighestPrio(pool, list);
      if (list.length > 1 && pool.installed) list = pruneInstalledDup(st, list);
    } else {
      bestVersionSort(pool, list);
      const out: number[] = [];
      for (let i = 0; i < list.length;) {
        let j = i;
        const name = pool.solvables[list[i]!]!.name;
        while (j < list.length && pool.solvables[list[j]!]!.name === name) j++;
        const grp = list.slice(i, j);
        for (const x of grp.length > 2 ? pruneToHighestPrio(pool, grp) : grp) out.push(x);
        i = j;
      }
      list = out;
    }
  }
  if (list.length > 1) list = pruneToBestArch(pool, list);
  if (list.length > 1) list = pruneToBestVersion(pool, list);
  if (list.length > 1 && (mode === PolicyMode.CHOOSE || mode === PolicyMode.CHOOSE_NOREORDER)) {
    list = pruneToRecommended(st, list);
    if (list.length > 1 && mode !== PolicyMode.CHOOSE_NOREORDER) {
      list = dislikeOldVersions(pool, list);
      list = sortByCommonDep(pool, list);
      list = moveInstalledToFront(pool, list);
      list = preferSuggested(st, list);
      list = preferFavored(st, list);
    }
  }
  return list;
}
