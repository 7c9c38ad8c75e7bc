import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, requireTool, run, tempDir } from '../../test/helpers/cli.js';
import { mkRpm } from '../../test/helpers/mkrpm.js';
import { isDriftlessError } from '../core/errors.js';
import { openPackage, openPackageBytes } from './package.js';
import { readPayload } from './payload.js';
import { packageMetaFromHeader, packageMetaFromPackage } from './header-meta.js';
import { SigTag, Tag } from './tags.js';

const fx = (p: string) => join(fixtures, 'rpm', p);
const all = ['RPMS', 'SRPMS'].flatMap((d) => readdirSync(fx(d)).map((f) => fx(`${d}/${f}`)));

test('header bytes and offsets: SHA-256/SHA-1 header digests in the signature match header.raw', async () => {
  let checked = 0;
  for (const p of all) {
    const pkg = await openPackage(p);
    assert.equal(pkg.signatureOffset, 96);
    assert.equal(pkg.headerOffset % 8, 0, p);
    assert.equal(pkg.payloadOffset, pkg.headerOffset + pkg.header.raw.length);
    const sha256 = pkg.signature.getString(SigTag.SHA256);
    const sha1 = pkg.signature.getString(SigTag.SHA1);
    const blob = pkg.header.regionBlob() ?? pkg.header.raw;
    if (sha256) {
      assert.equal(createHash('sha256').update(blob).digest('hex'), sha256, p);
      checked++;
    } else if (sha1) {
      assert.equal(createHash('sha1').update(blob).digest('hex'), sha1, p);
      checked++;
    }
  }
  assert.ok(checked >= all.length - 3, `checked ${checked}`);
});

test('formats: v3, v4, v6 and source packages', async (t) => {
  const v3 = await openPackage(fx('RPMS/hello-1.0-1.x86_64.rpm-v3'));
  assert.equal(v3.format, 3);
  assert.equal(v3.header.region, undefined);
  const v4 = await openPackage(fx('RPMS/hello-2.0-1.x86_64.rpm'));
  assert.equal(v4.format, 4);
  const v6 = await openPackage(fx('RPMS/hlinktest-1.0-1.noarch-v3sig.rpm'));
  assert.equal(v6.format, 6);
  const src = await openPackage(fx('SRPMS/hello-1.0-1.src.rpm'));
  assert.equal(src.isSource, true);
  assert.equal(v4.isSource, false);
  // rpm ≥ 4.19 knows %{RPMFORMAT}; compare where the oracle can tell
  if (!requireTool(t, 'rpm')) return;
  const r = run('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', '%{RPMFORMAT}\\n', fx('RPMS/hello-2.0-1.x86_64.rpm'), fx('RPMS/hlinktest-1.0-1.noarch-v3sig.rpm')]);
  if (r.status === 0 && r.stdout.trim() !== '' && !/unknown tag/.test(r.stderr)) assert.deepEqual(r.stdout.trim().split('\n'), ['4', '6']);
});

test('truncation at every offset before the payload is RPM_TRUNCATED with an offset', async () => {
  const bytes = readFileSync(fx('RPMS/hello-2.0-1.x86_64.rpm'));
  const pkg = await openPackageBytes(bytes);
  for (let n = 0; n < pkg.payloadOffset; n++) {
    await assert.rejects(openPackageBytes(bytes.subarray(0, n)), (e) => isDriftlessError(e, 'RPM_TRUNCATED') && typeof e.offset === 'number', `cut at ${n}`);
  }
  // cut inside the payload: headers open, the payload walk fails with a coded error
  for (const n of [pkg.payloadOffset, pkg.payloadOffset + 10, bytes.length - 100, bytes.length - 1]) {
    const p = await openPackageBytes(bytes.subarray(0, n));
    await assert.rejects(
      (async () => {
        for await (const e of readPayload(p)) for await (const _ of e.data()) void _;
      })(),
      (e) => isDriftlessError(e),
      `payload cut at ${n}`,
    );
  }
});

test('wrong magic, counts and offsets out of range are coded errors with offsets', async () => {
  const bytes = readFileSync(fx('RPMS/hello-2.0-1.x86_64.rpm'));
  const pkg = await openPackageBytes(bytes);
  const patch = (at: number, v: number) => {
    const b = Uint8Array.from(bytes);
    new DataView(b.buffer).setUint32(at, v);
    return b;
  };
  await assert.rejects(openPackageBytes(patch(0, 0x7f454c46)), (e) => isDriftlessError(e, 'RPM_BAD_MAGIC') && e.offset === 0);
  await assert.rejects(openPackageBytes(patch(96, 0xdeadbeef)), (e) => isDriftlessError(e, 'RPM_BAD_HEADER_MAGIC') && e.offset === 96);
  await assert.rejects(openPackageBytes(patch(96 + 8, 0x00ffffff)), (e) => isDriftlessError(e, 'RPM_BAD_HEADER') && e.offset === 104);
  await assert.rejects(openPackageBytes(patch(96 + 8, 0)), (e) => isDriftlessError(e, 'RPM_BAD_HEADER'));
  const h = pkg.headerOffset;
  // main header: data size too big for the file, then the 2nd index entry's offset out of range
  await assert.rejects(openPackageBytes(patch(h + 12, 0x0fffffff)), (e) => isDriftlessError(e, 'RPM_TRUNCATED'));
  await assert.rejects(openPackageBytes(patch(h + 16 + 16 + 8, 0x00ffff00)), (e) => isDriftlessError(e, 'RPM_BAD_HEADER') && e.offset === h + 32);
  await assert.rejects(openPackageBytes(bytes, { maxHeaderBytes: 100 }), (e) => isDriftlessError(e, 'RPM_HEADER_TOO_LARGE'));
});

