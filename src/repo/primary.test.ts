import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from '../core/compression.js';
import { fixtures, repoRoot } from '../../test/helpers/cli.js';
import { plainPackage } from './columns.js';
import { parseFilelists } from './filelists.js';
import { parsePrimary, type XmlReader } from './primary.js';

/** repodata of a cs9 fixture repository: test/fixtures (copied in the repo) or ../shared/fixtures. */
function repodata(t: TestContext, repo: string): string | undefined {
  for (const base of [join(fixtures, 'repos'), join(repoRoot, '../shared/fixtures/repos')]) {
    const d = join(base, repo, 'repodata');
    if (existsSync(d)) return d;
  }
  t.skip(`fixture repository ${repo} is not available`);
  return undefined;
}

function open(dir: string, suffix: string): AsyncIterable<Uint8Array> {
  const f = readdirSync(dir).find((n) => n.endsWith(suffix));
  assert.ok(f, `${dir}: no *${suffix}`);
  return decompress('gzip', createReadStream(join(dir, f), { highWaterMark: 256 * 1024 }));
}

async function primary(dir: string, reader: XmlReader) {
  return parsePrimary(open(dir, 'primary.xml.gz'), 'primary.xml.gz', reader);
}

for (const repo of ['cs9-baseos', 'cs9-appstream']) {
  test(`${repo} primary.xml: the byte scanner gives exactly the packages the saxes reader gives`, async (t) => {
    const dir = repodata(t, repo);
    if (!dir) return;
    const scan = await primary(dir, 'scan');
    const sax = await primary(dir, 'saxes');
    assert.equal(scan.declaredCount, sax.declaredCount);
    assert.equal(scan.packages.length, sax.packages.length);
    assert.equal(scan.packages.length, scan.declaredCount);
    for (let i = 0; i < sax.packages.length; i++) {
      const [a, b] = [plainPackage(scan.packages[i]!), plainPackage(sax.packages[i]!)];
      if (JSON.stringify(a) !== JSON.stringify(b)) assert.deepStrictEqual(a, b, `package #${i} (${b.name})`);
    }
  });
}

test('cs9-baseos filelists.xml: the byte scanner gives exactly the lists the saxes reader gives', async (t) => {
  const dir = repodata(t, 'cs9-baseos');
  if (!dir) return;
  const scan = await parseFilelists(open(dir, 'filelists.xml.gz'), 'filelists.xml.gz');
  const sax = await parseFilelists(open(dir, 'filelists.xml.gz'), 'filelists.xml.gz', undefined, 'saxes');
  assert.ok(scan.length > 1000);
  assert.deepStrictEqual(scan, sax);
});
