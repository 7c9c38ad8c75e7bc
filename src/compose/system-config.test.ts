import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rootfs, entryBytes } from './rootfs.js';
import { applyAccounts } from './accounts.js';
import { applySystemConfig, parseInstallSection } from './system-config.js';
import { applyHardening } from './hardening.js';
import { parseDefinition } from './definition.js';
import { isDriftlessError } from '../core/errors.js';

const EPOCH = 1704067200;
const def = parseDefinition(`name: base
version: "1.2"
repositories: [{ name: r, path: . }]
packages: { install: [x] }
users: [{ name: alice, groups: [wheel] }]
services: { enable: [sshd.service] }
sysctl: { vm.swappiness: 10 }
osRelease: { NAME: Driftless, ID: driftless }
files: [{ path: /etc/motd, content: "hi\\n", mode: "0640", owner: alice }]
`);

function file(fs: Rootfs, path: string, text: string, mode = 0o644) {
  const bytes = Buffer.from(text);
  fs.add({ path, type: 'file', mode, size: bytes.length, content: { bytes }, owner: 'pkg' });
}
const read = async (fs: Rootfs, p: string) => (await entryBytes(fs.get(p)!)).toString();

function sampleRoot(): Rootfs {
  const fs = new Rootfs();
  file(fs, '/usr/lib/sysusers.d/sshd.conf', 'u sshd - "Privilege-separated SSH" /usr/share/empty.sshd -\n');
  file(fs, '/usr/lib/sysusers.d/basic.conf', 'g wheel 10\nu nobody 65534:65534 "Kernel Overflow User" - -\n');
  file(fs, '/usr/lib/tmpfiles.d/sshd.conf', 'd /var/empty/sshd 711 root root -\nd /run/sshd 755 root root -\n');
  file(fs, '/usr/lib/systemd/system/sshd.service', '[Unit]\nDescription=OpenSSH\n[Service]\nExecStart=/usr/sbin/sshd\n[Install]\nWantedBy=multi-user.target\n');
  file(fs, '/etc/ssh/sshd_config', 'Include /etc/ssh/sshd_config.d/*.conf\n');
  file(fs, '/usr/lib/os-release', 'NAME="Sample OS"\nVERSION_ID=1\n');
  file(fs, '/usr/share/pki/ca-trust-source/anchors/b.pem', 'B');
  file(fs, '/usr/share/pki/ca-trust-source/anchors/a.pem', 'A\n');
  file(fs, '/usr/bin/passwd', '#!', 0o4755);
  file(fs, '/usr/bin/su', '#!', 0o4755);
  return fs;
}

test('accounts come from sysusers.d fragments and the definition, deterministically, all locked', async () => {
  const fs = sampleRoot();
  await applyAccounts(fs, { users: def.users, groups: def.groups, epoch: EPOCH });
  assert.equal(await read(fs, '/etc/passwd'), [
    'root:x:0:0:Super User:/root:/bin/sh',
    'nobody:x:65534:65534:Kernel Overflow User:/:/usr/sbin/nologin',
    'sshd:x:999:999:Privilege-separated SSH:/usr/share/empty.sshd:/usr/sbin/nologin',
    'alice:x:1000:1000::/home/alice:/bin/sh',
    '',
  ].join('\n'));
  assert.match(await read(fs, '/etc/group'), /^wheel:x:10:alice$/m);
  assert.match(await read(fs, '/etc/shadow'), /^root:!\*:19723::::::$/m);
  assert.equal(fs.get('/etc/shadow')!.mode, 0);
});

test('system config: presets, wants links, tmpfiles, machine-id, os-release, CA bundle, sysctl, files', async () => {
  const fs = sampleRoot();
  await applyAccounts(fs, { users: def.users, groups: def.groups, epoch: EPOCH });
  const changes = await applySystemConfig(fs, def, { epoch: EPOCH, baseDir: '.', readSource: async () => new Uint8Array() });
  assert.equal(fs.get('/etc/systemd/system/multi-user.target.wants/sshd.service')?.linkTarget, '/usr/lib/systemd/system/sshd.service');
  assert.equal(await read(fs, '/usr/lib/systemd/system-preset/00-driftless.preset'), '# written by driftless: services are disabled unless the image definition enables them\nenable sshd.service\ndisable *\n');
  assert.equal(fs.get('/var/empty/sshd')?.mode, 0o711);
  assert.equal(fs.has('/run/sshd'), false, 'runtime paths are left to boot');
  assert.equal(fs.get('/etc/machine-id')?.size, 0);
  assert.equal(await read(fs, '/usr/lib/os-release'), 'NAME=Driftless\nVERSION_ID=1\nID=driftless\nIMAGE_ID=base\nIMAGE_VERSION=1.2\n');
  assert.equal(await read(fs, '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem'), 'A\nB\n');
  assert.equal(await read(fs, '/etc/sysctl.d/90-image.conf'), 'vm.swappiness = 10\n');
  const motd = fs.get('/etc/motd')!;
  assert.deepEqual([motd.mode, motd.uid, motd.user], [0o640, 1000, 'alice']);
  assert.ok(changes.some((c) => c.kind === 'ldconfig'));
});

test('enabling a unit no package ships is an error', async () => {
  const fs = new Rootfs();
  const d = parseDefinition('name: x\nrepositories: [{ name: r, path: . }]\npackages: {}\nservices: { enable: [nope.service] }\n');
  await assert.rejects(applySystemConfig(fs, d, { epoch: EPOCH, baseDir: '.', readSource: async () => new Uint8Array() }), (e) => isDriftlessError(e, 'COMPOSE_SERVICE_MISSING'));
});

test('hardening strips setuid outside the allowlist, writes the sysctl baseline and the sshd drop-in', () => {
  const fs = sampleRoot();
  const d = { ...def, hardening: { ...def.hardening, allowSetuid: ['/usr/bin/passwd'] } };
  const changes = applyHardening(fs, d, { epoch: EPOCH });
  assert.equal(fs.get('/usr/bin/su')!.mode, 0o755);
  assert.equal(fs.get('/usr/bin/passwd')!.mode, 0o4755);
  assert.ok(fs.get('/usr/lib/sysctl.d/50-driftless-hardening.conf'));
  assert.ok(fs.get('/etc/ssh/sshd_config.d/00-driftless-hardening.conf'));
  assert.deepEqual(changes.filter((c) => c.kind.startsWith('setuid')).map((c) => `${c.kind} ${c.path}`), ['setuid-kept /usr/bin/passwd', 'setuid-stripped /usr/bin/su']);
});

test('world-writable files are refused with their owners', () => {
  const fs = sampleRoot();
  file(fs, '/etc/oops', 'x', 0o666);
  fs.add({ path: '/tmp', type: 'dir', mode: 0o1777 });
  assert.throws(() => applyHardening(fs, def, { epoch: EPOCH }), (e) => isDriftlessError(e, 'COMPOSE_WORLD_WRITABLE') && /\/etc\/oops \(pkg, 666\)/.test((e as Error).message));
});

test('[Install] sections are parsed like systemctl does', () => {
  assert.deepEqual(parseInstallSection('[Install]\nWantedBy=a.target b.target\nAlias=x.service\n[X]\nWantedBy=no'), { wantedBy: ['a.target', 'b.target'], requiredBy: [], alias: ['x.service'] });
});
