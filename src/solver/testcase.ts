/**
 * libsolv testcase format: dependency strings (`A >= 1`, `A <IF> B`, escapes), solvable names
 * (`A-1-1.noarch@repo`), job strings and the `testtags` repository format.
 *
 *   const id = str2dep(pool, 'A >= 1.0');
 *   dep2str(pool, id)                 // 'A >= 1.0'
 *   addTesttags(pool, repo, text)     // '=Pkg: A 1 1 noarch\n=Req: B\n'
 */
import { Pool, REL, isRel, type Repo, type Solvable } from './pool.js';

export const OPLIST: Array<[number, string]> = [
  [REL.EQ, '='], [REL.GT | REL.LT | REL.EQ, '<=>'], [REL.LT | REL.EQ, '<='], [REL.GT | REL.EQ, '>='], [REL.GT, '>'],
  [REL.GT | REL.LT, '<>'], [REL.AND, '&'], [REL.OR, '|'], [REL.WITH, '+'], [REL.WITHOUT, '-'], [REL.NAMESPACE, '<NAMESPACE>'],
  [REL.ARCH, '.'], [REL.MULTIARCH, '<MULTIARCH>'], [REL.FILECONFLICT, '<FILECONFLICT>'], [REL.COND, '<IF>'], [REL.COMPAT, 'compat >='],
  [REL.KIND, '<KIND>'], [REL.ELSE, '<ELSE>'], [REL.ERROR, '<ERROR>'], [REL.UNLESS, '<UNLESS>'], [REL.CONDA, '<CONDA>'], [REL.LT, '<'],
];

