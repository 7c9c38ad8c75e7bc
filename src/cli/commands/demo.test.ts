import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../../../test/helpers/cli.js';
import { DEMO_OUT, table } from './demo.js';

test('table aligns columns', () => {
  assert.equal(table([['A', 'BB', 'C'], ['long', 'x', 'y']]), 'A     BB  C\nlong  x   y');
});

test('the demo writes under out/demo/ of the repository by default', () => {
  assert.match(DEMO_OUT, /[\\/]out[\\/]demo[\\/]?$/);
});

test('driftless demo builds, signs and verifies the sample set, composes and verifies the images', (t) => {
  const out = tempDir(t);
  const r = runCli(['--json', 'demo', '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    repo: { dir: string; packages: Array<{ name: string; signedBy: string; verdict: string; path: string }> };
    repoV2: { packages: unknown[] };
    images: Array<{ name: string; dir: string; checks: Array<{ name: string; ok: boolean }> }>;
    why: { chains: string[] };
    distrolessHasShell: boolean;
  };
  assert.equal(j.repo.dir, join(out, 'repo'));
  assert.ok(j.repo.packages.length >= 20);
  for (const p of j.repo.packages) {
    assert.equal(p.signedBy, 'e189b8d60d19ff1a', p.name);
    assert.ok(existsSync(p.path));
  }
  assert.equal(j.repoV2.packages.length, 1);
  assert.ok(existsSync(join(out, 'repo/repodata/repomd.xml.asc')), 'the repository is signed');
  assert.deepEqual(j.images.map((i) => i.name), ['base', 'distroless']);
  for (const img of j.images) {
    assert.ok(img.checks.length >= 5, img.name);
    for (const c of img.checks) assert.ok(c.ok, `${img.name}: ${c.name}`);
    for (const f of ['oci/index.json', 'rootfs.tar', 'rootfs.erofs', 'rootfs.erofs.verity', 'rootfs.erofs.roothash', 'sbom.spdx.json', 'sbom.cdx.json', 'report.json', 'lock.json']) {
      assert.ok(existsSync(join(img.dir, f)), `${img.name}/${f}`);
    }
  }
  assert.match(j.why.chains[0]!, /^bash-.* ← requires \/bin\/sh ← /);
  assert.equal(j.distrolessHasShell, false);
});
