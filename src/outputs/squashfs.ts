/**
 * `squashfs` output: rootfs.squashfs, made by piping the rootfs tar stream into
 * `mksquashfs - OUT -tar -reproducible -mkfs-time EPOCH -all-time EPOCH -noappend` (squashfs-tools
 * ≥ 4.5 reads tar on stdin; no root needed, owners/modes/xattrs come from the tar headers).
 * Every timestamp in the image is the epoch. The root directory's mode/owner come from the model.
 * Options: `{ compression: 'gzip' | 'xz' | 'zstd' | ... }` (default gzip, mksquashfs's own default).
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DriftlessError } from '../core/errors.js';
import { fsyncDir } from '../core/atomic.js';
import type { Rootfs } from '../compose/rootfs.js';
import { rootfsTarStream } from './tar.js';
import { registerEmitter, describeFile, type EmitContext, type EmittedFile } from './emitter.js';

const tarSupport = new Map<string, boolean>();

/** Whether the installed mksquashfs can read a tar stream (`-tar`, squashfs-tools ≥ 4.5). */
export function mksquashfsSupportsTar(bin = 'mksquashfs'): boolean {
  const known = tarSupport.get(bin);
  if (known !== undefined) return known;
  const r = spawnSync(bin, ['-help'], { encoding: 'utf8' });
  if (r.error) throw new DriftlessError('OUTPUT_TOOL_MISSING', `${bin} is not installed`, { hint: 'install squashfs-tools (≥ 4.5)', cause: r.error });
  const yes = /^-tar\b/m.test(`${r.stdout}${r.stderr}`);
  tarSupport.set(bin, yes);
  return yes;
}

/** Build `target` from the rootfs with mksquashfs reading tar on stdin. Atomic (temp + rename). */
export async function buildSquashfs(rootfs: Rootfs, target: string, epoch: number, opts: { compression?: string; bin?: string } = {}): Promise<void> {
  const bin = opts.bin ?? 'mksquashfs';
  if (!mksquashfsSupportsTar(bin)) {
    throw new DriftlessError('OUTPUT_SQUASHFS_NO_TAR', 'mksquashfs does not support -tar (tar input on stdin)', {
      hint: 'install squashfs-tools 4.5 or newer',
    });
  }
  const root = rootfs.get('/')!;
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fsp.mkdir(dirname(target), { recursive: true });
  const args = [
    '-', tmp, '-tar', '-reproducible', '-noappend', '-quiet', '-no-progress',
    '-mkfs-time', String(epoch), '-all-time', String(epoch),
    '-root-mode', (root.mode & 0o7777).toString(8), '-root-uid', String(root.uid), '-root-gid', String(root.gid),
  ];
  if (opts.compression) args.push('-comp', opts.compression);
  const child = spawn(bin, args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
  let stderr = '';
  let stdinError: Error | undefined;
  child.stdin.on('error', (e) => (stdinError = e)); // EPIPE when mksquashfs dies: its exit code tells why
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  try {
    try {
      for await (const chunk of rootfsTarStream(rootfs, epoch)) {
        if (stdinError) break;
        if (!child.stdin.write(chunk)) {
          await new Promise<void>((res) => {
            const done = () => {
              child.stdin.off('drain', done);
              child.stdin.off('close', done);
              res();
            };
            child.stdin.on('drain', done);
            child.stdin.on('close', done);
          });
        }
      }
      child.stdin.end();
    } catch (e) {
      child.kill('SIGKILL');
      await exited.catch(() => undefined);
      throw e;
    }
    const code = await exited;
    if (code !== 0) {
      throw new DriftlessError('OUTPUT_SQUASHFS_FAILED', `mksquashfs exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`, { details: { stderr } });
    }
    const fh = await fsp.open(tmp, 'r+');
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, target);
    await fsyncDir(dirname(target));
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    if (e instanceof DriftlessError) throw e;
    throw new DriftlessError('OUTPUT_SQUASHFS_FAILED', `mksquashfs failed: ${(e as Error).message} ${stderr.trim()}`, { cause: e });
  }
}

export const squashfsEmitter = {
  name: 'squashfs',
  async emit(rootfs: Rootfs, ctx: EmitContext): Promise<EmittedFile[]> {
    const rel = 'rootfs.squashfs';
    const compression = typeof ctx.options?.compression === 'string' ? ctx.options.compression : undefined;
    await buildSquashfs(rootfs, join(ctx.outDir, rel), ctx.epoch, { compression });
    return [await describeFile(ctx.outDir, rel)];
  },
};
registerEmitter(squashfsEmitter);
