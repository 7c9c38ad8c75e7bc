import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { requireTool, run, tempDir } from '../../test/helpers/cli.js';
import { isDriftlessError } from '../core/errors.js';
import { CacheIndex } from './cache-index.js';

const h = (s: string) => createHash('sha256').update(s).digest('hex');

test('cache index: record, lookups by digest/NEVRA/URL, pins, cascade on remove; sqlite3 reads it', async (t) => {
  if (!requireTool(t, 'sqlite3')) return;
  const root = tempDir(t);
  const idx = CacheIndex.open(root);
  const a = h('a');
  idx.record({ sha256: a, size: 1, url: 'http://m1/a.rpm', nevra: 'a-0:1-1.noarch', kind: 'package', digests: { SHA1: 'ABCD' }, now: 100 });
  idx.record({ sha256: a, size: 1, url: 'http://m2/a.rpm', now: 200 });
  assert.equal(idx.findByDigest('sha1', 'abcd'), a);
  assert.equal(idx.findByDigest('sha256', a), a);
  assert.equal(idx.findByDigest('sha512', 'ff'), undefined);
  assert.deepEqual(idx.findByNevra('a-0:1-1.noarch'), [a]);
  assert.deepEqual(idx.origins(a).map((o) => o.url), ['http://m1/a.rpm', 'http://m2/a.rpm']);
  assert.equal(idx.get(a)?.lastUsed, 200);
  assert.equal(idx.get(a)?.added, 100);
  idx.touch(a, 300);
  assert.equal(idx.objects()[0]?.lastUsed, 300);
  idx.pin(a, 'x');
  assert.deepEqual([...idx.pinned()], [a]);
  idx.close();

  // the real sqlite3 sees a consistent WAL database
  const q = run('sqlite3', [join(root, 'index.sqlite'), 'PRAGMA journal_mode; PRAGMA integrity_check; SELECT count(*) FROM origins; PRAGMA user_version;']);
  assert.equal(q.status, 0, q.stderr);
  assert.deepEqual(q.stdout.trim().split('\n'), ['wal', 'ok', '2', '1']);

  const again = CacheIndex.open(root);
  again.remove([a]);
  assert.equal(again.origins(a).length, 0);
  assert.equal(again.findByDigest('sha1', 'abcd'), undefined);
  again.close();
});

test('cache index: a newer schema is refused with a coded error', (t) => {
  const root = tempDir(t);
  CacheIndex.open(root).close();
  const db = new Database(join(root, 'index.sqlite'));
  db.pragma('user_version = 99');
  db.close();
  assert.throws(() => CacheIndex.open(root), (e: unknown) => isDriftlessError(e, 'CACHE_INDEX_VERSION'));
});
