import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { requireTool, tempDir } from '../../test/helpers/cli.js';
import { isDriftlessError } from '../core/errors.js';
import { HostStore } from './store.js';
import { commitImage } from './commit.js';
import { deploy, finalize, rollback, status } from './deploy.js';
import { drift, reset } from './drift.js';
import { fsck } from './fsck.js';
import { makeKey, sampleSpec, sampleTar, tarDir, writeRootfs } from './testing.js';

test('commit → deploy → finalize → drift → reset → v2 with /etc merge → rollback', async (t) => {
  const dir = tempDir(t);
  const key = await makeKey();
  const S = join(dir, 'sysroot');
  const store = await HostStore.init(S, [{ name: 'test', armored: key.public }]);
  const v1 = await commitImage(store, sampleTar(dir, 1), { ref: 'x86_64/stable', secretKey: key.secret });
  assert.equal(v1.commit.version, '1');
  assert.equal(v1.commit.parent, null);

  const d1 = await deploy(store, 'x86_64/stable');
  assert.equal(d1.deployment.state, 'pending');
  await finalize(store);
  let st = await status(store);
  assert.deepEqual(st.map((s) => s.state), ['booted']);
  const root1 = st[0]!.path;
  assert.equal(readFileSync(join(root1, 'usr/share/foo/README'), 'utf8'), 'foo version 1.0\n');
  assert.equal(statSync(join(root1, 'usr/bin/foo')).mode & 0o777, 0o555);
  assert.equal(statSync(join(root1, 'usr')).mode & 0o777, 0o555);
  assert.equal(readFileSync(join(root1, 'var/lib/foo/state'), 'utf8'), 'initial\n');
  assert.deepEqual((await drift(store)).changes, []);

  // local edits: /etc (kept across updates) and a hardlinked /usr file (chmod + edit)
  await fsp.writeFile(join(root1, 'etc/hosts'), '127.0.0.1 localhost myhost\n');
  await fsp.writeFile(join(root1, 'etc/local.conf'), 'mine\n');
  const docPath = join(root1, 'usr/share/doc/base/COPYING');
  await fsp.chmod(docPath, 0o644);
  await fsp.writeFile(docPath, 'tampered\n');
  await fsp.writeFile(join(root1, 'var/lib/foo/state'), 'user data\n');
  const changes = (await drift(store)).changes;
  assert.deepEqual(changes, [
    { path: '/etc/hosts', kind: 'modified', what: ['content'] },
    { path: '/etc/local.conf', kind: 'added' },
    { path: '/usr/share/doc/base/COPYING', kind: 'modified', what: ['content'] },
  ]);
  // the store's object is untouched, only the checkout copy was hit: reset restores it
  const r = await reset(store, { path: '/usr' });
  assert.deepEqual(r.reset.map((c) => c.path), ['/usr/share/doc/base/COPYING']);
  assert.equal(readFileSync(docPath, 'utf8'), 'Apache-2.0\n');
  assert.equal(statSync(docPath).mode & 0o777, 0o444);
  assert.deepEqual((await drift(store, { full: true })).changes.map((c) => c.path), ['/etc/hosts', '/etc/local.conf']);
  assert.deepEqual((await fsck(store)).problems, []);

  // v2: one package bumped, /etc/foo.conf default changed; local /etc edits must survive
  await fsp.writeFile(join(root1, 'etc/base.conf'), 'base=local\n');
  const v2 = await commitImage(store, sampleTar(dir, 2), { ref: 'x86_64/stable', secretKey: key.secret });
  assert.equal(v2.commit.parent, v1.id);
  const d2 = await deploy(store, 'x86_64/stable');
  assert.deepEqual(d2.conflicts, []);
  st = await status(store);
  assert.deepEqual(st.map((s) => [s.state, s.version]), [['pending', '2'], ['booted', '1']]);
  const root2 = d2.deployment.path;
  assert.equal(readFileSync(join(root2, 'etc/hosts'), 'utf8'), '127.0.0.1 localhost myhost\n');
  assert.equal(readFileSync(join(root2, 'etc/local.conf'), 'utf8'), 'mine\n');
  assert.equal(readFileSync(join(root2, 'etc/foo.conf'), 'utf8'), 'level=2\n');
  assert.equal(readFileSync(join(root2, 'etc/base.conf'), 'utf8'), 'base=local\n');
  assert.equal(readFileSync(join(root2, 'usr/share/foo/README'), 'utf8'), 'foo version 2.0\n');
  assert.equal(readFileSync(join(root2, 'var/lib/foo/state'), 'utf8'), 'user data\n');
  // unchanged files are shared with v1 (hardlinks to the same checkout copy)
  assert.equal(statSync(join(root2, 'usr/lib/libbase.so.1')).ino, statSync(join(root1, 'usr/lib/libbase.so.1')).ino);

  // failing health check: automatic rollback, v1 stays booted
  await assert.rejects(finalize(store, { healthCheck: 'test -e usr/bin/does-not-exist' }), (e) => isDriftlessError(e, 'HOST_HEALTH_CHECK_FAILED'));
  st = await status(store);
  assert.deepEqual(st.map((s) => [s.state, s.version]), [['booted', '1']]);

  await deploy(store, 'x86_64/stable');
  await finalize(store, { healthCheck: 'test -x usr/bin/foo' });
  st = await status(store);
  assert.deepEqual(st.map((s) => [s.state, s.version]), [['booted', '2'], ['rollback', '1']]);
  const rb = await rollback(store);
  assert.equal(rb.action, 'swapped');
  st = await status(store);
  assert.deepEqual(st.map((s) => [s.state, s.version]), [['booted', '1'], ['rollback', '2']]);
  assert.equal(readFileSync(join(st[0]!.path, 'usr/share/foo/README'), 'utf8'), 'foo version 1.0\n');
  assert.deepEqual((await fsck(store)).problems, []);
});

