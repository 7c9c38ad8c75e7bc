import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentStore } from './cas.js';
import { sha256Hex } from './hash.js';
import { isDriftlessError } from './errors.js';

test('ContentStore stores by SHA-256 and refuses mismatching content', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cas-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cas = new ContentStore(root);
  const data = Buffer.from('hello store');
  const { sha256, size } = await cas.putBytes(data);
  assert.equal(sha256, sha256Hex(data));
  assert.equal(size, data.length);
  assert.deepEqual(readFileSync(cas.objectPath(sha256)), data);
  assert.equal(await cas.verify(sha256), true);
  assert.deepEqual(await cas.list(), [sha256]);

  await assert.rejects(cas.putBytes(Buffer.from('other'), { expectedSha256: sha256 }), (e) => isDriftlessError(e, 'CORE_DIGEST_MISMATCH'));
  await assert.rejects(cas.putBytes(Buffer.from('toolong'), { maxSize: 3 }), (e) => isDriftlessError(e, 'CORE_SIZE_EXCEEDED'));
  await assert.rejects(cas.putBytes(Buffer.from('ab'), { expectedSize: 3 }), (e) => isDriftlessError(e, 'CORE_SIZE_MISMATCH'));
  // failed puts leave nothing behind: only the one good object, and an empty tmp/
  assert.deepEqual(await cas.list(), [sha256]);
  assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  await cas.remove(sha256);
  assert.equal(await cas.has(sha256), false);
});
