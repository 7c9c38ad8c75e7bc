import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { requireTool } from '../../test/helpers/cli.js';
import { DriftlessError } from '../core/errors.js';
import { lzmaDecompress } from './lzma.js';

async function unlzma(b: Uint8Array, maxOutput = 1 << 28): Promise<Buffer> {
  async function* src() {
    for (let i = 0; i < b.length; i += 1000) yield b.subarray(i, i + 1000);
  }
  const out: Uint8Array[] = [];
  for await (const c of lzmaDecompress(src(), { maxOutput })) out.push(c);
  return Buffer.concat(out);
}

const lzma = (data: Uint8Array, args: string[]) => spawnSync('xz', ['--format=lzma', '-c', ...args], { input: data, maxBuffer: 1 << 26 }).stdout as Buffer;

test('lzma_alone: equals xz --format=lzma for presets, lc/lp/pb and window wrap-around', async (t) => {
  if (!requireTool(t, 'xz')) return;
  const text = Buffer.from(Array.from({ length: 40000 }, (_, i) => `line ${i} ${i % 7 ? 'abc' : 'xyz'}\n`).join(''));
  const data = Buffer.concat([text, randomBytes(100_000), text]);
  for (const args of [['-0'], ['-1'], ['-6'], ['-9'], ['--lzma1=preset=6,lc=0,lp=2,pb=0'], ['--lzma1=preset=6,lc=4,lp=0,pb=4'], ['--lzma1=dict=4096']]) {
    assert.ok((await unlzma(lzma(data, args))).equals(data), args.join(' '));
  }
  assert.equal((await unlzma(lzma(Buffer.alloc(0), ['-6']))).length, 0);
  // a header that states the size (no end marker needed)
  const enc = Buffer.from(lzma(text, ['-6']));
  enc.writeUInt32LE(text.length, 5);
  enc.writeUInt32LE(0, 9);
  assert.ok((await unlzma(enc)).equals(text));
});

test('lzma_alone: truncated, corrupt and oversized input give coded errors', async (t) => {
  if (!requireTool(t, 'xz')) return;
  const text = Buffer.from('hello lzma '.repeat(5000));
  const enc = lzma(text, ['-6']);
  await assert.rejects(unlzma(enc.subarray(0, enc.length - 30)), (e) => e instanceof DriftlessError);
  await assert.rejects(unlzma(enc, 1000), (e) => e instanceof DriftlessError && e.code === 'CORE_DECOMPRESSION_LIMIT');
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(enc);
    for (let k = 0; k < 3; k++) b[13 + Math.floor(rnd() * (b.length - 13))] = Math.floor(rnd() * 256);
    try {
      await unlzma(b, 1 << 20);
    } catch (e) {
      assert.ok(e instanceof DriftlessError, String(e));
    }
  }
});
