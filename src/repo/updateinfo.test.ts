/** updateinfo.xml parsing checked against libdnf (hawkey, via /usr/bin/python3) on a createrepo_c + modifyrepo_c repo. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, requireTool, run, tempDir } from '../../test/helpers/cli.js';
import { SYSTEM_PYTHON } from './libsolv-oracle.js';
import { loadRepo } from './load.js';

const UPDATEINFO = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
<update from="sec@example.test" status="stable" type="security" version="2.0">
  <id>EX-2024:1</id><title>hello security fix</title><issued date="2024-01-01 00:00:00"/><updated date="2024-01-05 10:00:00"/>
  <severity>Important</severity><rights>Copyright 2024 Example</rights>
  <references>
    <reference href="https://cve.example/CVE-2024-1" id="CVE-2024-1" type="cve" title="CVE-2024-1"/>
    <reference href="https://bugs.example/1" id="1" type="bugzilla" title="crash &amp; burn"/>
  </references>
  <description><![CDATA[Fixes <things>.
Second line.]]></description>
  <pkglist>
    <collection short="a"><name>A</name>
      <package name="hello" version="2.0" release="1" epoch="0" arch="x86_64" src="hello-2.0-1.src.rpm"><filename>hello-2.0-1.x86_64.rpm</filename><reboot_suggested>1</reboot_suggested></package>
    </collection>
    <collection short="b"><name>B</name>
      <package name="foo" version="1.0" release="1" epoch="0" arch="noarch"><filename>foo-1.0-1.noarch.rpm</filename></package>
    </collection>
  </pkglist>
</update>
<update from="b@example.test" status="stable" type="bugfix" version="1">
  <id>EX-2024:2</id><title>foo bug</title><issued date="2024-02-01 00:00:00"/>
  <description>plain</description>
  <pkglist><collection><name>Y</name><package name="foo" version="1.0" release="1" epoch="0" arch="noarch"><filename>foo-1.0-1.noarch.rpm</filename></package></collection></pkglist>
</update>
<update from="e@example.test" status="stable" type="enhancement" version="1">
  <id>EX-2024:3</id><title>hello enhancement</title><issued date="2024-03-01 00:00:00"/><severity>Low</severity>
  <pkglist><collection><name>Z</name><package name="hello" version="2.0" release="1" epoch="0" arch="x86_64"><filename>hello-2.0-1.x86_64.rpm</filename></package></collection></pkglist>
</update>
</updates>
`;

const ORACLE = String.raw`
import glob, json, sys, warnings
warnings.simplefilter('ignore')
import hawkey
d = sys.argv[1] + '/repodata/'
sack = hawkey.Sack(make_cache_dir=True, cachedir=sys.argv[2])
r = hawkey.Repo('r')
r.repomd_fn = d + 'repomd.xml'
r.primary_fn = glob.glob(d + '*-primary.xml*')[0]
r.updateinfo_fn = glob.glob(d + '*-updateinfo.xml*')[0]
sack.load_repo(r, load_updateinfo=True)
T = {hawkey.ADVISORY_SECURITY: 'security', hawkey.ADVISORY_BUGFIX: 'bugfix', hawkey.ADVISORY_ENHANCEMENT: 'enhancement'}
R = {hawkey.REFERENCE_CVE: 'cve', hawkey.REFERENCE_BUGZILLA: 'bugzilla'}
out = {}
for ap in hawkey.Query(sack).get_advisory_pkgs(hawkey.EQ):
    a = ap.get_advisory(sack)
    out[a.id] = {'id': a.id, 'type': T.get(a.type, '?'), 'severity': a.severity, 'title': a.title, 'description': a.description, 'rights': a.rights,
                 'packages': sorted([p.name, p.evr, p.arch, p.filename] for p in a.packages),
                 'references': [[x.id, R.get(x.type, '?'), x.url, x.title] for x in a.references]}
json.dump(sorted(out.values(), key=lambda a: a['id']), sys.stdout)
`;

test('updateinfo reads like libdnf (hawkey)', async (t) => {
  if (!requireTool(t, 'createrepo_c', 'modifyrepo_c', SYSTEM_PYTHON)) return;
  if (spawnSync(SYSTEM_PYTHON, ['-c', 'import hawkey']).status !== 0) {
    if (process.env.DRIFTLESS_ALLOW_MISSING_TOOLS === '1') return t.skip('python3-hawkey missing');
    throw new Error('python3-hawkey missing (installed with dnf)');
  }
  const dir = tempDir(t);
  const repo = join(dir, 'repo');
  for (const f of ['hello-2.0-1.x86_64.rpm', 'foo-1.0-1.noarch.rpm']) cpSync(join(fixtures, 'rpm/RPMS', f), join(repo, f));
  assert.equal(run('createrepo_c', ['--quiet', '--general-compress-type=gz', repo]).status, 0);
  writeFileSync(join(dir, 'updateinfo.xml'), UPDATEINFO);
  const m = run('modifyrepo_c', ['--mdtype=updateinfo', '--compress-type=gz', join(dir, 'updateinfo.xml'), join(repo, 'repodata')]);
  assert.equal(m.status, 0, m.stderr);
  assert.ok(readdirSync(join(repo, 'repodata')).some((n) => n.includes('updateinfo')));
  const o = spawnSync(SYSTEM_PYTHON, ['-c', ORACLE, repo, join(dir, 'hawkey')], { encoding: 'utf8' });
  assert.equal(o.status, 0, o.stderr);
  const want = JSON.parse(o.stdout) as unknown[];
  assert.equal(want.length, 3);
  const loaded = await loadRepo(repo, { gpgcheck: false, cacheDir: null, parts: ['updateinfo'] });
  const got = loaded.updateinfo!.map((a) => ({
    id: a.id, type: a.type, severity: a.severity ?? null, title: a.title ?? null, description: a.description ?? null, rights: a.rights ?? null,
    packages: a.packages.map((p) => [p.name, `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`, p.arch, p.filename ?? null]).sort(),
    references: a.references.map((r) => [r.id ?? null, r.type ?? null, r.href ?? null, r.title ?? null]),
  })).sort((x, y) => (x.id < y.id ? -1 : 1));
  assert.deepEqual(got, want);
  const sec = loaded.updateinfo!.find((a) => a.id === 'EX-2024:1')!;
  assert.equal(sec.packages.find((p) => p.name === 'hello')?.rebootSuggested, true);
  assert.equal(sec.updated, '2024-01-05 10:00:00');
});
