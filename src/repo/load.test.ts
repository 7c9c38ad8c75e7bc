import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zstdCompress } from '../core/compression.js';
import { CollectingReport } from '../core/report.js';
import { cpSync } from 'node:fs';
import { fixtures, hasTool, requireTool, run, tempDir } from '../../test/helpers/cli.js';
import { loadRepo } from './load.js';
import { metaCachePath } from './metacache.js';

const PRIMARY = `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="3">
<package type="rpm">
  <name>foo</name><arch>x86_64</arch>
  <version ver="1.0" rel="1"/>
  <checksum type="sha256" pkgid="YES">aa11</checksum>
  <summary>Foo &amp; friends</summary>
  <description><![CDATA[multi
line <desc>]]></description>
  <time file="10" build="5"/>
  <size package="100" installed="200" archive="300"/>
  <location xml:base="http://mirror.example/os/" href="Packages/foo-1.0-1.x86_64.rpm"/>
  <format>
    <rpm:license>MIT</rpm:license>
    <rpm:sourcerpm>foo-1.0-1.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="10" end="20"/>
    <rpm:provides>
      <rpm:entry name="foo" flags="EQ" epoch="0" ver="1.0" rel="1"/>
      <rpm:entry name="foo-epoch" flags="GE" epoch="3" ver="2"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="/bin/sh" pre="1"/>
      <rpm:entry name="(bar or baz)"/>
      <rpm:entry name="libx" flags="LT" ver="2" rel="1"/>
    </rpm:requires>
    <rpm:recommends><rpm:entry name="rec"/></rpm:recommends>
    <file>/usr/bin/foo</file>
    <file type="dir">/etc/foo</file>
    <file type="ghost">/var/log/foo.log</file>
  </format>
</package>
<package type="rpm">
  <name>foo</name><arch>src</arch>
  <version epoch="2" ver="1.0" rel="1"/>
  <checksum type="sha256" pkgid="YES">bb22</checksum>
  <location href="SRPMS/foo-1.0-1.src.rpm"/>
  <format/>
</package>
<package type="rpm">
  <name>bar</name><arch>noarch</arch>
  <version epoch="" ver="0.1~rc1" rel="1.fc40"/>
  <checksum type="sha256" pkgid="YES">cc33</checksum>
  <location href="bar.rpm"/>
  <format><rpm:obsoletes><rpm:entry name="oldbar" flags="LE" epoch="1" ver="0.0"/></rpm:obsoletes></format>
</package>
</metadata>`;

const FILELISTS = `<?xml version="1.0"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="1">
<package pkgid="aa11" name="foo" arch="x86_64"><version epoch="0" ver="1.0" rel="1"/>
<file>/usr/bin/foo</file><file type="dir">/etc/foo</file><file>/usr/share/doc/foo/README</file></package>
</filelists>`;

const OTHER = `<?xml version="1.0"?>
<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="1">
<package pkgid="aa11" name="foo" arch="x86_64"><version epoch="0" ver="1.0" rel="1"/>
<changelog author="A &lt;a@x&gt; - 1.0-1" date="1700000000">- first</changelog></package>
</otherdata>`;

const UPDATEINFO = `<?xml version="1.0"?>
<updates><update from="sec@example" status="stable" type="security" version="2.0">
<id>EX-2024:1</id><title>foo fix</title><issued date="2024-01-01 00:00:00"/><severity>Important</severity>
<references><reference href="https://cve.example/1" id="CVE-2024-1" type="cve" title="CVE-2024-1"/></references>
<description>Fixes things.</description>
<pkglist><collection short="x"><name>X</name>
<package name="foo" version="1.0" release="1" epoch="0" arch="x86_64" src="foo-1.0-1.src.rpm"><filename>foo-1.0-1.x86_64.rpm</filename><sum type="sha256">aa11</sum><reboot_suggested>1</reboot_suggested></package>
</collection></pkglist></update></updates>`;

type Codec = 'gz' | 'zst' | 'xz' | 'bz2' | 'plain';

