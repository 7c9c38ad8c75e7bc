/**
 * Acceptance tests for `driftless repo query/info` against libsolv (python3-solv), createrepo_c
 * and gpg-signed repomd.xml.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fixtures, requireTool, run, runCli, tempDir } from '../../../test/helpers/cli.js';
import { hasPythonSolv, libsolvQueries, libsolvQuery, SYSTEM_PYTHON } from '../../repo/libsolv-oracle.js';
import type { TestContext } from 'node:test';

const baseos = join(fixtures, 'repos/cs9-baseos');
const appstream = join(fixtures, 'repos/cs9-appstream');

function repoFile(repo: string, suffix: string): string {
  const f = readdirSync(join(repo, 'repodata')).find((n) => n.endsWith(suffix));
  assert.ok(f, `${repo} has no *${suffix}`);
  return join(repo, 'repodata', f);
}

export function requireSolv(t: TestContext): boolean {
  if (!requireTool(t, SYSTEM_PYTHON)) return false;
  if (hasPythonSolv()) return true;
  if (process.env.DRIFTLESS_ALLOW_MISSING_TOOLS === '1') {
    t.skip('python3-solv missing');
    return false;
  }
  throw new Error('python3-solv missing (.ci/run installs it)');
}

function query(args: string[]): string[] {
  const r = runCli(['repo', 'query', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('repo query on cs9-baseos equals libsolv; unsigned repos are refused without --nogpgcheck', (t) => {
  if (!requireSolv(t)) return;
  const cache = tempDir(t);
  const expected = libsolvQuery({ primaries: [repoFile(baseos, 'primary.xml.gz')], mode: 'list' });
  assert.equal(expected.length, 1125);
  const cold = query(['--repo', baseos, '--nogpgcheck', '--cache-dir', cache, '--format', 'nevra']);
  assert.deepEqual(cold, expected);
  // warm: served from the parsed-metadata cache, same answer
  const warm = runCli(['--json', 'repo', 'query', '--repo', baseos, '--nogpgcheck', '--cache-dir', cache]);
  assert.equal(warm.status, 0, warm.stderr);
  assert.match(warm.stderr, /REPO_CACHE_HIT/);
  assert.match(warm.stderr, /REPO_GPGCHECK_DISABLED/);
  assert.deepEqual((JSON.parse(warm.stdout) as { nevra: string }[]).map((x) => x.nevra), expected);

  // --cache-dir '' : no cache at all (nothing written under XDG_CACHE_HOME)
  const xdg = tempDir(t);
  const nocache = runCli(['repo', 'query', '--repo', baseos, '--nogpgcheck', '--cache-dir', ''], { env: { XDG_CACHE_HOME: xdg } });
  assert.equal(nocache.status, 0, nocache.stderr);
  assert.deepEqual(nocache.stdout.split('\n').filter((l) => l !== ''), expected);
  assert.deepEqual(readdirSync(xdg), []);

  const refused = runCli(['repo', 'query', '--repo', baseos, '--cache-dir', cache]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /REPO_SIGNATURE_MISSING/);
  assert.match(refused.stderr, /hint: .*--nogpgcheck/);
});

test('repo query on cs9-appstream (17,649 packages) equals libsolv', (t) => {
  if (!requireSolv(t)) return;
  const cache = tempDir(t);
  const expected = libsolvQuery({ primaries: [repoFile(appstream, 'primary.xml.gz')], mode: 'list' });
  assert.equal(expected.length, 17649);
  assert.deepEqual(query(['--repo', appstream, '--nogpgcheck', '--cache-dir', cache]), expected);
  // two repos: libsolv lists every solvable of both, in one sorted list
  const both = libsolvQuery({ primaries: [repoFile(baseos, 'primary.xml.gz'), repoFile(appstream, 'primary.xml.gz')], mode: 'list', arch: 'x86_64' });
  assert.deepEqual(query(['--repo', baseos, '--repo', appstream, '--nogpgcheck', '--cache-dir', cache, '--arch', 'x86_64']), both);
});

test('CLI selectors (--whatprovides, --whatrequires, --file outside primary) agree with libsolv', (t) => {
  if (!requireSolv(t)) return;
  const cache = tempDir(t);
  const common = ['--repo', baseos, '--nogpgcheck', '--cache-dir', cache, '--arch', 'x86_64'];
  const cases: ['whatprovides' | 'whatrequires' | 'file', string][] = [
    ['whatprovides', 'glibc >= 2.34'],
    ['whatrequires', 'systemd'],
    ['file', '/usr/share/doc/bash/FAQ'],
  ];
  const expected = libsolvQueries(
    { primaries: [repoFile(baseos, 'primary.xml.gz')], filelists: [repoFile(baseos, 'filelists.xml.gz')], arch: 'x86_64' },
    cases.map(([mode, arg]) => ({ mode, arg })),
  );
  for (const [i, [mode, arg]] of cases.entries()) {
    assert.ok(expected[i]!.length > 0);
    assert.deepEqual(query([...common, `--${mode}`, arg]), expected[i], `${mode} ${arg}`);
  }
});

test('a repo made by createrepo_c reads the same as libsolv; repo info shows a package', (t) => {
  if (!requireSolv(t) || !requireTool(t, 'createrepo_c')) return;
  const d = tempDir(t);
  const rpms = join(fixtures, 'rpm/RPMS');
  for (const f of ['foo-1.0-1.noarch.rpm', 'hello-2.0-1.i686.rpm', 'hello-1.0-1.i386.rpm', 'hello-2.0-1.x86_64.rpm', 'capstest-1.0-1.noarch.rpm', 'obsolete-foo-1.0-1.noarch.rpm']) {
    cpSync(join(rpms, f), join(d, f));
  }
  for (const extra of ['--general-compress-type=xz', '--general-compress-type=zstd']) {
    const r = run('createrepo_c', ['--quiet', extra, '--revision', '1', d]);
    if (r.status !== 0 && extra.includes('zstd')) continue; // an older createrepo_c without zstd
    assert.equal(r.status, 0, r.stderr);
    const primary = repoFile(d, extra.includes('xz') ? 'primary.xml.xz' : 'primary.xml.zst');
    const expected = libsolvQuery({ primaries: [primary], mode: 'list' });
    assert.ok(expected.length >= 5);
    assert.deepEqual(query(['--repo', d, '--nogpgcheck', '--cache-dir', join(d, '.cache')]), expected, extra);
  }
  const info = runCli(['--json', 'repo', 'info', 'hello-0:2.0-1.x86_64', '--repo', `file://${d}`, '--nogpgcheck', '--cache-dir', join(d, '.cache')]);
  assert.equal(info.status, 0, info.stderr);
  const [pkg] = JSON.parse(info.stdout) as { name: string; version: string; location: { href: string } }[];
  assert.equal(pkg!.name, 'hello');
  assert.equal(pkg!.location.href, 'hello-2.0-1.x86_64.rpm');
  const none = runCli(['repo', 'info', 'nope', '--repo', d, '--nogpgcheck', '--cache-dir', join(d, '.cache')]);
  assert.match(none.stderr, /REPO_PACKAGE_NOT_FOUND/);
});

test('signed repomd.xml: accepted with the key, refused with a wrong key, tampered primary detected', (t) => {
  if (!requireTool(t, 'gpg', 'createrepo_c')) return;
  const d = tempDir(t);
  const repo = join(d, 'repo');
  mkdirSync(repo);
  cpSync(join(fixtures, 'rpm/RPMS/foo-1.0-1.noarch.rpm'), join(repo, 'foo-1.0-1.noarch.rpm'));
  assert.equal(run('createrepo_c', ['--quiet', '--general-compress-type=gz', repo]).status, 0);
  const gpgKey = (home: string, uid: string): string => {
    mkdirSync(home, { mode: 0o700 });
    const env = { GNUPGHOME: home };
    const g = run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never'], { env });
    assert.equal(g.status, 0, g.stderr);
    const pub = join(home, 'pub.asc');
    writeFileSync(pub, run('gpg', ['--armor', '--export', uid], { env }).stdout);
    return pub;
  };
  const good = gpgKey(join(d, 'g1'), 'Repo Signer <repo@example.test>');
  const wrong = gpgKey(join(d, 'g2'), 'Someone Else <else@example.test>');
  const s = run('gpg', ['--batch', '--yes', '--detach-sign', '--armor', join(repo, 'repodata/repomd.xml')], { env: { GNUPGHOME: join(d, 'g1') } });
  assert.equal(s.status, 0, s.stderr);
  const args = (...extra: string[]) => ['repo', 'query', '--repo', repo, '--cache-dir', join(d, 'cache'), ...extra];

  const ok = runCli(args('--gpgkey', good));
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'foo-0:1.0-1.noarch');
  assert.doesNotMatch(ok.stderr, /GPGCHECK_DISABLED/);

  const bad = runCli(args('--gpgkey', wrong));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /REPO_SIGNATURE_INVALID/);
  assert.match(runCli(args()).stderr, /REPO_SIGNATURE_INVALID[\s\S]*--gpgkey/);

  // tamper with repomd.xml itself: the signature no longer verifies
  const mdPath = join(repo, 'repodata/repomd.xml');
  const md = readFileSync(mdPath, 'utf8');
  writeFileSync(mdPath, md.replace('<revision>', '<revision>9'));
  assert.match(runCli(args('--gpgkey', good)).stderr, /REPO_SIGNATURE_INVALID/);
  writeFileSync(mdPath, md);

  // tamper with primary, same size: (a) gzip header mtime (still decompresses and parses),
  // (b) a byte in the deflate data (decompression fails). Both are reported as checksum mismatch.
  const primary = repoFile(repo, 'primary.xml.gz');
  const orig = readFileSync(primary);
  const expectedSum = /<data type="primary">\s*<checksum type="sha256">([0-9a-f]+)/.exec(md)![1]!;
  for (const at of [5, orig.length >> 1]) {
    const evil = Buffer.from(orig);
    evil[at] = evil[at]! ^ 0x55;
    writeFileSync(primary, evil);
    const r = runCli(args('--gpgkey', good, '--cache-dir', join(d, `cache-${at}`)));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /REPO_CHECKSUM_MISMATCH/, r.stderr);
    assert.match(r.stderr, /primary\.xml\.gz/);
    assert.ok(r.stderr.includes(`expected ${expectedSum}`), r.stderr);
  }
  // a re-compressed (different size) primary is refused as well
  writeFileSync(primary, gzipSync(gunzipSync(orig).toString('utf8').replace('<summary>', '<summary>EVIL ')));
  assert.match(runCli(args('--gpgkey', good, '--cache-dir', join(d, 'cache3'))).stderr, /REPO_(CHECKSUM_MISMATCH|TRUNCATED|FILE_TOO_LARGE)/);
  // the cache never serves data for a repository that fails verification: repomd is checked first
  writeFileSync(primary, orig);
  assert.equal(runCli(args('--gpgkey', good)).status, 0);
});
