/**
 * Test helpers for RPM signature work: a temp rpmdb with keys imported into the real rpmkeys
 * (its import result is the capability check), `rpmkeys -K` verdicts, comparison with driftless,
 * and package surgery (re-signing, zeroing bytes, hand-made v3 signature packets).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { decodeHeader, encodeHeader, type EncodeEntry } from '../../src/rpm/header.js';
import { RPMTAG_HEADERSIGNATURES, SigTag } from '../../src/rpm/tags.js';
import type { PackageVerification } from '../../src/rpm/verify.js';
import { fixtures, run, tempDir } from './cli.js';

export const KEYS = join(fixtures, 'rpm/keys');
export const RPMS = join(fixtures, 'rpm/RPMS');
export const PACKAGES = [
  ...readdirSync(RPMS).map((f) => join(RPMS, f)),
  ...readdirSync(join(fixtures, 'rpm/SRPMS')).map((f) => join(fixtures, 'rpm/SRPMS', f)),
];
export const PUBLIC_KEYS = [
  ...readdirSync(KEYS).filter((f) => /\.(asc|pub|pgp)$/.test(f)).map((f) => join(KEYS, f)),
  join(KEYS, 'unknown/rpm.org-v6-mldsa87-test.asc'),
];
export const key = (f: string) => join(KEYS, f);
export const rpm = (f: string) => join(RPMS, f);

/** A fresh rpmdb with `keys` imported; returns the keys live rpmkeys accepted (its capability). */
export function rpmdb(t: TestContext, keys: string[]): { db: string; imported: string[] } {
  const db = tempDir(t, 'driftless-rpmdb-');
  const imported = keys.filter((k) => run('rpmkeys', ['--dbpath', db, '--import', k]).status === 0);
  return { db, imported };
}

export interface RpmVerdict {
  digests: boolean;
  /** undefined when rpmkeys printed no signature part (it saw no signature it knows). */
  signatures?: boolean;
  ok: boolean;
  line: string;
}

/** `rpmkeys -K FILE…` → verdict per file, from lines like "FILE: digests SIGNATURES NOT OK". */
export function rpmkeysK(db: string, files: string[]): Map<string, RpmVerdict> {
  const r = run('rpmkeys', ['--dbpath', db, '-K', ...files]);
  const out = new Map<string, RpmVerdict>();
  for (const line of r.stdout.split('\n')) {
    const file = files.find((f) => line.startsWith(`${f}: `));
    if (!file) continue;
    const words = line.slice(file.length + 2).trim().split(/\s+/);
    const ok = !words.includes('NOT');
    out.set(file, {
      digests: words.includes('digests') || (ok && !words.includes('DIGESTS')),
      signatures: words.includes('signatures') ? true : words.includes('SIGNATURES') ? false : undefined,
      ok,
      line,
    });
  }
  return out;
}

export function assertSameVerdict(ours: PackageVerification, theirs: RpmVerdict | undefined, label: string) {
  assert.ok(theirs, `${label}: rpmkeys printed no verdict`);
  const detail = `${label}\n  rpmkeys:   ${theirs.line}\n  driftless: ${ours.summary}`;
  assert.equal(ours.digestsOk, theirs.digests, detail);
  if (theirs.signatures !== undefined) {
    assert.equal(ours.signaturesOk, theirs.signatures, detail);
    assert.equal(ours.ok, theirs.ok, detail);
  } else {
    // rpm saw no signature it knows: the package is unsigned to it, or carries only OPENPGP
    // tags (rpm 6) that an older rpm ignores. Only the digest verdict is comparable then.
    assert.ok(!ours.signed || ours.signatures.every((s) => s.tag === SigTag.OPENPGP), detail);
    if (!ours.signed) assert.equal(ours.digestsOk, theirs.ok, detail);
  }
}

/** Copy of `file` with bytes at `offset` zeroed (rpm's tests use dd the same way). */
export function zeroed(dir: string, file: string, offset: number, count = 6): string {
  const b = readFileSync(rpm(file));
  b.fill(0, offset, offset + count);
  const out = join(dir, `z${offset}-${file}`);
  writeFileSync(out, b);
  return out;
}

/** Rewrite a package's signature header: drop `remove` tags, add `add` entries. */
export function resign(src: string, out: string, add: EncodeEntry[], remove: number[] = []): void {
  const b = readFileSync(src);
  const { header, size } = decodeHeader(b, 96);
  const rest = 96 + size + ((8 - (size % 8)) % 8);
  const entries: EncodeEntry[] = header.entries
    .filter((e) => e.tag !== RPMTAG_HEADERSIGNATURES && !remove.includes(e.tag) && !add.some((a) => a.tag === e.tag))
    .map((e) => ({ tag: e.tag, type: e.type, value: e.value }));
  const sig = encodeHeader([...entries, ...add], { region: RPMTAG_HEADERSIGNATURES });
  writeFileSync(out, Buffer.concat([b.subarray(0, 96), sig, Buffer.alloc((8 - (sig.length % 8)) % 8), b.subarray(rest)]));
}

export function regionOf(file: string): Uint8Array {
  const b = readFileSync(file);
  const { size } = decodeHeader(b, 96);
  return decodeHeader(b, 96 + size + ((8 - (size % 8)) % 8)).header.regionBlob()!;
}

/** Minimal DER encoding (for hand-made DSA private keys). */
export function derLen(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.of(tag, ...len), body]);
}
export const derInt = (x: Uint8Array) => derLen(0x02, x[0]! & 0x80 ? Buffer.concat([Buffer.of(0), x]) : Buffer.from(x));
export const derSeq = (...p: Buffer[]) => derLen(0x30, Buffer.concat(p));

/** A v3 signature packet (RFC 4880 5.2.2, binary document) made with node:crypto. */
export function craftV3(data: Uint8Array, keyIdHex: string, pkAlgo: number, signer: (msg: Buffer) => Buffer, mpis: (sig: Buffer) => Buffer[]): Buffer {
  const trailer = Buffer.alloc(5);
  trailer.writeUInt32BE(Math.floor(Date.now() / 1000), 1);
  const msg = Buffer.concat([data, trailer]);
  const left16 = createHash('sha256').update(msg).digest().subarray(0, 2);
  const mpi = (v: Buffer) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const m = v.subarray(i);
    const bits = (m.length - 1) * 8 + (32 - Math.clz32(m[0]!));
    return Buffer.concat([Buffer.of(bits >> 8, bits & 0xff), m]);
  };
  const body = Buffer.concat([Buffer.of(3, 5, 0), trailer.subarray(1), Buffer.from(keyIdHex, 'hex'), Buffer.of(pkAlgo, 8), left16, ...mpis(signer(msg)).map(mpi)]);
  return Buffer.concat([Buffer.of(0x89, body.length >> 8, body.length & 0xff), body]); // old format, 2-byte length
}
