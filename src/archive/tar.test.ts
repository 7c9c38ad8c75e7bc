import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tarToBuffer, paxRecord, ustarHeader, entryHeaders } from './tar-write.js';
import { readTar, readBody, parsePax, type TarReadOptions } from './tar-read.js';
import { sampleRootfs, CAP_NET_RAW } from '../../test/helpers/rootfs-fixture.js';
import { requireTool, run, tempDir } from '../../test/helpers/cli.js';
import { isDriftlessError } from '../core/errors.js';
import { entryBytes } from '../compose/rootfs.js';
import { rootfsTarEntries } from '../outputs/tar.js';

async function* chunked(b: Buffer, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
async function readAll(b: Buffer, opts: TarReadOptions = {}, chunk = 7777) {
  const out = [];
  for await (const e of readTar(chunked(b, chunk), opts)) out.push({ ...e, data: await readBody(e) });
  return out;
}

test('pax records count their own length, binary values survive', () => {
  for (const v of ['', 'a', 'x'.repeat(89), 'x'.repeat(90), 'x'.repeat(990), 'x'.repeat(9990)]) {
    const r = paxRecord('path', v);
    assert.equal(Number(r.toString('latin1').split(' ')[0]), r.length);
    assert.deepEqual(parsePax(r, 0).get('path')!.toString(), v);
  }
  const bin = Uint8Array.from([0, 10, 61, 32, 255]);
  assert.deepEqual(new Uint8Array(parsePax(paxRecord('SCHILY.xattr.a', bin), 0).get('SCHILY.xattr.a')!), bin);
});

test('write then read round-trips every entry kind, in chunks of any size', async () => {
  for (const [chunk, fs] of [[1, sampleRootfs({ bigSize: 5000, manyFiles: 3 })], [511, sampleRootfs()], [65536, sampleRootfs()]] as const) {
  const tar = await tarToBuffer(fs.sorted());
  assert.equal(tar.length % 512, 0);
  {
    const got = await readAll(tar, {}, chunk);
    const want = fs.sorted().filter((e) => e.path !== '/');
    assert.deepEqual(got.map((e) => e.path), want.map((e) => e.path));
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const g = got[i]!;
      assert.equal(g.type, w.type, w.path);
      assert.equal(g.mode, w.mode, w.path);
      assert.equal(g.uid, w.uid, w.path);
      assert.equal(g.gid, w.gid, w.path);
      assert.equal(g.mtime, w.mtime, w.path);
      assert.equal(g.linkTarget, w.linkTarget, w.path);
      assert.deepEqual(g.rdev, w.rdev, w.path);
      assert.deepEqual(Object.keys(g.xattrs), Object.keys(w.xattrs));
      if (w.type === 'file') assert.ok(g.data.equals(await entryBytes(w)), w.path);
    }
    assert.deepEqual(new Uint8Array(got.find((e) => e.path === '/usr/bin/ping')!.xattrs['security.capability']!), CAP_NET_RAW);
  }
  }
  // skipping bodies (not reading them) still lands on the right headers
  const fs = sampleRootfs();
  const tar = await tarToBuffer(fs.sorted());
  const names: string[] = [];
  for await (const e of readTar(chunked(tar, 1000))) names.push(e.path);
  assert.equal(names.length, fs.size - 1);
});

