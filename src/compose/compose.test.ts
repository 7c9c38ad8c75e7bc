import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, statSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { buildSampleRepo } from '../rpm/build/sample-set.js';
import { createRepo } from '../repo/write/create.js';
import { compose } from './compose.js';
import { CollectingReport } from '../core/report.js';
import { isDriftlessError } from '../core/errors.js';
import { readLockfile } from '../lock/lockfile.js';
import { repoRoot, requireTool, run, runCli, cliArgv } from '../../test/helpers/cli.js';

const EPOCH = 1704067200;
const keys = join(repoRoot, 'examples/keys');
let work: string;
let repo: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'driftless-compose-'));
  repo = join(work, 'repo');
  await buildSampleRepo(repo, { epoch: EPOCH });
  await createRepo(repo, { epoch: EPOCH, signKey: readFileSync(join(keys, 'demo-ed25519.secret.asc'), 'utf8') });
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
});

function definition(name: string, extra = '', key = 'demo-ed25519.public.asc'): string {
  const p = join(work, `${name}.yaml`);
  writeFileSync(p, `name: ${name}
version: "1.0"
repositories:
  - { name: sample, path: ${repo}, gpgkey: [${join(keys, key)}] }
packages:
  install: [setup, filesystem, driftless-release, coreutils, systemd, openssh-server, ca-certificates, hello]
users: [{ name: admin, groups: [wheel] }]
groups: [{ name: wheel, gid: 10, system: true }]
services: { enable: [sshd.service] }
${extra}`);
  return p;
}

function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

test('composing twice (other cwd, TZ, umask, temp dir) gives byte-identical outputs', () => {
  const def = definition('repro');
  const lock = join(work, 'repro.lock.json');
  const outs = [join(work, 'out-a'), join(work, 'out-b')];
  const envs = [{ TZ: 'UTC', TMPDIR: tmpdir() }, { TZ: 'Asia/Kolkata', TMPDIR: mkdtempSync(join(tmpdir(), 'other-tmp-')) }];
  const cwds = [repoRoot, work];
  for (let i = 0; i < 2; i++) {
    const umask = i === 0 ? '022' : '077';
    const r = run('sh', ['-c', `umask ${umask}; exec "$@"`, 'sh', process.execPath, ...cliArgv, 'compose', def, '-o', outs[i]!, '--lock', lock, '--cache-dir', join(work, `cache-${i}`), '--source-date-epoch', String(EPOCH)], { cwd: cwds[i], env: envs[i] });
    assert.equal(r.status, 0, r.stderr);
  }
  const [a, b] = outs.map(digests) as [Record<string, string>, Record<string, string>];
  delete a['report.json'];
  delete b['report.json'];
  for (const f of ['rootfs.tar', 'rootfs.erofs', 'rootfs.erofs.verity', 'rootfs.erofs.roothash', 'rootfs.squashfs', 'sbom.spdx.json', 'sbom.cdx.json', 'lock.json', 'oci/index.json']) {
    assert.ok(a[f], `${f} emitted`);
  }
  assert.deepEqual(a, b);
  const ra = JSON.parse(readFileSync(join(outs[0]!, 'report.json'), 'utf8'));
  const rb = JSON.parse(readFileSync(join(outs[1]!, 'report.json'), 'utf8'));
  delete ra.timings;
  delete rb.timings;
  ra.lock.path = rb.lock.path = '';
  ra.lock.updated = rb.lock.updated = false; // the first run wrote the lockfile, the second enforced it
  assert.deepEqual(ra, rb, 'report.json differs only in timings');
});

