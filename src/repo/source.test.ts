import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openRepoSource, readAll, registerRepoSource, type RepoSource } from './source.js';
import { tempDir } from '../../test/helpers/cli.js';

test('local directory and file:// sources stream files and enforce sizes', async (t) => {
  const d = tempDir(t);
  mkdirSync(join(d, 'repodata'));
  writeFileSync(join(d, 'repodata/repomd.xml'), 'hello');
  for (const loc of [d, pathToFileURL(d).href]) {
    const src = openRepoSource(loc);
    assert.equal((await readAll(await src.open('repodata/repomd.xml'))).toString(), 'hello');
    assert.equal((await readAll(await src.open('repodata/repomd.xml', { expectedSize: 5 }))).toString(), 'hello');
    await assert.rejects(src.open('repodata/missing.xml'), { code: 'REPO_FILE_NOT_FOUND' });
    await assert.rejects(src.open('../etc/passwd'), { code: 'REPO_BAD_PATH' });
    await assert.rejects(src.open('/etc/passwd'), { code: 'REPO_BAD_PATH' });
    await assert.rejects(src.open('repodata/repomd.xml', { maxSize: 3 }), { code: 'REPO_FILE_TOO_LARGE' });
    await assert.rejects(async () => readAll(await src.open('repodata/repomd.xml', { expectedSize: 9 })), { code: 'REPO_TRUNCATED' });
  }
});

test('unknown schemes fail clearly; registered factories take over', async () => {
  assert.throws(() => openRepoSource('gopher://x/repo'), { code: 'REPO_UNSUPPORTED_LOCATION' });
  const fake: RepoSource = { location: 'mem://x', open: async () => (async function* () { yield new Uint8Array([1]); })() };
  registerRepoSource({ name: 'mem-test', supports: (l) => l.startsWith('mem://'), create: () => fake });
  assert.equal(openRepoSource('mem://x'), fake);
});