async function compress(data: Buffer, codec: Codec): Promise<Buffer> {
  if (codec === 'gz') return gzipSync(data);
  if (codec === 'zst') return Buffer.from(await zstdCompress(data, 3));
  if (codec === 'plain') return data;
  const tool = codec === 'xz' ? 'xz' : 'bzip2';
  const r = spawnSync(tool, ['-c'], { input: data });
  assert.equal(r.status, 0);
  return r.stdout;
}

/** Write a repo with the given metadata files; returns its dir. */
async function makeRepo(dir: string, files: { type: string; xml: string; codec: Codec; ext?: string }[], sumType = 'sha256'): Promise<string> {
  mkdirSync(join(dir, 'repodata'), { recursive: true });
  let md = '<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>7</revision>\n';
  for (const f of files) {
    const raw = Buffer.from(f.xml);
    const data = await compress(raw, f.codec);
    const algo = sumType === 'sha' ? 'sha1' : sumType;
    const sum = createHash(algo).update(data).digest('hex');
    const name = `repodata/${sum}-${f.type}.${f.ext ?? 'xml'}${f.codec === 'plain' ? '' : `.${f.codec}`}`;
    writeFileSync(join(dir, name), data);
    md += `<data type="${f.type}"><checksum type="${sumType}">${sum}</checksum><location href="${name}"/><size>${data.length}</size><open-size>${raw.length}</open-size></data>\n`;
  }
  md += '<data type="other_db"><checksum type="sha256">00</checksum><location href="repodata/absent-other.sqlite.bz2"/></data>\n</repomd>\n';
  writeFileSync(join(dir, 'repodata/repomd.xml'), md);
  return dir;
}

test('primary edge cases: missing/empty epoch, pre, xml:base, src, CDATA, rich deps, file types', async (t) => {
  const dir = await makeRepo(tempDir(t), [{ type: 'primary', xml: PRIMARY, codec: 'gz' }]);
  const repo = await loadRepo(dir, { gpgcheck: false, cacheDir: null });
  const [foo, fooSrc, bar] = repo.packages;
  assert.equal(repo.packages.length, 3);
  assert.equal(foo!.epoch, 0);
  assert.equal(foo!.summary, 'Foo & friends');
  assert.equal(foo!.description, 'multi\nline <desc>');
  assert.deepEqual(foo!.location, { href: 'Packages/foo-1.0-1.x86_64.rpm', base: 'http://mirror.example/os/' });
  assert.deepEqual(foo!.size, { package: 100, installed: 200, archive: 300 });
  assert.deepEqual(foo!.headerRange, { start: 10, end: 20 });
  assert.deepEqual(foo!.checksum, { type: 'sha256', value: 'aa11' });
  assert.deepEqual(foo!.provides, [{ name: 'foo', op: '=', evr: '1.0-1' }, { name: 'foo-epoch', op: '>=', evr: '3:2' }]);
  assert.deepEqual(foo!.requires, [{ name: '/bin/sh', pre: true }, { name: '(bar or baz)' }, { name: 'libx', op: '<', evr: '2-1' }]);
  assert.deepEqual(foo!.recommends, [{ name: 'rec' }]);
  assert.deepEqual(foo!.files, [{ path: '/usr/bin/foo' }, { path: '/etc/foo', type: 'dir' }, { path: '/var/log/foo.log', type: 'ghost' }]);
  assert.equal(fooSrc!.arch, 'src');
  assert.equal(fooSrc!.epoch, 2);
  assert.equal(bar!.epoch, 0);
  assert.equal(bar!.version, '0.1~rc1');
  assert.deepEqual(bar!.obsoletes, [{ name: 'oldbar', op: '<=', evr: '1:0.0' }]);
});

