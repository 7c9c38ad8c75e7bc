import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { lstatSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { ociEmitter, writeOciLayout } from './oci.js';
import { sampleRootfs, emitTwice, readXattrs, CAP_NET_RAW, FIXTURE_EPOCH } from '../../test/helpers/rootfs-fixture.js';
import { requireTool, run, tempDir } from '../../test/helpers/cli.js';
import { entryBytes } from '../compose/rootfs.js';

const small = () => sampleRootfs({ bigSize: 100_000, manyFiles: 20, devices: false });

test('oci (gzip): reproducible; skopeo inspects it; umoci unpacks the same tree', async (t) => {
  if (!requireTool(t, 'skopeo', 'umoci')) return;
  const r = await emitTwice(ociEmitter, small);
  t.after(r.cleanup);
  assert.deepEqual(r.first, r.second);
  const layout = join(r.dir, 'oci');
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');
  assert.deepEqual(index.manifests[0].platform, { architecture: 'amd64', os: 'linux' });
  const insp = run('skopeo', ['inspect', `oci:${layout}:latest`]);
  assert.equal(insp.status, 0, insp.stderr);
  const info = JSON.parse(insp.stdout);
  assert.equal(info.Architecture, 'amd64');
  assert.equal(info.Os, 'linux');
  assert.equal(info.Created, '2023-11-14T22:13:20Z');
  assert.equal(info.Layers.length, 1);
  const cfgR = run('skopeo', ['inspect', '--config', `oci:${layout}:latest`]);
  assert.equal(cfgR.status, 0, cfgR.stderr);
  const cfg = JSON.parse(cfgR.stdout);
  assert.deepEqual(cfg.config.Entrypoint, ['/usr/bin/sh']);
  assert.deepEqual(cfg.config.Cmd, ['-c', 'echo hi']);
  assert.deepEqual(cfg.config.Env, ['PATH=/usr/bin']);
  assert.deepEqual(cfg.config.Labels, { a: 'b' });
  assert.equal(cfg.config.WorkingDir, '/');
  assert.equal(cfg.config.User, '0:0');
  assert.equal(cfg.rootfs.diff_ids.length, 1);
  const rawR = run('skopeo', ['inspect', '--raw', `oci:${layout}:latest`]);
  const manifest = JSON.parse(rawR.stdout);
  assert.equal(manifest.annotations['org.opencontainers.image.title'], 'sample');
  assert.equal(manifest.annotations['org.opencontainers.image.version'], '4.0.20240101');
  assert.equal(manifest.annotations['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');

  const bundle = join(tempDir(t), 'bundle');
  const u = run('umoci', ['unpack', '--rootless', '--image', `${layout}:latest`, bundle]);
  assert.equal(u.status, 0, u.stderr);
  const root = join(bundle, 'rootfs');
  const fs = small();
  for (const e of fs.sorted()) {
    if (e.path === '/') continue;
    const p = join(root, e.path);
    const st = lstatSync(p);
    const src = e.type === 'hardlink' ? fs.get(e.linkTarget!)! : e;
    if (e.type === 'symlink') assert.equal(readlinkSync(p), e.linkTarget, e.path);
    else if (e.type !== 'dir') assert.equal(st.mode & 0o777, src.mode & 0o777, e.path); // rootless: no setuid/owners
    if (e.type === 'file') assert.ok(readFileSync(p).equals(await entryBytes(e)), e.path);
    if (e.type === 'fifo') assert.ok(st.isFIFO());
  }
  assert.equal(lstatSync(join(root, 'usr/bin/sh')).ino, lstatSync(join(root, 'usr/bin/bash')).ino);
  if (process.getuid?.() === 0) {
    // as root umoci restores owners, setuid/setgid bits and the file capability
    const b2 = join(tempDir(t), 'bundle-root');
    const u2 = run('umoci', ['unpack', '--image', `${layout}:latest`, b2]);
    assert.equal(u2.status, 0, u2.stderr);
    for (const e of fs.sorted()) {
      if (e.path === '/' || e.type === 'hardlink') continue;
      const st = lstatSync(join(b2, 'rootfs', e.path));
      if (e.type !== 'symlink') assert.equal(st.mode & 0o7777, e.mode, e.path);
      assert.equal(st.uid, e.uid, e.path);
      assert.equal(st.gid, e.gid, e.path);
    }
    assert.equal(readXattrs(join(b2, 'rootfs/usr/bin/ping'))['security.capability'], Buffer.from(CAP_NET_RAW).toString('hex'));
  }
  const count = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((n, x) => n + 1 + (x.isDirectory() ? count(join(d, x.name)) : 0), 0);
  assert.equal(count(root), fs.size - 1, 'no extra or missing entries');
});

test('oci (zstd) and multi-arch index: skopeo picks each platform', async (t) => {
  if (!requireTool(t, 'skopeo')) return;
  const r = await emitTwice(ociEmitter, small, { options: { compression: 'zstd' } });
  t.after(r.cleanup);
  assert.deepEqual(r.first, r.second);
  const raw = JSON.parse(run('skopeo', ['inspect', '--raw', `oci:${join(r.dir, 'oci')}:latest`]).stdout);
  assert.equal(raw.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');

  const dir = join(tempDir(t), 'multi');
  const images = ['x86_64', 'aarch64'].map((arch) => ({ rootfs: small(), image: { name: 'multi', arch } }));
  await writeOciLayout(dir, images, { epoch: FIXTURE_EPOCH });
  for (const [arch, want] of [['amd64', 'amd64'], ['arm64', 'arm64']]) {
    const i = run('skopeo', ['--override-arch', arch!, '--override-os', 'linux', 'inspect', `oci:${dir}:latest`]);
    assert.equal(i.status, 0, i.stderr);
    assert.equal(JSON.parse(i.stdout).Architecture, want);
  }
  const top = JSON.parse(run('skopeo', ['inspect', '--raw', `oci:${dir}:latest`]).stdout);
  assert.equal(top.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(top.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort(), ['amd64', 'arm64']);
});
