/**
 * The RPM writer against the real rpm: rpm -qp reads what we write, rpmkeys -K accepts the
 * signatures, rpm -i installs it and rpm -V finds nothing to complain about.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { buildRpm } from './package.js';
import { parseDefinition } from './schema.js';
import { decodeHeader } from '../header.js';
import { Tag } from '../tags.js';
import { repoRoot, requireTool, run, tempDir } from '../../../test/helpers/cli.js';
import { isDriftlessError } from '../../core/errors.js';
import { DEFINITION, EPOCH, writeFixture } from './test-fixture.js';

const keys = join(repoRoot, 'examples/keys');


async function build(t: import('node:test').TestContext, key?: string) {
  const dir = tempDir(t);
  writeFixture(dir);
  const loaded = { def: parseDefinition(DEFINITION), baseDir: dir };
  const b = await buildRpm(loaded, { outDir: join(dir, 'out'), epoch: EPOCH, signingKey: key ? readFileSync(join(keys, key), 'utf8') : undefined });
  return { dir, path: b.path!, built: b };
}

const lines = (s: string) => s.trim().split('\n').filter(Boolean);
const rpmq = (file: string, ...args: string[]) => {
  const r = run('rpm', ['-qp', ...args, file]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

test('rpm -qp reads identity, dependencies of every kind, and file attributes', async (t) => {
  if (!requireTool(t, 'rpm')) return;
  const { path, built } = await build(t);
  assert.equal(built.fileName, 'tpkg-1.2~rc1-4.dl4.x86_64.rpm');
  assert.equal(
    rpmq(path, '--qf', '%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{LICENSE}|%{SUMMARY}|%{BUILDTIME}|%{BUILDHOST}|%{SOURCERPM}|%{PAYLOADCOMPRESSOR}|%{URL}|%{VENDOR}|%{GROUP}|%{OS}'),
    'tpkg|3|1.2~rc1|4.dl4|x86_64|MIT AND Apache-2.0|writer test package|1704067200|driftless|tpkg-1.2~rc1-4.dl4.src.rpm|zstd|https://example.invalid/tpkg|driftless tests|System/Test|linux',
  );
  const evr = '3:1.2~rc1-4.dl4';
  assert.deepEqual(lines(rpmq(path, '--provides')), [
    `config(tpkg) = ${evr}`,
    'group(tpkgadm)',
    'group(tpkgd)',
    'libtpkg.so.0()(64bit)',
    `tpkg = ${evr}`,
    `tpkg(x86-64) = ${evr}`,
    'tpkg-virtual = 9',
    'user(tpkgd)',
  ]);
  const req = lines(rpmq(path, '--requires'));
  for (const r of ['/bin/sh', 'setup', 'systemd', 'libfoo.so.1()(64bit)', 'bar >= 1:2.0-1', '(baz or qux >= 2)', '(pkgA if pkgB)', `config(tpkg) = ${evr}`,
    'rpmlib(CompressedFileNames) <= 3.0.4-1', 'rpmlib(FileDigests) <= 4.6.0-1', 'rpmlib(PayloadFilesHavePrefix) <= 4.0-1', 'rpmlib(PayloadIsZstd) <= 5.4.18-1',
    'rpmlib(RichDependencies) <= 4.12.0-1', 'rpmlib(FileCaps) <= 4.6.1-1', 'rpmlib(PartialHardlinkSets) <= 4.0.4-1', 'rpmlib(TildeInVersions) <= 4.10.0-1']) {
    assert.ok(req.includes(r), `requires ${r} in ${req.join(', ')}`);
  }
  assert.equal(req.length, 16);
  // Requires(pre)/(post) flags as rpm shows them
  const ctx = lines(rpmq(path, '--qf', '[%{REQUIRENAME} %{REQUIREFLAGS:deptype}\n]'));
  assert.ok(ctx.includes('setup pre'), ctx.join('|'));
  assert.ok(ctx.includes('systemd post'), ctx.join('|'));
  assert.deepEqual(lines(rpmq(path, '--conflicts')), ['oldthing < 2']);
  assert.deepEqual(lines(rpmq(path, '--obsoletes')), ['tpkg-legacy <= 1.0']);
  assert.deepEqual(lines(rpmq(path, '--recommends')), ['tpkg-extras']);
  assert.deepEqual(lines(rpmq(path, '--suggests')), ['(tpkg-doc and tpkg-man)']);
  assert.deepEqual(lines(rpmq(path, '--supplements')), ['(kernel and tpkg-hw)']);
  assert.deepEqual(lines(rpmq(path, '--enhances')), ['bash']);

  const files = lines(rpmq(path, '-l'));
  assert.deepEqual(files, [...files].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), 'sorted like rpm');
  assert.ok(files.includes('/usr/lib/sysusers.d/tpkg.conf') && files.includes('/usr/lib/tmpfiles.d/tpkg.conf'));
  assert.ok(files.includes('/usr/share/tpkg/alias') && files.includes('/usr/share/tpkg/sub/run.sh'));
  assert.deepEqual(lines(rpmq(path, '-c')), ['/etc/tpkg.conf', '/etc/tpkg.d/plain.conf']);
  assert.deepEqual(lines(rpmq(path, '-d')), ['/usr/share/doc/tpkg/README']);
  assert.deepEqual(lines(rpmq(path, '-L')), ['/usr/share/licenses/tpkg/LICENSE']);
  const caps = Object.fromEntries(lines(rpmq(path, '--filecaps')).map((l) => l.split('\t') as [string, string]));
  assert.equal(caps['/usr/bin/tping'], 'cap_net_raw=ep');
  assert.equal(caps['/usr/bin/tpong'], '');
  // --dump: path size mtime digest mode owner group isconfig isdoc rdev symlink
  const dump = Object.fromEntries(lines(rpmq(path, '--dump')).map((l) => [l.split(' ')[0]!, l.split(' ')]));
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  assert.deepEqual(dump['/usr/bin/tping']!.slice(1, 7), ['20', String(EPOCH), sha('#!/bin/sh\necho ping\n'), '0100755', 'root', 'root']);
  assert.deepEqual(dump['/usr/bin/tping-hl']!.slice(1, 7), ['20', String(EPOCH), sha('#!/bin/sh\necho ping\n'), '0100755', 'root', 'root']);
  assert.equal(dump['/usr/bin/tpong']![4], '0120777');
  assert.equal(dump['/usr/bin/tpong']![10], 'tping');
  assert.equal(dump['/usr/bin/tsuid']![4], '0104755');
  assert.deepEqual(dump['/etc/tpkg.d/plain.conf']!.slice(4, 8), ['0100600', 'bin', 'daemon', '1']);
  assert.equal(dump['/var/lib/tpkg']![4], '040750');
  assert.equal(dump['/usr/share/tpkg/sub/run.sh']![4], '0100700');
  assert.equal(dump['/usr/share/tpkg/data.txt']![4], '0100644');
  assert.equal(dump['/usr/lib/tpkg/blob.bin']![2], '1000');
  assert.equal(dump['/usr/lib/tpkg/blob.bin']![3], createHash('sha256').update(Buffer.from('AAEC/wD+', 'base64')).digest('hex'));
  const states = lines(rpmq(path, '--qf', '[%{FILENAMES} %{FILEFLAGS:fflags}\n]'));
  assert.ok(states.includes('/var/log/tpkg.log g'), states.join('|'));
  assert.ok(states.includes('/etc/tpkg.conf cn'), states.join('|'));
  // hardlinks share an inode in the header
  const ino = Object.fromEntries(lines(rpmq(path, '--qf', '[%{FILENAMES} %{FILEINODES}\n]')).map((l) => l.split(' ') as [string, string]));
  assert.equal(ino['/usr/bin/tping'], ino['/usr/bin/tping-hl']);
  assert.notEqual(ino['/usr/bin/tping'], ino['/usr/bin/tpong']);
});

test('rpm -K verifies digests; rpmkeys -K accepts RSA and Ed25519 header signatures after import', async (t) => {
  if (!requireTool(t, 'rpm', 'rpmkeys')) return;
  const unsigned = await build(t);
  const k = run('rpmkeys', ['-Kv', unsigned.path]);
  assert.equal(k.status, 0, k.stdout + k.stderr);
  assert.match(k.stdout, /Header SHA256 digest: OK/);
  assert.match(k.stdout, /Payload SHA256 digest: OK/);
  assert.match(k.stdout, /MD5 digest: OK/);
  for (const [key, algo] of [['demo-rsa3072', 'RSA'], ['demo-ed25519', 'EdDSA']] as const) {
    const s = await build(t, `${key}.secret.asc`);
    // the reserved space absorbs the signature: same size as unsigned, like rpmsign
    assert.equal(s.built.bytes.length, unsigned.built.bytes.length);
    const db = tempDir(t);
    const noKey = run('rpmkeys', ['--dbpath', db, '-K', s.path]);
    assert.notEqual(noKey.status, 0, 'without the key the signature cannot be verified');
    const imp = run('rpmkeys', ['--dbpath', db, '--import', join(keys, `${key}.public.asc`)]);
    assert.equal(imp.status, 0, imp.stderr);
    const ok = run('rpmkeys', ['--dbpath', db, '-Kv', s.path]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    // rpm prints the short key id (4.18) or a longer one (newer versions); EdDSA may be named Ed25519
    const algoRe = algo === 'RSA' ? 'RSA' : '(?:EdDSA|Ed25519)';
    assert.match(ok.stdout, new RegExp(`Header V4 ${algoRe}/SHA\\d+ Signature, key ID [0-9a-f]*${s.built.signedBy!.slice(8)}: OK`, 'i'));
    // tampering with a header byte breaks digest and signature
    const bad = Buffer.from(s.built.bytes);
    const at = bad.indexOf(Buffer.from('writer test package'));
    bad[at] = 'W'.charCodeAt(0);
    const badPath = join(db, 'bad.rpm');
    writeFileSync(badPath, bad);
    assert.notEqual(run('rpmkeys', ['--dbpath', db, '-K', badPath]).status, 0);
  }
});

test('rpm -i installs the package and rpm -V reports no differences', async (t) => {
  if (!requireTool(t, 'rpm')) return;
  if (process.getuid?.() !== 0) {
    t.skip('installing with rpm --root needs root (chown); run as root to check');
    return;
  }
  const { path } = await build(t, 'demo-ed25519.secret.asc');
  const root = tempDir(t);
  // newer rpm resolves owners from the target root's own account files
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/sbin/nologin\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nbin:x:1:\ndaemon:x:2:\n');
  const common = ['--root', root, '--dbpath', '/var/lib/rpm'];
  const i = run('rpm', ['-i', ...common, '--nodeps', '--noscripts', '--nosignature', path]);
  assert.equal(i.status, 0, i.stderr);
  const v = run('rpm', ['-V', ...common, '--nodeps', 'tpkg']);
  assert.equal(v.stdout.trim(), '', v.stdout);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(readFileSync(join(root, 'usr/bin/tping'), 'utf8'), '#!/bin/sh\necho ping\n');
  assert.equal(statSync(join(root, 'usr/bin/tping')).ino, statSync(join(root, 'usr/bin/tping-hl')).ino);
  assert.equal(readlinkSync(join(root, 'usr/bin/tpong')), 'tping');
  assert.equal(statSync(join(root, 'usr/bin/tsuid')).mode & 0o7777, 0o4755);
  assert.equal(lstatSync(join(root, 'var/lib/tpkg')).mode & 0o7777, 0o750);
  assert.equal(readFileSync(join(root, 'usr/lib/sysusers.d/tpkg.conf'), 'utf8'), 'u tpkgd - "tpkg daemon" /var/lib/tpkg\ng tpkgadm -\n');
  assert.throws(() => statSync(join(root, 'var/log/tpkg.log')), 'ghost files are not installed');
  const q = run('rpm', ['-q', ...common, '--filecaps', 'tpkg']);
  assert.match(q.stdout, /\/usr\/bin\/tping\tcap_net_raw=ep/);
});

test('main header is laid out like rpmbuild: region, i18n table, digests, no host leakage', async (t) => {
  const { built } = await build(t);
  const bytes = built.bytes;
  const sig = decodeHeader(bytes, 96, { label: 'signature' });
  const off = 96 + sig.size + ((8 - (sig.size % 8)) % 8);
  const { header } = decodeHeader(bytes, off, { label: 'main' });
  assert.equal(header.region?.tag, 63);
  assert.equal(header.getString(Tag.BUILDHOST), 'driftless');
  assert.equal(header.getNumber(Tag.FILEDIGESTALGO), 8);
  assert.equal(header.getNumber(Tag.PAYLOADDIGESTALGO), 8);
  const payload = bytes.subarray(off + header.raw.length);
  assert.equal(header.getString(Tag.PAYLOADDIGEST), createHash('sha256').update(payload).digest('hex'));
  assert.ok(!Buffer.from(bytes).includes(Buffer.from(repoRoot)), 'no build paths in the package');
});

test('signed builds are byte-identical run to run (RSA PKCS#1 v1.5 and EdDSA are deterministic)', async (t) => {
  for (const key of ['demo-rsa3072.secret.asc', 'demo-ed25519.secret.asc']) {
    const a = await build(t, key);
    const b = await build(t, key);
    assert.equal(a.built.sha256, b.built.sha256, key);
  }
});

test('a signing key younger than SOURCE_DATE_EPOCH is refused with a hint', async (t) => {
  const dir = tempDir(t);
  writeFixture(dir);
  await assert.rejects(
    buildRpm({ def: parseDefinition(DEFINITION), baseDir: dir }, { epoch: 1500000000, signingKey: readFileSync(join(keys, 'demo-ed25519.secret.asc'), 'utf8') }),
    (e) => isDriftlessError(e, 'RPM_BUILD_SIGN') && /creation time/.test((e as Error).message),
  );
});

test('passphrase-protected keys sign with the passphrase and fail clearly without it', async (t) => {
  const openpgp = await import('openpgp');
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name: 'pass test' }], passphrase: 'sesame', date: new Date('2020-01-01T00:00:00Z'), format: 'armored', config: { v6Keys: false },
  });
  const dir = tempDir(t);
  writeFixture(dir);
  const loaded = { def: parseDefinition(DEFINITION), baseDir: dir };
  await assert.rejects(buildRpm(loaded, { epoch: EPOCH, signingKey: privateKey }), (e) => isDriftlessError(e) && /passphrase/i.test((e as Error).message));
  const b = await buildRpm(loaded, { epoch: EPOCH, signingKey: privateKey, passphrase: 'sesame' });
  assert.equal(b.signedBy?.length, 16);
});

test('rpmsign --addsign signs an unsigned package in place (the reserved space absorbs it)', async (t) => {
  if (!requireTool(t, 'rpmsign', 'rpmkeys', 'gpg', 'gpgconf')) return;
  const { path, built } = await build(t);
  const home = tempDir(t, 'driftless-gnupg-');
  const env = { GNUPGHOME: home };
  t.after(() => run('gpgconf', ['--kill', 'gpg-agent'], { env }));
  assert.equal(run('gpg', ['--batch', '--import', join(keys, 'demo-rsa3072.secret.asc')], { env }).status, 0);
  const fpr = '084F85A24F2E680CE4710FE4438778CEA79D3D04';
  const s = run('rpmsign', ['--define', `_gpg_name ${fpr}`, '--define', `__gpg ${run('sh', ['-c', 'command -v gpg']).stdout.trim()}`, '--addsign', path], { env });
  assert.equal(s.status, 0, s.stderr);
  assert.equal(statSync(path).size, built.bytes.length, 'signed in place, same size');
  const db = tempDir(t);
  assert.equal(run('rpmkeys', ['--dbpath', db, '--import', join(keys, 'demo-rsa3072.public.asc')]).status, 0);
  const k = run('rpmkeys', ['--dbpath', db, '-Kv', path]);
  assert.equal(k.status, 0, k.stdout + k.stderr);
  assert.match(k.stdout, /Header V4 RSA\/SHA\d+ Signature, key ID [0-9a-f]*a79d3d04: OK/i);
});

test('multi-frame zstd payloads (large packages) read, verify and install with real rpm', async (t) => {
  if (!requireTool(t, 'rpm', 'rpm2cpio', 'cpio')) return;
  const dir = tempDir(t);
  writeFixture(dir);
  const loaded = { def: parseDefinition(DEFINITION), baseDir: dir };
  const one = await buildRpm(loaded, { epoch: EPOCH });
  const multi = await buildRpm(loaded, { outDir: join(dir, 'multi'), epoch: EPOCH, frameSize: 100 });
  assert.notEqual(one.sha256, multi.sha256);
  const k = run('rpm', ['-Kv', multi.path!]);
  assert.equal(k.status, 0, k.stdout + k.stderr);
  const list = run('sh', ['-c', `rpm2cpio '${multi.path}' | cpio -it --quiet`]);
  assert.equal(list.status, 0, list.stderr);
  assert.ok(list.stdout.includes('./usr/share/tpkg/sub/run.sh'));
  if (process.getuid?.() !== 0) return;
  const root = tempDir(t);
  const common = ['--root', root, '--dbpath', '/var/lib/rpm'];
  assert.equal(run('rpm', ['-i', ...common, '--nodeps', '--noscripts', '--nosignature', multi.path!]).status, 0);
  const v = run('rpm', ['-V', ...common, '--nodeps', 'tpkg']);
  assert.equal(v.stdout.trim(), '', v.stdout);
});
