/**
 * Crash injection: every write step of deploy, finalize, rollback, delta apply and gc is hit by
 * SIGKILL (DRIFTLESS_FAULT=<op>:<n>, see faults.ts) in a child `driftless host` process, on a
 * fresh copy of a prepared sysroot, until the operation completes. After every kill: status shows
 * a complete, bootable deployment, fsck is clean, the user's /etc edit and /var data are intact,
 * and running the operation again succeeds. The CLI is bundled once with esbuild so each child
 * starts fast.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot, tempDir } from '../../test/helpers/cli.js';
import { HostStore } from './store.js';
import { commitImage } from './commit.js';
import { deploy, finalize, rollback, status } from './deploy.js';
import { drift, reset } from './drift.js';
import { fsck } from './fsck.js';
import { gc } from './gc.js';
import { applyDelta, createDelta } from './delta.js';
import { makeKey, sampleTar, type TestKey } from './testing.js';

let bundle = '';
let key: TestKey;
let work = '';

before(async () => {
  process.env.DRIFTLESS_UNSAFE_NO_FSYNC = '1';
  const dir = join(repoRoot, 'node_modules/.cache/driftless-host-crash');
  mkdirSync(dir, { recursive: true });
  bundle = join(dir, `cli-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: `import { Command } from 'commander';
import { registerHost } from './commands/host.ts';
import { renderError } from './render.ts';
const p = new Command('driftless').option('--json').exitOverride();
registerHost(p);
try { await p.parseAsync(process.argv.slice(2), { from: 'user' }); }
catch (e) { process.exitCode = renderError(e, process.argv.includes('--json')); }`,
      resolveDir: join(repoRoot, 'src/cli'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    // bundle the JS dependencies too (faster start); keep packages that load files at run time
    external: ['@bokuweb/zstd-wasm', 'fzstd', 'xz-decompress', 'seek-bzip', 'better-sqlite3'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    outfile: bundle,
    logLevel: 'silent',
  });
  key = await makeKey();
});

function cp(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  const r = spawnSync('cp', ['-a', from, to]);
  assert.equal(r.status, 0, String(r.stderr));
}

const USER_HOSTS = '10.1.1.1 edited-by-user\n';
const USER_VAR = 'precious user data\n';

/** Invariants after a crash (and after recovery). */
async function checkHealthy(S: string, label: string, allowed = ['/etc/hosts']): Promise<void> {
  const store = await HostStore.open(S);
  const st = await status(store);
  const booted = st.find((d) => d.state === 'booted');
  assert.ok(booted, `${label}: a booted deployment`);
  const f = await fsck(store);
  assert.deepEqual(f.problems, [], `${label}: fsck`);
  const d = await drift(store, { deployment: booted.id });
  // the booted deployment is complete: only the user's own edit differs from its commit
  assert.ok(d.changes.every((c) => allowed.includes(c.path)), `${label}: drift of the booted deployment: ${JSON.stringify(d.changes)}`);
  assert.equal(readFileSync(join(booted.path, 'etc/hosts'), 'utf8'), USER_HOSTS, `${label}: /etc edit kept`);
  assert.equal(readFileSync(join(S, 'var/lib/foo/state'), 'utf8'), USER_VAR, `${label}: /var kept`);
  for (const p of st.filter((x) => x.state !== 'booted')) {
    const dd = await drift(store, { deployment: p.id });
    assert.ok(dd.changes.every((c) => c.path === '/etc/hosts'), `${label}: ${p.state} deployment complete: ${JSON.stringify(dd.changes)}`);
  }
}

/**
 * Kill `args` at step 1, 2, ... on copies of `template` until it completes; after each kill check
 * invariants, re-run the operation through the library (`recover`) and check again.
 */
async function crashLoop(
  template: string,
  op: string,
  args: string[],
  recover: (store: HostStore) => Promise<unknown>,
  after?: (S: string) => Promise<void>,
  allowed?: string[],
): Promise<number> {
  const S = `${template}-run`;
  let runs = 0;
  for (let n = 1; n < 500; n++) {
    cp(template, S);
    const r = spawnSync(process.execPath, [bundle, ...args.map((a) => (a === '$S' ? S : a))], {
      env: { ...process.env, DRIFTLESS_FAULT: `${op}:${n}` },
      encoding: 'utf8',
    });
    runs++;
    if (r.signal !== 'SIGKILL') {
      assert.equal(r.status, 0, `${op} without fault failed: ${r.stdout}${r.stderr}`);
      await checkHealthy(S, `${op} completed`, allowed);
      if (after) await after(S);
      return runs;
    }
    await checkHealthy(S, `${op} killed at step ${n}`, allowed);
    await recover(await HostStore.open(S));
    await checkHealthy(S, `${op} recovered after step ${n}`);
    if (after) await after(S);
  }
  throw new Error(`${op} never completed`);
}

