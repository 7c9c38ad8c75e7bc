/**
 * cleandeps: when a job erases (or replaces) a package with the `cleandeps` flag, also remove
 * the installed packages that were only there for it — packages no longer needed by anything
 * that stays (libsolv's two-pass "remove, then add back what is still required").
 */
import { RuleClass } from './rules.js';
import { isComplexDep, depCnf } from './rules.js';
import { JOB } from './testcase.js';
import type { Solver } from './solver.js';
import { filterUnwanted, PolicyMode } from './policy.js';

function providers(solver: Solver, dep: number): number[] {
  if (isComplexDep(solver.pool, dep)) {
    const out: number[] = [];
    for (const c of depCnf(solver.pool, dep, false)) for (const l of c) if (l > 0) out.push(l);
    return out;
  }
  return solver.pool.whatProvides(dep);
}

/** Installed packages that cleandeps may remove. */
export function createCleandepsMap(solver: Solver): Set<number> {
  const pool = solver.pool;
  const rs = solver.rules.rules;
  const installed = solver.installedIds();
  const out = new Set<number>();
  if (!installed.length) return out;
  const userinstalled = new Set<number>();
  for (const job of solver.jobs) {
    if ((job.how & JOB.JOBMASK) !== JOB.USERINSTALLED) continue;
    for (const p of solver.jobSelect(job)) if (solver.isInstalledPkg(p)) userinstalled.add(p);
  }
  // erasing a namespace (e.g. a language) drops packages only supplemented through it
  const nsq: number[] = [];
  for (const job of solver.jobs) {
    if ((job.how & (JOB.JOBMASK | JOB.SELECTMASK)) !== (JOB.ERASE | JOB.PROVIDES) || job.what < 0x40000000) continue;
    const rd = pool.getRel(job.what);
    if (rd.flags !== 19) continue;
    if (rd.evr === 0) { if (!nsq.includes(rd.name)) nsq.push(rd.name); continue; }
    if (pool.whatProvides(job.what).length) continue;
    if (!nsq.includes(job.what)) nsq.push(job.what);
  }
  const xsupp = new Set<number>();
  if (nsq.length) {
    const checkXsupp = (depq: number[] | null, dep: number): boolean => {
      if (dep >= 0x40000000) {
        const rd = pool.getRel(dep);
        if (rd.flags === 16) return checkXsupp(depq, rd.name) && checkXsupp(depq, rd.evr);
        if (rd.flags === 17) return checkXsupp(depq, rd.name) || checkXsupp(depq, rd.evr);
        if (depq && rd.flags === 19 && (depq.includes(dep) || depq.includes(rd.name))) return true;
      }
      return pool.whatProvides(dep).some((p) => p === 1 || solver.isInstalledPkg(p));
    };
    for (const ip of installed) {
      for (const sup of pool.solvables[ip]!.supplements) {
        if (sup >= 0x40000000 && checkXsupp(nsq, sup) && !checkXsupp(null, sup)) xsupp.add(sup);
      }
    }
  }
  const jobRules = rs.map((r, i) => [r, i] as const).filter(([r]) => r.cls === RuleClass.JOB && !r.disabled);
  for (const [r] of jobRules) {
    if (solver.jobs[r.job!]!.how & JOB.CLEANDEPS) continue;
    for (const p of r.lits) if (p > 0 && solver.isInstalledPkg(p)) userinstalled.add(p);
  }
  let iq: number[] = [];
  for (const [r] of jobRules) {
    const how = solver.jobs[r.job!]!.how;
    if (r.lits.length === 1 && r.lits[0]! < 0) {
      const p = -r.lits[0]!;
      if (!solver.isInstalledPkg(p)) continue;
      userinstalled.delete(p);
      if ((how & (JOB.JOBMASK | JOB.CLEANDEPS)) === (JOB.ERASE | JOB.CLEANDEPS)) iq.push(p);
    } else if (r.lits[0]! > 0 && how & JOB.CLEANDEPS) {
      if (r.lits.length === 1 && solver.isInstalledPkg(r.lits[0]!)) continue;
      if (solver.multiversion.size && !solver.flags.keepexplicitobsoletes && r.lits.some((p) => solver.multiversion.has(p))) continue;
      let inter: number[] | null = null;
      for (const p of r.lits) {
        if (p < 0) { inter = []; break; }
        const o = solver.isInstalledPkg(p) ? [p] : obsoletedInstalled(solver, p);
        inter = inter === null ? o : inter.filter((x) => o.includes(x));
        if (!inter.length) break;
      }
      if (inter) iq.push(...inter);
    }
  }
  const iqcopy = iq.slice();
  for (const p of iq) userinstalled.delete(p);
  if (pool.considered) for (const p of installed) if (!pool.isConsidered(p)) userinstalled.add(p);
  // update seeds: updated packages nothing else installed needs (libsolv's find_update_seeds)
  const seedCands = [...solver.cleandepsUpdatePkgs].filter((p) => solver.isInstalledPkg(p));
  const seedSet = new Set(seedCands);
  const needed = new Set<number>();
  if (seedCands.length > 1) {
    for (const q of installed) {
      for (const d of pool.solvables[q]!.requires) for (const p of providers(solver, d)) if (p !== q && seedSet.has(p)) needed.add(p);
    }
  }
  const updateSeeds = seedCands.filter((p) => !needed.has(p) || userinstalled.has(p));
  for (const p of updateSeeds) {
    if (!pool.isConsidered(p)) continue;
    iq.push(p);
    userinstalled.delete(p);
  }
  const installedm = new Set<number>([...installed, 1]);
  const im = new Set<number>([...installed, 1]);
  const canProvide = (dep: number, m: Set<number>) => providers(solver, dep).some((p) => m.has(p));
  // pass 1: remove everything only reachable from the erased packages
  for (;;) {
    if (!iq.length) {
      for (const ip of installed) {
        const s = pool.solvables[ip]!;
        if (!s.supplements.length || !im.has(ip) || userinstalled.has(ip)) continue;
        if (s.supplements.some((d) => canProvide(d, im))) continue;
        if (s.supplements.some((d) => canProvide(d, installedm) || xsupp.has(d))) iq.push(ip);
      }
      if (!iq.length) break;
    }
    const ip = iq.shift()!;
    if (!im.has(ip) || !installedm.has(ip) || userinstalled.has(ip)) continue;
    im.delete(ip);
    const s = pool.solvables[ip]!;
    for (const d of [...s.requires, ...s.recommends]) for (const p of providers(solver, d)) if (p !== 1 && im.has(p)) iq.push(p);
  }
  // pass 2: add back what the remaining packages still need
  const removed = new Set<number>();
  for (const [r] of jobRules) {
    if (r.lits.length !== 1 || r.lits[0]! >= 0) continue;
    const p = -r.lits[0]!;
    im.delete(p);
    if (solver.isInstalledPkg(p)) removed.add(p);
  }
  for (const p of updateSeeds) removed.add(p);
  im.add(1);
  iq = installed.filter((p) => im.has(p));
  for (const [r] of jobRules) for (const p of r.lits) if (p > 0) iq.push(p);
  // updated packages: their update candidates stay needed roots
  for (const p of updateSeeds) {
    const ur = solver.updateRules.get(p);
    if (ur === undefined) continue;
    const cands = rs[ur]!.lits.filter((q) => q > 0 && !solver.isInstalledPkg(q));
    if (cands.length) for (const q of filterUnwanted(solver, cands, PolicyMode.RECOMMEND)) iq.push(q);
  }
  for (;;) {
    if (!iq.length) {
      for (const ip of installed) {
        const s = pool.solvables[ip]!;
        if (removed.has(ip) || !s.supplements.length || im.has(ip)) continue;
        if (s.supplements.some((d) => canProvide(d, im))) { im.add(ip); iq.push(ip); }
      }
      if (!iq.length) break;
    }
    const ip = iq.shift()!;
    const s = pool.solvables[ip]!;
    for (const d of [...s.requires, ...s.recommends]) {
      const prov = providers(solver, d);
      if (prov.includes(ip)) continue;
      for (const p of prov) {
        if (im.has(p) || !installedm.has(p) || p === ip || removed.has(p)) continue;
        im.add(p);
        iq.push(p);
      }
    }
  }
  for (const p of updateSeeds) im.add(p);
  for (const p of iqcopy) im.add(p);
  for (const p of installed) if (pool.isConsidered(p) && !im.has(p)) out.add(p);
  return out;
}

function obsoletedInstalled(solver: Solver, p: number): number[] {
  const pool = solver.pool;
  const s = pool.solvables[p]!;
  const out = new Set<number>();
  for (const q of pool.whatProvides(s.name)) {
    const qs = pool.solvables[q]!;
    if (!solver.isInstalledPkg(q) || qs.name !== s.name) continue;
    if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, qs)) continue;
    out.add(q);
  }
  for (const obs of s.obsoletes) for (const q of pool.whatProvides(obs)) {
    if (!solver.isInstalledPkg(q)) continue;
    if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(pool.solvables[q]!, obs)) continue;
    out.add(q);
  }
  return [...out];
}