test('every compression and checksum type; only requested files are read (absent ones are fine)', async (t) => {
  const codecs: Codec[] = ['gz', 'zst', 'plain', ...(hasTool('xz') ? ['xz' as const] : []), ...(hasTool('bzip2') ? ['bz2' as const] : [])];
  for (const [i, codec] of codecs.entries()) {
    const sumType = ['sha256', 'sha', 'sha512', 'sha1', 'sha384'][i % 5]!;
    const dir = await makeRepo(join(tempDir(t), codec), [
      { type: 'primary', xml: PRIMARY, codec },
      { type: 'filelists', xml: FILELISTS, codec },
      { type: 'other', xml: OTHER, codec },
      { type: 'updateinfo', xml: UPDATEINFO, codec },
    ], sumType);
    const repo = await loadRepo(dir, { gpgcheck: false, cacheDir: null, parts: ['filelists', 'other', 'updateinfo', 'comps', 'modules'] });
    assert.equal(repo.packages.length, 3, codec);
    assert.deepEqual(repo.packages[0]!.files.map((f) => f.path), ['/usr/bin/foo', '/etc/foo', '/usr/share/doc/foo/README'], codec);
    assert.equal(repo.other?.[0]?.changelogs[0]?.author, 'A <a@x> - 1.0-1');
    assert.equal(repo.updateinfo?.[0]?.id, 'EX-2024:1');
    assert.equal(repo.updateinfo?.[0]?.packages[0]?.rebootSuggested, true);
    assert.equal(repo.updateinfo?.[0]?.references[0]?.id, 'CVE-2024-1');
    assert.equal(repo.comps, undefined);
  }
});

test('clear errors: checksum mismatch, truncation, unknown compression, missing file, bad XML', async (t) => {
  const dir = await makeRepo(tempDir(t), [{ type: 'primary', xml: PRIMARY, codec: 'plain' }, { type: 'other', xml: OTHER, codec: 'gz' }]);
  const primary = join(dir, 'repodata', readdirSync(join(dir, 'repodata')).find((n) => n.includes('primary'))!);
  const orig = readFileSync(primary);
  writeFileSync(primary, Buffer.from(orig.toString().replace('Foo &amp;', 'Bar &amp;')));
  await assert.rejects(loadRepo(dir, { gpgcheck: false, cacheDir: null }), (e: Error & { code: string; details: Record<string, string> }) => {
    assert.equal(e.code, 'REPO_CHECKSUM_MISMATCH');
    assert.match(e.message, /primary\.xml/);
    assert.equal(e.details.expected, createHash('sha256').update(orig).digest('hex'));
    assert.equal(e.details.actual, createHash('sha256').update(readFileSync(primary)).digest('hex'));
    return true;
  });
  writeFileSync(primary, orig.subarray(0, orig.length - 20));
  await assert.rejects(loadRepo(dir, { gpgcheck: false, cacheDir: null }), { code: 'REPO_TRUNCATED' });
  writeFileSync(primary, orig);
  // other.xml is listed but gone: fine unless asked for
  const other = readdirSync(join(dir, 'repodata')).find((n) => n.includes('other'))!;
  writeFileSync(join(dir, 'repodata/repomd.xml'), readFileSync(join(dir, 'repodata/repomd.xml'), 'utf8').replace(other, 'gone-other.xml.gz'));
  assert.equal((await loadRepo(dir, { gpgcheck: false, cacheDir: null })).packages.length, 3);
  await assert.rejects(loadRepo(dir, { gpgcheck: false, cacheDir: null, parts: ['other'] }), { code: 'REPO_FILE_NOT_FOUND' });

  const zck = await makeRepo(tempDir(t), [{ type: 'primary', xml: PRIMARY, codec: 'plain', ext: 'xml.zck' }]);
  await assert.rejects(loadRepo(zck, { gpgcheck: false, cacheDir: null }), { code: 'REPO_UNKNOWN_COMPRESSION' });
  const bad = await makeRepo(tempDir(t), [{ type: 'primary', xml: '<metadata><package><name>x</nam></package></metadata>', codec: 'gz' }]);
  await assert.rejects(loadRepo(bad, { gpgcheck: false, cacheDir: null }), { code: 'REPO_BAD_XML' });
  await assert.rejects(loadRepo(join(dir, 'nope'), { gpgcheck: false, cacheDir: null }), { code: 'REPO_FILE_NOT_FOUND' });
  const mdPath = join(dir, 'repodata/repomd.xml');
  writeFileSync(mdPath, readFileSync(mdPath, 'utf8').replace(/<checksum type="sha256">[0-9a-f]+<\/checksum>/, ''));
  await assert.rejects(loadRepo(dir, { gpgcheck: false, cacheDir: null }), { code: 'REPO_NO_CHECKSUM' });
});

