import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decompress } from '../../core/compression.js';
import { isDriftlessError } from '../../core/errors.js';
import { Keyring } from '../../core/pgp.js';
import { fixtures, requireTool, run, runCli, tempDir } from '../../../test/helpers/cli.js';
import { loadRepo } from '../load.js';
import { createRepo } from './create.js';
import { isPrimaryFile, splitEvr, xmlAttr, xmlText } from './entries.js';
import type { TestContext } from 'node:test';

const KEY_SECRET = join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.secret');
const KEY_PUBLIC = join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.pub');
const FIXTURE_RPMS = ['RPMS/hello-2.0-1.x86_64.rpm', 'RPMS/foo-1.0-1.noarch.rpm', 'RPMS/capstest-1.0-1.noarch.rpm', 'RPMS/hlinktest-1.0-1.noarch-v3sig.rpm', 'SRPMS/foo-1.0-1.src.rpm'];

const RICH_SPEC = `Name: richpkg
Version: 1.2
Release: 3
Epoch: 2
Summary: Rich & <special> "package"
License: MIT
BuildArch: noarch
URL: https://example.com/rich?a=1&b=2
Provides: richcap = 5.0-1
Provides: /usr/bin/virtual
Requires: richcap = 5.0-1
Requires: /usr/bin/richtool
Requires: /bin/sh
Requires: dupdep >= 1.0
Requires: dupdep >= 1.0
Requires(pre): shadow-utils
Requires(post): coreutils >= 8:9.0-1.el9
Requires: libc.so.6(GLIBC_2.2.5)(64bit)
Requires: libc.so.6(GLIBC_2.34)(64bit)
Requires: (foo or bar)
Recommends: recpkg > 1
Suggests: sugpkg
Supplements: (richpkg and langpacks-de)
Enhances: enhpkg < 3
Conflicts: confpkg <= 0.9
Obsoletes: oldrich < 1.0-1

%description
Line one
\ttabbed & <escaped>

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/rich %{buildroot}/usr/share/rich/dir
echo hi > %{buildroot}/usr/bin/richtool
chmod 755 %{buildroot}/usr/bin/richtool
echo conf > %{buildroot}/etc/rich/rich.conf
echo data > %{buildroot}/usr/share/rich/data

%files
/usr/bin/richtool
%config(noreplace) /etc/rich/rich.conf
%dir /etc/rich
%dir /usr/share/rich/dir
/usr/share/rich/data
%ghost /var/log/rich.log

%changelog
* Mon Jan 01 2024 Alice <alice@example.com> - 1.2-3
- third & <final>
* Mon Jan 01 2024 Bob <bob@example.com>   - 1.2-2
- same day
* Sun Dec 31 2023 Carol <carol@example.com> - 1.2-1
- first
`;

const SIMPLE_SPEC = (name: string, version: string) => `Name: ${name}
Version: ${version}
Release: 1
Summary: ${name}
License: MIT
BuildArch: noarch
%description
${name}
%install
mkdir -p %{buildroot}/usr/share/${name}
echo ${version} > %{buildroot}/usr/share/${name}/v
%files
/usr/share/${name}/v
`;

/** Names with XML specials and UTF-8, every scriptlet dep qualifier, more than 10 changelog entries. */
const WEIRD_SPEC = `Name: weird
Version: 3.0~rc1
Release: 0.1
Summary: Weird names: é & <x>
License: GPL-2.0-or-later AND (MIT OR BSD)
BuildArch: noarch
Requires: /etc/weird/a&b.conf
Requires: /usr/share/weird/plain
Requires(pretrans): pre-trans-dep
Requires(posttrans): post-trans-dep
Requires(preun): preun-dep
Requires(postun): postun-dep >= 1
Requires(pre,post): both-dep
Requires: epochdep = 3:1.0
Requires: weird = 3.0~rc1-0.1
OrderWithRequires: ordered
Conflicts: c1 < 2:0.5-1
%description
Unicode: Grüße — ✓

%install
mkdir -p "%{buildroot}/etc/weird" "%{buildroot}/usr/share/weird" "%{buildroot}/usr/bin"
echo 1 > "%{buildroot}/etc/weird/a&b.conf"
echo 1 > "%{buildroot}/usr/share/weird/plain"
echo 1 > "%{buildroot}/usr/share/weird/with space é.txt"
echo 1 > "%{buildroot}/usr/bin/x<y>"
ln -s plain "%{buildroot}/usr/share/weird/link"

%files
%config "/etc/weird/a&b.conf"
/usr/share/weird/plain
"/usr/share/weird/with space é.txt"
"/usr/bin/x<y>"
/usr/share/weird/link

%changelog
${Array.from({ length: 13 }, (_, i) => `* ${new Date(Date.UTC(2024, 0, 29 - i)).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+).*$/, '$1 $3 $2 $4')} Dev${i} <d${i}@x.org> - 3.0-${i}\n- entry ${i}`).join('\n')}
`;