test('/etc conflicts keep the local file and write .driftless-new', async (t) => {
  const dir = tempDir(t);
  const key = await makeKey();
  const store = await HostStore.init(join(dir, 's'), [{ name: 'k', armored: key.public }]);
  await commitImage(store, sampleTar(dir, 1), { ref: 'x86_64/stable', secretKey: key.secret });
  await deploy(store, 'x86_64/stable');
  await finalize(store);
  const root1 = (await status(store))[0]!.path;
  await fsp.writeFile(join(root1, 'etc/foo.conf'), 'level=local\n');
  await commitImage(store, sampleTar(dir, 2), { ref: 'x86_64/stable', secretKey: key.secret });
  const d2 = await deploy(store, 'x86_64/stable');
  assert.deepEqual(d2.conflicts.map((c) => c.path), ['/etc/foo.conf']);
  assert.equal(readFileSync(join(d2.deployment.path, 'etc/foo.conf'), 'utf8'), 'level=local\n');
  assert.equal(readFileSync(join(d2.deployment.path, 'etc/foo.conf.driftless-new'), 'utf8'), 'level=2\n');
});

test('deploy refuses unsigned and untrusted commits', async (t) => {
  const dir = tempDir(t);
  const key = await makeKey();
  const other = await makeKey('someone else');
  const store = await HostStore.init(join(dir, 's'), [{ name: 'k', armored: key.public }]);
  const tar = sampleTar(dir, 1);
  await commitImage(store, tar, { ref: 'x86_64/unsigned' });
  await assert.rejects(deploy(store, 'x86_64/unsigned'), (e) => isDriftlessError(e, 'HOST_COMMIT_UNTRUSTED'));
  await commitImage(store, tar, { ref: 'x86_64/other', secretKey: other.secret });
  await assert.rejects(deploy(store, 'x86_64/other'), (e) => isDriftlessError(e, 'HOST_COMMIT_UNTRUSTED'));
  assert.deepEqual(await status(store), []);
  const d = await deploy(store, 'x86_64/other', { allowUntrusted: true });
  assert.equal(d.deployment.state, 'pending');
});

test('finalize merges /etc again when the booted /etc changed after deploy', async (t) => {
  const dir = tempDir(t);
  const key = await makeKey();
  const store = await HostStore.init(join(dir, 's'), [{ name: 'k', armored: key.public }]);
  await commitImage(store, sampleTar(dir, 1), { ref: 'x86_64/stable', secretKey: key.secret });
  await deploy(store, 'x86_64/stable');
  await finalize(store);
  const root1 = (await status(store))[0]!.path;
  await commitImage(store, sampleTar(dir, 2), { ref: 'x86_64/stable', secretKey: key.secret });
  const d2 = await deploy(store, 'x86_64/stable');
  await fsp.writeFile(join(root1, 'etc/hosts'), 'edited after deploy\n');
  const f = await finalize(store);
  assert.notEqual(f.booted, d2.deployment.id, 'a fresh deployment with the new merge');
  const st = await status(store);
  assert.deepEqual(st.map((s) => [s.state, s.version]), [['booted', '2'], ['rollback', '1']]);
  assert.equal(readFileSync(join(st[0]!.path, 'etc/hosts'), 'utf8'), 'edited after deploy\n');
  assert.deepEqual((await drift(store)).changes, []);
  assert.deepEqual((await fsck(store)).problems, []);
});