test('GNU tar lists owners, modes, links and xattrs of our archive', async (t) => {
  if (!requireTool(t, 'tar')) return;
  const dir = tempDir(t);
  const fs = sampleRootfs();
  const f = join(dir, 'a.tar');
  writeFileSync(f, await tarToBuffer(rootfsTarEntries(fs, 1_700_000_000)));
  const r = run('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-tvvf', f], { env: { TZ: 'UTC', LC_ALL: 'C' } });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const line = (p: string) => lines.find((l) => l.includes(` ${p}`) && !l.startsWith('  '))!;
  assert.match(line('usr/bin/su'), /^-rwsr-xr-x\S? +0\/0 /);
  assert.match(line('usr/bin/wall'), /^-rwxr-sr-x\S? +0\/5 /);
  assert.match(line('tmp/'), /^drwxrwxrwt\S? /);
  assert.match(line('srv/bigid'), / 3000000\/70000 /);
  assert.match(line('usr/bin/bash'), /^-rwxr-xr-x\S? /);
  assert.match(line('usr/bin/sh'), /^hrwxr-xr-x\S? .* usr\/bin\/sh link to usr\/bin\/bash$/);
  assert.match(line('usr/bin/rbash'), /link to usr\/bin\/bash$/);
  assert.match(line('bin'), /^lrwxrwxrwx\S? .* bin -> usr\/bin$/);
  assert.match(line('dev/null'), /^crw-rw-rw-\S? +0\/0 +1,3 /);
  assert.match(line('run/initctl'), /^prw-------\S? /);
  assert.ok(lines.some((l) => l.includes(`${'n'.repeat(200)}.txt`)), 'long path via pax');
  assert.match(r.stdout, /security\.capability/);
  assert.match(r.stdout, /user\.comment/);
  // GNU tar extracts the content byte for byte
  const x = join(dir, 'x');
  run('mkdir', [x]);
  assert.match(line('future'), / 2023-11-14 22:13 future$/, 'mtime clamped to the epoch');
  const ex = run('tar', ['-xmf', f, '-C', x, '--no-same-owner', '--exclude=dev']);
  assert.equal(ex.status, 0, ex.stderr);
  const big = run('sha256sum', [join(x, 'usr/share/data/big.bin')]).stdout.split(' ')[0];
  assert.equal(big, fs.get('/usr/share/data/big.bin')!.content!.bytes && (await import('node:crypto')).createHash('sha256').update(fs.get('/usr/share/data/big.bin')!.content!.bytes!).digest('hex'));
});

test('reader accepts GNU tar archives (long names, pax xattrs)', async (t) => {
  if (!requireTool(t, 'tar')) return;
  const dir = tempDir(t);
  const src = join(dir, 'src');
  const long = 'd'.repeat(150);
  run('mkdir', ['-p', join(src, long)]);
  writeFileSync(join(src, long, 'f'), 'hello');
  run('ln', ['-s', 'target', join(src, 'sl')]);
  for (const fmt of ['gnu', 'posix', 'ustar']) {
    const f = join(dir, `${fmt}.tar`);
    const r = run('tar', [`--format=${fmt}`, '-cf', f, '-C', src, '.']);
    if (fmt === 'ustar') continue; // ustar cannot hold a 150-byte directory name without a split
    assert.equal(r.status, 0, r.stderr);
    const got = await readAll(Buffer.from(await (await import('node:fs/promises')).readFile(f)));
    const file = got.find((e) => e.path === `/${long}/f`);
    assert.ok(file, fmt);
    assert.equal(file.data.toString(), 'hello');
    assert.equal(got.find((e) => e.path === '/sl')!.linkTarget, 'target');
    assert.ok(got.some((e) => e.path === '/' && e.type === 'dir'));
  }
});

test('reader refuses unsafe paths, bad checksums, truncation and oversize entries', async () => {
  const mk = (name: string, extra: Partial<Parameters<typeof ustarHeader>[0]> = {}) =>
    Buffer.concat([ustarHeader({ name, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, typeflag: '0', ...extra }), Buffer.alloc(1024)]);
  await assert.rejects(readAll(mk('a/../../etc/passwd')), (e) => isDriftlessError(e, 'TAR_UNSAFE_PATH') && e.offset === 0);
  await assert.rejects(readAll(mk('/etc/passwd')), (e) => isDriftlessError(e, 'TAR_UNSAFE_PATH'));
  assert.equal((await readAll(mk('/etc/passwd'), { absolute: 'strip' }))[0]!.path, '/etc/passwd');
  await assert.rejects(readAll(mk('h', { typeflag: '1', linkname: '../x' })), (e) => isDriftlessError(e, 'TAR_UNSAFE_PATH'));
  const pax = paxRecord('path', '../../x');
  const paxed = Buffer.concat([mk('ok').subarray(0, 0), ustarHeader({ name: 'p', mode: 0, uid: 0, gid: 0, size: pax.length, mtime: 0, typeflag: 'x' }), pax, Buffer.alloc(512 - pax.length), mk('ok')]);
  await assert.rejects(readAll(paxed), (e) => isDriftlessError(e, 'TAR_UNSAFE_PATH') && e.offset === 0);
  const bad = mk('x');
  bad[0] = 0x79;
  await assert.rejects(readAll(bad), (e) => isDriftlessError(e, 'TAR_BAD_CHECKSUM'));
  const big = Buffer.concat([ustarHeader({ name: 'f', mode: 0o644, uid: 0, gid: 0, size: 1000, mtime: 0, typeflag: '0' }), Buffer.alloc(100)]);
  await assert.rejects(readAll(big), (e) => isDriftlessError(e, 'TAR_TRUNCATED'));
  await assert.rejects(readAll(big, { maxEntrySize: 999 }), (e) => isDriftlessError(e, 'TAR_LIMIT'));
  await assert.rejects(readAll(mk('s', { typeflag: 'S' })), (e) => isDriftlessError(e, 'TAR_UNSUPPORTED_TYPE'));
});

