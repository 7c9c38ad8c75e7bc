/**
 * Transaction: what changes between the installed system and the solver's result, classified
 * like libsolv (install, erase, upgrade/downgrade/reinstall/change with the replacing package,
 * multiinstall for multiversion packages).
 */
import { EVRCMP, type Pool } from './pool.js';

export type StepKind = 'install' | 'erase' | 'upgrade' | 'downgrade' | 'reinstall' | 'change' | 'multiinstall' | 'multireinstall';

export interface Step { kind: StepKind; p: number; replacedBy?: number }

/** Does new package q replace installed package p? */
function replaces(pool: Pool, q: number, p: number, multiversion: Set<number>): 'name' | 'obsoletes' | null {
  const qs = pool.solvables[q]!;
  const ps = pool.solvables[p]!;
  if (multiversion.has(q)) return null;
  if (qs.name === ps.name) {
    if (!pool.flags.implicitobsoleteusescolors || pool.colormatch(qs, ps)) return 'name';
  }
  if (multiversion.has(q) && !pool.flags.noobsoletesmultiversion) {
    // multiversion packages obsolete nothing by name; explicit obsoletes still count below
  }
  for (const obs of qs.obsoletes) {
    if (!pool.whatProvides(obs).includes(p)) continue;
    if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(ps, obs)) continue;
    if (pool.flags.obsoleteusescolors && !pool.colormatch(qs, ps)) continue;
    return 'obsoletes';
  }
  return null;
}

/** Classify the result of a solve. `installedAfter` is the set of solvables installed afterwards. */
export function createTransaction(pool: Pool, installedAfter: Set<number>, multiversion: Set<number>): Step[] {
  const steps: Step[] = [];
  const installed = pool.installed ? pool.installed.solvables : [];
  const instSet = new Set(installed);
  const fresh = [...installedAfter].filter((p) => !instSet.has(p)).sort((a, b) => a - b);
  const replacedBy = new Map<number, number>();
  const newReplacesSameName = new Set<number>();
  for (const p of installed) {
    if (installedAfter.has(p)) continue;
    let byName = 0;
    let byObs = 0;
    for (const q of fresh) {
      const r = replaces(pool, q, p, multiversion);
      if (r === 'name' && !byName) byName = q;
      else if (r === 'obsoletes' && !byObs) byObs = q;
    }
    const q = byName || byObs;
    if (q) replacedBy.set(p, q);
    if (byName) newReplacesSameName.add(byName);
  }
  for (const p of installed) {
    if (installedAfter.has(p)) continue;
    const q = replacedBy.get(p);
    if (!q) { steps.push({ kind: 'erase', p }); continue; }
    const ps = pool.solvables[p]!;
    const qs = pool.solvables[q]!;
    if (qs.name !== ps.name) { steps.push({ kind: 'erase', p, replacedBy: q }); continue; }
    const c = pool.evrcmp(ps.evr, qs.evr, EVRCMP.COMPARE);
    if (c < 0) steps.push({ kind: 'upgrade', p, replacedBy: q });
    else if (c > 0) steps.push({ kind: 'downgrade', p, replacedBy: q });
    else if (pool.identical(p, q)) steps.push({ kind: 'reinstall', p, replacedBy: q });
    else steps.push({ kind: 'change', p, replacedBy: q });
  }
  for (const q of fresh) {
    if (newReplacesSameName.has(q)) continue;
    const qs = pool.solvables[q]!;
    if (multiversion.has(q) && installed.some((p) => pool.solvables[p]!.name === qs.name && installedAfter.has(p))) {
      const same = installed.find((p) => pool.solvables[p]!.name === qs.name && pool.solvables[p]!.evr === qs.evr && pool.solvables[p]!.arch === qs.arch);
      steps.push({ kind: same ? 'reinstall' : 'install', p: q });
      continue;
    }
    steps.push({ kind: 'install', p: q });
  }
  return steps;
}