const PACKAGES = 9;
let built: string | undefined;

/** Build the test packages with rpmbuild once per process (temp topdir, fixed SOURCE_DATE_EPOCH). */
function builtRpms(): string {
  if (built) return built;
  const top = mkdtempSync(join(tmpdir(), 'driftless-rpmbuild-'));
  process.on('exit', () => rmSync(top, { recursive: true, force: true }));
  const specs: Record<string, string> = { 'rich.spec': RICH_SPEC, 'weird.spec': WEIRD_SPEC, 'a.spec': SIMPLE_SPEC('alpha', '1.0'), 'b.spec': SIMPLE_SPEC('beta', '2.0') };
  for (const [f, s] of Object.entries(specs)) {
    writeFileSync(join(top, f), s);
    const r = run('rpmbuild', ['--define', `_topdir ${top}/top`, '--define', '_buildhost test', '--define', 'use_source_date_epoch_as_buildtime 1', '-bb', join(top, f)], {
      env: { SOURCE_DATE_EPOCH: '1700000000' },
    });
    assert.equal(r.status, 0, r.stderr);
  }
  built = join(top, 'top/RPMS/noarch');
  return built;
}

/** The test repository: rpmbuild-made packages (one in a subdirectory) plus rpm's fixture packages. */
function buildRpms(_t: TestContext, into: string): void {
  const dir = builtRpms();
  mkdirSync(join(into, 'Packages/sub'), { recursive: true });
  for (const f of readdirSync(dir)) cpSync(join(dir, f), join(into, f.startsWith('beta') ? 'Packages/sub' : 'Packages', f), { preserveTimestamps: true });
  for (const f of FIXTURE_RPMS) cpSync(join(fixtures, 'rpm', f), join(into, 'Packages', f.split('/')[1]!), { preserveTimestamps: true });
}

function repodataFile(dir: string, type: string): Buffer {
  const repomd = readFileSync(join(dir, 'repodata/repomd.xml'), 'utf8');
  const block = new RegExp(`<data type="${type}">([\\s\\S]*?)</data>`).exec(repomd)![1]!;
  return readFileSync(join(dir, /<location href="([^"]+)"/.exec(block)![1]!));
}

async function openXml(dir: string, type: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of decompress('auto', (async function* () {
    yield repodataFile(dir, type);
  })())) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

