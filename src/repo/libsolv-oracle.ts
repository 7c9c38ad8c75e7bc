/**
 * Test and bench helper: ask libsolv (python3-solv through /usr/bin/python3 — a pyenv python3 on
 * PATH usually lacks the `solv` module) what it reads from rpm-md files, as sorted
 * `name-epoch:version-release.arch` lines comparable with `driftless repo query --format nevra`.
 *
 *   libsolvQuery({ primaries: ['repodata/x-primary.xml.gz'], mode: 'list' })
 *   libsolvQuery({ primaries, filelists, mode: 'whatprovides', arg: 'libc.so.6()(64bit)', arch: 'x86_64' })
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const SYSTEM_PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys, solv
a = json.loads(sys.argv[1])
pool = solv.Pool()
pool.setdisttype(solv.Pool.DISTTYPE_RPM)
if a.get('arch'): pool.setarch(a['arch'])
for i, p in enumerate(a['primaries']):
    repo = pool.add_repo('r%d' % i)
    f = solv.xfopen(p); repo.add_rpmmd(f, None, 0); f.close()
    fl = (a.get('filelists') or [None] * len(a['primaries']))[i]
    if fl:
        f = solv.xfopen(fl); repo.add_rpmmd(f, None, solv.Repo.REPO_EXTEND_SOLVABLES); f.close()
pool.addfileprovides()
pool.createwhatprovides()
def dep(s):
    parts = s.split(' ')
    d = pool.Dep(parts[0])
    if len(parts) == 3:
        fl = {'<': solv.REL_LT, '<=': solv.REL_LT | solv.REL_EQ, '=': solv.REL_EQ, '>=': solv.REL_GT | solv.REL_EQ, '>': solv.REL_GT}[parts[1]]
        d = d.Rel(fl, pool.Dep(parts[2]))
    return d
def run(m, arg):
    if m == 'list':
        sel = [s for s in pool.solvables_iter() if not a.get('arch') or s.installable()]
    elif m == 'whatprovides':
        sel = pool.whatprovides(dep(arg))
    elif m == 'whatrequires':
        sel = pool.whatmatchesdep(solv.SOLVABLE_REQUIRES, dep(arg), 0)  # 0: pre-requires too
    elif m == 'file':
        sel = pool.select(arg, solv.Selection.SELECTION_FILELIST).solvables()
    out = []
    for s in sel:
        evr = s.evr if ':' in s.evr else '0:' + s.evr
        out.append('%s-%s.%s' % (s.name, evr, s.arch))
    return out
json.dump([run(q['mode'], q.get('arg')) for q in a['queries']], sys.stdout)

`;

export interface LibsolvQuery {
  primaries: string[];
  filelists?: (string | undefined)[];
  mode: 'list' | 'whatprovides' | 'whatrequires' | 'file';
  arg?: string;
  arch?: string;
}

/** True when the system python has the `solv` module. */
export function hasPythonSolv(): boolean {
  if (!existsSync(SYSTEM_PYTHON)) return false;
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import solv'], { encoding: 'utf8' }).status === 0;
}

/** Run the query; returns byte-order-sorted NEVRA lines. */
export function libsolvQuery(q: LibsolvQuery): string[] {
  return libsolvQueries(q, [{ mode: q.mode, arg: q.arg }])[0]!;
}

/** Several queries over one pool (loaded once); one sorted NEVRA list per query. */
export function libsolvQueries(pool: Omit<LibsolvQuery, 'mode' | 'arg'>, queries: Pick<LibsolvQuery, 'mode' | 'arg'>[]): string[][] {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', SCRIPT, JSON.stringify({ ...pool, queries })], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python3-solv failed: ${r.stderr || r.error}`);
  return (JSON.parse(r.stdout) as string[][]).map(sortBytes);
}

/** Sort strings by their UTF-8 bytes (what `sort` with LC_ALL=C does). */
export function sortBytes(lines: string[]): string[] {
  return lines.sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
}