function unescape(s: string): string {
  return s.replace(/\\([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function parseSimple(pool: Pool, s: string, i: number, isname: boolean): [number, number] {
  let j = i;
  let paren = 0;
  let esc = false;
  for (; j < s.length; j++) {
    const c = s[j]!;
    if (c === '\\') esc = true;
    if (c === ' ' || c.charCodeAt(0) < 32) break;
    if (c === '(') paren++;
    if (c === ')' && paren-- <= 0) break;
  }
  let end = j;
  let isany = false;
  if (isname && end - i > 4 && s.slice(end - 4, end) === ':any') {
    isany = true;
    end -= 4;
  }
  const raw = s.slice(i, end);
  let id: number;
  if (!esc) id = raw === '<NULL>' ? 0 : pool.str2id(raw);
  else if (raw === '\\00') id = 1;
  else id = pool.str2id(unescape(raw));
  if (isany) id = pool.rel(id, pool.str2id('any'), REL.MULTIARCH);
  return [id, j];
}

function parseComplex(pool: Pool, s: string, i: number, relop: boolean): [number, number] | null {
  while (s[i] === ' ' || s[i] === '\t') i++;
  let nsid = 0;
  if (s.startsWith('namespace:', i)) {
    const k = s.indexOf('(', i + 10);
    if (k >= 0) {
      nsid = pool.str2id(s.slice(i, k));
      i = k;
    }
  }
  let id: number;
  if (s[i] === '(') {
    const r = parseComplex(pool, s, i + 1, false);
    if (!r || s[r[1]] !== ')') return null;
    id = r[0];
    i = r[1] + 1;
  } else {
    [id, i] = parseSimple(pool, s, i, !relop);
  }
  if (nsid) id = pool.rel(nsid, id, REL.NAMESPACE);
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length || s[i] === ')' || (relop && !s.startsWith('compat >= ', i))) return [id, i];
    let flags = -1;
    const m = /^<(\d+)>/.exec(s.slice(i));
    if (m) {
      flags = Number(m[1]);
      i += m[0].length;
    } else {
      const op = OPLIST.find(([, name]) => s.startsWith(name, i));
      if (!op) return null;
      flags = op[0];
      i += op[1].length;
    }
    const r = parseComplex(pool, s, i, flags > 0 && flags < 8);
    if (!r) return null;
    id = pool.rel(id, r[0], flags);
    i = r[1];
  }
}

/** Parse a testcase dependency string; 0 when malformed. */
export function str2dep(pool: Pool, s: string): number {
  const r = parseComplex(pool, s, 0, false);
  return r && r[1] === s.length ? r[0] : 0;
}

function id2strEscaped(pool: Pool, id: number, isname: boolean): string {
  if (id === 0) return '<NULL>';
  if (id === 1) return '\\00';
  const s = pool.strs[id]!;
  let bad = 0;
  let paren = 0;
  let parenbad = 0;
  if (s.length && '[(<=>!'.includes(s[0]!)) bad++;
  if (s.startsWith('namespace:')) bad++;
  for (let k = bad; k < s.length; k++) {
    const c = s[k]!;
    if (c === ' ' || c === '\\' || c.charCodeAt(0) < 32 || c === '(' || c === ')') bad++;
    if (c === '(') paren = paren === 0 ? 1 : -1;
    else if (c === ')') {
      paren = paren === 1 ? 0 : -1;
      if (!paren) parenbad += 2;
    }
  }
  if (isname && s.length > 4 && s.endsWith(':any')) bad++;
  if (!paren && !(bad - parenbad)) return s;
  const hex = (c: string) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0');
  let out = '';
  let body = s;
  if (s.startsWith('namespace:')) {
    out = 'namespace\\3a';
    body = s.slice(10);
  }
  for (let k = 0; k < body.length; k++) {
    const c = body[k]!;
    if ((k === 0 && '[(<=>!'.includes(c)) || c === ' ' || c === '\\' || c.charCodeAt(0) < 32 || c === '(' || c === ')') out += hex(c);
    else out += c;
  }
  if (isname && out.length > 4 && out.endsWith(':any')) out = out.slice(0, -4) + '\\3aany';
  return out;
}

/** Format a dependency in testcase syntax (inverse of str2dep). */
export function dep2str(pool: Pool, id: number, addparens = false): string {
  if (!isRel(id)) return id2strEscaped(pool, id, true);
  const rd = pool.getRel(id);
  if (rd.flags === REL.NAMESPACE && !isRel(rd.name) && pool.strs[rd.name]!.startsWith('namespace:')) {
    return `${pool.strs[rd.name]}(${dep2str(pool, rd.evr)})`;
  }
  if (rd.flags === REL.MULTIARCH && !isRel(rd.name) && pool.strs[rd.evr] === 'any') return `${id2strEscaped(pool, rd.name, true)}:any`;
  let needparens = false;
  if (isRel(rd.name)) {
    const rd2 = pool.getRel(rd.name);
    needparens = true;
    if (rd.flags > 7 && rd.flags !== REL.COMPAT && rd2.flags && rd2.flags <= 7) needparens = false;
  }
  let s = addparens ? '(' : '';
  s += dep2str(pool, rd.name, needparens);
  const op = OPLIST.find(([f]) => f === rd.flags);
  s += op ? ` ${op[1]} ` : ` <${rd.flags}> `;
  if (isRel(rd.evr)) {
    const rd2 = pool.getRel(rd.evr);
    needparens = true;
    if (rd.flags > 7 && rd2.flags && rd2.flags <= 7) needparens = false;
    if (rd.flags === REL.AND && rd2.flags === REL.AND) needparens = false;
    if (rd.flags === REL.OR && rd2.flags === REL.OR) needparens = false;
    if (rd.flags > 0 && rd.flags < 8 && rd2.flags === REL.COMPAT) needparens = false;
    s += dep2str(pool, rd.evr, needparens);
  } else {
    s += id2strEscaped(pool, rd.evr, false);
  }
  if (addparens) s += ')';
  return s;
}

/** `name-evr.arch@repo` as libsolv's testcase writes solvables. */
export function solvid2str(pool: Pool, p: number): string {
  if (p === 1) return '@SYSTEM';
  const s = pool.solvables[p]!;
  let str = `${pool.strs[s.name]}-${pool.strs[s.evr]}`;
  if (s.buildflavor) for (const f of s.buildflavor) str += `-${f}`;
  if (s.arch) str += `.${pool.strs[s.arch]}`;
  if (!s.repo) return str + '@';
  return `${str}@${s.repo.name.replace(/[ \t]/g, '_')}`;
}

export function str2repo(pool: Pool, str: string): Repo | null {
  const m = /^#(\d+)$/.exec(str);
  if (m) {
    const r = pool.repos[Number(m[1]) - 1];
    if (r) return r;
  }
  return pool.repos.find((r) => r.name.replace(/[ \t]/g, '_') === str) ?? null;
}

function evrMatches(pool: Pool, s: Solvable, evrStr: string): boolean {
  if (!s.buildflavor) return pool.strs[s.evr] === evrStr;
  return [pool.strs[s.evr], ...s.buildflavor].join('-') === evrStr;
}

/** Find a solvable by its testcase name; 0 when not found. */
export function str2solvid(pool: Pool, str: string): number {
  if (!str) return 0;
  if (str === '@SYSTEM') return 1;
  let repo: Repo | null = null;
  let i = str.length - 1;
  for (; i >= 0; i--) if (str[i] === '@' && (repo = str2repo(pool, str.slice(i + 1)))) break;
  let repostart = i < 0 ? str.length : i;
  let arch = 0;
  for (let k = repostart - 1; k > 0; k--) {
    if (str[k] === '.') {
      arch = pool.lookupStr(str.slice(k + 1, repostart));
      if (arch) repostart = k;
      break;
    }
  }
  for (let k = repostart - 1; k > 0; k--) {
    if (str[k] !== '-') continue;
    const nid = pool.lookupStr(str.slice(0, k));
    if (!nid) continue;
    const evr = str.slice(k + 1, repostart);
    const cands = repo ? repo.solvables : pool.solvables.map((x) => x.id);
    for (const p of cands) {
      const s = pool.solvables[p]!;
      if (p < 2 || s.name !== nid || !s.repo) continue;
      if (repo && s.repo !== repo) continue;
      if (arch && s.arch !== arch) continue;
      if (evrMatches(pool, s, evr)) return p;
    }
  }
  return 0;
}

/** language(a;b) / locale(...) / packageand(a:b) as libsolv's SUSE dependency rewriting. */
function languageDep(pool: Pool, langs: string): number {
  let id = 0;
  for (const l of langs.split(';')) {
    if (!l) continue;
    const idl = pool.rel(pool.str2id('namespace:language'), pool.str2id(l), REL.NAMESPACE);
    id = id ? pool.rel(id, idl, REL.OR) : idl;
  }
  return id;
}

function fixNamespaceDep(pool: Pool, id: number): number {
  if (isRel(id)) {
    const rd = pool.getRel(id);
    if (rd.flags === REL.AND || rd.flags === REL.OR || rd.flags === REL.COND || rd.flags === REL.UNLESS || rd.flags === REL.ELSE) {
      const n = fixNamespaceDep(pool, rd.name);
      const e = fixNamespaceDep(pool, rd.evr);
      return n === rd.name && e === rd.evr ? id : pool.rel(n, e, rd.flags);
    }
    return id;
  }
  const dep = pool.strs[id]!;
  if (dep.startsWith('language(') && dep.endsWith(')') && dep.length > 10 && dep[9] !== ';') return languageDep(pool, dep.slice(9, -1)) || id;
  if (dep.startsWith('filesystem(') && dep.endsWith(')') && dep.length > 12) return pool.rel(pool.str2id('namespace:filesystem'), pool.str2id(dep.slice(11, -1)), REL.NAMESPACE);
  if (dep.startsWith('modalias(') && dep.endsWith(')') && dep.length > 10) return pool.rel(pool.str2id('namespace:modalias'), pool.str2id(dep.slice(9, -1)), REL.NAMESPACE);
  return id;
}

/** Old SUSE tags semantics: locale() provides become language supplements, packageand() an AND. */
function rewriteSuseDeps(pool: Pool, s: Solvable): void {
  for (const id of s.provides) {
    if (isRel(id)) continue;
    const dep = pool.strs[id]!;
    if (!dep.startsWith('locale(')) continue;
    let body = dep.slice(7);
    const close = body.indexOf(')');
    if (close >= 0) body = body.slice(0, close);
    let pkg = 0;
    const colon = body.indexOf(':');
    if (colon > 0) {
      pkg = pool.str2id(body.slice(0, colon));
      body = body.slice(colon + 1);
    }
    let sup = languageDep(pool, body);
    if (!sup) continue;
    if (pkg) sup = pool.rel(pkg, sup, REL.AND);
    s.supplements.push(sup);
  }
  s.supplements = s.supplements.map((id) => {
    if (isRel(id)) return fixNamespaceDep(pool, id);
    const dep = pool.strs[id]!;
    if (dep.startsWith('packageand(') && dep.endsWith(')')) {
      let out = 0;
      for (const part of dep.slice(11, -1).split(':')) {
        if (!part) continue;
        const pid = pool.str2id(part);
        out = out ? pool.rel(out, pid, REL.AND) : pid;
      }
      return out || id;
    }
    return fixNamespaceDep(pool, id);
  });
}

/** Read libsolv's "testtags" repository text into `repo`. */
export function addTesttags(pool: Pool, repo: Repo, text: string): void {
  let s: Solvable | null = null;
  let addselfprovides = true;
  let tagsversion = 0;
  const finish = () => {
    if (s && tagsversion === 2) rewriteSuseDeps(pool, s);
    if (s && addselfprovides && s.name) {
      const a = pool.strs[s.arch];
      if (a !== 'src' && a !== 'nosrc') s.provides.push(pool.rel(s.name, s.evr, REL.EQ));
    }
  };
  const dep = (str: string) => (str.startsWith('/') ? pool.str2id(str) : str2dep(pool, str));
  const lines = text.split('\n');
  let intag: string | null = null;
  for (const raw of lines) {
    let line = raw;
    if (intag !== null) {
      if (line.startsWith(`-${intag}:`)) { intag = null; continue; }
      line = `=${intag}: ${line}`;
    } else if (line[0] === '+' && line[1] && line[1] !== ':') {
      const k = line.indexOf(':');
      if (k >= 0) intag = line.slice(1, k);
      continue;
    }
    if (line[0] !== '=' || line.length < 5 || line[4] !== ':') continue;
    const tag = line.slice(1, 4);
    const val = line.slice(6);
    if (tag === 'Ver') {
      const v = parseInt(val, 10) || 0;
      tagsversion = v;
      addselfprovides = v < 3 || val.includes('addselfprovides');
      continue;
    }
    if (tag === 'Pkg') {
      finish();
      s = null;
      const sp = val.trim().split(/\s+/);
      if (sp.length !== 4) continue;
      const evr = sp[2] === '-' ? sp[1]! : `${sp[1]}-${sp[2]}`;
      const p = pool.addSolvable(repo, sp[0]!, evr, sp[3] === '-' ? '' : sp[3]!);
      s = pool.solvables[p]!;
      continue;
    }
    if (!s) continue;
    switch (tag) {
      case 'Vnd': s.vendor = pool.str2id(val); break;
      case 'Tim': { const t = Number.parseInt(val, 10); if (t) s.buildtime = t; break; }
      case 'Req': case 'Prq': { const d = dep(val); if (d) s.requires.push(d); break; }
      case 'Prv': { const d = dep(val); if (d) s.provides.push(d); break; }
      case 'Obs': { const d = dep(val); if (d) s.obsoletes.push(d); break; }
      case 'Con': { const d = dep(val); if (d) s.conflicts.push(d); break; }
      case 'Rec': { const d = dep(val); if (d) s.recommends.push(d); break; }
      case 'Sup': { const d = dep(val); if (d) s.supplements.push(d); break; }
      case 'Sug': { const d = dep(val); if (d) s.suggests.push(d); break; }
      case 'Enh': { const d = dep(val); if (d) s.enhances.push(d); break; }
      case 'Fls': s.files.push(val); break;
      case 'Flv': (s.buildflavor ??= []).push(val); break;
      default: break;
    }
  }
  finish();
}

/** Job "how" bits, numerically as libsolv. */
export const JOB = {
  SOLVABLE: 0x01, NAME: 0x02, PROVIDES: 0x03, ONE_OF: 0x04, REPO: 0x05, ALL: 0x06, SELECTMASK: 0xff,
  NOOP: 0x0000, INSTALL: 0x0100, ERASE: 0x0200, UPDATE: 0x0300, WEAKENDEPS: 0x0400, MULTIVERSION: 0x0500, LOCK: 0x0600,
  DISTUPGRADE: 0x0700, VERIFY: 0x0800, DROP_ORPHANED: 0x0900, USERINSTALLED: 0x0a00, ALLOWUNINSTALL: 0x0b00, FAVOR: 0x0c00,
  DISFAVOR: 0x0d00, BLACKLIST: 0x0e00, EXCLUDEFROMWEAK: 0x0f00, JOBMASK: 0xff00,
  WEAK: 0x010000, ESSENTIAL: 0x020000, CLEANDEPS: 0x040000, ORUPDATE: 0x080000, FORCEBEST: 0x100000, TARGETED: 0x200000,
  NOTBYUSER: 0x400000, SETEV: 0x01000000, SETEVR: 0x02000000, SETARCH: 0x04000000, SETVENDOR: 0x08000000, SETREPO: 0x10000000,
  NOAUTOSET: 0x20000000,
} as const;

export const JOB_NAMES: Array<[number, string]> = [
  [JOB.NOOP, 'noop'], [JOB.INSTALL, 'install'], [JOB.ERASE, 'erase'], [JOB.UPDATE, 'update'], [JOB.WEAKENDEPS, 'weakendeps'],
  [JOB.MULTIVERSION, 'multiversion'], [JOB.MULTIVERSION, 'noobsoletes'], [JOB.LOCK, 'lock'], [JOB.DISTUPGRADE, 'distupgrade'],
  [JOB.VERIFY, 'verify'], [JOB.DROP_ORPHANED, 'droporphaned'], [JOB.USERINSTALLED, 'userinstalled'], [JOB.ALLOWUNINSTALL, 'allowuninstall'],
  [JOB.FAVOR, 'favor'], [JOB.DISFAVOR, 'disfavor'], [JOB.BLACKLIST, 'blacklist'], [JOB.EXCLUDEFROMWEAK, 'excludefromweak'],
];
export const JOB_FLAG_NAMES: Array<[number, string]> = [
  [JOB.WEAK, 'weak'], [JOB.ESSENTIAL, 'essential'], [JOB.CLEANDEPS, 'cleandeps'], [JOB.ORUPDATE, 'orupdate'], [JOB.FORCEBEST, 'forcebest'],
  [JOB.TARGETED, 'targeted'], [JOB.NOTBYUSER, 'notbyuser'], [JOB.SETEV, 'setev'], [JOB.SETEVR, 'setevr'], [JOB.SETARCH, 'setarch'],
  [JOB.SETVENDOR, 'setvendor'], [JOB.SETREPO, 'setrepo'], [JOB.NOAUTOSET, 'noautoset'],
];

/** One job: `how` bits and `what` (solvable, dep id, repo id, or index into `oneof` lists). */
export interface Job { how: number; what: number }

/** ONE_OF package lists live in the pool (keyed by their `what`). */
export class JobLists {
  lists: number[][] = [[]];
  add(l: number[]): number {
    const k = l.join(',');
    const i = this.lists.findIndex((x) => x.join(',') === k);
    if (i >= 0) return i;
    this.lists.push(l);
    return this.lists.length - 1;
  }
}

/** Parse a job selection (`pkg X`, `name X`, `provides X`, `oneof ...`, `repo X`, `all packages`). */
export function str2jobsel(pool: Pool, lists: JobLists, pieces: string[]): { sel: number; what: number } | null {
  const kind = pieces[0];
  if (kind === 'pkg' && pieces.length === 2) {
    const p = str2solvid(pool, pieces[1]!);
    return p ? { sel: JOB.SOLVABLE, what: p } : null;
  }
  if (kind === 'name' || kind === 'provides') {
    const str = pieces.slice(1).join(' ');
    let what = 0;
    if (kind === 'provides' && str.startsWith('namespace:')) {
      const k = str.indexOf('(');
      if (k >= 0 && str.endsWith(')')) {
        const inner = str.slice(k + 1, -1);
        const w = inner === '<NULL>' ? 0 : str2dep(pool, inner);
        what = pool.rel(pool.str2id(str.slice(0, k)), w, REL.NAMESPACE);
      }
    }
    if (!what) what = str2dep(pool, str);
    return { sel: kind === 'name' ? JOB.NAME : JOB.PROVIDES, what };
  }
  if (kind === 'oneof') {
    const l: number[] = [];
    if (pieces.length > 1 && pieces[1] !== 'nothing') {
      for (const x of pieces.slice(1)) {
        const p = str2solvid(pool, x);
        if (!p) return null;
        l.push(p);
      }
    }
    return { sel: JOB.ONE_OF, what: lists.add(l) };
  }
  if (kind === 'repo' && pieces.length === 2) {
    const r = str2repo(pool, pieces[1]!);
    return r ? { sel: JOB.REPO, what: r.id } : null;
  }
  if (kind === 'all' && pieces[1] === 'packages') return { sel: JOB.ALL, what: 0 };
  return null;
}

export function parseJobFlags(s: string): number {
  let f = 0;
  for (const n of s.split(',')) {
    const e = JOB_FLAG_NAMES.find(([, name]) => name === n);
    if (e) f |= e[0];
  }
  return f;
}

/** Parse a `job` line's text (after "job "). */
export function str2job(pool: Pool, lists: JobLists, str: string): Job | null {
  const pieces = str.trim().split(/[ \t]+/);
  if (pieces.length < 3) return null;
  const jt = JOB_NAMES.find(([, n]) => n === pieces[0]);
  if (!jt) return null;
  let how: number = jt[0];
  let rest = pieces.slice(1);
  const last = rest[rest.length - 1]!;
  if (pieces.length > 3 && last.startsWith('[') && last.endsWith(']')) {
    how |= parseJobFlags(last.slice(1, -1));
    rest = rest.slice(0, -1);
  }
  const sel = str2jobsel(pool, lists, rest);
  if (!sel) return null;
  return { how: how | sel.sel, what: sel.what };
}

/** Format a job like libsolv's testcase_job2str. */
export function job2str(pool: Pool, lists: JobLists, job: Job): string {
  const jt = JOB_NAMES.find(([j]) => j === (job.how & JOB.JOBMASK));
  let s = jt ? jt[1] : 'unknown';
  const sel = job.how & JOB.SELECTMASK;
  if (sel === JOB.SOLVABLE) s += ` pkg ${solvid2str(pool, job.what)}`;
  else if (sel === JOB.NAME) s += ` name ${dep2str(pool, job.what)}`;
  else if (sel === JOB.PROVIDES) s += ` provides ${dep2str(pool, job.what)}`;
  else if (sel === JOB.ONE_OF) {
    const l = lists.lists[job.what] ?? [];
    s += ` oneof ${l.length ? l.map((p) => solvid2str(pool, p)).join(' ') : 'nothing'}`;
  } else if (sel === JOB.REPO) s += ` repo ${pool.repos[job.what - 1]?.name ?? `#${job.what}`}`;
  else if (sel === JOB.ALL) s += ' all packages';
  else s += ' unknown unknown';
  const flags = JOB_FLAG_NAMES.filter(([f]) => job.how & f).map(([, n]) => n);
  if (flags.length) s += ` [${flags.join(',')}]`;
  return s;
}
