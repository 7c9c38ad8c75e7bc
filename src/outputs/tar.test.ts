import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tarEmitter } from './tar.js';
import { sampleRootfs, emitTwice, readXattrs, CAP_NET_RAW, FIXTURE_EPOCH } from '../../test/helpers/rootfs-fixture.js';
import { requireTool, run, tempDir, hasTool } from '../../test/helpers/cli.js';
import { getEmitter, orderOutputs } from './index.js';

test('tar emitter is registered and bit-reproducible', async (t) => {
  assert.equal(getEmitter('tar'), tarEmitter);
  assert.deepEqual(orderOutputs(['tar']), ['tar']);
  const r = await emitTwice(tarEmitter, () => sampleRootfs());
  t.after(r.cleanup);
  assert.deepEqual(r.first, r.second);
  assert.equal(r.first[0]!.path, 'rootfs.tar');
});

test('GNU tar restores owners, modes, hardlinks and the file capability (as root)', async (t) => {
  if (!requireTool(t, 'tar')) return;
  if (process.getuid?.() !== 0) return t.skip('needs root to restore owners and security.capability');
  const r = await emitTwice(tarEmitter, () => sampleRootfs());
  t.after(r.cleanup);
  const x = join(tempDir(t), 'x');
  mkdirSync(x);
  const ex = run('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', join(r.dir, 'rootfs.tar'), '-C', x]);
  assert.equal(ex.status, 0, ex.stderr);
  const fs = sampleRootfs();
  for (const e of fs.sorted()) {
    if (e.path === '/') continue;
    const p = join(x, e.path);
    const st = lstatSync(p);
    const src = e.type === 'hardlink' ? fs.get(e.linkTarget!)! : e;
    assert.equal(st.mode & 0o7777, src.type === 'symlink' ? st.mode & 0o7777 : src.mode, e.path);
    assert.equal(st.uid, src.uid, e.path);
    assert.equal(st.gid, src.gid, e.path);
    if (e.type !== 'dir') assert.equal(Math.floor(st.mtimeMs / 1000), Math.min(src.mtime, FIXTURE_EPOCH), e.path);
    if (e.type === 'symlink') assert.equal(readlinkSync(p), e.linkTarget);
    if (e.type === 'file') assert.ok(readFileSync(p).equals(Buffer.from(e.content?.bytes ?? [])), e.path);
    if (e.type === 'char') assert.ok(st.isCharacterDevice());
    if (e.type === 'fifo') assert.ok(st.isFIFO());
  }
  assert.equal(lstatSync(join(x, 'usr/bin/sh')).ino, lstatSync(join(x, 'usr/bin/bash')).ino);
  assert.equal(lstatSync(join(x, 'usr/bin/sh')).nlink, 3);
  assert.equal(readXattrs(join(x, 'usr/bin/ping'))['security.capability'], Buffer.from(CAP_NET_RAW).toString('hex'));
  assert.equal(readXattrs(join(x, 'home/user/.profile'))['user.comment'], Buffer.from('hello').toString('hex'));
  if (hasTool('getcap')) assert.match(run('getcap', [join(x, 'usr/bin/ping')]).stdout, /cap_net_raw[=+]ep/);
});
