/**
 * Atomic filesystem writes: data goes to a temp file in the same directory, is fsynced, then
 * renamed over the target, and the directory is fsynced. A crash leaves either the old or the
 * new file, never a torn one. Directories are published the same way (build in a temp sibling,
 * rename into place).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp, constants as fsc } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** fsync a directory so a rename inside it is durable. Best effort on filesystems that refuse. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, fsc.O_RDONLY);
    await fh.sync();
  } catch {
    // some filesystems (e.g. certain overlay/tmpfs setups) do not allow fsync on directories
  } finally {
    await fh?.close();
  }
}

export interface AtomicWriteOptions {
  mode?: number;
  /** Skip fsync (for scratch files whose loss is harmless). Default false. */
  noSync?: boolean;
}

/** Write `data` to `target` atomically (temp + fsync + rename + dir fsync). */
export async function writeFileAtomic(target: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempName(target);
  await fsp.mkdir(dirname(target), { recursive: true });
  const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (!opts.noSync) await fh.sync();
  } catch (e) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  if (!opts.noSync) await fsyncDir(dirname(target));
}

/** Stream `source` into `target` atomically. Returns the number of bytes written. */
export async function writeStreamAtomic(target: string, source: Readable | AsyncIterable<Uint8Array>, opts: AtomicWriteOptions = {}): Promise<number> {
  const tmp = tempName(target);
  await fsp.mkdir(dirname(target), { recursive: true });
  const out = createWriteStream(tmp, { flags: 'wx', mode: opts.mode ?? 0o644 });
  try {
    await pipeline(source as AsyncIterable<Uint8Array>, out);
    if (!opts.noSync) {
      const fh = await fsp.open(tmp, 'r+');
      await fh.sync();
      await fh.close();
    }
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  if (!opts.noSync) await fsyncDir(dirname(target));
  return out.bytesWritten;
}

/**
 * Build a directory atomically: `build(tmpDir)` fills a temp sibling of `target`, which is then
 * renamed into place (replacing an existing `target`). If `build` throws, nothing is left behind.
 */
export async function publishDirAtomic(target: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = dirname(target);
  await fsp.mkdir(parent, { recursive: true });
  const tmp = await fsp.mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  try {
    await fsp.chmod(tmp, 0o755); // mkdtemp makes it private; the published directory is not
    await build(tmp);
    await fsyncDir(tmp);
    const old = `${tmp}.old`;
    let hadOld = false;
    try {
      await fsp.rename(target, old);
      hadOld = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await fsp.rename(tmp, target);
    if (hadOld) await fsp.rm(old, { recursive: true, force: true });
    await fsyncDir(parent);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
