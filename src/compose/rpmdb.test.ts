import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { decodeHeader } from '../rpm/header.js';
import { Tag } from '../rpm/tags.js';
import { writeRpmdb, installedHeaderBlob, decodeInstalledBlob, RPMDB_DIR, type RpmdbPackage } from './rpmdb.js';
import { fixtures, requireTool, run, tempDir } from '../../test/helpers/cli.js';
import Database from 'better-sqlite3';

const RPMS = join(fixtures, 'rpm/RPMS');
const PKGS = ['foo-1.0-1.noarch.rpm', 'hello-2.0-1.x86_64-signed.rpm', 'hlinktest-1.0-1.noarch.rpm'];

function readHeaders(file: string): RpmdbPackage {
  const b = readFileSync(file);
  const sig = decodeHeader(b, 96, { label: 'signature header' });
  const mainAt = 96 + sig.size + ((8 - (sig.size % 8)) % 8);
  return { signature: sig.header, header: decodeHeader(b, mainAt, { label: 'main header' }).header };
}

test('installed headers keep the signed region byte for byte and add install tags outside it', () => {
  const pkg = readHeaders(join(RPMS, 'hello-2.0-1.x86_64-signed.rpm'));
  const installed = decodeInstalledBlob(installedHeaderBlob(pkg, { installTime: 1700000000 }));
  assert.deepEqual(installed.region, pkg.header.region);
  assert.deepEqual(Buffer.from(installed.regionBlob()!), Buffer.from(pkg.header.raw));
  assert.equal(installed.getNumber(Tag.INSTALLTIME), 1700000000);
  assert.equal(installed.getString(269), pkg.signature.getString(269));
  assert.ok(installed.getBin(268), 'RSA header signature copied into the installed header');
  assert.equal(installed.getNumbers(Tag.FILESTATES)?.length, pkg.header.getStrings(Tag.BASENAMES)?.length);
});


test('real rpm lists, queries and verifies packages recorded by writeRpmdb', (t) => {
  if (!requireTool(t, 'rpm', 'rpm2cpio', 'cpio')) return;
  const root = tempDir(t);
  const dbPath = join(root, RPMDB_DIR, 'rpmdb.sqlite');
  const pkgs = PKGS.map((f) => readHeaders(join(RPMS, f)));
  pkgs.sort((a, b) => a.header.getString(Tag.NAME)!.localeCompare(b.header.getString(Tag.NAME)!));
  return writeRpmdb(dbPath, pkgs, { installTime: 1704067200 }).then(() => {
    const rpm = (...args: string[]) => run('rpm', ['--root', root, '--dbpath', '/' + RPMDB_DIR, ...args]);
    const qa = rpm('-qa', '--qf', '%{NEVRA}\n');
    assert.equal(qa.status, 0, qa.stderr);
    assert.deepEqual(qa.stdout.trim().split('\n').sort(), ['foo-1.0-1.noarch', 'hello-2.0-1.x86_64', 'hlinktest-1.0-1.noarch']);
    const qi = rpm('-q', '--qf', '%{NAME} %{INSTALLTIME} %{SIGMD5}\n', 'hello');
    assert.equal(qi.status, 0, qi.stderr);
    assert.match(qi.stdout, /^hello 1704067200 [0-9a-f]{32}\n$/);
    // the file index works: rpm -qf finds the owner of a file
    const files = rpm('-ql', 'hlinktest').stdout.trim().split('\n');
    assert.ok(files.length > 1);
    const qf = rpm('-qf', files[files.length - 1]!);
    assert.equal(qf.stdout.trim(), 'hlinktest-1.0-1.noarch');
    const wr = rpm('-q', '--whatprovides', 'hello');
    assert.equal(wr.stdout.trim(), 'hello-2.0-1.x86_64');

    // Extract the payloads as rpm would install them, then rpm -V must find nothing to report.
    for (const f of PKGS) {
      const r = run('sh', ['-c', `rpm2cpio '${join(RPMS, f)}' | cpio -idmu --quiet --no-absolute-filenames`], { cwd: root });
      assert.equal(r.status, 0, r.stderr);
    }
    if (process.getuid?.() === 0) {
      const v = rpm('-Va', '--nodeps', '--noscripts');
      assert.equal(v.stdout, '', `rpm -Va reported differences:\n${v.stdout}`);
      assert.equal(v.status, 0);
    }
  });
});

test('writeRpmdb output is reproducible and uses rpm\'s schema', async (t) => {
  if (!requireTool(t, 'sqlite3')) return;
  const a = tempDir(t);
  const b = tempDir(t);
  const pkgs = PKGS.map((f) => readHeaders(join(RPMS, f)));
  await writeRpmdb(join(a, 'rpmdb.sqlite'), pkgs, { installTime: 1704067200 });
  await writeRpmdb(join(b, 'rpmdb.sqlite'), pkgs, { installTime: 1704067200 });
  const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
  assert.equal(digest(join(a, 'rpmdb.sqlite')), digest(join(b, 'rpmdb.sqlite')));
  const ours = run('sqlite3', [join(a, 'rpmdb.sqlite'), '.schema']).stdout;
  const theirs = run('sqlite3', [join(fixtures, 'rpm/misc/rpmdb.sqlite'), '.schema']).stdout;
  const norm = (s: string) => s.split('\n').filter((l) => l && !l.includes('sqlite_stat1') && !l.includes('sqlite_sequence')).sort();
  assert.deepEqual(norm(ours), norm(theirs));
  const db = new Database(join(a, 'rpmdb.sqlite'), { readonly: true });
  const names = db.prepare('SELECT key FROM Name ORDER BY hnum').all().map((r) => (r as { key: string }).key);
  db.close();
  assert.deepEqual(names, ['foo', 'hello', 'hlinktest']);
});
