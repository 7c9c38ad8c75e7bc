/**
 * testsolv runner: read a libsolv testcase (.t), solve each job section and compare the
 * result with the expected one, like libsolv's `testsolv`.
 *
 *   const r = await runTestcase('/path/case.t');
 *   r.ok        // true when every section's result matched
 *   r.diff      // "Results differ:" text otherwise
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Pool, DEFAULT_POOL_FLAGS, type PoolFlags } from './pool.js';
import { Solver, DEFAULT_SOLVER_FLAGS, type SolverFlags } from './solver.js';
import { addTesttags, JobLists, str2dep, str2job, str2solvid, str2repo, str2jobsel, JOB, type Job, OPLIST } from './testcase.js';
import { solverResult, sortC } from './result.js';
import { selectionJobs } from './selection.js';
import { DriftlessError } from '../core/errors.js';

export interface TestcaseResult {
  file: string;
  ok: boolean;
  /** Sections that had an expected result. */
  sections: number;
  diff: string;
  skipped?: string;
}

const FEATURES = new Set(['complex_deps']);

function resultDiff(expected: string, got: string): string | null {
  const a = sortC(expected.split('\n').filter((l) => l !== ''));
  const b = sortC(got.split('\n').filter((l) => l !== ''));
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { i++; j++; continue; }
    if (j >= b.length || (i < a.length && Buffer.compare(Buffer.from(a[i]!), Buffer.from(b[j]!)) < 0)) out.push(`-${a[i++]}`);
    else out.push(`+${b[j++]}`);
  }
  return out.length ? out.join('\n') + '\n' : null;
}

async function readRepoFile(path: string): Promise<string> {
  const buf = await readFile(path);
  if (path.endsWith('.gz')) return gunzipSync(buf).toString('utf8');
  return buf.toString('utf8');
}