test('open errors are coded', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(openPackage(join(dir, 'missing.rpm')), (e) => isDriftlessError(e, 'RPM_OPEN_FAILED'));
  await assert.rejects(openPackage(dir), (e) => isDriftlessError(e, 'RPM_OPEN_FAILED'));
  writeFileSync(join(dir, 'empty.rpm'), '');
  await assert.rejects(openPackage(join(dir, 'empty.rpm')), (e) => isDriftlessError(e, 'RPM_TRUNCATED'));
});

test('stripped cpio (07070X, LONGFILESIZES): entries by index, hardlinks carry data once', async () => {
  const files = [
    { path: '/d', mode: 0o40755 },
    { path: '/d/a', mode: 0o100644, data: 'hello\n', inode: 7, cpioData: '' },
    { path: '/d/b', mode: 0o100644, data: 'hello\n', inode: 7 },
    { path: '/d/l', mode: 0o120777, linkto: 'a' },
  ];
  const pkg = await openPackageBytes(mkRpm(files, { stripped: true }));
  assert.equal(pkg.format, 6);
  const seen: string[] = [];
  for await (const e of readPayload(pkg, { verifyDigests: true })) {
    const chunks: Uint8Array[] = [];
    for await (const c of e.data()) chunks.push(c);
    seen.push(`${e.entry.name}:${Buffer.concat(chunks).toString()}:${e.entry.stripped}`);
  }
  assert.deepEqual(seen, ['/d::true', '/d/a::true', '/d/b:hello\n:true', '/d/l:a:true']);
  // an index the header does not have
  const bytes = mkRpm(files, { stripped: true, compressor: 'none' });
  const s = Buffer.from(bytes);
  const at = s.indexOf('07070X00000003');
  s.write('07070X000000ff', at);
  const bad = await openPackageBytes(s);
  await assert.rejects(
    (async () => {
      for await (const e of readPayload(bad)) for await (const _ of e.data()) void _;
    })(),
    (e) => isDriftlessError(e, 'RPM_CPIO_BAD_INDEX') && typeof e.offset === 'number',
  );
});

test('packageMetaFromHeader: the shared PackageMeta model', async () => {
  const pkg = await openPackage(fx('RPMS/hello-2.0-1.x86_64.rpm'));
  const m = packageMetaFromHeader(pkg.header);
  assert.equal(m.name, 'hello');
  assert.equal(m.epoch, 0);
  assert.equal(m.arch, 'x86_64');
  assert.deepEqual(m.provides[0], { name: 'hello', op: '=', evr: '2.0-1' });
  assert.ok(m.requires.some((d) => d.name === 'rpmlib(CompressedFileNames)' && d.op === '<=' && d.evr === '3.0.4-1'));
  assert.deepEqual(m.files.find((f) => f.path === '/usr/share/doc/hello-2.0'), { path: '/usr/share/doc/hello-2.0', type: 'dir' });
  assert.equal(pkg.header.getString(Tag.NAME), 'hello');
});

test('packageMetaFromPackage: sizes and header-range equal createrepo_c', async (t) => {
  if (!requireTool(t, 'createrepo_c')) return;
  const dir = tempDir(t);
  const names = ['hello-2.0-1.x86_64.rpm', 'hlinktest-1.0-1.noarch.rpm', 'capstest-1.0-1.noarch.rpm', 'hello-1.0-1.i386.rpm'];
  for (const n of names) writeFileSync(join(dir, n), readFileSync(fx(`RPMS/${n}`)));
  const r = run('createrepo_c', ['-q', '--simple-md-filenames', '--no-database', dir]);
  assert.equal(r.status, 0, r.stderr);
  const primary = run('sh', ['-c', 'zcat "$1"/repodata/primary.xml.gz', 'sh', dir]).stdout;
  for (const n of names) {
    const m = packageMetaFromPackage(await openPackage(join(dir, n)));
    const block = primary.split('<package ').find((b) => b.includes(`href="${n}"`))!;
    assert.ok(block, n);
    const size = /<size package="(\d+)" installed="(\d+)" archive="(\d+)"/.exec(block)!;
    const range = /header-range start="(\d+)" end="(\d+)"/.exec(block)!;
    assert.deepEqual([m.size?.package, m.size?.installed, m.size?.archive], size.slice(1).map(Number), n);
    assert.deepEqual([m.headerRange?.start, m.headerRange?.end], range.slice(1).map(Number), n);
  }
});

test('a corrupt compressed payload fails with the file offset reached', async () => {
  // the fixture's payload is cut off entirely (payloadOffset == file size)
  const pkg = await openPackage(fx('RPMS/hello-2.0-1.x86_64-corrupted.rpm'));
  await assert.rejects(
    (async () => {
      for await (const e of readPayload(pkg)) for await (const _ of e.data()) void _;
    })(),
    (e) => isDriftlessError(e, 'CORE_DECOMPRESSION_FAILED') && e.offset! >= pkg.payloadOffset && e.offset! <= pkg.fileSize,
  );
});

test('damage inside a gzip payload is reported past the payload start', async () => {
  const bytes = Buffer.from(readFileSync(fx('RPMS/hello-2.0-1.x86_64.rpm')));
  const pkg0 = await openPackageBytes(bytes);
  for (let i = pkg0.payloadOffset + 200; i < pkg0.payloadOffset + 260; i++) bytes[i] = 0xff;
  const pkg = await openPackageBytes(bytes);
  await assert.rejects(
    (async () => {
      for await (const e of readPayload(pkg)) for await (const _ of e.data()) void _;
    })(),
    (e) => isDriftlessError(e) && e.offset! > pkg.payloadOffset,
  );
});
