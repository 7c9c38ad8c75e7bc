import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixtures, tempDir } from '../../test/helpers/cli.js';
import { runCliAsync, startFaultyServer } from '../../test/helpers/faulty-http.js';
import { isDriftlessError } from '../core/errors.js';
import { CollectingReport } from '../core/report.js';
import { baseArch, dotRepoHttpOptions, loadDotRepos, matchesPackageSpec, loadDotRepoFiles, loadDotRepoKeys, loadVarsDirs, openDotRepoSource, parseDotRepo, substituteVars } from './dotrepo.js';
import { fetchAll, openCache } from './fetch.js';
import { loadRepo } from './load.js';
import { createRepo } from './write/create.js';
import type { HttpRepoSource } from './http-source.js';

const VARS = { releasever: '9', basearch: 'x86_64', arch: 'x86_64', stream: '9-stream' };

const SAMPLE = `# CentOS-style
[baseos]
name=CentOS Stream $releasever - BaseOS
baseurl=http://mirror.example/$stream/BaseOS/$basearch/os/
        http://mirror2.example/\${stream}/BaseOS/$basearch/os/
metalink=https://mirrors.example/metalink?repo=centos-baseos-$stream&arch=$basearch&protocol=https,http
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial
gpgcheck=1
repo_gpgcheck=0
metadata_expire=6h
countme=1
enabled=1
priority=10
cost = 500
excludepkgs=kernel* foo
includepkgs=bash,coreutils

; a disabled debug repo
[baseos-debug]
name=debug
mirrorlist=https://mirrors.example/mirrorlist?arch=\${basearch:-noarch}&x=\${undefined:+set}
enabled=no
skip_if_unavailable=True
`;

test('parse .repo: sections, continuation lines, variables, defaults', () => {
  const report = new CollectingReport();
  const [a, b, ...rest] = parseDotRepo(SAMPLE, { vars: VARS, path: 'centos.repo', report });
  assert.equal(rest.length, 0);
  assert.equal(a!.id, 'baseos');
  assert.equal(a!.name, 'CentOS Stream 9 - BaseOS');
  assert.deepEqual(a!.baseurls, ['http://mirror.example/9-stream/BaseOS/x86_64/os/', 'http://mirror2.example/9-stream/BaseOS/x86_64/os/']);
  assert.equal(a!.metalink, 'https://mirrors.example/metalink?repo=centos-baseos-9-stream&arch=x86_64&protocol=https,http');
  assert.deepEqual(a!.gpgkeys, ['file:///etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial']);
  assert.equal(a!.gpgcheck, true);
  assert.equal(a!.repoGpgcheck, false);
  assert.equal(a!.priority, 10);
  assert.equal(a!.cost, 500);
  assert.deepEqual(a!.exclude, ['kernel*', 'foo']);
  assert.deepEqual(a!.includepkgs, ['bash', 'coreutils']);
  assert.deepEqual(a!.extra, { countme: '1', metadata_expire: '6h' });
  assert.equal(b!.enabled, false);
  assert.equal(b!.skipIfUnavailable, true);
  assert.equal(b!.mirrorlist, 'https://mirrors.example/mirrorlist?arch=x86_64&x=');
  // driftless defaults: signature checks on unless the file turns them off
  assert.equal(b!.gpgcheck, true);
  assert.equal(b!.repoGpgcheck, true);
  assert.equal(b!.priority, 99);
  assert.equal(report.warnings.length, 0);
});