/** Semantic view of a metadata document: each package snippet's element/attribute lines, sorted. */
function packagesOf(xml: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of xml.matchAll(/<package[\s\S]*?<\/package>/g)) {
    const snip = m[0];
    const key = (/pkgid="([0-9a-f]{64})"/.exec(snip) ?? /pkgid="YES">([0-9a-f]{64})</.exec(snip))![1]! + (/<location href="([^"]+)"/.exec(snip)?.[1] ?? '');
    const lines = snip
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => l.replace(/<(\S+)((?: [\w:-]+="[^"]*")+)/, (_, n: string, attrs: string) => `<${n} ${[...attrs.matchAll(/[\w:-]+="[^"]*"/g)].map((a) => a[0]).sort().join(' ')}`));
    out.set(key, lines);
  }
  return out;
}

function dumpsolv(t: TestContext, repodir: string): string {
  const onlyMd = tempDir(t, 'driftless-md-');
  cpSync(join(repodir, 'repodata'), join(onlyMd, 'repodata'), { recursive: true });
  const solv = join(onlyMd, 'x.solv');
  const r = run('repo2solv', ['-o', solv, onlyMd]);
  assert.equal(r.status, 0, r.stderr);
  const d = run('dumpsolv', [solv]);
  assert.equal(d.status, 0, d.stderr);
  // the solvables only (repository-level lines carry repomd checksums and timestamps)
  return d.stdout.slice(d.stdout.indexOf('\nsolvable '));
}

test('entries: escaping and evr splitting follow libxml2/createrepo_c', () => {
  assert.equal(xmlText('a&b<c>"d"\r'), 'a&amp;b&lt;c&gt;"d"&#13;');
  assert.equal(xmlAttr('a"b\n\tc'), 'a&quot;b&#10;&#9;c');
  assert.deepEqual(splitEvr('1:2.0-3-4'), { epoch: '1', ver: '2.0', rel: '3-4' });
  assert.deepEqual(splitEvr('2.0'), { epoch: '0', ver: '2.0' });
  assert.deepEqual(splitEvr(''), {});
  assert.ok(isPrimaryFile('/usr/sbin/x') && isPrimaryFile('/etc/x') && !isPrimaryFile('/usr/share/x'));
});

test('repo create matches createrepo_c (primary, filelists, other; libsolv view)', async (t) => {
  if (!requireTool(t, 'rpmbuild', 'createrepo_c', 'repo2solv', 'dumpsolv')) return;
  const ours = tempDir(t);
  buildRpms(t, ours);
  const theirs = tempDir(t);
  cpSync(ours, theirs, { recursive: true, preserveTimestamps: true });
  const r = await createRepo(ours, { compress: 'gz' });
  assert.equal(r.packages, PACKAGES);
  const cr = run('createrepo_c', ['--no-database', theirs]);
  assert.equal(cr.status, 0, cr.stderr);
  for (const type of ['primary', 'filelists', 'other']) {
    const a = packagesOf(await openXml(ours, type));
    const b = packagesOf(await openXml(theirs, type));
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `${type}: package sets differ`);
    for (const [k, lines] of a) assert.deepEqual(lines, b.get(k), `${type}: ${k}`);
  }
  assert.equal(dumpsolv(t, ours), dumpsolv(t, theirs));
  // zstd output reads the same through libsolv
  await createRepo(ours, { compress: 'zstd', incremental: false });
  assert.match(readFileSync(join(ours, 'repodata/repomd.xml'), 'utf8'), /primary\.xml\.zst"/);
  assert.equal(dumpsolv(t, ours), dumpsolv(t, theirs));
});

test('repo create is bit-reproducible and incremental', async (t) => {
  if (!requireTool(t, 'rpmbuild', 'createrepo_c')) return;
  const dir = tempDir(t);
  buildRpms(t, dir);
  const snapshot = () => Object.fromEntries(readdirSync(join(dir, 'repodata')).sort().map((f) => [f, readFileSync(join(dir, 'repodata', f)).toString('hex')]));
  const opts = { compress: 'zstd' as const, signKey: readFileSync(KEY_SECRET, 'utf8'), epoch: 1700000000 };
  const first = await createRepo(dir, opts);
  assert.equal(first.reused, 0);
  const a = snapshot();
  const second = await createRepo(dir, opts);
  assert.equal(second.reused, PACKAGES);
  assert.deepEqual(snapshot(), a);
  // a changed mtime forces that package to be re-read; the result equals a full rescan
  utimesSync(join(dir, 'Packages/sub/beta-2.0-1.noarch.rpm'), 1710000000, 1710000000);
  const third = await createRepo(dir, opts);
  assert.equal(third.reused, PACKAGES - 1);
  const inc = snapshot();
  await createRepo(dir, { ...opts, incremental: false });
  assert.deepEqual(snapshot(), inc);
  // streamed reading (big packages) gives the same result as whole-file reading
  await createRepo(dir, { ...opts, incremental: false, wholeReadLimit: 0 });
  assert.deepEqual(snapshot(), inc);
  assert.notDeepEqual(inc, a);
  // the same file in two places (one pkgid, two locations) is listed twice and reused on the next run
  mkdirSync(join(dir, 'Packages/dup'));
  cpSync(join(dir, 'Packages/sub/beta-2.0-1.noarch.rpm'), join(dir, 'Packages/dup/beta-2.0-1.noarch.rpm'), { preserveTimestamps: true });
  assert.deepEqual([(await createRepo(dir, opts)).reused, (await createRepo(dir, opts)).reused], [PACKAGES, PACKAGES + 1]);
  // createrepo_c --update accepts our repodata and keeps every package
  const up = run('createrepo_c', ['--update', '--no-database', dir]);
  assert.equal(up.status, 0, up.stderr);
  assert.equal(packagesOf(await openXml(dir, 'primary')).size, PACKAGES + 1);
});

test('signed repo: dnf (repo_gpgcheck=1) and our reader accept it; tampering is refused by both', async (t) => {
  if (!requireTool(t, 'rpmbuild', 'dnf')) return;
  const dir = tempDir(t);
  buildRpms(t, dir);
  const comps = `<?xml version="1.0" encoding="UTF-8"?>\n<comps><group><id>rich</id><name>Rich</name><description>r</description><default>true</default><uservisible>true</uservisible><packagelist><packagereq type="mandatory">richpkg</packagereq></packagelist></group></comps>\n`;
  const updateinfo = `<?xml version="1.0" encoding="UTF-8"?>\n<updates><update from="t@example.com" status="final" type="security" version="2.0"><id>TEST-2024-1</id><title>alpha fix</title><issued date="2024-01-01 00:00:00"/><severity>Important</severity><description>d</description><pkglist><collection short="t"><name>t</name><package name="alpha" version="1.0" release="1" epoch="0" arch="noarch"><filename>alpha-1.0-1.noarch.rpm</filename></package></collection></pkglist></update></updates>\n`;
  const inputs = tempDir(t, 'driftless-inputs-');
  writeFileSync(join(inputs, 'comps.xml'), comps);
  writeFileSync(join(inputs, 'updateinfo.xml'), updateinfo);
  const cli = runCli(['repo', 'create', dir, '--sign', KEY_SECRET, '--compress', 'gz', '--comps', join(inputs, 'comps.xml'), '--updateinfo', join(inputs, 'updateinfo.xml')], {
    env: { SOURCE_DATE_EPOCH: '1700000000' },
  });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(readFileSync(join(dir, 'repodata/repomd.xml.asc'), 'utf8'), /^-----BEGIN PGP SIGNATURE-----/);

  const keyring = await Keyring.fromFiles([KEY_PUBLIC]);
  const repo = await loadRepo(dir, { keyring, cacheDir: null, parts: ['comps', 'other', 'updateinfo'] });
  assert.deepEqual(repo.updateinfo?.map((a) => a.id), ['TEST-2024-1']);
  const ourList = repo.packages.map((p) => `${p.name}-${p.epoch}:${p.version}-${p.release}.${p.arch}`).sort();
  assert.equal(ourList.length, PACKAGES);
  assert.equal(repo.signature?.status, 'ok');
  assert.equal(repo.comps?.groups[0]?.id, 'rich');

  const work = tempDir(t, 'driftless-dnf-');
  let runs = 0;
  const dnf = (extra: string[] = []) => {
    mkdirSync(join(work, 'repos'), { recursive: true });
    const cache = join(work, `cache${runs++}`); // a fresh cache each time: nothing accepted earlier is reused
    return run('dnf', [
      '-q', '-y', `--installroot=${join(work, 'root')}`, `--setopt=reposdir=${join(work, 'repos')}`, `--setopt=cachedir=${cache}`,
      '--releasever=1', '--disableplugin=*', `--repofrompath=t,file://${dir}`, '--setopt=t.repo_gpgcheck=1', '--setopt=t.gpgcheck=0',
      `--setopt=t.gpgkey=file://${KEY_PUBLIC}`, '--setopt=t.metadata_expire=0', ...extra, 'repoquery', '--repo', 't', '--qf', '%{name}-%{epoch}:%{version}-%{release}.%{arch}',
    ]);
  };
  const ok = dnf();
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(ok.stdout.split('\n').filter((l) => /^\S+-\d+:/.test(l)).sort(), ourList);

  // Tampered primary (repomd unchanged): checksum mismatch for both
  const repomd = readFileSync(join(dir, 'repodata/repomd.xml'), 'utf8');
  const primaryHref = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)![1]!;
  const primaryPath = join(dir, primaryHref);
  const original = readFileSync(primaryPath);
  const { gzipSync } = await import('node:zlib');
  writeFileSync(primaryPath, gzipSync(Buffer.from(gunzipSync(original).toString('utf8').replace('<name>alpha</name>', '<name>alphX</name>'))));
  await assert.rejects(loadRepo(dir, { keyring, cacheDir: null }), (e: unknown) => isDriftlessError(e) && /CHECKSUM|SIZE|TRUNCATED|TOO_LARGE/.test(e.code));
  const bad = dnf(['--setopt=t.skip_if_unavailable=0']);
  assert.notEqual(bad.status, 0, `dnf accepted a tampered primary: ${bad.stdout}`);
  writeFileSync(primaryPath, original);

  // Tampered repomd.xml (signature no longer matches): refused by both
  writeFileSync(join(dir, 'repodata/repomd.xml'), repomd.replace('<revision>1700000000</revision>', '<revision>1700000001</revision>'));
  await assert.rejects(loadRepo(dir, { keyring, cacheDir: null }), (e: unknown) => isDriftlessError(e) && /SIGNATURE|GPG|PGP/.test(e.code));
  const bad2 = dnf(['--setopt=t.skip_if_unavailable=0']);
  assert.notEqual(bad2.status, 0, `dnf accepted a repomd with a bad signature: ${bad2.stdout}`);
});

