/**
 * Puts the rpmdb into the rootfs: written to a scratch file with writeRpmdb, then stored in the
 * content store and added as /usr/lib/sysimage/rpm/rpmdb.sqlite (plus the /var/lib/rpm link
 * Fedora ships), so every emitter includes it like any other file.
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentStore } from '../core/cas.js';
import type { RpmPackage } from '../rpm/package.js';
import { writeRpmdb, RPMDB_DIR } from './rpmdb.js';
import type { Rootfs } from './rootfs.js';

export async function writeRpmdbInto(fs: Rootfs, packages: RpmPackage[], opts: { epoch: number; cas: ContentStore }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'driftless-rpmdb-'));
  try {
    const db = join(dir, 'rpmdb.sqlite');
    const sorted = [...packages].sort((a, b) => {
      const na = `${a.header.getString(1000)}`;
      const nb = `${b.header.getString(1000)}`;
      return na < nb ? -1 : na > nb ? 1 : 0;
    });
    await writeRpmdb(db, sorted.map((p) => ({ signature: p.signature, header: p.header })), { installTime: opts.epoch, noSync: true });
    const bytes = await readFile(db);
    const { sha256, size } = await opts.cas.putBytes(bytes, { noSync: true });
    fs.mkdirp('/' + RPMDB_DIR);
    fs.add({ path: `/${RPMDB_DIR}/rpmdb.sqlite`, type: 'file', mode: 0o644, mtime: opts.epoch, size, content: { sha256, open: () => opts.cas.read(sha256) }, owner: 'rpmdb' }, { replace: true });
    if (!fs.has('/var/lib/rpm')) fs.add({ path: '/var/lib/rpm', type: 'symlink', mode: 0o777, linkTarget: '../../usr/lib/sysimage/rpm', mtime: opts.epoch, owner: 'rpmdb' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
