import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, REL } from './pool.js';
import { RuleSet, RuleClass, RuleInfo, depCnf } from './rules.js';
import { Sat } from './sat.js';
import { Solver } from './solver.js';
import { JobLists, addTesttags, str2dep, dep2str, JOB } from './testcase.js';
import { runTestcase } from './runner.js';
import { fixtures } from '../../test/helpers/cli.js';

function cnf(nvars: number, clauses: number[][]): { sat: Sat; rs: RuleSet } {
  const rs = new RuleSet();
  for (const c of clauses) rs.add(RuleClass.PKG, c, { type: RuleInfo.UNKNOWN });
  return { sat: new Sat(nvars, rs), rs };
}

test('SAT core: unit propagation and learning on a small CNF', () => {
  // (-1 | 2) (-2 | 3) (-3 | -4) (-1 | 4 | 5)
  const { sat } = cnf(8, [[-1, 2], [-2, 3], [-3, -4], [-1, 4, 5]]);
  sat.decide(1, 1, 0);
  assert.equal(sat.propagate(1), 0);
  assert.equal(sat.litValue(2), 1);
  assert.equal(sat.litValue(3), 1);
  assert.equal(sat.litValue(4), -1);
  assert.equal(sat.litValue(5), 1);
});

test('SAT core: conflict analysis learns an asserting clause and backjumps', () => {
  // decide 1 @2, 2 @3 -> conflict via (-1|-2|6) (-1|-2|-6)
  const { sat, rs } = cnf(8, [[-1, -2, 6], [-1, -2, -6]]);
  sat.decide(7, 1, 0);
  sat.decide(1, 2, 0);
  assert.equal(sat.propagate(2), 0);
  sat.decide(2, 3, 0);
  const c = sat.propagate(3);
  assert.ok(c > 0);
  const [lvl, lr] = sat.analyze(3, c);
  assert.equal(lvl, 2);
  const learnt = rs.rules[lr]!;
  assert.equal(learnt.cls, RuleClass.LEARNT);
  assert.deepEqual([...learnt.lits].sort((a, b) => a - b), [-2, -1]);
  assert.equal(learnt.lits[0], -2);
});

test('SAT core: unsat core (proof) of a level-1 conflict names the rules involved', () => {
  // 2 ; (-2|3) ; (-3|4) ; (-4) ; unrelated (5|6)   (variable 1 is the system solvable)
  const { sat } = cnf(8, [[2], [-2, 3], [-3, 4], [-4], [5, 6]]);
  sat.decide(-4, 1, 4);
  sat.decide(2, 1, 1);
  const c = sat.propagate(1);
  assert.ok(c > 0);
  const proof = sat.proof(c);
  assert.equal(proof[0], c, 'the conflicting rule comes first');
  assert.deepEqual([...proof].sort((a, b) => a - b), [1, 2, 3, 4]);
  assert.ok(!proof.includes(5), 'unrelated rule is not part of the proof');
});

test('rich dependency CNF: if/else and unless', () => {
  const pool = new Pool();
  const repo = pool.addRepo('r');
  addTesttags(pool, repo, '=Pkg: A 1 1 noarch\n=Pkg: B 1 1 noarch\n=Pkg: C 1 1 noarch\n');
  pool.createWhatProvides();
  const [a, b, c] = [2, 3, 4];
  const ifelse = str2dep(pool, 'A <IF> (B <ELSE> C)');
  assert.equal(dep2str(pool, ifelse), 'A <IF> (B <ELSE> C)');
  assert.deepEqual(depCnf(pool, ifelse, false), [[a, -b], [c, b]]);
  const unless = str2dep(pool, 'A <UNLESS> B');
  assert.deepEqual(depCnf(pool, unless, false), [[a, b]]);
  const or = str2dep(pool, 'A | B');
  assert.deepEqual(depCnf(pool, or, true), [[-a], [-b]]);
  assert.equal(pool.getRel(or).flags, REL.OR);
});

test('solver: install with requires, conflicts and a missing dependency', () => {
  const pool = new Pool();
  const sys = pool.addRepo('system');
  const av = pool.addRepo('available');
  addTesttags(pool, av, [
    '=Pkg: app 1 1 x86_64', '=Req: libfoo >= 2', '=Pkg: libfoo 1 1 x86_64', '=Pkg: libfoo 2 1 x86_64', '=Pkg: libfoo 3 1 i686',
    '=Pkg: broken 1 1 x86_64', '=Req: nothere',
  ].join('\n') + '\n');
  pool.installed = sys;
  pool.setArch('x86_64');
  pool.createWhatProvides();
  const lists = new JobLists();
  const s = new Solver(pool, lists);
  s.flags.ignorerecommended = true;
  assert.equal(s.solve([{ how: JOB.INSTALL | JOB.NAME, what: pool.str2id('app') }]), 0);
  const names = s.installedSet().map((p) => `${pool.strs[pool.solvables[p]!.name]}-${pool.strs[pool.solvables[p]!.evr]}.${pool.strs[pool.solvables[p]!.arch]}`);
  assert.deepEqual(names.sort(), ['app-1-1.x86_64', 'libfoo-2-1.x86_64']);
  const s2 = new Solver(pool, lists);
  assert.equal(s2.solve([{ how: JOB.INSTALL | JOB.NAME, what: pool.str2id('broken') }]), 1);
});

test('libsolv testcases: runs all 95 in one process', async () => {
  const base = join(fixtures, 'libsolv/testcases');
  let pass = 0;
  let total = 0;
  const failed: string[] = [];
  for (const d of readdirSync(base).sort()) {
    for (const f of readdirSync(join(base, d)).sort()) {
      if (!f.endsWith('.t')) continue;
      total++;
      const r = await runTestcase(join(base, d, f));
      if (r.ok) pass++;
      else failed.push(`${d}/${f}`);
    }
  }
  assert.equal(total, 95);
  console.log(`libsolv testcases: ${pass}/${total} passed; failing: ${failed.join(' ')}`);
  // Floor of what currently passes; the acceptance goal is 94.
  assert.ok(pass >= 95, `only ${pass}/${total} testcases pass`);
});
