/**
 * Feed PackageMeta records (from rpm-md, rpm headers, ...) into a solver Pool.
 *
 *   const pool = new Pool();
 *   const repo = pool.addRepo('baseos');
 *   addPackageMetas(pool, repo, loaded.packages);
 */
import type { Dependency, PackageMeta } from '../rpm/metadata.js';
import { isRichDep, parseRichDep, type RichNode } from '../rpm/richdeps.js';
import { opToFlags } from '../rpm/deps.js';
import { Pool, REL, type Repo } from './pool.js';
import { DepFlag } from '../rpm/tags.js';

const REL_FLAGS = new Map<string, number>();

/** rpm sense bits -> libsolv relation flags. */
function relFlags(op: string): number {
  let f = REL_FLAGS.get(op);
  if (f === undefined) REL_FLAGS.set(op, (f = relFlagsOf(op)));
  return f;
}

function relFlagsOf(op: string | undefined): number {
  const f = opToFlags(op);
  return (f & DepFlag.GREATER ? REL.GT : 0) | (f & DepFlag.EQUAL ? REL.EQ : 0) | (f & DepFlag.LESS ? REL.LT : 0);
}

function simpleDep(pool: Pool, d: Dependency): number {
  const name = pool.str2id(d.name);
  if (!d.op || d.evr === undefined) return name;
  return pool.rel(name, pool.str2id(d.evr), relFlags(d.op));
}

function richToId(pool: Pool, n: RichNode): number {
  if (n.kind === 'dep') return simpleDep(pool, n.dep);
  const ops: Record<string, number> = { and: REL.AND, or: REL.OR, with: REL.WITH, without: REL.WITHOUT, if: REL.COND, unless: REL.UNLESS };
  if (n.op === 'if' || n.op === 'unless') {
    const a = richToId(pool, n.args[0]!);
    let b = richToId(pool, n.args[1]!);
    if (n.else) b = pool.rel(b, richToId(pool, n.else), REL.ELSE);
    return pool.rel(a, b, ops[n.op]!);
  }
  // chain right-associatively: a op (b op c)
  let id = richToId(pool, n.args[n.args.length - 1]!);
  for (let i = n.args.length - 2; i >= 0; i--) id = pool.rel(richToId(pool, n.args[i]!), id, ops[n.op]!);
  return id;
}

/** Dependency -> pool id (rich dependencies become boolean relations). Malformed rich deps are skipped (0). */
export function depToId(pool: Pool, d: Dependency): number {
  // rich dependencies start with '(' (possibly after blanks)
  const c = d.name.charCodeAt(0);
  if (c !== 40 && c !== 32 && c !== 9 && c !== 10 && c !== 13) return simpleDep(pool, d);
  if (isRichDep(d.name)) {
    try {
      return richToId(pool, parseRichDep(d.name));
    } catch {
      return 0;
    }
  }
  return simpleDep(pool, d);
}

/** Add packages to a repo of the pool; returns their solvable ids. */
export function addPackageMetas(pool: Pool, repo: Repo, metas: readonly PackageMeta[]): number[] {
  const ids: number[] = [];
  const conv = (l: Dependency[], skipRpmlib = false) => {
    const out: number[] = [];
    for (const d of l) {
      if (skipRpmlib && d.name.startsWith('rpmlib(')) continue;
      const id = depToId(pool, d);
      if (id) out.push(id);
    }
    return out;
  };
  for (const m of metas) {
    const evr = `${m.epoch ? `${m.epoch}:` : ''}${m.version}-${m.release}`;
    const p = pool.addSolvable(repo, m.name, evr, m.arch);
    const s = pool.solvables[p]!;
    s.provides = conv(m.provides);
    s.requires = conv(m.requires, true);
    s.conflicts = conv(m.conflicts);
    s.obsoletes = conv(m.obsoletes);
    s.recommends = conv(m.recommends);
    s.suggests = conv(m.suggests);
    s.supplements = conv(m.supplements);
    s.enhances = conv(m.enhances);
    s.files = m.files.map((f) => f.path);
    if (m.vendor) s.vendor = pool.str2id(m.vendor);
    if (m.buildtime) s.buildtime = m.buildtime;
    ids.push(p);
  }
  return ids;
}
