import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { requireTool } from '../../test/helpers/cli.js';
import { decompress } from './compression.js';
import { isDriftlessError } from './errors.js';
import { spawnSync } from 'node:child_process';

async function unxz(b: Uint8Array): Promise<Buffer> {
  async function* src() {
    for (let i = 0; i < b.length; i += 777) yield b.subarray(i, i + 777);
  }
  const parts: Uint8Array[] = [];
  for await (const c of decompress('xz', src())) parts.push(c);
  return Buffer.concat(parts);
}

test('xz with every check type (incl. rpm\'s SHA-256), multi-block and concatenated streams', async (t) => {
  if (!requireTool(t, 'xz')) return;
  const data = Buffer.concat([randomBytes(200_000), Buffer.from('abc'.repeat(100_000))]);
  const want = createHash('sha256').update(data).digest('hex');
  const enc = (args: string[]) => spawnSync('xz', ['-c', ...args], { input: data, maxBuffer: 1 << 26 }).stdout as Buffer;
  for (const args of [['--check=none'], ['--check=crc32'], ['--check=crc64'], ['--check=sha256'], ['-T2', '--block-size=65536', '--check=sha256']]) {
    const out = await unxz(enc(args));
    assert.equal(createHash('sha256').update(out).digest('hex'), want, args.join(' '));
  }
  const two = Buffer.concat([enc(['--check=sha256']), Buffer.alloc(8), enc(['--check=crc32'])]);
  assert.deepEqual(await unxz(two), Buffer.concat([data, data]));
  // truncated input is a coded error
  const x = enc(['--check=sha256']);
  await assert.rejects(unxz(x.subarray(0, x.length - 20)), (e) => isDriftlessError(e));
});