test('real tools accept every output; rpm lists exactly the locked packages', async (t) => {
  if (!requireTool(t, 'rpm', 'skopeo', 'umoci', 'veritysetup', 'unsquashfs', 'fsck.erofs', 'tar')) return;
  const out = join(work, 'out-tools');
  const report = new CollectingReport();
  const r = await compose(definition('tools'), { outDir: out, cacheDir: join(work, 'cache-tools'), report, epoch: EPOCH });
  const lock = await readLockfile(r.lockPath);
  const locked = lock.arches.x86_64!.packages.map((p) => p.nevra).sort();
  const root = join(work, 'rootfs-tools');
  mkdirSync(root);
  assert.equal(run('tar', ['-xf', join(out, 'rootfs.tar'), '-C', root]).status, 0);
  const qa = run('rpm', ['--root', root, '--dbpath', '/usr/lib/sysimage/rpm', '-qa', '--qf', '%{NEVRA}\n']);
  assert.equal(qa.status, 0, qa.stderr);
  assert.deepEqual(qa.stdout.trim().split('\n').sort(), locked.map((n) => n.replace(/-0:/, '-')));
  // rpm -V: only files the report says the composer changed (accounts, os-release, hardening)
  const v = run('rpm', ['--root', root, '--dbpath', '/usr/lib/sysimage/rpm', '-Va', '--nodeps', '--noscripts']);
  const changed = v.stdout.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).pop()!);
  const explained = new Set<string>(['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow']);
  for (const c of r.report.arches[0]!.config) explained.add(c.path);
  for (const h of r.report.arches[0]!.hardening) explained.add(h.path);
  for (const c of changed) assert.ok(explained.has(c) || explained.has(c.replace(/^\/etc\/os-release$/, '/usr/lib/os-release')), `rpm -V reports ${c}, which the report does not explain:\n${v.stdout}`);
  // OCI
  const sk = run('skopeo', ['inspect', `oci:${join(out, 'oci')}:latest`]);
  assert.equal(sk.status, 0, sk.stderr);
  assert.equal(JSON.parse(sk.stdout).Architecture, 'amd64');
  const bundle = join(work, 'bundle');
  const um = run('umoci', ['unpack', '--rootless', '--image', `${join(out, 'oci')}:latest`, bundle]);
  assert.equal(um.status, 0, um.stderr);
  assert.ok(existsSync(join(bundle, 'rootfs/usr/lib/sysimage/rpm/rpmdb.sqlite')));
  // dm-verity over EROFS
  const roothash = readFileSync(join(out, 'rootfs.erofs.roothash'), 'utf8').trim();
  const vs = run('veritysetup', ['verify', join(out, 'rootfs.erofs'), join(out, 'rootfs.erofs.verity'), roothash]);
  assert.equal(vs.status, 0, vs.stderr);
  assert.equal(run('fsck.erofs', [join(out, 'rootfs.erofs')]).status, 0);
  const sq = run('unsquashfs', ['-lln', join(out, 'rootfs.squashfs')]);
  assert.equal(sq.status, 0, sq.stderr);
  assert.match(sq.stdout, /-rw-r--r-- 0\/0 .* squashfs-root\/etc\/passwd/);
  assert.match(sq.stdout, /---------- 0\/0 .* squashfs-root\/etc\/shadow/);
});

test('untrusted packages stop the build before anything is written', async () => {
  const out = join(work, 'out-untrusted');
  const def = definition('untrusted', '', 'demo-rsa3072.public.asc');
  // the repomd is signed by the Ed25519 key too, so trust it for metadata but not for packages:
  // an RSA-only keyring must refuse the repomd signature first
  await assert.rejects(compose(def, { outDir: out, cacheDir: join(work, 'cache-untrusted'), report: new CollectingReport(), epoch: EPOCH }), (e) => isDriftlessError(e) && /SIGNATURE|UNTRUSTED/.test((e as Error & { code: string }).code));
  assert.equal(existsSync(out), false);
  const def2 = definition('untrusted2', '', 'demo-rsa3072.public.asc').replace(/$/, '');
  writeFileSync(def2, readFileSync(def2, 'utf8').replace('gpgkey: [', 'repoGpgcheck: false, gpgkey: ['));
  await assert.rejects(compose(def2, { outDir: out, cacheDir: join(work, 'cache-untrusted'), report: new CollectingReport(), epoch: EPOCH }), (e) => isDriftlessError(e, 'COMPOSE_PACKAGE_UNTRUSTED'));
  assert.equal(existsSync(out), false);
});

test('a lockfile for another request is refused; --update-lock shows the diff', async () => {
  const def = definition('locked');
  const lockPath = join(work, 'locked.lock.json');
  const out = join(work, 'out-locked');
  await compose(def, { outDir: out, lockPath, cacheDir: join(work, 'cache-locked'), report: new CollectingReport(), epoch: EPOCH });
  writeFileSync(def, readFileSync(def, 'utf8').replace('hello]', 'hello, nano]'));
  await assert.rejects(compose(def, { outDir: out, lockPath, cacheDir: join(work, 'cache-locked'), report: new CollectingReport(), epoch: EPOCH }), (e) => isDriftlessError(e, 'LOCK_MISMATCH'));
  const report = new CollectingReport();
  await compose(def, { outDir: out, lockPath, updateLock: true, cacheDir: join(work, 'cache-locked'), report, epoch: EPOCH });
  const ev = report.events.find((e) => e.code === 'LOCK_UPDATED');
  assert.match(ev?.message ?? '', /\+ nano-/);
});

test('definitions with unknown keys fail with a position before any work', async () => {
  const def = definition('typo', 'servics: {}\n');
  await assert.rejects(compose(def, { outDir: join(work, 'out-typo'), report: new CollectingReport() }), (e) => isDriftlessError(e, 'DEF_INVALID') && /typo\.yaml:\d+:1: .*servics/.test((e as Error).message));
});

test('the CLI prints why a package is in the image', () => {
  const lock = join(work, 'locked.lock.json');
  const r = runCli(['why', 'bash', '--lock', lock]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^bash-.* ← requires \/bin\/sh ← \S+ \(requested: \S+\)$/m);
});

