import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rootfs, normalizePath, compareBytes, entryBytes } from './rootfs.js';
import { isDriftlessError } from '../core/errors.js';

test('add creates implicit parents, explicit dirs replace them, sorted is byte order', () => {
  const fs = new Rootfs({ defaultMtime: 5 });
  fs.add({ path: 'usr/bin/foo', type: 'file', mode: 0o104755, content: { bytes: Buffer.from('x') } });
  const usr = fs.get('/usr')!;
  assert.equal(usr.implicit, true);
  assert.equal(usr.mode, 0o755);
  assert.equal(usr.mtime, 5);
  assert.equal(fs.get('/usr/bin/foo')!.mode, 0o4755, 'type bits are dropped, setuid kept');
  fs.add({ path: '/usr', type: 'dir', mode: 0o700, uid: 3 });
  assert.equal(fs.get('/usr')!.mode, 0o700);
  fs.add({ path: '/usr/bin-x', type: 'file' });
  fs.add({ path: '/usr/bin/a', type: 'file' });
  assert.deepEqual(fs.sorted().map((e) => e.path), ['/', '/usr', '/usr/bin', '/usr/bin-x', '/usr/bin/a', '/usr/bin/foo']);
  assert.deepEqual(fs.childNames('/usr').sort(), ['bin', 'bin-x']);
});

test('conflicts: identical keeps, different errors with both owners, replace forces', () => {
  const fs = new Rootfs();
  fs.add({ path: '/etc/a', type: 'file', content: { bytes: Buffer.from('1'), sha256: 'aa' }, owner: 'p1' });
  fs.add({ path: '/etc/a', type: 'file', content: { bytes: Buffer.from('1'), sha256: 'aa' }, owner: 'p2' });
  assert.equal(fs.get('/etc/a')!.owner, 'p1');
  assert.throws(
    () => fs.add({ path: '/etc/a', type: 'file', content: { bytes: Buffer.from('2') }, owner: 'p3' }),
    (e) => isDriftlessError(e, 'ROOTFS_CONFLICT') && (e.details as { existingOwner: string }).existingOwner === 'p1' && (e.details as { incomingOwner: string }).incomingOwner === 'p3',
  );
  fs.add({ path: '/etc/a', type: 'file', content: { bytes: Buffer.from('2') }, owner: 'def' }, { replace: true });
  assert.equal(fs.get('/etc/a')!.owner, 'def');
  const seen: string[] = [];
  const fs2 = new Rootfs({ onConflict: (c) => (seen.push(c.path), 'replace') });
  fs2.add({ path: '/x', type: 'file' });
  fs2.add({ path: '/x', type: 'symlink', linkTarget: 'y' });
  assert.deepEqual(seen, ['/x']);
  assert.equal(fs2.get('/x')!.type, 'symlink');
});

test('parent symlinks are followed inside the root; remove drops subtrees', () => {
  const fs = new Rootfs();
  fs.add({ path: '/usr/lib', type: 'dir' });
  fs.add({ path: '/lib', type: 'symlink', linkTarget: 'usr/lib' });
  fs.add({ path: '/lib/libc.so.6', type: 'file' });
  assert.ok(fs.get('/usr/lib/libc.so.6'));
  assert.equal(fs.get('/lib/libc.so.6'), undefined);
  fs.add({ path: '/evil', type: 'symlink', linkTarget: '../../../../etc' });
  fs.add({ path: '/evil/passwd', type: 'file' });
  assert.ok(fs.get('/etc/passwd'), 'escaping symlink is clamped at the root');
  fs.add({ path: '/loop', type: 'symlink', linkTarget: 'loop' });
  assert.throws(() => fs.add({ path: '/loop/x', type: 'file' }), (e) => isDriftlessError(e, 'ROOTFS_SYMLINK_LOOP'));
  assert.equal(fs.remove('/usr'), 3);
  assert.equal(fs.get('/usr/lib/libc.so.6'), undefined);
  assert.throws(() => fs.add({ path: '/etc/passwd/x', type: 'file' }), (e) => isDriftlessError(e, 'ROOTFS_NOT_A_DIR'));
});

test('paths, hardlinks, clampMtimes, content', async () => {
  assert.equal(normalizePath('a//b/./c/'), '/a/b/c');
  assert.throws(() => normalizePath('/a/../b'), (e) => isDriftlessError(e, 'ROOTFS_BAD_PATH'));
  assert.throws(() => normalizePath('/' + 'x'.repeat(256)), (e) => isDriftlessError(e, 'ROOTFS_BAD_PATH'));
  assert.ok(compareBytes('/a/\u{1F600}', '/a/\uFFFD') > 0, 'byte order for astral characters');
  const fs = new Rootfs();
  assert.throws(() => fs.add({ path: '/h', type: 'hardlink', linkTarget: '/nope' }), (e) => isDriftlessError(e, 'ROOTFS_BAD_ENTRY'));
  fs.add({ path: '/f', type: 'file', content: { open: async function* () { yield Buffer.from('ab'); yield Buffer.from('c'); } }, size: 3, mtime: 100 });
  fs.add({ path: '/h', type: 'hardlink', linkTarget: 'f', mtime: 50 });
  assert.deepEqual([...fs.hardlinkGroups()], [['/f', ['/h']]]);
  assert.equal((await entryBytes(fs.get('/f')!)).toString(), 'abc');
  fs.clampMtimes(60);
  assert.equal(fs.get('/f')!.mtime, 60);
  assert.equal(fs.get('/h')!.mtime, 50);
  fs.update('/f', { size: 4 });
  await assert.rejects(entryBytes(fs.get('/f')!), (e) => isDriftlessError(e, 'ROOTFS_SIZE_MISMATCH'));
});

test('removing or replacing a hardlinked file keeps its other names (the first link takes over)', () => {
  const fs = new Rootfs();
  fs.add({ path: '/b/src', type: 'file', content: { bytes: Buffer.from('data') }, mode: 0o755 });
  fs.add({ path: '/b/l2', type: 'hardlink', linkTarget: '/b/src' });
  fs.add({ path: '/b/l1', type: 'hardlink', linkTarget: '/b/src' });
  assert.deepEqual([...fs.hardlinkGroups()], [['/b/src', ['/b/l1', '/b/l2']]]);
  fs.remove('/b/src');
  assert.equal(fs.get('/b/l1')!.type, 'file');
  assert.equal(fs.get('/b/l1')!.mode, 0o755);
  assert.equal(fs.get('/b/l2')!.linkTarget, '/b/l1');
  assert.deepEqual([...fs.hardlinkGroups()], [['/b/l1', ['/b/l2']]]);
  fs.add({ path: '/b/l1', type: 'file', content: { bytes: Buffer.from('new') } }, { replace: true });
  assert.equal(fs.get('/b/l2')!.type, 'file', 'the old inode lives on under its other name');
  assert.equal(fs.get('/b/l2')!.content!.bytes!.toString(), 'data');
  assert.deepEqual([...fs.hardlinkGroups()], []);
  fs.add({ path: '/b/l3', type: 'hardlink', linkTarget: '/b/l2' });
  fs.remove('/b/l3');
  assert.deepEqual([...fs.hardlinkGroups()], []);
});
