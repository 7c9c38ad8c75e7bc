/**
 * Test fixtures for the host lifecycle: signing keys and small v1/v2 rootfs tars built with the
 * system `tar` (pax, numeric owners), where v2 bumps one "package" (foo) and one /etc default.
 * Used by the host tests and bench/host.ts; not part of the CLI.
 */
import { mkdirSync, writeFileSync, symlinkSync, chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';

export interface TestKey {
  secret: string;
  public: string;
}

/** An Ed25519 signing key created in 2020 (older than every commit timestamp). */
export async function makeKey(name = 'driftless host test'): Promise<TestKey> {
  const k = await openpgp.generateKey({ type: 'ecc', userIDs: [{ name }], format: 'armored', date: new Date('2020-01-01T00:00:00Z') });
  return { secret: k.privateKey, public: k.publicKey };
}

/** Deterministic pseudo-random bytes (compressible-ish binary, like a library). */
export function pseudoBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += 32) {
    block.copy(out, off, 0, Math.min(32, size - off));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export interface RootfsSpec {
  [path: string]: string | Buffer | { content: string | Buffer; mode?: number } | { symlink: string } | { dir: true; mode?: number };
}

/** Write a rootfs directory from a spec (paths relative to the root, '/usr/bin/x'). */
export function writeRootfs(dir: string, spec: RootfsSpec): void {
  mkdirSync(dir, { recursive: true });
  for (const [p, v] of Object.entries(spec)) {
    const abs = join(dir, p);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof v === 'string' || Buffer.isBuffer(v)) writeFileSync(abs, v, { mode: 0o644 });
    else if ('symlink' in v) symlinkSync(v.symlink, abs);
    else if ('dir' in v) {
      mkdirSync(abs, { recursive: true });
      chmodSync(abs, v.mode ?? 0o755);
    } else {
      writeFileSync(abs, v.content);
      chmodSync(abs, v.mode ?? 0o644);
    }
  }
}

/** pax tar of a directory with numeric root owners (system tar). */
export function tarDir(dir: string, out: string, xattrs = false): void {
  const x = xattrs ? ['--xattrs', '--xattrs-include=*'] : [];
  const r = spawnSync('tar', ['--format=pax', ...x, '--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-C', dir, '-cf', out, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
}

/** The sample image: version 1 or 2 (v2 bumps package "foo" and the default /etc/foo.conf). */
export function sampleSpec(version: 1 | 2, extraFiles = 0): RootfsSpec {
  const foo = version === 1 ? '1.0' : '2.0';
  const lib = pseudoBytes('libbase', 96 * 1024);
  const fooBin = Buffer.concat([pseudoBytes('foo-bin', 48 * 1024), Buffer.from(`foo ${foo}\n`)]);
  const spec: RootfsSpec = {
    '/usr/bin/sh': { content: '#!/bin/true\nshell\n', mode: 0o755 },
    '/usr/bin/foo': { content: fooBin, mode: 0o755 },
    '/usr/lib/libbase.so.1': lib,
    '/usr/lib/os-release': `NAME=Sample\nVERSION_ID=${version}\n`,
    '/usr/share/foo/README': `foo version ${foo}\n`,
    '/usr/share/doc/base/COPYING': 'Apache-2.0\n',
    '/bin': { symlink: 'usr/bin' },
    '/etc/hosts': '127.0.0.1 localhost\n',
    '/etc/os-release': { symlink: '../usr/lib/os-release' },
    '/etc/foo.conf': version === 1 ? 'level=1\n' : 'level=2\n',
    '/etc/base.conf': 'base=yes\n',
    '/etc/ssh/sshd_config': 'PermitRootLogin no\n',
    '/var/lib/foo/state': 'initial\n',
    '/tmp': { dir: true, mode: 0o1777 },
  };
  if (version === 2) spec['/usr/share/foo/NEWS'] = 'foo 2.0: new things\n';
  for (let i = 0; i < extraFiles; i++) spec[`/usr/share/data/d${i % 20}/f${i}`] = `file ${i}\n`;
  return spec;
}

/** Build a sample rootfs tar in `dir`; returns its path. */
export function sampleTar(dir: string, version: 1 | 2, extraFiles = 0): string {
  const root = join(dir, `rootfs-v${version}-${extraFiles}`);
  rmSync(root, { recursive: true, force: true });
  writeRootfs(root, sampleSpec(version, extraFiles));
  const out = join(dir, `rootfs-v${version}-${extraFiles}.tar`);
  tarDir(root, out);
  return out;
}