test('a compose killed at any step leaves the previous output intact and no partial one', () => {
  const def = definition('killed');
  const out = join(work, 'out-killed');
  const lock = join(work, 'killed.lock.json');
  const base = ['compose', def, '-o', out, '--lock', lock, '--cache-dir', join(work, 'cache-killed'), '--source-date-epoch', String(EPOCH)];
  const trace = join(work, 'killed.trace');
  const first = runCli(base, { env: { DRIFTLESS_FAULT_TRACE: trace } });
  assert.equal(first.status, 0, first.stderr);
  const before = digests(out);
  const steps = readFileSync(trace, 'utf8').trim().split('\n').filter((l) => l.startsWith('compose ')).map((l) => l.split(' ')[1]!);
  assert.ok(steps.includes('publish') && steps.includes('emit-tar'), steps.join(','));
  for (const step of steps) {
    const r = runCli(base, { env: { DRIFTLESS_FAULT: `compose:${step}` } });
    assert.notEqual(r.status, 0, `killed at ${step}`);
    assert.deepEqual(digests(out), before, `output changed after a kill at ${step}`);
  }
  const again = runCli(base);
  assert.equal(again.status, 0, again.stderr);
  const after = digests(out);
  delete after['report.json']; // timings differ run to run
  delete before['report.json'];
  assert.deepEqual(after, before);
});

test('two packages shipping the same path with different content is an error naming both owners', async () => {
  const defs = join(work, 'conflict-defs');
  mkdirSync(defs);
  for (const name of ['alpha', 'beta']) {
    writeFileSync(join(defs, `${name}.yaml`), `name: ${name}\nversion: "1.0"\nrelease: "1"\narch: noarch\nsummary: ${name}\nlicense: MIT\nfiles:\n  - { path: /etc/shared.conf, content: "from ${name}\\n" }\n`);
  }
  const conflictRepo = join(work, 'conflict-repo');
  await buildSampleRepo(conflictRepo, { epoch: EPOCH, definitionsDir: defs });
  await createRepo(conflictRepo, { epoch: EPOCH, signKey: readFileSync(join(keys, 'demo-ed25519.secret.asc'), 'utf8') });
  const def = join(work, 'conflict.yaml');
  writeFileSync(def, `name: conflict\nrepositories:\n  - { name: c, path: ${conflictRepo}, gpgkey: [${join(keys, 'demo-ed25519.public.asc')}] }\npackages: { install: [alpha, beta] }\n`);
  const out = join(work, 'out-conflict');
  await assert.rejects(
    compose(def, { outDir: out, cacheDir: join(work, 'cache-conflict'), report: new CollectingReport(), epoch: EPOCH }),
    (e) => isDriftlessError(e, 'ROOTFS_CONFLICT') && /\/etc\/shared\.conf: .*beta.* conflicts with .*alpha/.test((e as Error).message),
  );
  assert.equal(existsSync(out), false);
});

test('several arches: one lock, one rootfs per arch, a multi-arch OCI index', async (t) => {
  const def = join(work, 'multi.yaml');
  writeFileSync(def, `name: multi\nrepositories:\n  - { name: sample, path: ${repo}, gpgkey: [${join(keys, 'demo-ed25519.public.asc')}] }\narch: [x86_64, aarch64]\npackages: { install: [setup, tzdata] }\noutputs: [oci, tar, sbom]\n`);
  const out = join(work, 'out-multi');
  const r = await compose(def, { outDir: out, cacheDir: join(work, 'cache-multi'), report: new CollectingReport(), epoch: EPOCH });
  assert.deepEqual(r.report.arches.map((a) => a.arch), ['x86_64', 'aarch64']);
  for (const a of ['x86_64', 'aarch64']) assert.ok(existsSync(join(out, a, 'rootfs.tar')) && existsSync(join(out, a, 'sbom.spdx.json')), a);
  const index = JSON.parse(readFileSync(join(out, 'oci/index.json'), 'utf8'));
  const inner = JSON.parse(readFileSync(join(out, 'oci/blobs', ...index.manifests[0].digest.split(':')), 'utf8'));
  assert.deepEqual(inner.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort(), ['amd64', 'arm64']);
  if (!requireTool(t, 'skopeo')) return;
  const sk = run('skopeo', ['inspect', '--override-arch', 'arm64', `oci:${join(out, 'oci')}:latest`]);
  assert.equal(sk.status, 0, sk.stderr);
  assert.equal(JSON.parse(sk.stdout).Architecture, 'arm64');
});

test('every example definition is valid and composes against the sample repository', async () => {
  const examples = join(repoRoot, 'examples');
  const names = readdirSync(examples).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
  assert.deepEqual(names, ['ai-node', 'base', 'container-host', 'distroless']);
  for (const name of names) {
    const text = readFileSync(join(examples, `${name}.yaml`), 'utf8')
      .replace(/path: \.\.\/out\/demo\/repo/g, `path: ${repo}`)
      .replace(/gpgkey: \[keys\//g, `gpgkey: [${keys}/`);
    const def = join(work, `example-${name}.yaml`);
    writeFileSync(def, text);
    const r = await compose(def, { outDir: join(work, `out-example-${name}`), cacheDir: join(work, 'cache-examples'), report: new CollectingReport(), epoch: EPOCH, skipUnavailableOutputs: false });
    assert.ok(r.report.arches[0]!.totals.packages > 0, name);
  }
});
