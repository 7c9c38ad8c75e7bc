import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadRepo } from '../repo/load.js';
import { resolveInstallSet, nevraOf, parseSimpleDep } from './resolve.js';
import { fixtures, requireTool } from '../../test/helpers/cli.js';
import { existsSync } from 'node:fs';

const PY = '/usr/bin/python3';
/** libsolv through python3-solv with dnf's image settings: best forced, weak deps ignored. */
const ORACLE = String.raw`
import json, sys, solv
a = json.loads(sys.argv[1])
pool = solv.Pool(); pool.setdisttype(solv.Pool.DISTTYPE_RPM); pool.setarch('x86_64')
for i, p in enumerate(a['primaries']):
    r = pool.add_repo('r%d' % i); f = solv.xfopen(p); r.add_rpmmd(f, None, 0); f.close()
pool.addfileprovides(); pool.createwhatprovides()
out = {}
for req in a['requests']:
    jobs = []
    for what in req:
        sel = pool.select(what, solv.Selection.SELECTION_NAME | solv.Selection.SELECTION_PROVIDES | solv.Selection.SELECTION_FILELIST)
        assert not sel.isempty(), what
        jobs += sel.jobs(solv.Job.SOLVER_INSTALL)
    for j in jobs: j.how |= solv.Job.SOLVER_FORCEBEST
    s = pool.Solver(); s.set_flag(solv.Solver.SOLVER_FLAG_IGNORE_RECOMMENDED, 1)
    probs = s.solve(jobs)
    if probs: out[' '.join(req)] = {'problems': [str(p.findproblemrule().info()) for p in probs]}
    else: out[' '.join(req)] = {'packages': sorted(str(x) for x in s.transaction().newsolvables())}
print(json.dumps(out))
`;

function primary(repo: string): string {
  const repomd = spawnSync('sh', ['-c', `ls ${join(fixtures, 'repos', repo, 'repodata')}/*primary.xml*`], { encoding: 'utf8' }).stdout.trim().split('\n')[0]!;
  return repomd;
}

const REQUESTS = [
  ['bash'], ['dnf'], ['openssh-server', 'sudo'], ['httpd'], ['python3'], ['vim-enhanced', 'tar', 'gzip'],
  ['systemd', 'NetworkManager'], ['podman'], ['libc.so.6()(64bit)'], ['/usr/bin/python3'], ['/usr/bin/curl'],
  ['gcc'], ['perl'], ['cloud-init'],
];

test('resolve gives libsolv\'s install set on CentOS Stream 9 BaseOS + AppStream', { timeout: 600_000 }, async (t) => {
  if (!requireTool(t, PY)) return;
  if (!existsSync(PY)) return;
  const baseos = await loadRepo(join(fixtures, 'repos/cs9-baseos'), { gpgcheck: false, cacheDir: null });
  const appstream = await loadRepo(join(fixtures, 'repos/cs9-appstream'), { gpgcheck: false, cacheDir: null });
  const oracle = spawnSync(PY, ['-c', ORACLE, JSON.stringify({ primaries: [primary('cs9-baseos'), primary('cs9-appstream')], requests: REQUESTS })], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(oracle.status, 0, oracle.stderr);
  const expected = JSON.parse(oracle.stdout) as Record<string, { packages?: string[]; problems?: string[] }>;
  const repos = [{ name: 'baseos', packages: baseos.packages }, { name: 'appstream', packages: appstream.packages }];
  let solvable = 0;
  for (const req of REQUESTS) {
    const ours = resolveInstallSet(repos, { install: req, exclude: [], arch: 'x86_64', weakDeps: false });
    const want = expected[req.join(' ')]!;
    if (want.problems) {
      assert.equal(ours.packages.length, 0, `${req}: libsolv finds it unsolvable (${want.problems[0]})`);
      assert.ok(ours.problems.some((p) => /nothing provides/.test(p)), `${req}: ${ours.problems.join('; ')}`);
      continue;
    }
    solvable++;
    assert.deepEqual(ours.problems, [], `${req}`);
    // libsolv prints name-evr.arch with the epoch only when non-zero, like nevraOf
    assert.deepEqual(ours.packages.map((p) => nevraOf(p.meta)).sort(), want.packages, `${req}`);
    for (const p of ours.packages) for (const e of p.requires) assert.ok(ours.packages.some((q) => nevraOf(q.meta) === e.to));
  }
  assert.ok(solvable >= 10, 'most requests are solvable');
  assert.equal(REQUESTS.length - solvable, 3, 'gcc, perl and cloud-init need a newer BaseOS than this snapshot');
});

test('request parsing accepts names, capabilities and versioned requests', () => {
  assert.deepEqual(parseSimpleDep('bash >= 5'), { name: 'bash', op: '>=', evr: '5' });
  assert.deepEqual(parseSimpleDep('/bin/sh'), { name: '/bin/sh' });
  assert.throws(() => parseSimpleDep('a b c d'), /cannot parse/);
});
