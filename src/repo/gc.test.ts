import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../../test/helpers/cli.js';
import { openCache } from './fetch.js';
import { gcCache } from './gc.js';
import { parseSize } from '../cli/commands/cache.js';

const DAY = 86400;
const NOW = Math.floor(Date.now() / 1000);

async function seed(root: string) {
  const c = openCache(root);
  const put = async (text: string, lastUsed: number, url: string) => {
    const r = await c.store.putBytes(Buffer.from(text), { noSync: true });
    c.index.record({ sha256: r.sha256, size: r.size, url, now: lastUsed });
    return r.sha256;
  };
  const fresh = await put('fresh object', NOW - DAY, 'http://x/fresh.rpm');
  const old = await put('old object', NOW - 40 * DAY, 'http://x/old.rpm');
  const pinned = await put('old but pinned', NOW - 90 * DAY, 'http://x/pinned.rpm');
  const big = await put('x'.repeat(5000), NOW - 2 * DAY, 'http://x/big.rpm');
  c.index.pin(pinned, 'lockfile:/srv/app.lock');
  // an orphan (in the store, not in the index) and an index row whose object vanished
  const orphan = (await c.store.putBytes(Buffer.from('orphan'), { noSync: true })).sha256;
  utimesSync(c.store.objectPath(orphan), NOW - 7200, NOW - 7200);
  // a fresh unindexed object may be a fetch in progress elsewhere: kept
  const inflight = (await c.store.putBytes(Buffer.from('being fetched'), { noSync: true })).sha256;
  const ghost = createHash('sha256').update('ghost').digest('hex');
  c.index.record({ sha256: ghost, size: 5, url: 'http://x/ghost', now: NOW });
  c.close();
  return { fresh, old, pinned, big, orphan, ghost, inflight };
}

test('gc: age policy, pins, orphans, missing objects; dry run changes nothing', async (t) => {
  const root = tempDir(t);
  const s = await seed(root);
  const dry = await gcCache(root, { now: NOW, dryRun: true });
  assert.deepEqual(dry.removed, [s.old, s.orphan].sort());
  const c0 = openCache(root);
  assert.ok(await c0.store.has(s.old));
  c0.close();

  const r = await gcCache(root, { now: NOW });
  assert.deepEqual(r.removed, [s.old, s.orphan].sort());
  assert.equal(r.orphans, 1);
  assert.equal(r.forgotten, 1);
  const c = openCache(root);
  t.after(() => c.close());
  assert.deepEqual((await c.store.list()).sort(), [s.fresh, s.pinned, s.big, s.inflight].sort());
  assert.equal(c.index.get(s.ghost), undefined);
  assert.equal(c.index.get(s.old), undefined);
  assert.equal(c.index.origins(s.old).length, 0);
  assert.ok(c.index.get(s.fresh));
});

test('gc: size limit evicts least recently used first; keep list and pins survive', async (t) => {
  const root = tempDir(t);
  const s = await seed(root);
  const r = await gcCache(root, { now: NOW, maxAgeDays: 365, maxBytes: 100, keep: [s.fresh] });
  // big (LRU among unpinned, unkept) goes; old goes too (it is older than big)
  assert.deepEqual(r.removed, [s.big, s.old, s.orphan].sort());
  const c = openCache(root);
  t.after(() => c.close());
  assert.deepEqual((await c.store.list()).sort(), [s.fresh, s.pinned, s.inflight].sort());
  c.index.unpin('lockfile:/srv/app.lock');
  c.close();
  const r2 = await gcCache(root, { now: NOW, maxAgeDays: 0 });
  assert.deepEqual(r2.removed, [s.fresh, s.pinned].sort());
});

test('gc --verify removes corrupt objects; stale temp files are swept', async (t) => {
  const root = tempDir(t);
  const s = await seed(root);
  const c = openCache(root);
  writeFileSync(c.store.objectPath(s.fresh), 'tampered');
  c.close();
  mkdirSync(join(root, 'tmp'), { recursive: true });
  writeFileSync(join(root, 'tmp', 'stale'), 'x');
  utimesSync(join(root, 'tmp', 'stale'), NOW - 7200, NOW - 7200);
  writeFileSync(join(root, 'tmp', 'active'), 'x');
  utimesSync(join(root, 'tmp', 'active'), NOW - 10, NOW - 10);
  const r = await gcCache(root, { now: NOW, verify: true });
  assert.equal(r.corrupt, 1);
  assert.ok(r.removed.includes(s.fresh));
  assert.equal(r.tempFiles, 1);
  assert.ok(!existsSync(join(root, 'tmp', 'stale')));
  assert.ok(existsSync(join(root, 'tmp', 'active')));
  const c2 = openCache(root);
  t.after(() => c2.close());
  for (const d of await c2.store.list()) assert.ok(await c2.store.verify(d));
});

test('cache gc CLI', async (t) => {
  const root = tempDir(t);
  const s = await seed(root);
  const keep = join(root, 'keep.txt');
  writeFileSync(keep, `${s.old}  old.rpm\n`);
  const r = runCli(['--json', 'cache', 'gc', '--cache-dir', root, '--max-age', '0', '--keep', keep]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(!out.removed.includes(s.old));
  assert.ok(!out.removed.includes(s.pinned));
  assert.ok(out.removed.includes(s.fresh));
  const st = runCli(['--json', 'cache', 'stats', '--cache-dir', root]);
  assert.equal(st.status, 0, st.stderr);
  const stats = JSON.parse(st.stdout);
  assert.equal(stats.objects, 3); // old + pinned kept, in-flight object not yet indexed
  assert.equal(stats.indexed, 2);
  assert.equal(stats.pinned, 1);
  const bad = runCli(['cache', 'gc', '--cache-dir', root, '--max-size', 'lots']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /CLI_USAGE/);
  assert.equal(parseSize('2G'), 2 * 1024 ** 3);
  assert.equal(parseSize('1.5k'), 1536);
  assert.ok(readFileSync(keep, 'utf8'));
});
