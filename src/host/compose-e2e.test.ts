/**
 * Acceptance with the real composer: compose the sample `base` image (v1), commit the OUTDIR
 * (rootfs.tar + lock.json + SBOMs), deploy, finalize, edit /etc and /usr, drift; compose v2 with
 * one package bumped (hello 1.1 from the v2 sample repository), ship it as a signed delta to a
 * second sysroot holding v1, deploy, check the /etc edit survived, roll back to v1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../../test/helpers/cli.js';
import { silentReport } from '../core/report.js';
import { buildSampleRepo, DEMO_PUBLIC_KEY, DEMO_SECRET_KEY, SAMPLE_REPO_V2_DIR } from '../rpm/build/sample-set.js';
import { createRepo } from '../repo/write/create.js';
import { compose } from '../compose/compose.js';
import { HostStore } from './store.js';
import { commitImage } from './commit.js';
import { deploy, finalize, rollback, status } from './deploy.js';
import { drift } from './drift.js';
import { fsck } from './fsck.js';
import { applyDelta, createDelta } from './delta.js';

const EPOCH = 1704067200;

test('acceptance: composed base v1 → host → drift → composed v2 (hello bumped) via delta → rollback', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t, 'driftless-host-compose-');
  const signKey = await readFile(DEMO_SECRET_KEY, 'utf8');
  const pub = await readFile(DEMO_PUBLIC_KEY, 'utf8');
  const repo1 = join(dir, 'repo');
  const repo2 = join(dir, 'repo-v2');
  await buildSampleRepo(repo1, { epoch: EPOCH });
  await createRepo(repo1, { epoch: EPOCH, signKey, incremental: false });
  await buildSampleRepo(repo2, { epoch: EPOCH, definitionsDir: SAMPLE_REPO_V2_DIR });
  await createRepo(repo2, { epoch: EPOCH, signKey, incremental: false });
  const keys = join(repoRoot, 'examples/keys');
  const base = readFileSync(join(repoRoot, 'examples/base.yaml'), 'utf8')
    .replace(/path: \.\.\/out\/demo\/repo/g, `path: ${JSON.stringify(repo1)}`)
    .replace(/gpgkey: \[keys\//g, `gpgkey: [${keys}/`)
    .replace(/^outputs: .*$/m, 'outputs: [tar, sbom]');
  const v2repo = `  - name: sample-v2\n    path: ${JSON.stringify(repo2)}\n    gpgkey: [${keys}/demo-ed25519.public.asc]\n`;
  const defV1 = join(dir, 'base-v1.yaml');
  const defV2 = join(dir, 'base-v2.yaml');
  writeFileSync(defV1, base);
  writeFileSync(defV2, base.replace('packages:\n', `${v2repo}packages:\n`));
  const out1 = join(dir, 'img-v1');
  const out2 = join(dir, 'img-v2');
  const cacheDir = join(dir, 'cache');
  await compose(defV1, { outDir: out1, lockPath: join(dir, 'v1.lock.json'), updateLock: true, epoch: EPOCH, cacheDir, report: silentReport });
  await compose(defV2, { outDir: out2, lockPath: join(dir, 'v2.lock.json'), updateLock: true, epoch: EPOCH, cacheDir, report: silentReport });
  const lock2 = JSON.parse(readFileSync(join(out2, 'lock.json'), 'utf8'));
  assert.ok(JSON.stringify(lock2).includes('hello-1.1'), 'v2 has hello 1.1');

  // build machine: both commits; host: v1 only
  const build = await HostStore.init(join(dir, 'build'), [{ name: 'demo', armored: pub }]);
  const host = await HostStore.init(join(dir, 'host'), [{ name: 'demo', armored: pub }]);
  const c1 = await commitImage(build, out1, { ref: 'x86_64/stable', secretKey: signKey, timestamp: EPOCH });
  assert.ok(c1.commit.lock && c1.commit.sbom.length >= 1, 'lock and SBOMs are part of the commit');
  assert.equal((await commitImage(host, out1, { ref: 'x86_64/stable', secretKey: signKey, timestamp: EPOCH })).id, c1.id);
  await deploy(host, 'x86_64/stable');
  await finalize(host);
  const root1 = (await status(host))[0]!.path;

  writeFileSync(join(root1, 'etc/motd'), 'edited by the admin\n');
  const hello = join(root1, 'usr/bin/hello');
  chmodSync(hello, 0o755);
  writeFileSync(hello, '#!/bin/sh\necho tampered\n');
  assert.deepEqual((await drift(host)).changes.map((c) => [c.path, c.kind]), [
    ['/etc/motd', 'modified'],
    ['/usr/bin/hello', 'modified'],
  ]);

  const c2 = await commitImage(build, out2, { ref: 'x86_64/stable', secretKey: signKey, timestamp: EPOCH });
  assert.equal(c2.commit.parent, c1.id);
  const deltaFile = join(dir, 'v2.delta');
  const ds = await createDelta(build, { from: c1.id, to: c2.id, out: deltaFile, secretKey: signKey });
  assert.ok(ds.deltaSize <= 0.15 * ds.fullSize, `delta ${ds.deltaSize} bytes vs full image ${ds.fullSize}`);
  t.diagnostic(`delta ${ds.deltaSize} bytes = ${(ds.ratio * 100).toFixed(2)}% of ${ds.fullSize}; ${ds.objects} objects, ${ds.reused} reused`);
  await applyDelta(host, deltaFile);
  await deploy(host, 'x86_64/stable');
  await finalize(host, { healthCheck: 'test -f usr/bin/hello' });
  let st = await status(host);
  assert.deepEqual(st.map((s) => [s.state, s.commit]), [['booted', c2.id], ['rollback', c1.id]]);
  assert.equal(readFileSync(join(st[0]!.path, 'etc/motd'), 'utf8'), 'edited by the admin\n');
  assert.deepEqual((await drift(host)).changes, []);
  assert.deepEqual((await fsck(host)).problems.filter((p) => p.kind !== 'checkout-copy'), []);

  await rollback(host);
  st = await status(host);
  assert.equal(st[0]!.commit, c1.id);
  assert.equal(st[0]!.state, 'booted');
});
