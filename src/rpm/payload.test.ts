import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixtures } from '../../test/helpers/cli.js';
import { mkRpm } from '../../test/helpers/mkrpm.js';
import { isDriftlessError } from '../core/errors.js';
import { openPackage, openPackageBytes } from './package.js';
import { readPayload } from './payload.js';

async function drain(it: AsyncIterable<{ data(): AsyncIterable<Uint8Array> }>) {
  for await (const e of it) for await (const _ of e.data()) void _;
}

test('entries not consumed are skipped; data can be read once', async () => {
  const pkg = await openPackage(join(fixtures, 'rpm/RPMS/hello-2.0-1.x86_64.rpm'));
  const names: string[] = [];
  for await (const e of readPayload(pkg)) {
    names.push(e.file!.path);
    if (e.file!.path.endsWith('FAQ')) {
      for await (const _ of e.data()) void _;
      await assert.rejects(async () => {
        for await (const _ of e.data()) void _;
      }, (x) => isDriftlessError(x, 'RPM_PAYLOAD_USAGE'));
    }
  }
  assert.equal(names.length, 5);
  // stopping after one chunk of a file skips the rest of it
  const pkg2 = await openPackage(join(fixtures, 'rpm/RPMS/hello-2.0-1.x86_64.rpm'));
  let n = 0;
  for await (const e of readPayload(pkg2)) {
    for await (const _ of e.data()) {
      void _;
      break;
    }
    n++;
  }
  assert.equal(n, 5);
});

test('unknown entries fail unless allowed; errors carry payload offsets', async () => {
  const bytes = mkRpm([{ path: '/a', mode: 0o100644, data: 'x' }], { extraEntries: [{ name: './extra', mode: 0o100644, data: 'y' }] });
  await assert.rejects(drain(readPayload(await openPackageBytes(bytes))), (e) => isDriftlessError(e, 'RPM_CPIO_UNKNOWN_FILE') && e.offset! > 0);
  const seen: string[] = [];
  for await (const e of readPayload(await openPackageBytes(bytes), { allowUnknown: true })) {
    seen.push(`${e.entry.name}:${e.entry.index}`);
    for await (const _ of e.data()) void _;
  }
  assert.deepEqual(seen, ['./a:0', './extra:-1']);
});

test('a file type that differs from the header is refused', async () => {
  // uncompressed payload: rewrite the cpio mode of /a to a directory
  const s = Buffer.from(mkRpm([{ path: '/a', mode: 0o100644, data: 'x' }], { compressor: 'none' }));
  const pkg = await openPackageBytes(s);
  const at = s.indexOf('070701', pkg.payloadOffset);
  assert.equal(at, pkg.payloadOffset);
  s.write('000041ed', at + 6 + 8);
  await assert.rejects(drain(readPayload(await openPackageBytes(s))), (e) => isDriftlessError(e, 'RPM_CPIO_MISMATCH'));
});

test('digest verification catches a changed byte', async () => {
  const bytes = mkRpm([{ path: '/a', mode: 0o100644, data: 'hello', cpioData: 'hellO' }]);
  await drain(readPayload(await openPackageBytes(bytes)));
  await assert.rejects(drain(readPayload(await openPackageBytes(bytes), { verifyDigests: true })), (e) => isDriftlessError(e, 'RPM_FILE_DIGEST_MISMATCH'));
});
