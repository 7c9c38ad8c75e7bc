import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRepomd } from './repomd.js';

const REPOMD = `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <tags><content>binary-x86_64</content><distro cpeid="cpe:/o:example:linux:4">Example &amp; Co</distro></tags>
  <data type="primary">
    <checksum type="sha256">AB12</checksum>
    <open-checksum type="sha256">cd34</open-checksum>
    <location xml:base="http://mirror/" href="repodata/ab12-primary.xml.gz"/>
    <timestamp>1700000000</timestamp>
    <size>123</size>
    <open-size>456</open-size>
  </data>
</repomd>
`;

test('repomd.xml: records, checksums, xml:base and tags (byte scanner)', async () => {
  const md = await parseRepomd(Buffer.from(REPOMD));
  assert.equal(md.revision, '1700000000');
  assert.deepEqual(md.tags, { content: ['binary-x86_64'], repo: [], distro: [{ name: 'Example & Co', cpeid: 'cpe:/o:example:linux:4' }] });
  const p = md.data.get('primary')!;
  assert.deepEqual(p.checksum, { type: 'sha256', value: 'ab12' });
  assert.deepEqual(p.openChecksum, { type: 'sha256', value: 'cd34' });
  assert.deepEqual(p.location, { href: 'repodata/ab12-primary.xml.gz', base: 'http://mirror/' });
  assert.equal(p.size, 123);
  assert.equal(p.openSize, 456);
});

test('repomd.xml the strict scanner refuses but XML allows (DOCTYPE) is still read, with the same result', async () => {
  const withDoctype = REPOMD.replace('<repomd ', '<!DOCTYPE repomd>\n<repomd ');
  assert.deepEqual(await parseRepomd(Buffer.from(withDoctype)), await parseRepomd(Buffer.from(REPOMD)));
});

test('malformed repomd.xml is REPO_BAD_XML; a document of another kind is REPO_BAD_METADATA', async () => {
  await assert.rejects(parseRepomd(Buffer.from(REPOMD.replace('</data>', '</dat>'))), (e: Error & { code?: string }) => e.code === 'REPO_BAD_XML');
  await assert.rejects(parseRepomd(Buffer.from('<?xml version="1.0"?><metadata/>')), (e: Error & { code?: string }) => e.code === 'REPO_BAD_METADATA');
});
