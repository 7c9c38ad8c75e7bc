import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, tempDir } from '../../../test/helpers/cli.js';
import { runCliAsync, startFaultyServer } from '../../../test/helpers/faulty-http.js';
import { createRepo } from '../../repo/write/create.js';

test('repo download over http: verified into --cache-dir, copied to --dest, cached the second time', async (t) => {
  const repo = tempDir(t);
  for (const f of ['hello-2.0-1.x86_64.rpm', 'foo-1.0-1.noarch.rpm']) copyFileSync(join(fixtures, 'rpm/RPMS', f), join(repo, f));
  await createRepo(repo, { compress: 'gz', signKey: readFileSync(join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.secret')) });
  const files: Record<string, Buffer> = {};
  for (const f of readdirSync(repo)) if (f.endsWith('.rpm')) files[`/r/${f}`] = readFileSync(join(repo, f));
  for (const f of readdirSync(join(repo, 'repodata'))) files[`/r/repodata/${f}`] = readFileSync(join(repo, 'repodata', f));
  const srv = await startFaultyServer(t, { files });
  srv.fault({ path: '/r/hello-2.0-1.x86_64.rpm', kind: 'drop', afterBytes: 4000, times: 1 });
  const cacheDir = tempDir(t);
  const dest = tempDir(t);
  const key = join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.pub');
  const args = ['--json', 'repo', 'download', 'hello', 'foo-1.0-1.noarch', '--repo', `${srv.url}/r/`, '--gpgkey', key, '--cache-dir', cacheDir, '--dest', dest];
  const r = await runCliAsync(args);
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { nevra: string; cached: boolean; sha256: string }[];
  assert.deepEqual(rows.map((x) => [x.nevra, x.cached]), [['foo-0:1.0-1.noarch', false], ['hello-0:2.0-1.x86_64', false]]);
  for (const f of ['hello-2.0-1.x86_64.rpm', 'foo-1.0-1.noarch.rpm']) assert.deepEqual(readFileSync(join(dest, f)), readFileSync(join(repo, f)));
  const again = await runCliAsync(args);
  assert.equal(again.status, 0, again.stderr);
  assert.ok((JSON.parse(again.stdout) as { cached: boolean }[]).every((x) => x.cached));
  assert.equal(srv.hits('/r/foo-1.0-1.noarch.rpm'), 1);
  // unknown package: coded error; unsigned access refused without the key
  const missing = await runCliAsync(['repo', 'download', 'nope', '--repo', `${srv.url}/r/`, '--gpgkey', key, '--cache-dir', cacheDir]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /REPO_PACKAGE_NOT_FOUND/);
});

test('repo download --repofile: .repo with $releasever, mirrorlist and gpgkey', async (t) => {
  const repo = tempDir(t);
  copyFileSync(join(fixtures, 'rpm/RPMS/foo-1.0-1.noarch.rpm'), join(repo, 'foo-1.0-1.noarch.rpm'));
  await createRepo(repo, { signKey: readFileSync(join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.secret')) });
  const files: Record<string, Buffer> = { '/r9/foo-1.0-1.noarch.rpm': readFileSync(join(repo, 'foo-1.0-1.noarch.rpm')) };
  for (const f of readdirSync(join(repo, 'repodata'))) files[`/r9/repodata/${f}`] = readFileSync(join(repo, 'repodata', f));
  const srv = await startFaultyServer(t, { files });
  srv.setFile('/mirrors-9', `${srv.url}/dead/\n${srv.url}/r9/\n`);
  const conf = tempDir(t);
  writeFileSync(join(conf, 'test.repo'), `[t]\nname=t $releasever\nmirrorlist=${srv.url}/mirrors-$releasever\ngpgkey=file://${join(fixtures, 'rpm/keys/rpm.org-rsa-2048-test.pub')}\n`);
  const r = await runCliAsync(['--json', 'repo', 'download', 'foo', '--repofile', conf, '--releasever', '9', '--cache-dir', tempDir(t)]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { nevra: string }[]).map((x) => x.nevra), ['foo-0:1.0-1.noarch']);
  assert.ok(srv.hits('/dead/repodata/repomd.xml') >= 1);
});
