import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../../../test/helpers/cli.js';
import { makeKey, sampleTar } from '../../host/testing.js';

function ok(args: string[]) {
  const r = runCli([...args, '--json']);
  assert.equal(r.status, 0, `driftless ${args.join(' ')} failed: ${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('acceptance: commit v1 → deploy → finalize → drift → v2 delta on a second sysroot → deploy → rollback', async (t) => {
  const dir = tempDir(t);
  const key = await makeKey();
  writeFileSync(join(dir, 'pub.asc'), key.public);
  writeFileSync(join(dir, 'sec.asc'), key.secret);
  const A = join(dir, 'build');
  const B = join(dir, 'host');
  // the build machine holds every commit; the host only gets v1 and then a delta
  ok(['host', 'init', '--sysroot', A, '--trust', join(dir, 'pub.asc')]);
  ok(['host', 'init', '--sysroot', B, '--trust', join(dir, 'pub.asc')]);
  const tar1 = sampleTar(dir, 1);
  const c1 = runCli(['host', 'commit', tar1, '--sysroot', A, '--ref', 'x86_64/stable', '--sign', join(dir, 'sec.asc')]);
  assert.equal(c1.status, 0, c1.stderr);
  const v1 = c1.stdout.trim();
  assert.match(v1, /^[0-9a-f]{64}$/);
  const c1b = ok(['host', 'commit', tar1, '--sysroot', B, '--ref', 'x86_64/stable', '--sign', join(dir, 'sec.asc')]);
  assert.equal(c1b.commit, v1, 'same image, same timestamp → same commit id');

  ok(['host', 'deploy', 'x86_64/stable', '--sysroot', B]);
  ok(['host', 'finalize', '--sysroot', B]);
  let st = ok(['host', 'status', '--sysroot', B]);
  assert.equal(st.deployments.length, 1);
  assert.deepEqual(Object.keys(st.deployments[0]).sort(), ['commit', 'id', 'path', 'ref', 'state', 'version']);
  assert.equal(st.deployments[0].state, 'booted');
  assert.equal(st.deployments[0].commit, v1);
  const root1 = st.deployments[0].path;

  writeFileSync(join(root1, 'etc/hosts'), '10.0.0.1 myhost\n');
  const lib = join(root1, 'usr/lib/libbase.so.1');
  chmodSync(lib, 0o644);
  writeFileSync(lib, 'not a library\n');
  const d = ok(['host', 'drift', '--sysroot', B]);
  assert.deepEqual(d.changes.map((c: { path: string; kind: string }) => [c.path, c.kind]), [
    ['/etc/hosts', 'modified'],
    ['/usr/lib/libbase.so.1', 'modified'],
  ]);
  ok(['host', 'reset', '--sysroot', B, '--path', '/usr/lib/libbase.so.1']);
  assert.deepEqual(ok(['host', 'drift', '--sysroot', B, '--full']).changes.map((c: { path: string }) => c.path), ['/etc/hosts']);

  // v2 on the build machine, shipped as a signed delta
  const v2 = ok(['host', 'commit', sampleTar(dir, 2), '--sysroot', A, '--ref', 'x86_64/stable', '--sign', join(dir, 'sec.asc')]).commit;
  const delta = join(dir, 'v2.delta');
  const dc = ok(['host', 'delta', 'create', '--sysroot', A, '--from', v1, '--to', 'x86_64/stable', '-o', delta, '--sign', join(dir, 'sec.asc')]);
  assert.equal(dc.to, v2);
  assert.ok(dc.deltaSize <= 0.15 * dc.fullSize, `delta ${dc.deltaSize} vs full ${dc.fullSize}`);
  assert.ok(dc.reused > 0 && dc.diffs >= 1);
  const ap = ok(['host', 'delta', 'apply', delta, '--sysroot', B]);
  assert.equal(ap.to, v2);
  assert.equal(ok(['host', 'fsck', '--sysroot', B]).ok, true);

  ok(['host', 'deploy', 'x86_64/stable', '--sysroot', B]);
  ok(['host', 'finalize', '--sysroot', B, '--health-check', 'test -x usr/bin/foo']);
  st = ok(['host', 'status', '--sysroot', B]);
  assert.deepEqual(st.deployments.map((x: { state: string; version: string }) => [x.state, x.version]), [['booted', '2'], ['rollback', '1']]);
  const root2 = st.deployments[0].path;
  assert.equal(readFileSync(join(root2, 'etc/hosts'), 'utf8'), '10.0.0.1 myhost\n');
  assert.equal(readFileSync(join(root2, 'usr/share/foo/README'), 'utf8'), 'foo version 2.0\n');
  assert.equal(readFileSync(join(root2, 'etc/foo.conf'), 'utf8'), 'level=2\n');
  assert.deepEqual(ok(['host', 'drift', '--sysroot', B]).changes, []);

  ok(['host', 'rollback', '--sysroot', B]);
  st = ok(['host', 'status', '--sysroot', B]);
  assert.equal(st.deployments[0].state, 'booted');
  assert.equal(st.deployments[0].commit, v1);
  assert.equal(readFileSync(join(st.deployments[0].path, 'usr/share/foo/README'), 'utf8'), 'foo version 1.0\n');
  assert.equal(statSync(join(st.deployments[0].path, 'usr/lib/libbase.so.1')).size, 96 * 1024);

  const g = ok(['host', 'gc', '--sysroot', B]);
  assert.ok(g.removedObjects >= 0);
  assert.equal(ok(['host', 'fsck', '--sysroot', B]).ok, true);
});

test('host CLI errors are coded', async (t) => {
  const dir = tempDir(t);
  const r = runCli(['host', 'status', '--sysroot', join(dir, 'nope'), '--json']);
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).error.code, 'HOST_NOT_INITIALIZED');
  ok(['host', 'init', '--sysroot', join(dir, 's')]);
  const d = runCli(['host', 'deploy', 'x86_64/none', '--sysroot', join(dir, 's'), '--json']);
  assert.equal(JSON.parse(d.stdout).error.code, 'HOST_UNKNOWN_REF');
  const rb = runCli(['host', 'rollback', '--sysroot', join(dir, 's'), '--json']);
  assert.equal(JSON.parse(rb.stdout).error.code, 'HOST_NO_ROLLBACK');
});