test('repomd location xml:base: the file is read from the base (file:// here) and still verified', async (t) => {
  const other = await makeRepo(tempDir(t), [{ type: 'primary', xml: PRIMARY, codec: 'gz' }]);
  const dir = tempDir(t);
  mkdirSync(join(dir, 'repodata'));
  const md = readFileSync(join(other, 'repodata/repomd.xml'), 'utf8').replace('<location href=', `<location xml:base="file://${other}/" href=`);
  writeFileSync(join(dir, 'repodata/repomd.xml'), md);
  const repo = await loadRepo(dir, { gpgcheck: false, cacheDir: null });
  assert.equal(repo.packages.length, 3);
  const primary = readdirSync(join(other, 'repodata')).find((n) => n.includes('primary'))!;
  const bytes = readFileSync(join(other, 'repodata', primary));
  bytes[5] ^= 1; // gzip mtime: still parses, digest differs
  writeFileSync(join(other, 'repodata', primary), bytes);
  await assert.rejects(loadRepo(dir, { gpgcheck: false, cacheDir: null }), { code: 'REPO_CHECKSUM_MISMATCH' });
});

test('parsed-metadata cache: warm equals cold, exact invalidation, corrupt files ignored and rewritten', async (t) => {
  const dir = await makeRepo(tempDir(t), [{ type: 'primary', xml: PRIMARY, codec: 'gz' }, { type: 'filelists', xml: FILELISTS, codec: 'gz' }, { type: 'updateinfo', xml: UPDATEINFO, codec: 'gz' }]);
  const cache = tempDir(t);
  const opts = { gpgcheck: false, cacheDir: cache, parts: ['filelists' as const, 'updateinfo' as const] };
  const cold = await loadRepo(dir, opts);
  assert.equal(cold.fromCache, false);
  const warm = await loadRepo(dir, opts);
  assert.equal(warm.fromCache, true);
  const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
  assert.deepEqual(plain(warm.packages), plain(cold.packages));
  assert.deepEqual(warm.packages[0]!.requires, cold.packages[0]!.requires);
  assert.deepEqual(warm.packages[0]!.files, cold.packages[0]!.files);
  assert.equal(warm.packages[0]!.description, cold.packages[0]!.description);
  assert.deepEqual(warm.updateinfo, cold.updateinfo);
  assert.deepEqual(warm.repomd, cold.repomd);
  // another part set is another key
  assert.equal((await loadRepo(dir, { ...opts, parts: [] })).fromCache, false);
  // corrupt one byte in the middle: reported, ignored, rewritten
  const path = metaCachePath(cache, cold.repomdSha256, ['filelists', 'updateinfo']);
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(path, bytes);
  const report = new CollectingReport();
  const again = await loadRepo(dir, { ...opts, report });
  assert.equal(again.fromCache, false);
  assert.ok(report.warnings.some((w) => w.code === 'REPO_CACHE_CORRUPT'));
  assert.deepEqual(plain(again.packages), plain(cold.packages));
  assert.equal((await loadRepo(dir, opts)).fromCache, true);
  // truncated cache file
  writeFileSync(path, readFileSync(path).subarray(0, 100));
  assert.equal((await loadRepo(dir, opts)).fromCache, false);
  // a changed repomd (any byte) is a new key: never served the old parse
  const mdPath = join(dir, 'repodata/repomd.xml');
  writeFileSync(mdPath, readFileSync(mdPath, 'utf8').replace('<revision>7', '<revision>8'));
  const changed = await loadRepo(dir, opts);
  assert.equal(changed.fromCache, false);
  assert.notEqual(changed.repomdSha256, cold.repomdSha256);
});

