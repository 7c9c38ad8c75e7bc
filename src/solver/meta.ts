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
import { Pool, REL, type Repo, type Solvable } from './pool.js';
import { DepFlag } from '../rpm/tags.js';
import { DEP_OPS, packageColumns, type PackageColumns } from '../repo/columns.js';

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

/** Rich dependencies start with '(' (possibly after blanks); the first-character test skips the parse for all others. */
function isRichName(name: string): boolean {
  const c = name.charCodeAt(0);
  return (c === 40 || c === 32 || c === 9 || c === 10 || c === 13) && isRichDep(name);
}

/** Dependency -> pool id (rich dependencies become boolean relations). Malformed rich deps are skipped (0). */
export function depToId(pool: Pool, d: Dependency): number {
  if (!isRichName(d.name)) return simpleDep(pool, d);
  try {
    return richToId(pool, parseRichDep(d.name));
  } catch {
    return 0;
  }
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
  const interned = new Map<PackageColumns, ColumnInterner>();
  for (const m of metas) {
    const evr = `${m.epoch ? `${m.epoch}:` : ''}${m.version}-${m.release}`;
    const p = pool.addSolvable(repo, m.name, evr, m.arch);
    const s = pool.solvables[p]!;
    const cols = packageColumns(m);
    if (cols) {
      let ci = interned.get(cols[0]);
      if (!ci) interned.set(cols[0], (ci = new ColumnInterner(pool, cols[0])));
      ci.fill(s, cols[1]);
    } else {
      s.provides = conv(m.provides);
      s.requires = conv(m.requires, true);
      s.conflicts = conv(m.conflicts);
      s.obsoletes = conv(m.obsoletes);
      s.recommends = conv(m.recommends);
      s.suggests = conv(m.suggests);
      s.supplements = conv(m.supplements);
      s.enhances = conv(m.enhances);
      s.files = m.files.map((f) => f.path);
    }
    if (m.vendor) s.vendor = pool.str2id(m.vendor);
    if (m.buildtime) s.buildtime = m.buildtime;
    ids.push(p);
  }
  return ids;
}

const KIND_PLAIN = 1, KIND_RICH = 2, KIND_RPMLIB = 3;
/** rpm operator index (columns' DEP_OPS) -> libsolv relation flags. */
const OP_REL = DEP_OPS.map((op) => (op ? relFlagsOf(op) : 0));

/**
 * Dependencies straight from the metadata cache's columns: each distinct string of a cache file
 * is interned into the pool once, so a package costs array reads instead of one object and one
 * hash lookup per dependency. Gives the same ids as `depToId` on the decoded dependencies.
 */
class ColumnInterner {
  private readonly ids: Int32Array;
  private readonly kinds: Uint8Array;
  private fileIds?: string[];
  /** Rich dependency (name index, without operator) -> its boolean relation id. */
  private readonly rich = new Map<number, number>();
  constructor(private readonly pool: Pool, private readonly c: PackageColumns) {
    this.ids = new Int32Array(c.strings.count);
    this.kinds = new Uint8Array(c.strings.count);
    // at most every string and every versioned dependency become new ids: size the indexes once
    let versioned = 0;
    for (let j = 0; j < c.depFlags.length; j++) if (c.depFlags[j]! & 0x7f) versioned++;
    pool.reserve(c.strings.count, versioned);
  }
  private str(i: number): number {
    let id = this.ids[i]!;
    if (id === 0) {
      const v = this.c.strings.get(i) ?? '';
      this.kinds[i] = isRichName(v) ? KIND_RICH : v.startsWith('rpmlib(') ? KIND_RPMLIB : KIND_PLAIN;
      const h = this.c.strings.hashes;
      this.ids[i] = id = h ? this.pool.str2idHashed(v, h[i]!) : this.pool.str2id(v);
    }
    return id;
  }
  private list(from: number, to: number, skipRpmlib: boolean): number[] {
    const c = this.c;
    const out: number[] = [];
    for (let j = from; j < to; j++) {
      const ni = c.depNames[j]!;
      const name = this.str(ni);
      const kind = this.kinds[ni]!;
      if (kind === KIND_RPMLIB && skipRpmlib) continue;
      const fl = OP_REL[c.depFlags[j]! & 0x7f]!;
      let id: number;
      if (kind === KIND_RICH) {
        const op = DEP_OPS[c.depFlags[j]! & 0x7f];
        if (op) id = depToId(this.pool, { name: c.strings.get(ni) ?? '', op, evr: c.strings.get(c.depEvrs[j]!) ?? '' });
        else {
          const known = this.rich.get(ni);
          if (known === undefined) this.rich.set(ni, (id = depToId(this.pool, { name: c.strings.get(ni) ?? '' })));
          else id = known;
        }
      } else id = fl ? this.pool.rel(name, this.str(c.depEvrs[j]!), fl) : name;
      if (id) out.push(id);
    }
    return out;
  }
  fill(s: Solvable, i: number): void {
    const st = this.c.depStart;
    const b = i * 8; // DEP_KINDS order: provides requires conflicts obsoletes recommends suggests supplements enhances
    s.provides = this.list(st[b]!, st[b + 1]!, false);
    s.requires = this.list(st[b + 1]!, st[b + 2]!, true);
    s.conflicts = this.list(st[b + 2]!, st[b + 3]!, false);
    s.obsoletes = this.list(st[b + 3]!, st[b + 4]!, false);
    s.recommends = this.list(st[b + 4]!, st[b + 5]!, false);
    s.suggests = this.list(st[b + 5]!, st[b + 6]!, false);
    s.supplements = this.list(st[b + 6]!, st[b + 7]!, false);
    s.enhances = this.list(st[b + 7]!, st[b + 8]!, false);
    const fs = this.c.fileStart, fp = this.c.filePaths;
    const from = fs[i]!, to = fs[i + 1]!;
    const files: string[] = new Array(to - from);
    const names = (this.fileIds ??= new Array(this.c.fileStrings.count));
    for (let j = from; j < to; j++) {
      const k = fp[j]!;
      files[j - from] = names[k] ??= this.c.fileStrings.get(k) ?? '';
    }
    s.files = files;
  }
}