test('reader fuzz: corrupted archives fail only with coded errors, never hang', async () => {
  const fs = sampleRootfs({ bigSize: 3000, manyFiles: 3 });
  const good = await tarToBuffer(rootfsTarEntries(fs, 1_700_000_000));
  let seed = 42;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  let failures = 0;
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(good);
    const flips = 1 + rnd(8);
    for (let j = 0; j < flips; j++) {
      // bias towards headers, where the parser lives
      const at = rnd(4) === 0 ? rnd(b.length) : rnd(Math.ceil(b.length / 512)) * 512 + rnd(512);
      b[Math.min(at, b.length - 1)] = rnd(256);
    }
    // re-seal headers so most cases get past the checksum into the field parsers
    if (rnd(4) !== 0) {
      for (let off = 0; off + 512 <= b.length; off += 512) {
        if (b.subarray(off + 257, off + 262).toString('latin1') !== 'ustar') continue;
        b.fill(0x20, off + 148, off + 156);
        let sum = 0;
        for (let k = 0; k < 512; k++) sum += b[off + k]!;
        b.write(sum.toString(8).padStart(6, '0') + '\0 ', off + 148, 'latin1');
      }
    }
    const cut = rnd(5) === 0 ? b.subarray(0, rnd(b.length)) : b;
    try {
      await readAll(Buffer.from(cut), {}, 4096);
    } catch (e) {
      failures++;
      assert.ok(isDriftlessError(e), `case ${i}: ${(e as Error).stack}`);
    }
  }
  assert.ok(failures > 0);
});

test('reader takes LIBARCHIVE.xattr.* (URL-encoded name, base64 value) as bsdtar writes them', async () => {
  const pax = Buffer.concat([paxRecord('LIBARCHIVE.xattr.user.a%3Db', Buffer.from('aGk=')), paxRecord('SCHILY.xattr.user.c', Buffer.from([0, 1]))]);
  const tar = Buffer.concat([
    ustarHeader({ name: 'PaxHeaders/f', mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime: 0, typeflag: 'x' }),
    pax,
    Buffer.alloc(512 - pax.length),
    ustarHeader({ name: 'f', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, typeflag: '0' }),
    Buffer.alloc(1024),
  ]);
  const [e] = await readAll(tar);
  assert.equal(Buffer.from(e!.xattrs['user.a=b']!).toString(), 'hi');
  assert.deepEqual([...e!.xattrs['user.c']!], [0, 1]);
});

test('sizes of 8 GiB and more, huge ids and long names go to pax records', async () => {
  const h = entryHeaders({ path: '/big', type: 'file', mode: 0o644, uid: 5_000_000_000, gid: 1, user: 'ünïcode', group: 'g'.repeat(40), mtime: 2 ** 34, size: 2 ** 33 });
  const recs = parsePax(h.subarray(512, 1024), 0);
  assert.equal(recs.get('size')!.toString(), String(2 ** 33));
  assert.equal(recs.get('uid')!.toString(), '5000000000');
  assert.equal(recs.get('mtime')!.toString(), String(2 ** 34));
  assert.equal(recs.get('uname')!.toString(), 'ünïcode');
  assert.equal(recs.get('gname')!.toString(), 'g'.repeat(40));
  // the reader applies them (the 8 GiB body is absent: reading the entry header is enough)
  const it = readTar((async function* () {
    yield h;
  })());
  const e = (await it.next()).value!;
  assert.equal(e.size, 2 ** 33);
  assert.equal(e.uid, 5_000_000_000);
  assert.equal(e.mtime, 2 ** 34);
  assert.equal(e.user, 'ünïcode');
  await assert.rejects(it.next(), (err) => isDriftlessError(err, 'TAR_TRUNCATED'));
});
