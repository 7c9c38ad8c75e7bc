/**
 * The sample distribution: every package builds, is signed, verifies with the real rpmkeys,
 * and the whole set installs with real rpm — dependencies resolved, no --nodeps — and passes
 * rpm -Va. hello 1.0 → 1.1 upgrades in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDriftlessError } from '../../core/errors.js';
import { requireTool, run, tempDir } from '../../../test/helpers/cli.js';
import { buildSampleRepo, DEMO_KEY_FILE, DEMO_PUBLIC_KEY, SAMPLE_REPO_V2_DIR } from './sample-set.js';

const EPOCH = 1704067200;

test('sample repository: ≥20 signed packages, verified by rpmkeys, installable as a set, reproducible', async (t) => {
  if (!requireTool(t, 'rpm', 'rpmkeys')) return;
  const out = tempDir(t);
  const repo = join(out, 'repo');
  const pkgs = await buildSampleRepo(repo, { epoch: EPOCH });
  assert.ok(pkgs.length >= 20, `${pkgs.length} packages`);
  const names = pkgs.map((p) => p.name);
  for (const n of ['filesystem', 'setup', 'driftless-release', 'bash', 'coreutils', 'ca-certificates', 'systemd', 'python3', 'python3-libs', 'openssh-server', 'kernel', 'hello']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(pkgs.every((p) => p.arch === 'x86_64' || p.arch === 'noarch'));
  assert.ok(pkgs.reduce((n, p) => n + p.size, 0) < 1024 * 1024, 'the sample set stays under 1 MB');
  const files = readdirSync(repo).filter((f) => f.endsWith('.rpm')).sort();
  assert.deepEqual(files, pkgs.map((p) => p.fileName).sort());
  assert.equal(readFileSync(join(repo, DEMO_KEY_FILE), 'utf8'), readFileSync(DEMO_PUBLIC_KEY, 'utf8'));

  // the real rpmkeys: every signature OK once the demo key is imported
  const db = tempDir(t);
  assert.equal(run('rpmkeys', ['--dbpath', db, '--import', DEMO_PUBLIC_KEY]).status, 0);
  const k = run('rpmkeys', ['--dbpath', db, '-K', ...files.map((f) => join(repo, f))]);
  assert.equal(k.status, 0, k.stdout + k.stderr);
  assert.equal(k.stdout.trim().split('\n').filter((l) => /: digests signatures OK$/.test(l)).length, files.length, k.stdout);

  // rebuilding gives the same bytes
  const again = await buildSampleRepo(join(out, 'again'), { epoch: EPOCH });
  assert.deepEqual(again.map((p) => p.sha256), pkgs.map((p) => p.sha256));

  // declared features are really in the packages
  const q = (file: string, ...a: string[]) => run('rpm', ['-qp', ...a, join(repo, file)]).stdout;
  const f = (name: string) => pkgs.find((p) => p.name === name)!.fileName;
  assert.match(q(f('python3-libs'), '-l'), /\/usr\/lib\/python3\.12\/EXTERNALLY-MANAGED/);
  assert.match(q(f('bash'), '--provides'), /^\/bin\/sh$/m);
  assert.match(q(f('hello'), '--requires'), /^\/bin\/sh$/m);
  assert.match(q(f('zlib'), '--provides'), /^libz\.so\.1\(\)\(64bit\)$/m);
  assert.match(q(f('glibc'), '--requires'), /^\(glibc-minimal-langpack = 2\.39-3\.dl4 or glibc-langpack-en = 2\.39-3\.dl4\)$/m);
  assert.match(q(f('kernel'), '--provides'), /^installonlypkg\(kernel\)$/m);
  assert.match(q(f('openssh-server'), '--provides'), /^user\(sshd\)$/m);
  assert.match(q(f('openssh-server'), '-c'), /^\/etc\/ssh\/sshd_config$/m);
  assert.match(q(f('util-linux'), '--qf', '[%{FILEMODES:perms} %{FILENAMES}\n]'), /^-rwsr-xr-x \/usr\/bin\/su$/m);
  assert.match(q(f('driftless-release'), '-l'), /\/etc\/pki\/rpm-gpg\/RPM-GPG-KEY-driftless-demo/);
  assert.ok(q(f('nano'), '--conflicts').trim().length > 0 && q(f('coreutils'), '--obsoletes').trim().length > 0);
  assert.ok(q(f('systemd'), '--recommends').trim().length > 0 && q(f('bash-completion'), '--supplements').trim().length > 0);

  if (process.getuid?.() !== 0) {
    t.skip('installing with rpm --root needs root (chown); run as root to check the install');
    return;
  }
  // install the whole set (nano conflicts with vim-minimal by design) with dependency checks on
  const root = tempDir(t);
  const common = ['--root', root, '--dbpath', '/var/lib/rpm'];
  const set = files.filter((x) => !x.startsWith('nano-')).map((x) => join(repo, x));
  const i = run('rpm', ['-i', ...common, '--noscripts', '--nosignature', ...set]);
  assert.equal(i.status, 0, i.stderr);
  assert.equal(run('rpm', ['-qa', ...common]).stdout.trim().split('\n').length, set.length);
  const v = run('rpm', ['-Va', ...common]);
  assert.equal(v.stdout.trim(), '', `rpm -Va: ${v.stdout}`);
  assert.equal(v.status, 0);
  const conflict = run('rpm', ['-i', ...common, '--noscripts', '--nosignature', '--test', join(repo, f('nano'))]);
  assert.notEqual(conflict.status, 0, 'nano conflicts with the installed vim-minimal');
  assert.match(conflict.stderr, /vim-minimal conflicts with nano|conflicts with vim-minimal/);

  // hello 1.0 → 1.1
  const v2 = await buildSampleRepo(join(out, 'v2'), { epoch: EPOCH, definitionsDir: SAMPLE_REPO_V2_DIR });
  assert.deepEqual(v2.map((p) => `${p.name}-${p.evr}`), ['hello-1.1-1.dl4']);
  const u = run('rpm', ['-U', ...common, '--noscripts', '--nosignature', v2[0]!.path]);
  assert.equal(u.status, 0, u.stderr);
  assert.equal(run('rpm', ['-q', ...common, 'hello']).stdout.trim(), 'hello-1.1-1.dl4.x86_64');
  assert.equal(run('rpm', ['-V', ...common, 'hello']).stdout.trim(), '');
  assert.match(readFileSync(join(root, 'usr/bin/hello'), 'utf8'), /1\.1/);
});

test('a broken definition in the set fails the build and leaves no partial repository', async (t) => {
  const out = tempDir(t);
  const defs = tempDir(t);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(defs, 'a.yaml'), 'name: a\nversion: 1\nrelease: 1\nsummary: s\nlicense: MIT\n');
  writeFileSync(join(defs, 'b.yaml'), 'name: b\nversion: 1\nrelease: 1\nsummary: s\nlicense: MIT\nrequires: ["x>=1"]\n');
  await assert.rejects(buildSampleRepo(join(out, 'repo'), { definitionsDir: defs }), (e) => isDriftlessError(e, 'RPM_BUILD_DEPENDENCY'));
  assert.deepEqual(readdirSync(out), []);
});

test('createrepo_c + dnf (gpgcheck=1) install from the sample repository, weak deps included', async (t) => {
  if (!requireTool(t, 'createrepo_c', 'dnf', 'rpm')) return;
  if (process.getuid?.() !== 0) {
    t.skip('dnf --installroot needs root');
    return;
  }
  const repo = join(tempDir(t), 'repo');
  await buildSampleRepo(repo, { epoch: EPOCH });
  assert.equal(run('createrepo_c', ['-q', repo]).status, 0);
  const root = tempDir(t);
  const r = run('dnf', [
    '-y', '-q', '--installroot', root, '--releasever', '4.0', '--setopt=reposdir=/dev/null', `--setopt=cachedir=${join(root, '.dnfcache')}`,
    '--setopt=install_weak_deps=True', '--repofrompath', `demo,file://${repo}`, '--setopt=demo.gpgcheck=1',
    `--setopt=demo.gpgkey=file://${join(repo, DEMO_KEY_FILE)}`, 'install', 'openssh-server', 'python3', 'hello', 'kernel',
  ]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const installed = run('rpm', ['--root', root, '-qa', '--qf', '%{NAME}\n']).stdout.trim().split('\n');
  for (const n of ['openssh-server', 'openssh', 'systemd', 'dbus-broker', 'glibc', 'glibc-minimal-langpack', 'zlib', 'setup', 'filesystem', 'linux-firmware', 'systemd-networkd', 'gpg-pubkey']) {
    assert.ok(installed.includes(n), `${n} in ${installed.join(' ')}`);
  }
  assert.ok(!installed.includes('nano'));
  const v = run('rpm', ['--root', root, '-Va']);
  assert.equal(v.stdout.trim(), '', v.stdout);
});
