/**
 * Job bookkeeping before rules are made: multiversion/favor/update/erase/dup/verify maps and
 * the extra package rules for packages that supplement what may be installed.
 */
import type { Solver } from './solver.js';
import { JOB } from './testcase.js';
import { addPkgRulesFor, type PkgRuleContext } from './rules.js';

export function processJobMaps(sv: Solver): void {
  const pool = sv.pool;
  let favor = 0;
  for (const job of sv.jobs) {
    const t = job.how & JOB.JOBMASK;
    const sel = sv.jobSelect(job);
    switch (t) {
      case JOB.MULTIVERSION: for (const p of sel) sv.multiversion.add(p); break;
      case JOB.FAVOR: case JOB.DISFAVOR:
        sv.favormap ??= new Map();
        favor++;
        for (const p of sel) sv.favormap.set(p, t === JOB.FAVOR ? favor : -favor);
        break;
      case JOB.UPDATE: {
        const fb = (job.how & JOB.FORCEBEST) !== 0;
        const selk = job.how & JOB.SELECTMASK;
        if (selk === JOB.ALL || (selk === JOB.REPO && pool.installed && job.what === pool.installed.id)) {
          sv.updateAll = true;
          if (fb) sv.bestupdateAll = true;
          if (job.how & JOB.CLEANDEPS) for (const q of sv.installedIds()) sv.cleandepsUpdatePkgs.add(q);
          break;
        }
        let targeted = (job.how & JOB.TARGETED) !== 0;
        if (pool.installed && !targeted && !sv.flags.noautotarget) targeted = !sel.some((p) => sv.isInstalledPkg(p));
        const mark = (q: number) => { sv.updatemap.add(q); if (fb) sv.bestupdatemap.add(q); if (job.how & JOB.CLEANDEPS) sv.cleandepsUpdatePkgs.add(q); };
        if (pool.installed && !targeted) {
          for (const p of sel) if (sv.isInstalledPkg(p)) mark(p);
        } else if (targeted) {
          for (const p of sel) {
            const s = pool.solvables[p]!;
            const addT = (q: number) => {
              let l = sv.updateTargets.get(q);
              if (!l) sv.updateTargets.set(q, (l = []));
              if (!l.includes(p)) l.push(p);
              mark(q);
            };
            if (sv.isInstalledPkg(p)) { addT(p); continue; }
            for (const q of pool.whatProvides(s.name)) {
              const qs = pool.solvables[q]!;
              if (!sv.isInstalledPkg(q) || qs.name !== s.name) continue;
              if (pool.flags.implicitobsoleteusescolors && !pool.colormatch(s, qs)) continue;
              addT(q);
            }
            for (const obs of s.obsoletes) for (const q of pool.whatProvides(obs)) {
              if (!sv.isInstalledPkg(q)) continue;
              if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(pool.solvables[q]!, obs)) continue;
              if (pool.flags.obsoleteusescolors && !pool.colormatch(s, pool.solvables[q]!)) continue;
              addT(q);
            }
          }
        }
        break;
      }
      case JOB.ERASE: for (const p of sel) if (sv.isInstalledPkg(p)) sv.noupdate.add(p); break;
      case JOB.VERIFY:
        if ((job.how & JOB.SELECTMASK) === JOB.ALL) sv.fixAll = true;
        for (const p of sel) sv.fixmap.add(p);
        break;
      case JOB.ALLOWUNINSTALL:
        if ((job.how & JOB.SELECTMASK) === JOB.ALL) sv.allowuninstallAll = true;
        for (const p of sel) sv.allowuninstallmap.add(p);
        break;
      case JOB.DISTUPGRADE: {
        const selk = job.how & JOB.SELECTMASK;
        if (job.how & JOB.FORCEBEST) {
          if (selk === JOB.ALL) sv.bestupdateAll = true;
          else for (const p of sel) for (const q of sv.installedIds()) if (q === p || pool.solvables[q]!.name === pool.solvables[p]!.name) sv.bestupdatemap.add(q);
        }
        if (selk === JOB.ALL) {
          sv.dupAll = true;
          sv.dupinvolvedAll = true;
          sv.updateAll = true;
          for (let p = 2; p < pool.solvables.length; p++) if (pool.solvables[p]!.repo && !sv.isInstalledPkg(p)) sv.dupmap.add(p);
          if (job.how & JOB.CLEANDEPS) for (const q of sv.installedIds()) sv.cleandepsUpdatePkgs.add(q);
          break;
        }
        let targeted = (job.how & JOB.TARGETED) !== 0;
        if (!targeted && !sv.flags.noautotarget) targeted = !sel.some((p) => sv.isInstalledPkg(p));
        for (const p of sel) {
          const s = pool.solvables[p]!;
          if (!s.repo) continue;
          if (!targeted && !sv.isInstalledPkg(p)) continue;
          sv.addToDupMaps(p, targeted, job.how);
        }
        break;
      }
      case JOB.EXCLUDEFROMWEAK: for (const p of sel) sv.excludefromweak.add(p); break;
      case JOB.DROP_ORPHANED:
        if ((job.how & JOB.SELECTMASK) === JOB.ALL) sv.dropOrphanedAll = true;
        for (const p of sel) if (sv.isInstalledPkg(p)) sv.dropOrphanedSet.add(p);
        break;
      case JOB.BLACKLIST: for (const p of sel) sv.blacklisted.add(p); break;
      default: break;
    }
  }
  if (sv.flags.allowuninstall) sv.allowuninstallAll = true;
  for (const p of sv.dupinvolved) if (sv.isInstalledPkg(p)) sv.updatemap.add(p);
}

