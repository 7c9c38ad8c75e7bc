/**
 * Result writer in libsolv's testcase format (`install A-1-1.noarch@repo`, `problem <id> info ...`),
 * sorted like testsolv so results compare line by line.
 */
import { createHash } from 'node:crypto';
import type { Pool } from './pool.js';
import { REL, isRel } from './pool.js';
import { RuleClass } from './rules.js';
import type { Solver } from './solver.js';
import { createTransaction } from './transaction.js';
import { dep2str, job2str, solvid2str, OPLIST } from './testcase.js';
import { ruleInfo2str } from './problems.js';
import { JOB } from './testcase.js';

const md5 = (parts: string[]) => {
  const h = createHash('md5');
  for (const p of parts) {
    h.update(p);
    h.update(Buffer.from([0]));
  }
  return h.digest('hex');
};

/** Sort like strqueue_sort (strcmp on bytes). */
export function sortC(a: string[]): string[] {
  return a.sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
}

function uniqSorted(a: string[]): string[] {
  return sortC([...new Set(a)]);
}

/** The literals of a rule as libsolv lists them. */
export function ruleLiterals(solver: Solver, rid: number): number[] {
  return solver.rules.rules[rid]!.lits;
}

export function ruleId(solver: Solver, rid: number): string {
  const pool = solver.pool;
  const strs = ruleLiterals(solver, rid).map((p) => (p < 0 ? '!' : '') + solvid2str(pool, Math.abs(p)));
  return md5(uniqSorted(strs));
}

function problemId(solver: Solver, proof: number[]): string {
  return md5(uniqSorted(proof.map((r) => ruleId(solver, r)))).slice(0, 8);
}

function solutionId(solver: Solver, source: number): string {
  const s = source < 0 ? job2str(solver.pool, solver.lists, solver.jobs[-source - 1]!) : ruleId(solver, source);
  return md5([s]).slice(0, 8);
}

export function genidLines(pool: Pool, id: number, out: string[], cnt: number): number {
  if (isRel(id)) {
    const r = pool.getRel(id);
    cnt = genidLines(pool, r.name, out, cnt);
    cnt = genidLines(pool, r.evr, out, cnt);
    const op = OPLIST.find(([f]) => f === r.flags);
    out.push(`genid ${String(cnt++).padStart(2, ' ')}: genid op ${op ? op[1] : 'unknown'}`);
    return cnt;
  }
  out.push(`genid ${String(cnt++).padStart(2, ' ')}: genid ${id ? `lit ${pool.strs[id]}` : 'null'}`);
  return cnt;
}

/** Produce the result text for the given result kinds. */
export function solverResult(solver: Solver, kinds: Set<string>): string {
  const pool = solver.pool;
  const out: string[] = [];
  if (kinds.has('transaction')) {
    const steps = createTransaction(pool, new Set(solver.installedSet()), solver.multiversion);
    for (const st of steps) out.push(`${st.kind} ${solvid2str(pool, st.p)}${st.replacedBy ? ` ${solvid2str(pool, st.replacedBy)}` : ''}`);
  }
  if (kinds.has('problems')) {
    for (const pr of solver.problems) {
      const pid = problemId(solver, pr.proof);
      out.push(`problem ${pid} info ${ruleInfo2str(solver, pr.infoRule!)}`);
      for (const sol of pr.solutions ?? []) {
        const sid = solutionId(solver, sol.source);
        for (const e of sol.elements) {
          const pre = `problem ${pid} solution ${sid}`;
          if (e.kind === 'deljob') out.push(`${pre} deljob ${job2str(pool, solver.lists, solver.jobs[e.job!]!)}`);
          else if (e.kind === 'erase') out.push(`${pre} erase ${solvid2str(pool, e.p!)}`);
          else if (e.kind === 'replace') out.push(`${pre} replace ${solvid2str(pool, e.p!)} ${solvid2str(pool, e.q!)}`);
          else out.push(`${pre} allow ${solvid2str(pool, e.q!)}`);
        }
      }
    }
  }
  if (kinds.has('recommended')) {
    for (const p of solver.recommendedList()) out.push(`recommended ${solvid2str(pool, p)}`);
    for (const p of solver.suggestedList()) out.push(`suggested ${solvid2str(pool, p)}`);
  }
  if (kinds.has('rules')) {
    const rs = solver.rules.rules;
    for (let rid = 1; rid < rs.length; rid++) {
      const r = rs[rid]!;
      if (r.cls === RuleClass.LEARNT) continue;
      if (!r.lits.length) {
        if (r.cls === RuleClass.UPDATE) out.push(`rule ${r.cls} ${md5(['!@SYSTEM'])} -@SYSTEM`);
        continue;
      }
      if (r.cls === RuleClass.FEATURE && r.lits.length === 1 && r.lits[0] === -1) continue;
      const pre = `rule ${r.cls} ${ruleId(solver, rid)}`;
      for (const p of r.lits) out.push(p < 0 ? `${pre} -${solvid2str(pool, -p)}` : `${pre}  ${solvid2str(pool, p)}`);
    }
  }
  if (kinds.has('genid')) {
    for (const job of solver.jobs) {
      if (job.how !== (JOB.NOOP | JOB.PROVIDES)) continue;
      out.push(`genid dep ${dep2str(pool, job.what)}`);
      genidLines(pool, job.what, out, 1);
    }
  }
  if (kinds.has('orphaned')) {
    for (const p of solver.orphaned) out.push(`orphaned ${solvid2str(pool, p)}`);
  }
  if (kinds.has('cleandeps')) {
    for (const p of solver.cleandepsList()) out.push(`cleandeps ${solvid2str(pool, p)}`);
  }
  if (kinds.has('jobs')) {
    for (const job of solver.jobs) out.push(`job ${job2str(pool, solver.lists, job)}`);
  }
  if (kinds.has('alternatives')) {
    for (const l of solver.alternativeLines()) out.push(l);
  }
  sortC(out);
  return out.map((l) => `${l}\n`).join('');
}

export { REL };
