/**
 * The writer against rpmbuild itself: the same package described once as a YAML definition and
 * once as a spec file must read back identically through `rpm -qp` (identity, every dependency
 * kind, file list with sizes, modes, owners, digests, flags, caps, link targets, hardlink sets).
 * rpmlib() requires and directory sizes are compared loosely: they vary across rpm versions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRpm } from './package.js';
import { parseDefinition } from './schema.js';
import { requireTool, run, tempDir } from '../../../test/helpers/cli.js';

const EPOCH = 1704067200;

const YAML = `
name: cmp
version: "2.0"
release: "1"
arch: noarch
summary: compared with rpmbuild
description: Built twice, once by rpmbuild.
license: MIT
url: https://example.invalid/cmp
group: Unspecified
requires: ["/bin/sh", "foo >= 1.2", "(a or b)", { dep: setup, pre: true }, { dep: systemd, post: true }]
provides: ["virt = 3"]
conflicts: ["old < 2"]
obsoletes: ["older <= 1"]
recommends: [rec]
suggests: ["sug >= 1"]
supplements: ["(kernel and hw)"]
enhances: [bash]
files:
  - { path: /usr/bin/cmp-tool, content: "cmp tool\\n", mode: 0755 }
  - { path: /usr/bin/cmp-hl, hardlink: /usr/bin/cmp-tool }
  - { path: /usr/bin/cmp-link, symlink: cmp-tool }
  - { path: /usr/bin/cmp-suid, content: "suid\\n", mode: 04755 }
  - { path: /usr/sbin/cmp-caps, content: "caps\\n", mode: 0755, caps: cap_net_raw=ep }
  - { path: /etc/cmp.conf, content: "a=1\\n", config: noreplace }
  - { path: /etc/cmp2.conf, content: "b=2\\n", config: true, mode: 0600 }
  - { path: /var/lib/cmp, type: dir, mode: 0750 }
  - { path: /usr/share/doc/cmp/README, content: "readme\\n", doc: true }
  - { path: /var/log/cmp.log, ghost: true, mode: 0640 }
`;

const SPEC = `
Name: cmp
Version: 2.0
Release: 1
Summary: compared with rpmbuild
License: MIT
URL: https://example.invalid/cmp
BuildArch: noarch
Requires: /bin/sh
Requires: foo >= 1.2
Requires: (a or b)
Requires(pre): setup
Requires(post): systemd
Provides: virt = 3
Conflicts: old < 2
Obsoletes: older <= 1
Recommends: rec
Suggests: sug >= 1
Supplements: (kernel and hw)
Enhances: bash

%description
Built twice, once by rpmbuild.

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/sbin %{buildroot}/etc %{buildroot}/var/lib/cmp %{buildroot}/usr/share/doc/cmp %{buildroot}/var/log
printf 'cmp tool\\n' > %{buildroot}/usr/bin/cmp-tool
chmod 0755 %{buildroot}/usr/bin/cmp-tool
ln %{buildroot}/usr/bin/cmp-tool %{buildroot}/usr/bin/cmp-hl
ln -s cmp-tool %{buildroot}/usr/bin/cmp-link
printf 'suid\\n' > %{buildroot}/usr/bin/cmp-suid
chmod 04755 %{buildroot}/usr/bin/cmp-suid
printf 'caps\\n' > %{buildroot}/usr/sbin/cmp-caps
chmod 0755 %{buildroot}/usr/sbin/cmp-caps
printf 'a=1\\n' > %{buildroot}/etc/cmp.conf
printf 'b=2\\n' > %{buildroot}/etc/cmp2.conf
chmod 0600 %{buildroot}/etc/cmp2.conf
chmod 0750 %{buildroot}/var/lib/cmp
printf 'readme\\n' > %{buildroot}/usr/share/doc/cmp/README
: > %{buildroot}/var/log/cmp.log
chmod 0640 %{buildroot}/var/log/cmp.log

%files
%defattr(-,root,root,-)
/usr/bin/cmp-tool
/usr/bin/cmp-hl
/usr/bin/cmp-link
/usr/bin/cmp-suid
%caps(cap_net_raw=ep) /usr/sbin/cmp-caps
%config(noreplace) /etc/cmp.conf
%config /etc/cmp2.conf
%dir /var/lib/cmp
%doc /usr/share/doc/cmp/README
%ghost /var/log/cmp.log
`;

const QF = '%{NAME}|%{EPOCHNUM}|%{VERSION}|%{RELEASE}|%{ARCH}|%{OS}|%{LICENSE}|%{SUMMARY}|%{DESCRIPTION}|%{URL}|%{GROUP}|%{BUILDTIME}|%{SOURCERPM}|%{PAYLOADFORMAT}|%{PAYLOADCOMPRESSOR}|%{FILEDIGESTALGO}';
const FILE_QF = '[%{FILENAMES}|%{FILEFLAGS:fflags}|%{FILEVERIFYFLAGS}|%{FILECAPS}|%{FILELINKTOS}|%{FILEUSERNAME}|%{FILEGROUPNAME}|%{FILEMODES:octal}|%{FILENLINKS}\n]';

test('a package written by driftless reads back like the same package built by rpmbuild', async (t) => {
  if (!requireTool(t, 'rpm', 'rpmbuild')) return;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'cmp.spec'), SPEC);
  const rb = run('rpmbuild', [
    '-bb', join(dir, 'cmp.spec'), '--quiet',
    '--define', `_topdir ${join(dir, 'top')}`,
    '--define', '_binary_payload w19.zstdio',
    '--define', 'use_source_date_epoch_as_buildtime 1',
    '--define', 'clamp_mtime_to_source_date_epoch 1',
    '--define', '_buildhost driftless',
    '--define', '__os_install_post %{nil}',
    '--define', '_build_id_links none',
  ], { env: { SOURCE_DATE_EPOCH: String(EPOCH), TZ: 'UTC' } });
  assert.equal(rb.status, 0, rb.stderr);
  const theirs = join(dir, 'top/RPMS/noarch', readdirSync(join(dir, 'top/RPMS/noarch'))[0]!);
  const ours = (await buildRpm({ def: parseDefinition(YAML), baseDir: dir }, { outDir: join(dir, 'ours'), epoch: EPOCH })).path!;

  const q = (file: string, ...args: string[]) => {
    const r = run('rpm', ['-qp', ...args, file]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /error/, args.join(' '));
    assert.notEqual(r.stdout.trim(), '', `rpm -qp ${args.join(' ')} printed nothing`);
    return r.stdout;
  };
  const same = (label: string, ...args: string[]) => assert.equal(q(ours, ...args), q(theirs, ...args), label);
  same('identity', '--qf', QF);
  for (const k of ['--provides', '--conflicts', '--obsoletes', '--recommends', '--suggests', '--supplements', '--enhances', '-l', '-c', '-d', '--filecaps']) same(k, k);
  const noRpmlib = (s: string) => s.split('\n').filter((l) => !l.startsWith('rpmlib(')).join('\n');
  assert.equal(noRpmlib(q(ours, '--requires')), noRpmlib(q(theirs, '--requires')), '--requires (rpmlib() aside)');
  const deptypes = '[%{REQUIRENAME} %{REQUIREFLAGS:deptype}\n]';
  assert.equal(noRpmlib(q(ours, '--qf', deptypes)), noRpmlib(q(theirs, '--qf', deptypes)), 'Requires(pre/post)');
  // our rpmlib() requires are features this rpm supports
  const showrc = run('rpm', ['--showrc']).stdout;
  for (const l of q(ours, '--requires').split('\n').filter((x) => x.startsWith('rpmlib('))) {
    assert.ok(showrc.includes(l.split(' ')[0]!), `${l} is a feature of the installed rpm`);
  }
  same('file attributes', '--qf', FILE_QF);
  // --dump: path size mtime digest mode owner group config doc rdev linkto (directory sizes vary by rpm version)
  const dump = (file: string) => q(file, '--dump').split('\n').map((l) => {
    const f = l.split(' ');
    if (f[4]?.startsWith('04')) f[1] = 'DIRSIZE';
    return f.join(' ');
  }).join('\n');
  assert.equal(dump(ours), dump(theirs), '--dump');
  // hardlink sets: same members share an inode in both
  const inodes = (file: string) => {
    const byIno = new Map<string, string[]>();
    for (const l of q(file, '--qf', '[%{FILEINODES} %{FILENAMES}\n]').trim().split('\n')) {
      const [ino, name] = l.split(' ');
      byIno.set(ino!, [...(byIno.get(ino!) ?? []), name!]);
    }
    return [...byIno.values()].filter((v) => v.length > 1).map((v) => v.sort().join(',')).sort();
  };
  assert.deepEqual(inodes(ours), inodes(theirs));
  assert.deepEqual(inodes(ours), ['/usr/bin/cmp-hl,/usr/bin/cmp-tool']);
  // payload: same members (order may differ between rpm versions)
  const members = (file: string) => {
    const r = run('sh', ['-c', `rpm2cpio '${file}' | cpio -it --quiet`]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').sort();
  };
  assert.deepEqual(members(ours), members(theirs));
});
