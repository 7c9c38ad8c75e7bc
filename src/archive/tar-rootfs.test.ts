import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootfsFromTar } from './tar-rootfs.js';
import { tarToBuffer, ustarHeader } from './tar-write.js';
import { rootfsTarEntries } from '../outputs/tar.js';
import { sampleRootfs, FIXTURE_EPOCH } from '../../test/helpers/rootfs-fixture.js';
import { ContentStore } from '../core/cas.js';
import { tempDir } from '../../test/helpers/cli.js';
import { isDriftlessError } from '../core/errors.js';

async function* once(b: Buffer) {
  for (let i = 0; i < b.length; i += 100_000) yield b.subarray(i, i + 100_000);
}

test('tar → rootfs → tar is byte-identical (memory and content store)', async (t) => {
  const tar1 = await tarToBuffer(rootfsTarEntries(sampleRootfs(), FIXTURE_EPOCH));
  const mem = await rootfsFromTar(once(tar1));
  assert.ok((await tarToBuffer(rootfsTarEntries(mem, FIXTURE_EPOCH))).equals(tar1));
  const store = new ContentStore(tempDir(t));
  const stored = await rootfsFromTar(once(tar1), { store });
  assert.ok(stored.get('/usr/share/data/big.bin')!.content!.sha256);
  assert.ok((await tarToBuffer(rootfsTarEntries(stored, FIXTURE_EPOCH))).equals(tar1));
  await assert.rejects(rootfsFromTar(once(tar1), { maxMemory: 1000 }), (e) => isDriftlessError(e, 'TAR_LIMIT'));
});

test('a hardlink to a missing file is refused with the entry offset', async () => {
  const h = ustarHeader({ name: 'x', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, typeflag: '1', linkname: 'nope' });
  await assert.rejects(rootfsFromTar(once(Buffer.concat([h, Buffer.alloc(1024)]))), (e) => isDriftlessError(e, 'ROOTFS_BAD_ENTRY') && e.offset === 0);
});
