import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadRepo } from '../repo/load.js';
import { resolveInstall } from './resolve.js';
import { nevraWithEpoch } from '../rpm/metadata.js';
import { fixtures } from '../../test/helpers/cli.js';

const PY = String.raw`
import json, sys, solv
a = json.loads(sys.argv[1])
pool = solv.Pool()
pool.setdisttype(solv.Pool.DISTTYPE_RPM)
pool.setarch(a['arch'])
for i, p in enumerate(a['primaries']):
    repo = pool.add_repo('r%d' % i)
    f = solv.xfopen(p); repo.add_rpmmd(f, None, 0); f.close()
pool.addfileprovides()
pool.createwhatprovides()
out = []
for req in a['requests']:
    jobs = []
    for r in req:
        sel = pool.select(r, solv.Selection.SELECTION_NAME | solv.Selection.SELECTION_PROVIDES)
        jobs += sel.jobs(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_FORCEBEST)
    s = pool.Solver()
    s.set_flag(solv.Solver.SOLVER_FLAG_IGNORE_RECOMMENDED, 1)
    probs = s.solve(jobs)
    if probs:
        out.append({'problems': [str(p) for p in probs]})
        continue
    t = s.transaction()
    names = sorted('%s-%s:%s-%s.%s' % (x.name, (x.evr.split(':')[0] if ':' in x.evr else '0'), x.lookup_str(solv.SOLVABLE_EVR).split(':')[-1].rsplit('-', 1)[0], x.evr.rsplit('-', 1)[1], x.arch) for x in t.newsolvables())
    out.append({'packages': names})
print(json.dumps(out))
`;

const REQUESTS = [
  ['bash'], ['dnf'], ['openssh-server', 'sudo'], ['httpd'], ['python3'], ['vim-enhanced', 'tar', 'gzip'],
  ['systemd', 'NetworkManager'], ['podman'], ['libc.so.6()(64bit)'], ['/usr/bin/python3'],
  ['gcc'], ['perl'], ['cloud-init'],
];

test('resolve: same install sets and unsolvable requests as libsolv (python3-solv) on CentOS Stream 9 repos', { timeout: 600_000 }, async (t) => {
  if (!existsSync('/usr/bin/python3') || spawnSync('/usr/bin/python3', ['-c', 'import solv']).status !== 0) {
    if (process.env.DRIFTLESS_ALLOW_MISSING_TOOLS === '1') return t.skip('python3-solv missing');
    throw new Error('oracle missing: /usr/bin/python3 with the solv module (python3-solv)');
  }
  const dirs = ['cs9-baseos', 'cs9-appstream'].map((d) => join(fixtures, 'repos', d));
  const repos = await Promise.all(dirs.map((d) => loadRepo(d, { gpgcheck: false, cacheDir: null })));
  const primaries = dirs.map((d) => join(d, 'repodata', readdirSync(join(d, 'repodata')).find((f) => f.endsWith('-primary.xml.gz'))!));
  const py = spawnSync('/usr/bin/python3', ['-c', PY, JSON.stringify({ arch: 'x86_64', primaries, requests: REQUESTS })], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(py.status, 0, py.stderr);
  const theirs = JSON.parse(py.stdout) as Array<{ packages?: string[]; problems?: string[] }>;
  let unsolvable = 0;
  REQUESTS.forEach((req, i) => {
    const ours = resolveInstall(repos.map((r, k) => ({ name: `r${k}`, packages: r.packages })), req, { arch: 'x86_64' });
    const want = theirs[i]!;
    if (want.problems) {
      unsolvable++;
      assert.ok(ours.problems.length > 0, `${req.join(' ')}: libsolv says unsolvable (${want.problems.join('; ')}), we resolved it`);
      assert.match(ours.problems.join('\n'), /nothing provides|requires|conflicts/);
    } else {
      assert.deepEqual(ours.problems, [], `${req.join(' ')}: ${ours.problems.join('; ')}`);
      assert.deepEqual(ours.packages.map(nevraWithEpoch), want.packages, req.join(' '));
    }
  });
  assert.ok(unsolvable >= 3, 'gcc, perl and cloud-init need a newer BaseOS');
});
