import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, readlinkSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixtures, requireTool, run, runCli, tempDir } from '../../test/helpers/cli.js';
import { mkRpm, type MkFile } from '../../test/helpers/mkrpm.js';
import { CollectingReport } from '../core/report.js';
import { isDriftlessError } from '../core/errors.js';
import { openPackage, openPackageBytes } from './package.js';
import { extractPackage } from './extract.js';

/** path → "type mode size/target" for every entry under dir, plus hardlink groups by inode. */
function snapshot(dir: string): { entries: Record<string, string>; links: string[][] } {
  const entries: Record<string, string> = {};
  const byIno = new Map<number, string[]>();
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      const rel = '/' + relative(dir, p);
      if (st.isSymbolicLink()) entries[rel] = `l ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        entries[rel] = `d ${(st.mode & 0o7777).toString(8)}`;
        walk(p);
      } else {
        entries[rel] = `f ${(st.mode & 0o7777).toString(8)} ${readFileSync(p).toString('base64').slice(0, 64)} ${st.mtimeMs / 1000}`;
        const g = byIno.get(st.ino) ?? [];
        g.push(rel);
        byIno.set(st.ino, g);
      }
    }
  };
  walk(dir);
  return { entries, links: [...byIno.values()].filter((g) => g.length > 1) };
}

test('extraction equals rpm2cpio | cpio -idm for the fixtures (hardlinks, modes, mtimes)', async (t) => {
  if (!requireTool(t, 'rpm2cpio', 'cpio')) return;
  for (const name of ['RPMS/hlinktest-1.0-1.noarch.rpm', 'RPMS/hello-2.0-1.x86_64.rpm', 'RPMS/capstest-1.0-1.noarch.rpm', 'SRPMS/hello-1.0-1.src.rpm']) {
    const p = join(fixtures, 'rpm', name);
    const mine = tempDir(t);
    const theirs = tempDir(t);
    await extractPackage(await openPackage(p), mine);
    const r = run('sh', ['-c', 'cd "$2" && rpm2cpio "$1" | cpio -idm --quiet --no-absolute-filenames', 'sh', p, theirs]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(snapshot(mine), snapshot(theirs), name);
  }
});

test('CLI: rpm contents --extract', (t) => {
  const dir = tempDir(t);
  const r = runCli(['rpm', 'contents', join(fixtures, 'rpm/RPMS/hlinktest-1.0-1.noarch.rpm'), '--extract', dir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).files, 8);
  assert.equal(lstatSync(join(dir, 'foo/hello')).ino, lstatSync(join(dir, 'foo/hello-world')).ino);
});

async function extractBytes(t: import('node:test').TestContext, files: MkFile[], opts: Parameters<typeof mkRpm>[1] = {}) {
  const base = tempDir(t);
  const target = join(base, 'root');
  const pkg = await openPackageBytes(mkRpm(files, opts));
  const report = new CollectingReport();
  const res = extractPackage(pkg, target, { report });
  return { base, target, res, report };
}

/** Everything under base except the target directory itself. */
function outside(base: string): string[] {
  return readdirSync(base).filter((n) => n !== 'root');
}

test('.. and absolute escapes are refused; nothing is written outside', async (t) => {
  for (const path of ['/../evil', '/a/../../evil', '/a/./../../../evil']) {
    const { base, res } = await extractBytes(t, [{ path, mode: 0o100644, data: 'x' }]);
    await assert.rejects(res, (e) => isDriftlessError(e, 'RPM_EXTRACT_UNSAFE_PATH'), path);
    assert.deepEqual(outside(base), [], path);
  }
});

test('cpio names that differ from the header are refused (no ../ smuggling through the archive)', async (t) => {
  const { base, res } = await extractBytes(t, [{ path: '/ok', mode: 0o100644, data: 'x', cpioName: '../../evil' }]);
  await assert.rejects(res, (e) => isDriftlessError(e, 'RPM_CPIO_UNKNOWN_FILE'));
  assert.deepEqual(outside(base), []);
});

test('a symlink created by the archive is never followed by later entries', async (t) => {
  for (const linkto of ['..', '/', '../..', '/tmp']) {
    const { base, res } = await extractBytes(t, [
      { path: '/d', mode: 0o120777, linkto },
      { path: '/d/escaped', mode: 0o100644, data: 'pwned' },
    ]);
    await assert.rejects(res, (e) => isDriftlessError(e, 'RPM_EXTRACT_SYMLINK_ESCAPE'), linkto);
    assert.deepEqual(outside(base), []);
    assert.equal(existsSync('/tmp/escaped'), false);
  }
});

test('a symlink already present in the target is not followed either', async (t) => {
  const base = tempDir(t);
  const target = join(base, 'root');
  mkdirSync(join(base, 'elsewhere'));
  mkdirSync(target);
  symlinkSync(join(base, 'elsewhere'), join(target, 'etc'));
  const pkg = await openPackageBytes(mkRpm([{ path: '/etc/passwd', mode: 0o100644, data: 'x' }]));
  await assert.rejects(extractPackage(pkg, target), (e) => isDriftlessError(e, 'RPM_EXTRACT_SYMLINK_ESCAPE'));
  assert.deepEqual(readdirSync(join(base, 'elsewhere')), []);
});

test('a file whose payload digest is wrong leaves no file under its final name', async (t) => {
  const { target, res } = await extractBytes(t, [
    { path: '/good', mode: 0o100644, data: 'fine' },
    { path: '/bad', mode: 0o100644, data: 'abcd', cpioData: 'abce' },
  ]);
  await assert.rejects(res, (e) => isDriftlessError(e, 'RPM_FILE_DIGEST_MISMATCH'));
  assert.deepEqual(readdirSync(target), ['good']);
});

test('lying sizes, truncation and bombs are coded errors', async (t) => {
  const cases: Array<[MkFile[], Parameters<typeof mkRpm>[1], string]> = [
    [[{ path: '/a', mode: 0o100644, data: 'abcd', cpioSize: 40 }], {}, 'RPM_CPIO_SIZE_MISMATCH'],
    [[{ path: '/a', mode: 0o100644, data: 'abcd' }, { path: '/b', mode: 0o100644, data: 'x', omit: true }], {}, 'RPM_CPIO_MISSING_FILE'],
    [[{ path: '/a', mode: 0o100644, data: 'x'.repeat(100000) }], { archiveSize: 1000 }, 'RPM_PAYLOAD_SIZE_MISMATCH'],
    [[{ path: '/a', mode: 0o100644, data: 'x' }], { extraEntries: [{ name: './a', mode: 0o100644, data: 'x' }] }, 'RPM_CPIO_DUPLICATE'],
  ];
  for (const [files, opts, code] of cases) {
    const { base, res } = await extractBytes(t, files, opts);
    await assert.rejects(res, (e) => isDriftlessError(e, code), code);
    assert.deepEqual(outside(base), []);
  }
  // truncated payload
  const bytes = mkRpm([{ path: '/a', mode: 0o100644, data: 'y'.repeat(5000) }], { compressor: 'none' });
  const pkg = await openPackageBytes(bytes.subarray(0, bytes.length - 200));
  const dir = tempDir(t);
  await assert.rejects(extractPackage(pkg, join(dir, 'root')), (e) => isDriftlessError(e) && e.offset !== undefined);
});

test('device nodes need root; setuid bits need root', async (t) => {
  const root = process.getuid?.() === 0;
  const { target, res, report } = await extractBytes(t, [
    { path: '/dev-null', mode: 0o020666 },
    { path: '/suid', mode: 0o104755, data: '#!/bin/sh\n' },
  ]);
  const r = await res;
  const st = lstatSync(join(target, 'suid'));
  if (root) {
    assert.ok(lstatSync(join(target, 'dev-null')).isCharacterDevice() || r.skipped.includes('/dev-null'));
    assert.equal(st.mode & 0o7777, 0o4755);
  } else {
    assert.deepEqual(r.skipped, ['/dev-null']);
    assert.equal(report.warnings[0]?.code, 'RPM_EXTRACT_DEVICE_SKIPPED');
    assert.equal(st.mode & 0o7777, 0o755);
  }

});

test('hardlink groups become hardlinks whichever member carries the data', async (t) => {
  for (const carrier of ['first', 'last']) {
    const files: MkFile[] = [
      { path: '/x/a', mode: 0o100644, data: 'shared', inode: 7, ...(carrier === 'last' ? { cpioData: '' } : {}) },
      { path: '/x/b', mode: 0o100644, data: 'shared', inode: 7, ...(carrier === 'first' ? { cpioData: '' } : {}) },
      { path: '/x/e1', mode: 0o100644, data: '', inode: 9 },
      { path: '/x/e2', mode: 0o100644, data: '', inode: 9 },
    ];
    const { target, res } = await extractBytes(t, files);
    await res;
    assert.equal(readFileSync(join(target, 'x/a'), 'utf8'), 'shared', carrier);
    assert.equal(lstatSync(join(target, 'x/a')).ino, lstatSync(join(target, 'x/b')).ino, carrier);
    assert.equal(lstatSync(join(target, 'x/e1')).ino, lstatSync(join(target, 'x/e2')).ino, carrier);
  }
  // no member carries the data
  const { res } = await extractBytes(t, [
    { path: '/a', mode: 0o100644, data: 'shared', inode: 7, cpioData: '' },
    { path: '/b', mode: 0o100644, data: 'shared', inode: 7, cpioData: '' },
  ]);
  await assert.rejects(res, (e) => isDriftlessError(e, 'RPM_CPIO_MISSING_FILE'));
});