test('repo create: coded errors', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(createRepo(join(dir, 'missing')), (e: unknown) => isDriftlessError(e, 'REPO_WRITE_NO_DIR'));
  writeFileSync(join(dir, 'junk.rpm'), 'not an rpm');
  await assert.rejects(createRepo(dir), (e: unknown) => isDriftlessError(e, 'REPO_WRITE_BAD_RPM'));
  await assert.rejects(createRepo(dir, { compress: 'xz' as never }), (e: unknown) => isDriftlessError(e, 'REPO_WRITE_BAD_OPTION'));
  // an empty directory is a valid, empty repository
  const empty = tempDir(t);
  const r = await createRepo(empty, { compress: 'gz' });
  assert.equal(r.packages, 0);
  assert.match((await openXml(empty, 'primary')), /packages="0"/);
});

test('repo create --sign with a passphrase-protected Ed25519 key: verified, deterministic, wrong passphrase refused', async (t) => {
  const openpgp = await import('openpgp');
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'repo test', email: 'repo@example.com' }],
    passphrase: 'sesame',
    date: new Date(1600000000 * 1000),
    format: 'armored',
  });
  const dir = tempDir(t);
  cpSync(join(fixtures, 'rpm/RPMS/foo-1.0-1.noarch.rpm'), join(dir, 'foo-1.0-1.noarch.rpm'));
  const keyFile = join(tempDir(t, 'driftless-key-'), 'key.asc');
  writeFileSync(keyFile, privateKey);
  const env = { SOURCE_DATE_EPOCH: '1700000000', DRIFTLESS_SIGN_PASSPHRASE: 'sesame' };
  const a = runCli(['repo', 'create', dir, '--sign', keyFile], { env });
  assert.equal(a.status, 0, a.stderr);
  const sig1 = readFileSync(join(dir, 'repodata/repomd.xml.asc'), 'utf8');
  assert.equal(runCli(['repo', 'create', dir, '--sign', keyFile, '--no-incremental'], { env }).status, 0);
  assert.equal(readFileSync(join(dir, 'repodata/repomd.xml.asc'), 'utf8'), sig1);
  const repo = await loadRepo(dir, { keyring: await Keyring.fromArmored([publicKey]), cacheDir: null });
  assert.equal(repo.signature?.status, 'ok');
  const wrong = runCli(['repo', 'create', dir, '--sign', keyFile], { env: { ...env, DRIFTLESS_SIGN_PASSPHRASE: 'nope' } });
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /PGP_PASSPHRASE/);
  assert.equal(readFileSync(join(dir, 'repodata/repomd.xml.asc'), 'utf8'), sig1); // nothing replaced
});
