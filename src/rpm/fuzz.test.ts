/**
 * Bounded fuzzing of the reader: 2,000 mutations (fixed seed) of fixture packages of every
 * payload flavour. Every outcome must be success or a DriftlessError — never another
 * exception, never a hang — and extraction never writes outside its target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, tempDir } from '../../test/helpers/cli.js';
import { DriftlessError } from '../core/errors.js';
import { openPackageBytes } from './package.js';
import { inspectOpened } from './inspect.js';
import { readPayload } from './payload.js';
import { extractPackage } from './extract.js';

const SEEDS = [
  'RPMS/hello-2.0-1.x86_64.rpm', // gzip, signed v4
  'RPMS/capstest-1.0-1.noarch.rpm', // xz
  'RPMS/foo-1.0-1.noarch.rpm', // zstd, no files
  'RPMS/hlinktest-1.0-1.noarch-v3sig.rpm', // stripped cpio (07070X), zstd
  'RPMS/hlinktest-1.0-1.noarch.rpm', // uncompressed, hardlinks
  'RPMS/hello-1.0-1.x86_64.rpm-v3', // v3
  'SRPMS/hello-1.0-1.src.rpm', // source package
];

/** mulberry32: small deterministic PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const b = Uint8Array.from(src);
  const pick = (n: number) => Math.floor(rnd() * n);
  switch (pick(5)) {
    case 0: // flip a few bytes anywhere
      for (let i = 0, n = 1 + pick(4); i < n; i++) b[pick(b.length)] = pick(256);
      return b;
    case 1: // truncate
      return b.subarray(0, pick(b.length));
    case 2: { // big-endian u32 overwrite (counts, offsets, sizes) in the header area
      const at = pick(Math.min(b.length - 4, 20000));
      const v = [0, 1, 0xffffffff, 0x7fffffff, 0x10000, pick(0xffffffff)][pick(6)]!;
      new DataView(b.buffer).setUint32(at, v >>> 0);
      return b;
    }
    case 3: { // damage the payload region (last third)
      const start = Math.floor((b.length * 2) / 3);
      for (let i = 0, n = 1 + pick(8); i < n; i++) b[start + pick(b.length - start)] = pick(256);
      return b;
    }
    default: { // duplicate a slice (shifts everything after it)
      const s = pick(b.length);
      const e = Math.min(b.length, s + pick(64));
      const out = new Uint8Array(b.length + (e - s));
      out.set(b.subarray(0, e), 0);
      out.set(b.subarray(s), e);
      return out;
    }
  }
}

async function exercise(bytes: Uint8Array, extractTo?: string): Promise<void> {
  const pkg = await openPackageBytes(bytes, { maxHeaderBytes: 4 * 1024 * 1024, maxPayloadBytes: 64 * 1024 * 1024 });
  await inspectOpened(pkg);
  if (extractTo) {
    await extractPackage(pkg, extractTo);
    return;
  }
  for await (const e of readPayload(pkg, { verifyDigests: true })) for await (const _ of e.data()) void _;
}

test('fuzz: 2,000 mutated packages give success or a DriftlessError', async (t) => {
  const seeds = SEEDS.map((s) => readFileSync(join(fixtures, 'rpm', s)));
  // DRIFTLESS_FUZZ_SEED / DRIFTLESS_FUZZ_N explore further locally; the suite uses the fixed defaults.
  const rnd = prng(Number(process.env.DRIFTLESS_FUZZ_SEED ?? 0x5eed));
  const total = Number(process.env.DRIFTLESS_FUZZ_N ?? 2000);
  const base = tempDir(t);
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < total; i++) {
    const which = i % seeds.length;
    const bytes = mutate(seeds[which]!, rnd);
    const target = i % 20 === 0 ? join(base, 'root') : undefined;
    try {
      await exercise(bytes, target);
      outcomes.ok = (outcomes.ok ?? 0) + 1;
    } catch (e) {
      if (!(e instanceof DriftlessError)) {
        assert.fail(`mutation ${i} of ${SEEDS[which]}: ${e instanceof Error ? e.stack : String(e)}`);
      }
      outcomes[e.code] = (outcomes[e.code] ?? 0) + 1;
    }
    if (target) {
      assert.deepEqual(readdirSync(base).filter((n) => n !== 'root'), [], `mutation ${i} wrote outside the target`);
      rmSync(target, { recursive: true, force: true });
    }
  }
  t.diagnostic(JSON.stringify(outcomes));
  assert.ok(Object.keys(outcomes).length > 3, 'mutations should hit several error paths');
});