test('cs9 fixtures: comps (groups, environments, categories) and modules.yaml as data', async (t) => {
  const cache = tempDir(t);
  const base = await loadRepo(join(fixtures, 'repos/cs9-baseos'), { gpgcheck: false, cacheDir: cache, parts: ['comps'] });
  assert.equal(base.comps?.groups.length, 34);
  assert.equal(base.comps?.environments.length, 3);
  assert.equal(base.comps?.categories.length, 4);
  const core = base.comps!.groups.find((g) => g.id === 'core')!;
  assert.ok(core.packages.some((p) => p.name === 'bash' || p.type === 'mandatory'));
  const env = base.comps!.environments[0]!;
  assert.ok(env.groups.length > 0 && env.id);
  const app = await loadRepo(join(fixtures, 'repos/cs9-appstream'), { gpgcheck: false, cacheDir: cache, parts: ['comps', 'modules'] });
  assert.equal(app.modules?.streams.length, 31);
  assert.equal(app.modules?.defaults.length, 8);
  const mariadb = app.modules!.streams.find((s) => s.name === 'mariadb')!;
  assert.equal(mariadb.stream, '10.11');
  assert.equal(mariadb.version, '920240126110506');
  assert.ok(mariadb.artifacts.some((a) => a.startsWith('mariadb-')));
  assert.ok((app.comps?.groups.length ?? 0) > 10);
  // from the cache: same data
  const warm = await loadRepo(join(fixtures, 'repos/cs9-appstream'), { gpgcheck: false, cacheDir: cache, parts: ['comps', 'modules'] });
  assert.equal(warm.fromCache, true);
  assert.deepEqual(warm.modules, app.modules);
  assert.deepEqual(warm.comps, app.comps);
});

test('createrepo_c repo: filelists and changelogs (other.xml) agree with rpm -qp; src packages are kept', async (t) => {
  if (!requireTool(t, 'createrepo_c', 'rpm')) return;
  const dir = tempDir(t);
  const rpms = ['RPMS/hello-2.0-1.x86_64.rpm', 'RPMS/capstest-1.0-1.noarch.rpm', 'RPMS/foo-1.0-1.noarch.rpm', 'SRPMS/foo-1.0-1.src.rpm'];
  for (const r of rpms) cpSync(join(fixtures, 'rpm', r), join(dir, r.split('/')[1]!));
  assert.equal(run('createrepo_c', ['--quiet', dir]).status, 0);
  const repo = await loadRepo(dir, { gpgcheck: false, cacheDir: tempDir(t), parts: ['filelists', 'other'] });
  assert.deepEqual(repo.packages.map((p) => `${p.name}.${p.arch}`).sort(), ['capstest.noarch', 'foo.noarch', 'foo.src', 'hello.x86_64']);
  for (const r of rpms) {
    const file = join(dir, r.split('/')[1]!);
    const q = (fmt: string) => run('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', fmt, file]).stdout;
    const [name, arch] = q('%{NAME} %|SOURCEPACKAGE?{src}:{%{ARCH}}|').split(' ');
    const pkg = repo.packages.find((p) => p.name === name && p.arch === arch)!;
    assert.ok(pkg, `${name}.${arch}`);
    const listed = run('rpm', ['-qpl', '--nosignature', '--nodigest', file]).stdout.split('\n').filter((l) => l !== '' && l !== '(contains no files)');
    assert.deepEqual(pkg.files.map((f) => f.path).sort(), listed.sort(), `files of ${r}`);
    const other = repo.other!.find((o) => o.pkgid === pkg.checksum!.value)!;
    const times = q('[%{CHANGELOGTIME}\n]').split('\n').filter(Boolean).map(Number);
    const names = q('[%{CHANGELOGNAME}\n]').split('\n').filter(Boolean);
    // rpm lists newest first; other.xml oldest first
    assert.deepEqual(other.changelogs.map((c) => [c.date, c.author]), times.map((d, i) => [d, names[i]]).reverse(), `changelog of ${r}`);
  }
});
