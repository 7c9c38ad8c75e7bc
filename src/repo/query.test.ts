import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, requireTool, tempDir } from '../../test/helpers/cli.js';
import { nevraWithEpoch, emptyPackageMeta } from '../rpm/metadata.js';
import { hasPythonSolv, libsolvQueries, SYSTEM_PYTHON } from './libsolv-oracle.js';
import { loadRepo } from './load.js';
import { compatibleArches, pathInPrimary, providesCap, queryRepos, requiresCap } from './query.js';

const baseos = join(fixtures, 'repos/cs9-baseos');
const file = (suffix: string) => join(baseos, 'repodata', readdirSync(join(baseos, 'repodata')).find((n) => n.endsWith(suffix))!);

test('whatprovides / whatrequires / file agree with libsolv on cs9-baseos (+ filelists)', async (t) => {
  if (!requireTool(t, SYSTEM_PYTHON)) return;
  assert.ok(hasPythonSolv() || process.env.DRIFTLESS_ALLOW_MISSING_TOOLS === '1', 'python3-solv missing');
  if (!hasPythonSolv()) return t.skip('python3-solv missing');
  const repo = await loadRepo(baseos, { gpgcheck: false, parts: ['filelists'], cacheDir: tempDir(t) });
  type Mode = 'whatprovides' | 'whatrequires' | 'file';
  // [mode, CAP, libsolv must find something]
  const cases: [Mode, string, boolean?][] = [
    ['whatprovides', 'libc.so.6()(64bit)'],
    ['whatprovides', 'bash'],
    ['whatprovides', 'glibc >= 2.34'],
    ['whatprovides', 'kernel-core < 5.14.0-60'],
    ['whatprovides', 'kernel-core > 5.14.0-60', false],
    ['whatprovides', 'openssl-libs >= 1:3.0.1'],
    ['whatprovides', 'openssl-libs = 3.0.1', false], // epoch 1 provide vs an epoch-less (0) CAP
    ['whatprovides', 'openssl-libs = 1:3.0.1'], // no release on one side: releases are not compared
    ['whatprovides', '/bin/sh'],
    ['whatprovides', 'webclient'],
    ['whatrequires', 'libcrypto.so.3()(64bit)'],
    ['whatrequires', 'systemd'],
    ['whatrequires', 'glibc >= 2.30'],
    ['file', '/usr/bin/bash'],
    ['file', '/etc/passwd'],
    ['file', '/usr/share/doc/bash/FAQ'],
    ['file', '/nonexistent', false],
  ];
  for (const arch of [undefined, 'x86_64', 'i686']) {
    const expected = libsolvQueries({ primaries: [file('primary.xml.gz')], filelists: [file('filelists.xml.gz')], arch }, cases.map(([mode, arg]) => ({ mode, arg })));
    for (const [i, [mode, arg, nonEmpty = true]] of cases.entries()) {
      if (nonEmpty && arch !== 'i686') assert.ok(expected[i]!.length > 0, `${mode} ${arg}: libsolv found nothing`);
      const got = queryRepos([repo], { arch, [mode]: arg }).map((h) => nevraWithEpoch(h.pkg));
      assert.deepEqual(got, expected[i], `${mode} ${arg} (${arch ?? 'any arch'})`);
    }
  }
});

test('duplicate NEVRAs across repos are listed once per repo, like libsolv solvables', async (t) => {
  if (!hasPythonSolv()) return t.skip('python3-solv missing');
  const cache = tempDir(t);
  const a = await loadRepo(baseos, { gpgcheck: false, cacheDir: cache });
  const b = await loadRepo(baseos, { gpgcheck: false, cacheDir: cache });
  assert.equal(b.fromCache, true);
  const [expected] = libsolvQueries({ primaries: [file('primary.xml.gz'), file('primary.xml.gz')], arch: 'x86_64' }, [{ mode: 'list' }]);
  const hits = queryRepos([a, b], { arch: 'x86_64' });
  assert.deepEqual(hits.map((h) => nevraWithEpoch(h.pkg)), expected);
  assert.equal(hits[0]!.repo, a);
  assert.equal(hits[1]!.repo, b);
});

test('arch policy, primary file rule and dependency matching details', () => {
  assert.ok(compatibleArches('x86_64').has('i686'));
  assert.ok(compatibleArches('x86_64').has('noarch'));
  assert.ok(!compatibleArches('i686').has('x86_64'));
  assert.ok(!compatibleArches('x86_64').has('src'));
  assert.deepEqual([...compatibleArches('mips')].sort(), ['mips', 'noarch']);
  assert.ok(pathInPrimary('/usr/sbin/foo') && pathInPrimary('/etc/x') && pathInPrimary('/usr/lib/sendmail'));
  assert.ok(!pathInPrimary('/usr/share/doc/x'));
  const p = emptyPackageMeta('a', { version: '1', release: '1', arch: 'noarch' });
  p.provides.push({ name: 'cap', op: '=', evr: '2.0-3' });
  p.requires.push({ name: '(foo >= 2 if bar)' }, { name: 'baz', op: '<', evr: '3' });
  p.files.push({ path: '/usr/bin/a' });
  assert.ok(providesCap(p, { name: 'cap', op: '>=', evr: '2.0' }));
  assert.ok(!providesCap(p, { name: 'cap', op: '>', evr: '2.0-3' }));
  assert.ok(providesCap(p, { name: '/usr/bin/a' }));
  assert.ok(requiresCap(p, { name: 'foo', op: '=', evr: '3' }));
  assert.ok(requiresCap(p, { name: 'bar' }));
  assert.ok(requiresCap(p, { name: 'baz', op: '=', evr: '2' }));
  assert.ok(!requiresCap(p, { name: 'baz', op: '=', evr: '4' }));
});