async function prepare(): Promise<{ T1: string; v1: string; delta: string; dir: string }> {
  const dir = work;
  writeFileSync(join(dir, 'pub.asc'), key.public);
  const T1 = join(dir, 'T1');
  const store = await HostStore.init(T1, [{ name: 'k', armored: key.public }]);
  const tar1 = sampleTar(dir, 1, 40);
  const v1 = (await commitImage(store, tar1, { ref: 'x86_64/stable', secretKey: key.secret })).id;
  await deploy(store, 'x86_64/stable');
  await finalize(store);
  const root = (await status(store))[0]!.path;
  writeFileSync(join(root, 'etc/hosts'), USER_HOSTS);
  writeFileSync(join(T1, 'var/lib/foo/state'), USER_VAR);
  // a build sysroot with v2, for the delta
  const B = join(dir, 'build');
  const bs = await HostStore.init(B, []);
  await commitImage(bs, tar1, { ref: 'x86_64/stable', secretKey: key.secret });
  await commitImage(bs, sampleTar(dir, 2, 40), { ref: 'x86_64/stable', secretKey: key.secret });
  const delta = join(dir, 'v2.delta');
  await createDelta(bs, { from: v1, to: 'x86_64/stable', out: delta, secretKey: key.secret });
  return { T1, v1, delta, dir };
}

test('crash injection: deploy, finalize, rollback, delta apply, gc', { timeout: 600_000 }, async (t) => {
  work = tempDir(t, 'driftless-crash-');
  t.after(() => rmSync(bundle, { force: true }));
  const { T1, v1, delta, dir } = await prepare();
  const counts: Record<string, number> = {};

  // commit v2 on a host with v1 booted
  const tar2 = sampleTar(dir, 2, 40);
  writeFileSync(join(dir, 'sec.asc'), key.secret);
  counts.commit = await crashLoop(T1, 'commit', ['host', 'commit', tar2, '--sysroot', '$S', '--ref', 'x86_64/stable', '--sign', join(dir, 'sec.asc')], (s) =>
    commitImage(s, tar2, { ref: 'x86_64/stable', secretKey: key.secret }),
  );

  // reset after the user replaced, removed and added files in /usr
  const T0 = join(dir, 'T0');
  cp(T1, T0);
  const root0 = (await status(await HostStore.open(T0)))[0]!.path;
  rmSync(join(root0, 'usr/share/doc/base/COPYING'));
  writeFileSync(join(root0, 'usr/share/doc/base/COPYING'), 'replaced\n');
  rmSync(join(root0, 'usr/share/foo/README'));
  rmSync(join(root0, 'usr/share/data/d3'), { recursive: true });
  writeFileSync(join(root0, 'usr/bin/added'), 'x');
  const drifted = ['/etc/hosts', '/usr/share/doc/base/COPYING', '/usr/share/foo/README', '/usr/bin/added', '/usr/share/data/d3', '/usr/share/data/d3/f3', '/usr/share/data/d3/f23'];
  counts.reset = await crashLoop(
    T0,
    'reset',
    ['host', 'reset', '--path', '/usr', '--sysroot', '$S'],
    (s) => reset(s, { path: '/usr' }),
    async (S) => assert.deepEqual((await drift(await HostStore.open(S), { full: true })).changes.map((c) => c.path), ['/etc/hosts']),
    drifted,
  );

  // delta apply on a host with v1 booted
  counts['delta-apply'] = await crashLoop(T1, 'delta-apply', ['host', 'delta', 'apply', delta, '--sysroot', '$S'], (s) => applyDelta(s, delta));

  // T2: v2 imported; deploy it (v1 booted)
  const T2 = join(dir, 'T2');
  cp(T1, T2);
  await applyDelta(await HostStore.open(T2), delta);
  counts.deploy = await crashLoop(T2, 'deploy', ['host', 'deploy', 'x86_64/stable', '--sysroot', '$S'], (s) => deploy(s, 'x86_64/stable'), async (S) => {
    const st = await status(await HostStore.open(S));
    assert.deepEqual(st.map((x) => [x.state, x.version]), [['pending', '2'], ['booted', '1']]);
  });

  // T3: v2 pending; finalize, and deploy again (replaces the pending deployment)
  const T3 = join(dir, 'T3');
  cp(T2, T3);
  await deploy(await HostStore.open(T3), 'x86_64/stable');
  counts.finalize = await crashLoop(T3, 'finalize', ['host', 'finalize', '--sysroot', '$S'], (s) => finalize(s));
  counts['deploy-replace'] = await crashLoop(T3, 'deploy', ['host', 'deploy', v1, '--sysroot', '$S'], (s) => deploy(s, v1));

  // T4: v2 booted, v1 rollback, garbage (an unreferenced commit); rollback and gc
  const T4 = join(dir, 'T4');
  cp(T3, T4);
  const s4 = await HostStore.open(T4);
  await finalize(s4);
  await commitImage(s4, sampleTar(dir, 1, 25), { ref: 'x86_64/scratch', secretKey: key.secret, subject: 'garbage' });
  rmSync(join(T4, 'repo/refs/x86_64/scratch'));
  counts.rollback = await crashLoop(T4, 'rollback', ['host', 'rollback', '--sysroot', '$S'], (s) => rollback(s).catch(() => undefined));
  counts.gc = await crashLoop(T4, 'gc', ['host', 'gc', '--sysroot', '$S'], (s) => gc(s));
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  t.diagnostic(`crash runs: ${JSON.stringify(counts)} total ${total}`);
  assert.ok(total >= 150, `only ${total} crash runs`);
});
