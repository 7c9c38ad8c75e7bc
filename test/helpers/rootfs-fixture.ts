/**
 * A small but nasty rootfs for emitter tests: setuid binary, file capability, hardlinks,
 * symlinks, empty dir, long path, 0-byte file, a 1 MiB file, device nodes, a fifo, a big uid,
 * non-root owners, user.* xattrs, a file of exactly 4096 bytes and a many-entry directory.
 */
import { Rootfs } from '../../src/compose/rootfs.js';

/** security.capability v2 for cap_net_raw+ep (what `setcap cap_net_raw+ep` writes). */
export const CAP_NET_RAW = Uint8Array.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);

/** Deterministic pseudo-random bytes (xorshift), so big files are not trivially compressible. */
export function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface FixtureOptions {
  /** Include char/block device nodes (skip for rootless extraction checks). Default true. */
  devices?: boolean;
  /** Number of files in /usr/share/many (default 150: several directory blocks). */
  manyFiles?: number;
  /** Size of the big file (default 1 MiB). */
  bigSize?: number;
}

export function sampleRootfs(opts: FixtureOptions = {}): Rootfs {
  const fs = new Rootfs({ defaultMtime: 1_600_000_000 });
  const t = 1_650_000_000;
  const txt = (s: string) => ({ bytes: new TextEncoder().encode(s) });
  fs.add({ path: '/usr', type: 'dir', mtime: t });
  fs.add({ path: '/usr/bin', type: 'dir', mtime: t });
  fs.add({ path: '/bin', type: 'symlink', linkTarget: 'usr/bin', mtime: t });
  fs.add({ path: '/usr/bin/sh', type: 'file', mode: 0o755, content: txt('#!/bin/sh\necho hi\n'), mtime: t, owner: 'bash' });
  fs.add({ path: '/usr/bin/bash', type: 'hardlink', linkTarget: '/usr/bin/sh', mtime: t, mode: 0o755, owner: 'bash' });
  fs.add({ path: '/usr/bin/rbash', type: 'hardlink', linkTarget: '/usr/bin/sh', mtime: t, mode: 0o755, owner: 'bash' });
  fs.add({ path: '/usr/bin/su', type: 'file', mode: 0o4755, content: txt('setuid binary'), mtime: t, owner: 'util-linux' });
  fs.add({ path: '/usr/bin/wall', type: 'file', mode: 0o2755, gid: 5, group: 'tty', content: txt('setgid'), mtime: t });
  fs.add({ path: '/usr/bin/ping', type: 'file', mode: 0o755, content: txt('ping binary'), mtime: t, xattrs: { 'security.capability': CAP_NET_RAW } });
  fs.add({ path: '/usr/bin/vi', type: 'symlink', linkTarget: '/usr/bin/sh', mtime: t });
  fs.add({ path: '/etc/empty.conf', type: 'file', mode: 0o600, mtime: t });
  fs.add({ path: '/etc/os-release', type: 'symlink', linkTarget: '../usr/lib/os-release', mtime: t });
  fs.add({ path: '/usr/lib/os-release', type: 'file', content: txt('ID=azurelinux\nVERSION_ID=4.0\n'), mtime: t });
  fs.add({ path: '/var/empty', type: 'dir', mode: 0o711, mtime: t });
  fs.add({ path: '/tmp', type: 'dir', mode: 0o1777, mtime: t });
  fs.add({ path: '/home/user', type: 'dir', mode: 0o700, uid: 1000, gid: 1000, user: 'user', group: 'user', mtime: t });
  fs.add({ path: '/home/user/.profile', type: 'file', uid: 1000, gid: 1000, user: 'user', group: 'user', content: txt('export A=1\n'), mtime: t, xattrs: { 'user.comment': new TextEncoder().encode('hello') } });
  fs.add({ path: '/srv/bigid', type: 'file', uid: 3_000_000, gid: 70_000, content: txt('big ids'), mtime: t });
  fs.add({ path: '/usr/share/data/big.bin', type: 'file', content: { bytes: pseudoRandom(opts.bigSize ?? 1024 * 1024) }, mtime: t });
  fs.add({ path: '/usr/share/data/page.bin', type: 'file', content: { bytes: pseudoRandom(4096, 7) }, mtime: t });
  fs.add({ path: '/usr/share/data/page1.bin', type: 'file', content: { bytes: pseudoRandom(4097, 9) }, mtime: t });
  const longDir = '/usr/share/' + Array.from({ length: 8 }, (_, i) => `deep-directory-level-${i}`).join('/');
  fs.add({ path: `${longDir}/${'n'.repeat(200)}.txt`, type: 'file', content: txt('long path'), mtime: t });
  fs.add({ path: `/usr/share/${'x'.repeat(255)}`, type: 'file', content: txt('255'), mtime: t });
  fs.add({ path: '/usr/share/link-to-long', type: 'symlink', linkTarget: `${longDir}/${'n'.repeat(200)}.txt`, mtime: t });
  fs.add({ path: '/usr/share/ünïcode-名前', type: 'file', content: txt('utf8 name'), mtime: t });
  for (let i = 0; i < (opts.manyFiles ?? 150); i++) {
    fs.add({ path: `/usr/share/many/file-${String(i).padStart(4, '0')}-with-a-longer-name`, type: 'file', content: txt(`file ${i}\n`), mtime: t });
  }
  fs.add({ path: '/run/initctl', type: 'fifo', mode: 0o600, mtime: t });
  if (opts.devices ?? true) {
    fs.add({ path: '/dev/null', type: 'char', mode: 0o666, rdev: { major: 1, minor: 3 }, mtime: t });
    fs.add({ path: '/dev/loop0', type: 'block', mode: 0o660, gid: 6, group: 'disk', rdev: { major: 7, minor: 0 }, mtime: t });
  }
  fs.add({ path: '/future', type: 'file', content: txt('from the future'), mtime: 4_000_000_000 });
  return fs;
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { silentReport } from '../../src/core/report.js';
import type { EmitContext, EmittedFile, OutputEmitter } from '../../src/outputs/emitter.js';

export const FIXTURE_EPOCH = 1_700_000_000;

export function emitContext(outDir: string, over: Partial<EmitContext> = {}): EmitContext {
  return {
    outDir,
    epoch: FIXTURE_EPOCH,
    report: silentReport,
    image: { name: 'sample', arch: 'x86_64', version: '4.0.20240101', config: { entrypoint: ['/usr/bin/sh'], cmd: ['-c', 'echo hi'], env: ['PATH=/usr/bin'], labels: { a: 'b' }, workingDir: '/', user: '0:0' } },
    ...over,
  };
}

/**
 * Emit the same rootfs twice, the second time with another cwd, TZ, umask and temp dir, and
 * return both file lists (callers assert they are equal). Directories are removed afterwards
 * unless `keep` is set (then the first one is returned for oracle checks).
 */
export async function emitTwice(
  emitter: OutputEmitter,
  make: () => Rootfs,
  over: Partial<EmitContext> = {},
): Promise<{ first: EmittedFile[]; second: EmittedFile[]; dir: string; cleanup: () => void }> {
  const a = mkdtempSync(join(tmpdir(), 'emit-a-'));
  const first = await emitter.emit(make(), emitContext(a, over));
  const b = mkdtempSync(join(tmpdir(), 'emit-b-other-'));
  const oldCwd = process.cwd();
  const oldTz = process.env.TZ;
  const oldTmp = process.env.TMPDIR;
  const oldUmask = process.umask(0o077);
  process.env.TZ = 'Pacific/Kiritimati';
  process.env.TMPDIR = b;
  process.chdir(b);
  let second: EmittedFile[];
  try {
    second = await emitter.emit(make(), emitContext(join(b, 'nested', 'out'), over));
  } finally {
    process.chdir(oldCwd);
    process.umask(oldUmask);
    if (oldTz === undefined) delete process.env.TZ;
    else process.env.TZ = oldTz;
    if (oldTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = oldTmp;
    rmSync(b, { recursive: true, force: true });
  }
  return { first, second, dir: a, cleanup: () => rmSync(a, { recursive: true, force: true }) };
}

/** Extended attributes of a path (no symlink follow), via the system python's os.getxattr. */
export function readXattrs(path: string): Record<string, string> {
  const py = 'import os,sys,json;p=sys.argv[1];print(json.dumps({k:os.getxattr(p,k,follow_symlinks=False).hex() for k in os.listxattr(p,follow_symlinks=False)}))';
  const r = spawnSync('/usr/bin/python3', ['-c', py, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}