test('variables and coded errors', async (t) => {
  assert.equal(substituteVars('$releasever/${basearch}/$nope/${x:-d$basearch}', VARS), '9/x86_64/$nope/dx86_64');
  assert.equal(baseArch('i686'), 'i386');
  assert.equal(baseArch('x86_64'), 'x86_64');
  const bad = (text: string, code: string) => assert.throws(() => parseDotRepo(text), (e: unknown) => isDriftlessError(e, code));
  bad('baseurl=http://x/\n', 'REPO_DOTREPO_INVALID');
  bad('[a]\nname=a\n', 'REPO_DOTREPO_INVALID');
  bad('[a]\nbaseurl=http://x/\nenabled=maybe\n', 'REPO_DOTREPO_INVALID');
  bad('[a]\nbaseurl=http://x/\npriority=high\n', 'REPO_DOTREPO_INVALID');
  bad('[a]\nbaseurl=http://x/\n[a]\nbaseurl=http://y/\n', 'REPO_DOTREPO_DUPLICATE');
  bad('[a b]\nbaseurl=http://x/\n', 'REPO_DOTREPO_INVALID');
  const report = new CollectingReport();
  parseDotRepo('[main]\ngpgcheck=1\n[a]\nbaseurl=http://x/$unknownvar/\n', { report });
  assert.deepEqual(report.warnings.map((w) => w.code), ['REPO_DOTREPO_MAIN_IGNORED', 'REPO_DOTREPO_UNRESOLVED_VAR']);

  const dir = tempDir(t);
  mkdirSync(join(dir, 'vars1'));
  mkdirSync(join(dir, 'vars2'));
  writeFileSync(join(dir, 'vars1', 'stream'), '8-stream\n');
  writeFileSync(join(dir, 'vars2', 'stream'), '9-stream\nignored\n');
  writeFileSync(join(dir, 'vars2', 'contentdir'), 'centos');
  assert.deepEqual(await loadVarsDirs([join(dir, 'vars1'), join(dir, 'vars2'), join(dir, 'missing')]), { contentdir: 'centos', stream: '9-stream' });
  mkdirSync(join(dir, 'repos.d'));
  writeFileSync(join(dir, 'repos.d', 'a.repo'), '[one]\nbaseurl=file:///srv/one\n');
  writeFileSync(join(dir, 'repos.d', 'b.repo'), '[two]\nbaseurl=/srv/two\n');
  writeFileSync(join(dir, 'repos.d', 'notes.txt'), 'ignored');
  assert.deepEqual((await loadDotRepoFiles([join(dir, 'repos.d')])).map((d) => d.id), ['one', 'two']);
  // TLS settings become http options (CA file read, sslverify=0 → insecure)
  writeFileSync(join(dir, 'ca.pem'), 'PEM');
  const [tls] = parseDotRepo(`[s]\nbaseurl=https://x/\nsslcacert=${join(dir, 'ca.pem')}\nsslverify=0\n`);
  assert.deepEqual(dotRepoHttpOptions(tls!), { insecure: true, ca: Buffer.from('PEM') });
  assert.throws(() => dotRepoHttpOptions({ ...tls!, sslcacert: join(dir, 'missing.pem') }), (e: unknown) => isDriftlessError(e, 'REPO_DOTREPO_INVALID'));
  const [px] = parseDotRepo('[p]\nbaseurl=https://x/\nproxy=http://proxy:3128\nproxy_username=me\nproxy_password=s3cr t\n');
  assert.deepEqual(dotRepoHttpOptions(px!), { proxy: 'http://me:s3cr%20t@proxy:3128/' });
  assert.equal(parseDotRepo('[p]\nbaseurl=https://x/\nproxy=_none_\n')[0]!.proxy, '_none_');
  writeFileSync(join(dir, 'repos.d', 'c.repo'), '[one]\nbaseurl=file:///srv/other\n');
  await assert.rejects(loadDotRepoFiles([join(dir, 'repos.d')]), (e: unknown) => isDriftlessError(e, 'REPO_DOTREPO_DUPLICATE'));
});