/** Run one testcase file. */
export async function runTestcase(file: string, opts: { write?: boolean } = {}): Promise<TestcaseResult & { output?: string }> {
  const text = await readFile(file, 'utf8').catch((e: unknown) => {
    throw new DriftlessError('SOLVER_TESTCASE_READ', `cannot read testcase ${file}: ${(e as Error).message}`, { path: file });
  });
  const dir = dirname(resolve(file));
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const pool = new Pool();
  const lists = new JobLists();
  let li = 0;
  let sections = 0;
  let diffs = '';
  let output = '';
  let poolFlagsReset = false;
  let reuse = false;
  let prevSolver: Solver | null = null;
  const readInline = (): string => {
    const out: string[] = [];
    while (li < lines.length && lines[li]!.startsWith('#>')) out.push(lines[li++]!.slice(2));
    return out.length ? out.join('\n') + '\n' : '';
  };
  while (li < lines.length) {
    const jobs: Job[] = [];
    const solverFlags: SolverFlags = { ...DEFAULT_SOLVER_FLAGS };
    let expected: string | null = null;
    let kinds = new Set<string>();
    let prepared = false;
    const genids: number[] = [];
    let nextReuse = false;
    const prepare = () => {
      if (!prepared) { pool.createWhatProvides(); prepared = true; }
    };
    for (; li < lines.length;) {
      const raw = lines[li++]!;
      const s = raw.replace(/^[ \t]+/, '');
      if (!s || s[0] === '#') continue;
      const pieces = s.split(/[ \t]+/).filter((x) => x !== '');
      const cmd = pieces[0]!;
      if (cmd === 'repo' && pieces.length >= 4) {
        if (!poolFlagsReset) { pool.flags = { ...DEFAULT_POOL_FLAGS }; poolFlagsReset = true; }
        const [prio, sub] = pieces[2]!.includes('.') ? pieces[2]!.split('.').map(Number) : [Number.parseInt(pieces[2]!, 10) || 0, 0];
        const repo = pool.addRepo(pieces[1]!, prio ?? 0, sub ?? 0);
        prepared = false;
        if (pieces[3] !== 'empty' && pieces.length > 4) {
          let data: string;
          if (pieces[4] === '<inline>') data = readInline();
          else data = await readRepoFile(resolve(dir, pieces[4]!));
          if (pieces[3] === 'testtags') addTesttags(pool, repo, data);
          else throw new DriftlessError('SOLVER_TESTCASE_UNSUPPORTED', `${file}: repo type ${pieces[3]} is not supported`);
        }
      } else if (cmd === 'system' && pieces.length >= 3) {
        prepared = false;
        if (pieces[1] === 'unset' || pieces[1] === '-') pool.setArch(null);
        else if (pieces[1]!.startsWith(':')) pool.setArchPolicy(pieces[1]!.slice(1));
        else pool.setArch(pieces[1]!);
        if (pieces[2] !== '*' && !pieces[2]!.split(',').includes('rpm')) {
          return { file, ok: true, sections: 0, diff: '', skipped: `disttype ${pieces[2]}` };
        }
        if (pieces.length > 3) pool.installed = str2repo(pool, pieces[3]!);
      } else if (cmd === 'job' && pieces.length > 1) {
        prepare();
        if (pieces.length >= 3 && pieces[2]!.startsWith('selection')) {
          jobs.push(...selectionJobs(pool, lists, pieces.slice(1), jobs));
          continue;
        }
        const j = str2job(pool, lists, pieces.slice(1).join(' '));
        if (j) jobs.push(j);
      } else if (cmd === 'vendorclass' && pieces.length > 1) {
        pool.addVendorClass(pieces.slice(1).map((x) => x.replace(/\\([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))));
      } else if (cmd === 'namespace' && pieces.length > 1) {
        const k = pieces[1]!.indexOf('(');
        if (k < 0 || !pieces[1]!.endsWith(')')) continue;
        const name = pool.str2id(pieces[1]!.slice(0, k));
        const evr = pool.str2id(pieces[1]!.slice(k + 1, -1));
        const id = pool.rel(name, evr, 19);
        prepare();
        pool.namespaceProviders.set(id, pieces.slice(2).map((x) => str2solvid(pool, x)).filter((p) => p));
        pool.createWhatProvides();
      } else if (cmd === 'poolflags') {
        if (!poolFlagsReset) { pool.flags = { ...DEFAULT_POOL_FLAGS }; poolFlagsReset = true; }
        for (const f of pieces.slice(1).join(',').split(',')) {
          if (!f) continue;
          const v = !f.startsWith('!');
          const n = (v ? f : f.slice(1)) as keyof PoolFlags;
          if (n in pool.flags) pool.flags[n] = v;
        }
        prepared = false;
      } else if (cmd === 'solverflags' && pieces.length > 1) {
        for (const f of pieces.slice(1).join(',').split(',')) {
          if (!f) continue;
          const v = !f.startsWith('!');
          const n = (v ? f : f.slice(1)) as keyof SolverFlags;
          if (n in solverFlags) solverFlags[n] = v;
        }
      } else if (cmd === 'result' && pieces.length > 1) {
        kinds = new Set(pieces[1]!.split(','));
        if (pieces.length > 2) {
          if (pieces[2] === '<inline>') expected = readInline();
          else expected = await readFile(resolve(dir, pieces[2]!), 'utf8').catch(() => '');
        }
      } else if (cmd === 'nextjob') {
        nextReuse = pieces[1] === 'reusesolver';
        break;
      } else if (cmd === 'disable' && pieces.length === 3) {
        prepare();
        if (!pool.considered) pool.considered = new Uint8Array(pool.solvables.length + 1).fill(1);
        if (pieces[1] === 'all') pool.considered.fill(0);
        else if (pieces[1] === 'repo') {
          const r = str2repo(pool, pieces[2]!);
          if (r) for (const p of r.solvables) pool.considered[p] = 0;
        } else {
          const sel = str2jobsel(pool, lists, pieces.slice(1));
          if (sel && sel.sel === JOB.SOLVABLE) pool.considered[sel.what] = 0;
          else if (sel) for (const p of pool.whatProvides(sel.what)) pool.considered[p] = 0;
        }
        pool.createWhatProvides();
      } else if (cmd === 'feature') {
        const missing = pieces.slice(1).filter((f) => !FEATURES.has(f));
        if (missing.length) return { file, ok: true, sections, diff: '', skipped: `missing feature ${missing.join(' ')}` };
      } else if (cmd === 'genid' && pieces.length > 1) {
        const arg = pieces.slice(2).join(' ');
        let id: number;
        if (pieces[1] === 'op') {
          const op = OPLIST.find(([, n]) => arg.startsWith(n));
          if (!op || genids.length < 2) break;
          const b = genids.pop()!;
          const a = genids.pop()!;
          id = pool.rel(a, b, op[0]);
        } else if (pieces[1] === 'lit') id = pool.str2id(arg);
        else if (pieces[1] === 'null') id = 0;
        else if (pieces[1] === 'dep') id = str2dep(pool, arg);
        else break;
        genids.push(id);
      } else if (cmd === 'evrcmp' && pieces.length === 3) {
        const a = pool.str2id(pieces[1]!);
        const b = pool.str2id(pieces[2]!);
        const r = pool.evrcmp(a, b, 0);
        jobs.push({ how: JOB.NOOP | JOB.PROVIDES, what: pool.rel(a, b, r < 0 ? 4 : r > 0 ? 1 : 2) });
      }
    }
    while (genids.length) jobs.push({ how: JOB.NOOP | JOB.PROVIDES, what: genids.pop()! });
    prepare();
    const useReuse = reuse;
    reuse = nextReuse;
    if (expected === null && !opts.write) { prevSolver = null; continue; }
    sections++;
    const solver = new Solver(pool, lists);
    solver.flags = solverFlags;
    if (useReuse && prevSolver) solver.reuseFrom(prevSolver);
    prevSolver = solver;
    solver.solve(jobs);
    if (!kinds.size || (kinds.size === 1 && kinds.has('reusesolver'))) kinds = new Set(['transaction', 'problems']);
    const got = solverResult(solver, kinds);
    output += got;
    if (expected !== null) {
      const d = resultDiff(expected, got);
      if (d) diffs += `Results differ:\n${d}`;
    }
  }
  return { file, ok: diffs === '', sections, diff: diffs, output };
}