export function addToDupMaps(sv: Solver, p: number, targeted: boolean, how: number): void {
  const pool = sv.pool;
  const s = pool.solvables[p]!;
  sv.dupinvolved.add(p);
  if (how & JOB.CLEANDEPS) {
    for (const q of pool.whatProvides(s.name)) if (pool.solvables[q]!.name === s.name && sv.isInstalledPkg(q)) sv.cleandepsUpdatePkgs.add(q);
  }
  if (targeted) sv.dupmap.add(p);
  for (const q of pool.whatProvides(s.name)) {
    const qs = pool.solvables[q]!;
    if (qs.name !== s.name) continue;
    sv.dupinvolved.add(q);
    if (targeted && sv.isInstalledPkg(q)) {
      for (let o = 2; o < pool.solvables.length; o++) {
        const os = pool.solvables[o]!;
        if (!os.obsoletes.length || !os.repo || sv.isInstalledPkg(o) || os.name === qs.name) continue;
        if (sv.isObsoleting(o, q)) sv.dupinvolved.add(o);
      }
    }
    if (!targeted && !sv.isInstalledPkg(q)) sv.dupmap.add(q);
  }
  if (sv.isInstalledPkg(p)) {
    for (let q = 2; q < pool.solvables.length; q++) {
      const qs = pool.solvables[q]!;
      if (!qs.obsoletes.length || sv.isInstalledPkg(q) || !qs.repo || qs.name === s.name) continue;
      if (!sv.isObsoleting(q, p)) continue;
      sv.dupinvolved.add(q);
      if (!targeted) sv.dupmap.add(q);
    }
  } else if (targeted) {
    for (const obs of s.obsoletes) for (const q of pool.whatProvides(obs)) {
      if (!pool.flags.obsoleteusesprovides && !pool.matchNevr(pool.solvables[q]!, obs)) continue;
      sv.dupinvolved.add(q);
    }
  }
}

export function addWeakPkgRules(sv: Solver, ctx: PkgRuleContext): void {
  const pool = sv.pool;
  for (let again = true; again;) {
    again = false;
    for (let p = 2; p < pool.solvables.length; p++) {
      if (ctx.added[p]) continue;
      const s = pool.solvables[p]!;
      if (!s.repo) continue;
      if (s.repo !== pool.installed && !pool.installable(s)) continue;
      const possible = (d: number) => sv.depProviders(d).some((x) => ctx.added[x]);
      if (s.supplements.some(possible) || s.enhances.some(possible)) {
        addPkgRulesFor(ctx, p);
        again = true;
      }
    }
  }
}
