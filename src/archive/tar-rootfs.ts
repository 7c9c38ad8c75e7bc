/**
 * Load a tar stream into a Rootfs (e.g. a rootfs.tar to re-emit, or an OCI layer), safely:
 * paths go through the tar reader's checks, later entries replace earlier ones (tar semantics),
 * and file content is kept either in a ContentStore (streamed, with a lazy opener) or in memory
 * up to `maxMemory` bytes.
 *
 *   const rootfs = await rootfsFromTar(fs.createReadStream('rootfs.tar'), { store: new ContentStore(dir) })
 */
import type { ContentStore } from '../core/cas.js';
import { DriftlessError } from '../core/errors.js';
import { Rootfs, type EntryContent } from '../compose/rootfs.js';
import { readTar, readBody, type TarReadOptions } from './tar-read.js';

export interface RootfsFromTarOptions {
  /** Store file content here (streamed) instead of memory. */
  store?: ContentStore;
  /** In-memory content bound (default 2 GiB) when no store is given. */
  maxMemory?: number;
  tar?: TarReadOptions;
  /** Add to this rootfs instead of a new one. */
  rootfs?: Rootfs;
}

export async function rootfsFromTar(source: AsyncIterable<Uint8Array>, opts: RootfsFromTarOptions = {}): Promise<Rootfs> {
  const fs = opts.rootfs ?? new Rootfs();
  const maxMemory = opts.maxMemory ?? 2 * 1024 ** 3;
  let inMemory = 0;
  for await (const e of readTar(source, opts.tar)) {
    const meta = { mode: e.mode, uid: e.uid, gid: e.gid, user: e.user, group: e.group, mtime: e.mtime, xattrs: e.xattrs };
    if (e.path === '/') {
      if (e.type === 'dir') fs.update('/', meta);
      continue;
    }
    let content: EntryContent | undefined;
    if (e.type === 'file' && e.size > 0) {
      if (opts.store) {
        const store = opts.store;
        const { sha256 } = await store.putStream(e.body, { expectedSize: e.size, noSync: true, label: e.path });
        content = { sha256, open: () => store.read(sha256) };
      } else {
        inMemory += e.size;
        if (inMemory > maxMemory) {
          throw new DriftlessError('TAR_LIMIT', `tar content exceeds ${maxMemory} bytes in memory`, { offset: e.offset, hint: 'pass a content store' });
        }
        content = { bytes: await readBody(e) };
      }
    }
    try {
      fs.add({ ...meta, path: e.path, type: e.type, size: e.size, content, linkTarget: e.linkTarget, rdev: e.rdev }, { replace: true });
    } catch (err) {
      if (err instanceof DriftlessError && err.offset === undefined) {
        throw new DriftlessError(err.code, err.message, { ...err, offset: e.offset, cause: err });
      }
      throw err;
    }
  }
  return fs;
}
