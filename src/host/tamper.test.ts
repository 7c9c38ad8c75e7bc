import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync, readdirSync, writeFileSync, chmodSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../../test/helpers/cli.js';
import { isDriftlessError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { signDetached } from '../core/pgp.js';
import { HostStore, encodeCommit, type CommitObject } from './store.js';
import { commitImage } from './commit.js';
import { deploy, finalize, status } from './deploy.js';
import { drift, reset } from './drift.js';
import { fsck } from './fsck.js';
import { gc } from './gc.js';
import { applyDelta, createDelta } from './delta.js';
import { diffBytes, patchBytes } from './bdiff.js';
import { decodeTree, encodeTree, readTree } from './tree.js';
import { makeKey, pseudoBytes, sampleTar } from './testing.js';

const code = (c: string) => (e: unknown) => isDriftlessError(e, c);

async function setup(t: import('node:test').TestContext) {
  const dir = tempDir(t);
  const key = await makeKey();
  const store = await HostStore.init(join(dir, 's'), [{ name: 'k', armored: key.public }]);
  const v1 = await commitImage(store, sampleTar(dir, 1), { ref: 'x86_64/stable', secretKey: key.secret });
  return { dir, key, store, v1 };
}

test('bdiff round-trips edits, insertions and deletions; malformed diffs are refused', () => {
  const base = pseudoBytes('base', 200_000);
  const edited = Buffer.concat([base.subarray(0, 5000), Buffer.from('inserted!'), base.subarray(5000, 150_000), base.subarray(150_100), Buffer.from('tail')]);
  edited[100_000] ^= 0xff;
  const d = diffBytes(base, edited);
  assert.ok(d.length < 1000, `diff is ${d.length} bytes`);
  assert.deepEqual(patchBytes(base, d), edited);
  for (const [a, b] of [[Buffer.alloc(0), Buffer.from('x')], [Buffer.from('abc'), Buffer.alloc(0)], [pseudoBytes('q', 100), pseudoBytes('r', 5000)]] as const) {
    assert.deepEqual(patchBytes(a, diffBytes(a, b)), b);
  }
  assert.throws(() => patchBytes(base, Buffer.concat([d.subarray(0, 4), Buffer.from([1, 0xff, 0xff, 0xff, 0x7f, 5])])), code('HOST_DELTA_CORRUPT'));
  assert.throws(() => patchBytes(base.subarray(0, 10), d), code('HOST_DELTA_CORRUPT'));
});

test('tree objects: unsafe names, unsorted entries and bad digests are refused', () => {
  const ok = encodeTree({ meta: { mode: 0o755, uid: 0, gid: 0 }, entries: [{ name: 'a', type: 'symlink', uid: 0, gid: 0, target: 'b' }] });
  assert.equal(decodeTree(ok).entries.length, 1);
  for (const name of ['..', '.', 'a/b', '', 'x\0y']) {
    const bytes = Buffer.from(ok.toString().replace('"name":"a"', `"name":${JSON.stringify(name)}`));
    assert.throws(() => decodeTree(bytes), code('HOST_TREE_INVALID'), name);
  }
  const two = JSON.parse(ok.toString());
  two.entries = [{ ...two.entries[0], name: 'b' }, two.entries[0]];
  assert.throws(() => decodeTree(Buffer.from(JSON.stringify(two))), code('HOST_TREE_INVALID'));
  assert.throws(() => decodeTree(Buffer.from(ok.toString().replace('"type":"symlink","uid":0,"gid":0,"target":"b"', '"type":"dir","tree":"abc"'))), code('HOST_TREE_INVALID'));
});

test('a signed commit whose tree escapes the root is refused at deploy; nothing is written outside', async (t) => {
  const { dir, key, store } = await setup(t);
  const evil = Buffer.from(JSON.stringify({ kind: 'driftless-tree-1', meta: { mode: 493, uid: 0, gid: 0 }, entries: [{ name: '..', type: 'symlink', uid: 0, gid: 0, target: '/' }] }));
  const { sha256: tree } = await store.cas.putBytes(evil);
  const c: CommitObject = { kind: 'driftless-commit-1', parent: null, tree, lock: null, sbom: [], timestamp: 1704067200, version: 'evil', subject: 'x', ref: 'x86_64/evil' };
  const bytes = encodeCommit(c);
  const sig = (await signDetached(key.secret, bytes, { date: new Date('2024-01-01T00:00:00Z') })) as Uint8Array;
  const id = await store.writeCommit(bytes, sig);
  await assert.rejects(deploy(store, id), code('HOST_TREE_INVALID'));
  assert.deepEqual(await status(store), []);
  assert.equal(existsSync(join(dir, 's', 'deploy', '..', '..', 'evil')), false);
});

test('rootfs tars with paths outside the root are refused', async (t) => {
  const { dir, store } = await setup(t);
  const evilTar = join(dir, 'evil.tar');
  const py = spawnSync('python3', ['-c', `import tarfile,io
t=tarfile.open(${JSON.stringify(evilTar)},'w',format=tarfile.PAX_FORMAT)
i=tarfile.TarInfo('../../escape'); d=b'x'; i.size=1; t.addfile(i, io.BytesIO(d)); t.close()`]);
  assert.equal(py.status, 0, String(py.stderr));
  await assert.rejects(commitImage(store, evilTar, { ref: 'x86_64/evil' }), (e) => isDriftlessError(e) && /UNSAFE_PATH|PATH_ESCAPE/.test(e.code));
});

test('tampered content objects, commits and signatures are detected', async (t) => {
  const { store, v1, key } = await setup(t);
  assert.deepEqual((await fsck(store)).problems, []);
  // a content object changed on disk: fsck reports it, deploy refuses to check it out
  const tree = await readTree(store.cas, (await store.readCommit(v1.id)).tree);
  const usr = tree.entries.find((e) => e.name === 'usr')!;
  const usrTree = await readTree(store.cas, (usr as { tree: string }).tree);
  const bin = await readTree(store.cas, (usrTree.entries.find((e) => e.name === 'bin') as { tree: string }).tree);
  const sh = bin.entries.find((e) => e.name === 'sh') as { content: string };
  const p = store.cas.objectPath(sh.content);
  chmodSync(p, 0o644);
  writeFileSync(p, 'evil shell\n');
  const f = await fsck(store);
  assert.deepEqual(f.problems.map((x) => [x.kind, x.object]), [['object-corrupt', sh.content]]);
  // the checkout copies made at commit time are intact; without them deploy must read the object
  rmSync(join(store.repoDir, 'co'), { recursive: true });
  await assert.rejects(deploy(store, 'x86_64/stable'), code('HOST_OBJECT_CORRUPT'));
  assert.deepEqual(await status(store), []);

  // a commit object changed: its id no longer matches
  const cp = store.cas.objectPath(v1.id);
  const orig = readFileSync(cp);
  writeFileSync(cp, orig.toString().replace('"version":"1"', '"version":"9"'));
  await assert.rejects(store.readCommit(v1.id), code('HOST_OBJECT_CORRUPT'));
  writeFileSync(cp, orig);
  // a signature from another key
  const other = await makeKey('other');
  writeFileSync(store.sigPath(v1.id), (await signDetached(other.secret, orig, { date: new Date() })) as Uint8Array);
  await assert.rejects(deploy(store, v1.id), code('HOST_COMMIT_UNTRUSTED'));
  void key;
});

test('tampered, untrusted and out-of-order deltas are refused; gc keeps what is needed', async (t) => {
  const { dir, key, store, v1 } = await setup(t);
  const v2 = await commitImage(store, sampleTar(dir, 2), { ref: 'x86_64/stable', secretKey: key.secret });
  const delta = join(dir, 'd');
  const stats = await createDelta(store, { from: v1.id, to: v2.id, out: delta, secretKey: key.secret });
  assert.ok(stats.diffs >= 1 && stats.deltaSize < stats.fullSize * 0.15, JSON.stringify(stats));
  const good = readFileSync(delta);
  await createDelta(store, { from: v1.id, to: v2.id, out: delta + '.again', secretKey: key.secret });
  assert.ok(readFileSync(delta + '.again').equals(good), 'deltas are reproducible');

  const other = await makeKey('other');
  const target = await HostStore.init(join(dir, 't'), [{ name: 'k', armored: key.public }]);
  await assert.rejects(applyDelta(target, delta), code('HOST_DELTA_BASE_MISSING'));
  await commitImage(target, sampleTar(dir, 1), { ref: 'x86_64/stable', secretKey: key.secret });

  const flip = (at: number) => {
    const b = Buffer.from(good);
    b[at] ^= 1;
    writeFileSync(delta, b);
  };
  flip(good.length - 5); // payload
  await assert.rejects(applyDelta(target, delta), code('HOST_DELTA_CORRUPT'));
  flip(40); // manifest: the signature no longer matches
  await assert.rejects(applyDelta(target, delta), code('HOST_DELTA_UNTRUSTED'));
  writeFileSync(delta, good.subarray(0, 10));
  await assert.rejects(applyDelta(target, delta), code('HOST_DELTA_INVALID'));
  const untrusted = await HostStore.init(join(dir, 'u'), [{ name: 'o', armored: other.public }]);
  await commitImage(untrusted, sampleTar(dir, 1), { ref: 'x86_64/stable', secretKey: key.secret });
  writeFileSync(delta, good);
  await assert.rejects(applyDelta(untrusted, delta), code('HOST_DELTA_UNTRUSTED'));
  assert.equal(await target.readRef('x86_64/stable'), v1.id);
  const r = await applyDelta(target, delta);
  assert.equal(r.to, v2.id);
  assert.equal(await target.readRef('x86_64/stable'), v2.id);
  assert.deepEqual((await fsck(target)).problems, []);

  // gc: keep=1 drops v1's own objects (nothing deploys it), keep=2 would keep them
  const before = (await store.cas.list()).length;
  const g2 = await gc(store, { keep: 2 });
  assert.equal(g2.removedObjects, 0);
  const g1 = await gc(store, { keep: 1 });
  assert.ok(g1.removedObjects > 0 && g1.removedObjects < before);
  await assert.rejects(store.readCommit(v1.id), code('HOST_COMMIT_MISSING'));
  assert.deepEqual((await fsck(store)).problems, []);
  await deploy(store, 'x86_64/stable');
  await finalize(store);
  const g = await gc(store);
  assert.equal(g.removedObjects, 0);
  assert.deepEqual((await fsck(store)).problems, []);
  assert.equal(sha256Hex(readFileSync(join((await status(store))[0]!.path, 'usr/bin/sh'))), sha256Hex('#!/bin/true\nshell\n'));
  await fsp.rm(delta);
});

test('symlinks planted in /var or /usr are never followed by deploy or reset', async (t) => {
  const { dir, key, store } = await setup(t);
  const outside = join(dir, 'outside');
  await fsp.mkdir(outside);
  await deploy(store, 'x86_64/stable');
  await finalize(store);
  const root = (await status(store))[0]!.path;
  // the shared /var gets a symlink; an image that has /var/lib/foo/x must not write through it
  await fsp.rm(join(store.varDir, 'lib/foo'), { recursive: true });
  await fsp.symlink(outside, join(store.varDir, 'lib/foo'));
  // a /usr directory replaced by a symlink to somewhere else
  await fsp.chmod(join(root, 'usr/share'), 0o755);
  await fsp.rm(join(root, 'usr/share/foo'), { recursive: true, force: true });
  await fsp.symlink(outside, join(root, 'usr/share/foo'));
  const ch = (await drift(store)).changes;
  assert.deepEqual(ch.filter((c) => c.path.startsWith('/usr/share/foo')).map((c) => [c.path, c.kind]), [
    ['/usr/share/foo', 'modified'],
    ['/usr/share/foo/README', 'removed'],
  ]);
  await reset(store, { path: '/usr' });
  assert.deepEqual(readdirSync(outside), []);
  assert.equal(readFileSync(join(root, 'usr/share/foo/README'), 'utf8'), 'foo version 1.0\n');
  assert.deepEqual((await drift(store, { full: true })).changes, []);
  await commitImage(store, sampleTar(dir, 2), { ref: 'x86_64/stable', secretKey: key.secret });
  await deploy(store, 'x86_64/stable');
  assert.deepEqual(readdirSync(outside), []);
});