test('health-check.d hooks can refuse a deployment; the sysroot lock waits for a live holder', async (t) => {
  const dir = tempDir(t);
  const key = await makeKey();
  const S = join(dir, 's');
  const store = await HostStore.init(S, [{ name: 'k', armored: key.public }]);
  await commitImage(store, sampleTar(dir, 1), { ref: 'x86_64/stable', secretKey: key.secret });
  await deploy(store, 'x86_64/stable');
  await fsp.mkdir(join(S, 'health-check.d'));
  await fsp.writeFile(join(S, 'health-check.d', '10-needs-marker'), '#!/bin/sh\ntest -e "$DRIFTLESS_DEPLOYMENT/usr/share/marker"\n', { mode: 0o755 });
  await assert.rejects(finalize(store), (e) => isDriftlessError(e, 'HOST_HEALTH_CHECK_FAILED'));
  assert.deepEqual(await status(store), []);
  await fsp.rm(join(S, 'health-check.d'), { recursive: true });
  await deploy(store, 'x86_64/stable');
  // a second operation waits for the lock instead of failing
  const release = await store.lock('test');
  const pending = finalize(store);
  await new Promise((r) => setTimeout(r, 300));
  await release();
  assert.equal((await pending).finalized, true);
  // held by another live process: refused after the wait; a dead holder's lock is taken over
  const other = spawn('sleep', ['30']);
  t.after(() => other.kill());
  await fsp.writeFile(join(S, 'lock'), `${other.pid} deploy\n`);
  await assert.rejects(store.lock('other', 200), (e) => isDriftlessError(e, 'HOST_LOCKED'));
  other.kill();
  await new Promise((r) => other.once('exit', r));
  const again = await store.lock('other', 200);
  await again();
});

test('xattrs (file capabilities, user.*) are checked out, drift-checked and reset', async (t) => {
  if (!requireTool(t, 'setfattr', 'getfattr')) return;
  const dir = tempDir(t);
  const key = await makeKey();
  const rootfs = join(dir, 'rootfs');
  writeRootfs(rootfs, sampleSpec(1));
  const ping = join(rootfs, 'usr/bin/ping');
  await fsp.writeFile(ping, 'ping\n', { mode: 0o755 });
  const set = (args: string[]) => assert.equal(spawnSync('setfattr', args).status, 0, `setfattr ${args.join(' ')}`);
  if (spawnSync('setfattr', ['-n', 'user.origin', '-v', 'sample', ping]).status !== 0) {
    t.skip('the temp filesystem does not support user xattrs');
    return;
  }
  const canCap = spawnSync('setfattr', ['-n', 'security.capability', '-v', '0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=', ping]).status === 0;
  tarDir(rootfs, join(dir, 'x.tar'), true);
  const store = await HostStore.init(join(dir, 's'), [{ name: 'k', armored: key.public }]);
  await commitImage(store, join(dir, 'x.tar'), { ref: 'x86_64/stable', secretKey: key.secret });
  await deploy(store, 'x86_64/stable');
  await finalize(store);
  const deployed = join((await status(store))[0]!.path, 'usr/bin/ping');
  const dump = spawnSync('getfattr', ['-d', '-m', '-', deployed], { encoding: 'utf8' }).stdout;
  assert.match(dump, /user\.origin="sample"/);
  if (canCap) assert.match(dump, /security\.capability/);
  assert.deepEqual((await drift(store)).changes, []);
  set(['-x', 'user.origin', deployed]);
  assert.deepEqual((await drift(store)).changes, [{ path: '/usr/bin/ping', kind: 'metadata', what: ['xattrs'] }]);
  await reset(store);
  assert.deepEqual((await drift(store)).changes, []);
  assert.match(spawnSync('getfattr', ['-d', deployed], { encoding: 'utf8' }).stdout, /user\.origin="sample"/);
});