/** Every file under `dir` as server paths under `prefix`. */
function serveTree(dir: string, prefix: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[`${prefix}/${relative(dir, p).split('\\').join('/')}`] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

test('end to end over faulty HTTP: .repo with metalink + http gpgkey, signed metadata, verified package fetch', async (t) => {
  const repoDir = tempDir(t);
  mkdirSync(join(repoDir, 'Packages'));
  for (const f of ['hello-2.0-1.x86_64.rpm', 'foo-1.0-1.noarch.rpm', 'capstest-1.0-1.noarch.rpm']) copyFileSync(join(fixtures, 'rpm/RPMS', f), join(repoDir, 'Packages', f));
  await createRepo(repoDir, { signKey: readFileSync(join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.secret'), 'utf8'), epoch: 1700000000 });
  const repomd = readFileSync(join(repoDir, 'repodata/repomd.xml'));
  const files: Record<string, Buffer> = { ...serveTree(repoDir, '/m2'), ...serveTree(repoDir, '/m3'), '/keys/test.asc': readFileSync(join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.pub')) };
  files['/m2/repodata/repomd.xml'] = Buffer.from(repomd.toString().replace('1700000000', '1700000001'));
  const srv = await startFaultyServer(t, { files, maxRequests: 100 });
  const sha = createHash('sha256').update(repomd).digest('hex');
  srv.setFile(
    '/metalink',
    `<?xml version="1.0"?><metalink version="3.0" xmlns="http://www.metalinker.org/"><files><file name="repomd.xml"><size>${repomd.length}</size>` +
      `<verification><hash type="sha256">${sha}</hash></verification><resources>` +
      ['m1', 'm2', 'm3'].map((m, i) => `<url protocol="http" preference="${100 - i}">${srv.url}/${m}/repodata/repomd.xml</url>`).join('') +
      `</resources></file></files></metalink>`,
  );
  // faults: the good mirror drops the first attempt at primary and at one package mid-body
  const primaryHref = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd.toString())![1]!;
  srv.fault({ path: `/m3/${primaryHref}`, kind: 'drop', afterBytes: 100, times: 1 });
  srv.fault({ path: '/m3/Packages/hello-2.0-1.x86_64.rpm', kind: 'drop', afterBytes: 3000, times: 1 });
  srv.fault({ path: '/m3/Packages/foo-1.0-1.noarch.rpm', kind: 'status', status: 503, times: 1 });

  const [def] = parseDotRepo(`[test]\nname=test $releasever\nmetalink=${srv.url}/metalink\ngpgkey=${srv.url}/keys/test.asc\nrepo_gpgcheck=1\n`, { vars: VARS });
  const opts = { retries: 2, backoffBaseMs: 2, backoffMaxMs: 10, connectTimeoutMs: 2000, idleTimeoutMs: 2000 };
  const keyring = await loadDotRepoKeys(def!, opts);
  const report = new CollectingReport();
  const source = openDotRepoSource(def!, { ...opts, report }) as HttpRepoSource;
  t.after(() => source.close());
  const repo = await loadRepo(source, { keyring, cacheDir: null, report });
  assert.equal(repo.signature?.status, 'ok');
  assert.deepEqual(repo.packages.map((p) => p.name).sort(), ['capstest', 'foo', 'hello']);
  assert.ok(report.warnings.some((w) => w.code === 'REPO_METALINK_MISMATCH'), 'the tampered mirror was noticed');

  const cache = openCache(tempDir(t));
  t.after(() => cache.close());
  const items = repo.packages.map((p) => ({ relPath: p.location!.href, checksum: p.checksum!, size: p.size?.package, nevra: `${p.name}-${p.version}-${p.release}.${p.arch}`, kind: 'package' as const }));
  const got = await fetchAll(source, items, cache, { concurrency: 3 });
  assert.equal(got.length, 3);
  for (const [i, r] of got.entries()) {
    assert.equal(r.sha256, items[i]!.checksum.value);
    assert.deepEqual(readFileSync(r.path), readFileSync(join(repoDir, items[i]!.relPath)));
  }
  for (const d of await cache.store.list()) assert.ok(await cache.store.verify(d));
  // the faults really happened and were recovered from: resumed with Range, 503 retried, 404 mirror skipped
  assert.ok(srv.log.some((e) => e.path === `/m3/${primaryHref}` && e.range), 'primary resumed');
  assert.ok(srv.log.some((e) => e.path === '/m3/Packages/hello-2.0-1.x86_64.rpm' && e.status === 206), 'package resumed: ' + JSON.stringify(srv.log.filter((e) => e.path.includes('hello'))));
  assert.equal(srv.log.filter((e) => e.path === '/m3/Packages/foo-1.0-1.noarch.rpm').length, 2);
  assert.ok(srv.hits('/m1/repodata/repomd.xml') >= 1);
  assert.equal(cache.index.findByNevra('hello-2.0-1.x86_64')[0], items.find((i) => i.relPath.includes('hello'))!.checksum.value);
});

test('CLI repo query reads an http repository (http source registered) with --cache-dir', async (t) => {
  const repoDir = tempDir(t);
  copyFileSync(join(fixtures, 'rpm/RPMS/foo-1.0-1.noarch.rpm'), join(repoDir, 'foo-1.0-1.noarch.rpm'));
  await createRepo(repoDir, { compress: 'gz' });
  const srv = await startFaultyServer(t, { files: serveTree(repoDir, '/r') });
  srv.fault({ path: /primary\.xml\.gz$/, kind: 'drop', afterBytes: 50, times: 1 });
  const cacheDir = tempDir(t);
  const out = await runCliAsync(['repo', 'query', '--repo', `${srv.url}/r/`, '--nogpgcheck', '--cache-dir', cacheDir, '--format', 'nevra']);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'foo-0:1.0-1.noarch');
});

test('loadDotRepos: enabled repos with their keys, includepkgs/exclude, skip_if_unavailable, --nogpgcheck', async (t) => {
  const repoDir = tempDir(t);
  for (const f of ['hello-2.0-1.x86_64.rpm', 'hello-2.0-1.i686.rpm', 'foo-1.0-1.noarch.rpm', 'capstest-1.0-1.noarch.rpm']) {
    copyFileSync(join(fixtures, 'rpm/RPMS', f), join(repoDir, f));
  }
  await createRepo(repoDir, { compress: 'gz', signKey: readFileSync(join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.secret')) });
  const key = join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.pub');
  const text = `[local]
baseurl=file://${repoDir}
gpgkey=file://${key}
exclude=cap*
includepkgs=hello foo
[local-x86]
baseurl=file://${repoDir}
gpgkey=file://${key}
includepkgs=*.x86_64
[off]
baseurl=file:///nonexistent
enabled=0
[flaky]
baseurl=file://${join(repoDir, 'missing')}
skip_if_unavailable=1
`;
  const report = new CollectingReport();
  const got = await loadDotRepos(parseDotRepo(text), { cacheDir: null, report });
  assert.deepEqual(got.map((g) => g.def.id), ['local', 'local-x86']);
  assert.deepEqual(got[0]!.repo.packages.map((p) => `${p.name}.${p.arch}`).sort(), ['foo.noarch', 'hello.i686', 'hello.x86_64']);
  assert.deepEqual(got[1]!.repo.packages.map((p) => `${p.name}.${p.arch}`), ['hello.x86_64']);
  assert.equal(got[0]!.repo.signature?.status, 'ok');
  assert.deepEqual(report.warnings.map((w) => w.code), ['REPO_SKIPPED']);
  // a repo without its key fails; --nogpgcheck loads it with a warning
  const nokey = parseDotRepo(`[k]\nbaseurl=file://${repoDir}\n`);
  await assert.rejects(loadDotRepos(nokey, { cacheDir: null }), (e: unknown) => isDriftlessError(e) && /SIGNATURE|KEY|GPG/.test(e.code));
  const r2 = new CollectingReport();
  assert.equal((await loadDotRepos(nokey, { cacheDir: null, nogpgcheck: true, report: r2 }))[0]!.repo.packages.length, 4);
  assert.ok(r2.warnings.some((w) => w.code === 'REPO_GPGCHECK_DISABLED'));
  const p = { name: 'kernel-core', epoch: 0, version: '5.14', release: '1.el9', arch: 'x86_64' } as Parameters<typeof matchesPackageSpec>[0];
  for (const spec of ['kernel*', 'kernel-core.x86_64', 'kernel-core-5.14-1.el9', 'kernel-core-0:5.14-1.el9.x86_64', 'kernel-[cd]ore']) assert.ok(matchesPackageSpec(p, spec), spec);
  for (const spec of ['kernel', 'kernel-core.i686', 'kern?l']) assert.ok(!matchesPackageSpec(p, spec), spec);
});
