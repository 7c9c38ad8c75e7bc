import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { formatVerity, verityEmitter } from './verity.js';
import { erofsEmitter } from './erofs/index.js';
import { orderOutputs, type EmittedFile } from './index.js';
import { sampleRootfs, emitTwice, pseudoRandom } from '../../test/helpers/rootfs-fixture.js';
import { requireTool, run, tempDir } from '../../test/helpers/cli.js';
import type { OutputEmitter } from './emitter.js';

/** erofs then verity, as the composer runs them. */
const erofsPlusVerity: OutputEmitter = {
  name: 'erofs+verity',
  async emit(rootfs, ctx) {
    const out: EmittedFile[] = [];
    for (const e of [erofsEmitter, verityEmitter]) out.push(...(await e.emit(rootfs, ctx)));
    return out;
  },
};

test('verity: reproducible; veritysetup verify accepts it and rejects a flipped byte', async (t) => {
  if (!requireTool(t, 'veritysetup')) return;
  assert.deepEqual(orderOutputs(['verity']), ['erofs', 'verity']);
  const r = await emitTwice(erofsPlusVerity, () => sampleRootfs({ bigSize: 600_000 }));
  t.after(r.cleanup);
  assert.deepEqual(r.first, r.second);
  const img = join(r.dir, 'rootfs.erofs');
  const hash = join(r.dir, 'rootfs.erofs.verity');
  const root = readFileSync(join(r.dir, 'rootfs.erofs.roothash'), 'utf8');
  assert.match(root, /^[0-9a-f]{64}$/);
  const ok = run('veritysetup', ['verify', img, hash, root]);
  assert.equal(ok.status, 0, ok.stderr);
  const dump = run('veritysetup', ['dump', hash]);
  assert.match(dump.stdout, /Hash type:\s+1/);
  assert.match(dump.stdout, /Hash algorithm:\s+sha256/);
  assert.match(dump.stdout, /Data block size:\s+4096/);
  const bad = join(tempDir(t), 'bad.erofs');
  copyFileSync(img, bad);
  const b = readFileSync(bad);
  b[b.length - 5000] ^= 0x01;
  writeFileSync(bad, b);
  assert.notEqual(run('veritysetup', ['verify', bad, hash, root]).status, 0);
  assert.notEqual(run('veritysetup', ['verify', img, hash, root.replace(/^./, (c) => (c === '0' ? '1' : '0'))]).status, 0);
});

test('verity: byte-identical to veritysetup format with the same salt and uuid (1, 2, 129 and 20000 blocks)', async (t) => {
  if (!requireTool(t, 'veritysetup')) return;
  const dir = tempDir(t);
  const salt = 'a1'.repeat(32);
  const uuid = '12345678-9abc-4def-8123-456789abcdef';
  for (const blocks of [1, 2, 129, 20000]) {
    const data = join(dir, `d${blocks}`);
    writeFileSync(data, pseudoRandom(blocks * 4096, blocks));
    const ours = await formatVerity(data, join(dir, `ours${blocks}`), { salt: Buffer.from(salt, 'hex'), uuid });
    const f = run('veritysetup', ['format', `--salt=${salt}`, `--uuid=${uuid}`, data, join(dir, `theirs${blocks}`)]);
    assert.equal(f.status, 0, f.stderr);
    const theirRoot = /Root hash:\s+([0-9a-f]+)/.exec(f.stdout)![1];
    assert.equal(ours.rootHash, theirRoot, `root hash, ${blocks} blocks`);
    assert.ok(readFileSync(join(dir, `ours${blocks}`)).equals(readFileSync(join(dir, `theirs${blocks}`))), `hash file, ${blocks} blocks`);
  }
});
