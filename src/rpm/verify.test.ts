/**
 * RPM verification against the real `rpmkeys -K` and against rpm's own expectations in
 * test/fixtures/rpm/at/rpmsigdig.at (for keys/formats the installed rpm cannot handle, e.g.
 * v6 keys or Debian 12's rpm 4.18 rejecting alice.asc at import). Packages signed here with
 * every kind of key are in verify-signers.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '../core/pgp.js';
import { CollectingReport } from '../core/report.js';
import { decodeHeader } from './header.js';
import { requireVerified, verifyPackage, type PackageVerification } from './verify.js';
import { fixtures, requireTool, runCli, tempDir } from '../../test/helpers/cli.js';
import { KEYS, PACKAGES, PUBLIC_KEYS, assertSameVerdict, key, rpm, rpmdb, rpmkeysK, zeroed } from '../../test/helpers/rpmkeys.js';

test('same verdict as rpmkeys -K on every fixture package, without keys and with each key', async (t) => {
  if (!requireTool(t, 'rpmkeys')) return;
  const scenarios: string[][] = [[], ...PUBLIC_KEYS.map((k) => [k])];
  let compared = 0;
  let skippedKeys = 0;
  for (const keys of scenarios) {
    const { db, imported } = rpmdb(t, keys);
    if (imported.length !== keys.length) {
      skippedKeys++; // the installed rpm cannot use this key; rpmsigdig.at cases below cover it
      continue;
    }
    const keyring = await Keyring.fromFiles(keys, new CollectingReport());
    const theirs = rpmkeysK(db, PACKAGES);
    for (const p of PACKAGES) {
      const ours = await verifyPackage(p, { keyring });
      assertSameVerdict(ours, theirs.get(p), `${p} with [${keys.map((k) => k.slice(KEYS.length + 1)).join(', ')}]`);
      compared++;
    }
  }
  t.diagnostic(`compared ${compared} verdicts with rpmkeys; ${skippedKeys} of ${PUBLIC_KEYS.length} keys unusable by this rpm`);
  assert.ok(compared >= PACKAGES.length * 2, `compared ${compared} verdicts (${skippedKeys} keys unusable by this rpm)`);
});

test('all keys the installed rpm accepts, imported together: same verdicts', async (t) => {
  if (!requireTool(t, 'rpmkeys')) return;
  // alice-* variants share a primary key: rpm keeps the first; keep the plain one only
  const keys = PUBLIC_KEYS.filter((k) => !/alice-(expired|revoked)/.test(k));
  const { db, imported } = rpmdb(t, keys);
  const keyring = await Keyring.fromFiles(imported, new CollectingReport());
  const theirs = rpmkeysK(db, PACKAGES);
  for (const p of PACKAGES) assertSameVerdict(await verifyPackage(p, { keyring }), theirs.get(p), p);
});

/**
 * Expected verdicts from rpm's test suite (test/fixtures/rpm/at/rpmsigdig.at), checked even
 * where the installed rpm lacks the capability. `status` lists the per-signature verdicts.
 */
const AT_CASES: Array<{ at: string; pkg: string; keys: string[]; ok: boolean; status?: string[] }> = [
  { at: 'rpmkeys -Kv <unsigned> 1', pkg: 'hello-2.0-1.x86_64.rpm', keys: [], ok: false },
  { at: 'rpmkeys --import signed with a good subkey', pkg: 'hello-2.0-1.x86_64-signed-with-subkey.rpm', keys: ['alice.asc'], ok: true, status: ['ok'] },
  { at: 'rpmkeys --import signed with a good subkey (before import)', pkg: 'hello-2.0-1.x86_64-signed-with-subkey.rpm', keys: [], ok: false, status: ['missing-key'] },
  { at: 'rpmkeys --import signed with an expired subkey', pkg: 'hello-2.0-1.x86_64-signed-with-subkey.rpm', keys: ['alice-expired-subkey.asc'], ok: false, status: ['expired-key'] },
  { at: 'rpmkeys --import signed with a revoked subkey', pkg: 'hello-2.0-1.x86_64-signed-with-subkey.rpm', keys: ['alice-revoked-subkey.asc'], ok: false, status: ['revoked-key'] },
  { at: 'rpmkeys key update and delete (rpmdb): old certificate', pkg: 'hello-2.0-1.x86_64-signed-with-new-subkey.rpm', keys: ['rpm.org-rsa-2048-test.pub'], ok: false, status: ['missing-key'] },
  { at: 'rpmkeys key update and delete (rpmdb): updated certificate', pkg: 'hello-2.0-1.x86_64-signed-with-new-subkey.rpm', keys: ['rpm.org-rsa-2048-add-subkey.asc'], ok: true, status: ['ok'] },
  { at: 'rpmkeys -Kv <signed> 1 (v3)', pkg: 'hello-2.0-1.x86_64-v3-signed.rpm', keys: ['rpm.org-rsa-2048-test.pub'], ok: true, status: ['ok', 'ok'] },
  { at: 'rpmkeys -Kv <signed> 1 (v4)', pkg: 'hello-2.0-1.x86_64-signed.rpm', keys: ['rpm.org-rsa-2048-test.pub'], ok: true, status: ['ok', 'ok'] },
  { at: 'rpmkeys -Kv <signed> 1 (no key)', pkg: 'hello-2.0-1.x86_64-signed.rpm', keys: [], ok: false, status: ['missing-key', 'missing-key'] },
  { at: 'v3 signature in v6 package', pkg: 'hlinktest-1.0-1.noarch-v3sig.rpm', keys: ['rpm.org-rsa-2048-test.pub'], ok: true },
  { at: 'ML-DSA keys and signatures (ML-DSA unsupported here, RSA valid)', pkg: 'hello-2.0-1.x86_64-signed-mldsa87.rpm', keys: ['rpm.org-rsa-2048-test.pub', 'unknown/rpm.org-v6-mldsa87-test.asc'], ok: true, status: ['ok', 'ok', 'unsupported', 'ok'] },
  { at: 'rpmkeys -Kv <corrupted signed> 4', pkg: 'hello-2.0-1.x86_64-corrupted.rpm', keys: ['rpm.org-rsa-2048-test.pub'], ok: false },
];

for (const c of AT_CASES) {
  test(`rpmsigdig.at: ${c.at}`, async () => {
    const keyring = await Keyring.fromFiles(c.keys.map(key), new CollectingReport());
    const r = await verifyPackage(rpm(c.pkg), { keyring });
    assert.equal(r.ok, c.ok, r.summary);
    if (c.status) assert.deepEqual(r.signatures.map((s) => s.status).sort(), [...c.status].sort(), r.summary);
    if (r.signatures.some((s) => s.status === 'unsupported')) assert.ok(r.signatures.filter((s) => s.status === 'unsupported').every((s) => /ML-DSA/.test(s.algorithm!)));
  });
}

test('tampered packages (signature, header, payload) match rpmkeys -K and rpmsigdig.at', async (t) => {
  if (!requireTool(t, 'rpmkeys')) return;
  const dir = tempDir(t);
  const files = [
    zeroed(dir, 'hello-2.0-1.x86_64-signed.rpm', 264), // inside the RSA header signature
    zeroed(dir, 'hello-2.0-1.x86_64-signed.rpm', 5555), // main header
    zeroed(dir, 'hello-2.0-1.x86_64-signed.rpm', 7777), // payload
    zeroed(dir, 'hello-2.0-1.x86_64-v3-signed.rpm', 5555),
    zeroed(dir, 'hello-2.0-1.x86_64-v3-signed.rpm', 7777),
    zeroed(dir, 'hello-2.0-1.x86_64.rpm', 5555),
    zeroed(dir, 'hello-2.0-1.x86_64.rpm', 7777),
  ];
  for (const keys of [[], [key('rpm.org-rsa-2048-test.pub')]]) {
    const { db } = rpmdb(t, keys);
    const theirs = rpmkeysK(db, files);
    const keyring = await Keyring.fromFiles(keys);
    for (const f of files) {
      const ours = await verifyPackage(f, { keyring });
      assert.equal(ours.ok, false, `${f}: tampered package passed`);
      assertSameVerdict(ours, theirs.get(f), f);
      const lax = await verifyPackage(f, { keyring, allowUnsigned: true });
      assert.equal(lax.ok, false, `${f}: --allow-unsigned must not accept a tampered package`);
    }
  }
});

test('legacy header+payload signatures verify streamed as well as buffered', async (t) => {
  const keyring = await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]);
  const dir = tempDir(t);
  for (const f of ['hello-2.0-1.x86_64-signed.rpm', 'hello-2.0-1.x86_64-v3-signed.rpm']) {
    const r = await verifyPackage(rpm(f), { keyring, legacyBufferMax: 0 });
    assert.equal(r.ok, true, r.summary);
    assert.ok(r.signatures.some((s) => s.scope === 'header+payload' && s.status === 'ok'));
    const bad = await verifyPackage(zeroed(dir, f, 7777), { keyring, legacyBufferMax: 0 });
    assert.equal(bad.signatures.find((s) => s.scope === 'header+payload')?.status, 'bad');
  }
});

test('unsigned packages fail by default and pass with allowUnsigned (with RPM_UNSIGNED_ALLOWED)', async () => {
  const report = new CollectingReport();
  const strict = await verifyPackage(rpm('hello-2.0-1.x86_64.rpm'), { keyring: Keyring.empty(), report });
  assert.equal(strict.ok, false);
  assert.equal(strict.signed, false);
  assert.equal(strict.summary, 'digests SIGNATURES NOT OK (UNSIGNED)');
  assert.equal(report.warnings.length, 0);
  const lax = await verifyPackage(rpm('hello-2.0-1.x86_64.rpm'), { keyring: Keyring.empty(), allowUnsigned: true, report });
  assert.equal(lax.ok, true);
  assert.deepEqual(report.warnings.map((w) => w.code), ['RPM_UNSIGNED_ALLOWED']);
  assert.deepEqual(lax.digests.map((d) => [d.name, d.status]), [
    ['Header SHA256 digest', 'ok'],
    ['Header SHA1 digest', 'ok'],
    ['Payload SHA256 digest', 'ok'],
    ['MD5 digest', 'ok'],
    ['Header+payload size', 'ok'],
  ]);
});

test('payload ALT digest (uncompressed payload) and SHA3-256 header digest are checked', async (t) => {
  const alt = await verifyPackage(rpm('hlinktest-1.0-1.noarch.rpm'), { keyring: Keyring.empty(), allowUnsigned: true });
  const d = alt.digests.find((x) => x.name === 'Payload SHA256 ALT digest');
  assert.equal(d?.status, 'ok');
  assert.equal(d?.scope, 'payload-uncompressed');
  const v6 = await verifyPackage(rpm('hlinktest-1.0-1.noarch-v3sig.rpm'), { keyring: Keyring.empty(), allowUnsigned: true });
  assert.ok(v6.digests.some((x) => x.name === 'Header SHA3-256 digest' && x.status === 'ok'), JSON.stringify(v6.digests.map((x) => x.name)));
  // compressed payloads: ALT is checked only on request (rpmkeys -K skips it as well)
  const foo = rpm('foo-1.0-1.noarch.rpm');
  const auto = await verifyPackage(foo, { keyring: Keyring.empty(), allowUnsigned: true });
  assert.ok(!auto.digests.some((x) => x.scope === 'payload-uncompressed'));
  const always = await verifyPackage(foo, { keyring: Keyring.empty(), allowUnsigned: true, checkAlt: 'always' });
  assert.deepEqual(always.digests.filter((x) => x.scope === 'payload-uncompressed').map((x) => [x.name, x.status]), [
    ['Payload SHA256 ALT digest', 'ok'],
    ['Payload size', 'ok'],
  ]);
  // corrupt the (uncompressed) payload of the ALT package: both payload digests fail
  const dir = tempDir(t);
  const f = join(dir, 'alt.rpm');
  copyFileSync(rpm('hlinktest-1.0-1.noarch.rpm'), f);
  const b = readFileSync(f);
  b[b.length - 100]! ^= 0xff;
  writeFileSync(f, b);
  const bad = await verifyPackage(f, { keyring: Keyring.empty(), allowUnsigned: true });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.digests.filter((x) => x.status === 'bad').map((x) => x.name), ['Payload SHA256 digest', 'Payload SHA256 ALT digest', 'MD5 digest']);
});

test('CLI: rpm verify lines, exit status, --json, --allow-unsigned warning, unreadable files', (t) => {
  const signed = rpm('hello-2.0-1.x86_64-signed.rpm');
  const unsigned = rpm('hello-2.0-1.x86_64.rpm');
  const rsa = key('rpm.org-rsa-2048-test.pub');
  const nokey = runCli(['rpm', 'verify', signed]);
  assert.equal(nokey.status, 1);
  assert.equal(nokey.stdout, `${signed}: digests SIGNATURES NOT OK (MISSING KEY: 4344591e1964c5fc)\n`);

  const mixed = runCli(['rpm', 'verify', signed, unsigned, rpm('foo-1.0-1.noarch.rpm'), '-k', rsa, '-v', '--decompress']);
  assert.equal(mixed.status, 1);
  assert.match(mixed.stdout, /hello-2\.0-1\.x86_64\.rpm: digests SIGNATURES NOT OK \(UNSIGNED\)/);
  assert.match(mixed.stdout, /^ {4}Header OpenPGP V4 RSA\/SHA256 signature, key fingerprint: 771b18d3d7baa28734333c424344591e1964c5fc: OK$/m);
  assert.match(mixed.stdout, /^ {4}Payload SHA256 digest: OK$/m);
  assert.match(mixed.stdout, /^ {4}Payload SHA256 ALT digest: OK$/m, 'foo (zstd) decompressed for its ALT digest');

  const lax = runCli(['rpm', 'verify', unsigned, '--allow-unsigned']);
  assert.equal(lax.status, 0, lax.stderr);
  assert.equal(lax.stdout, `${unsigned}: digests OK\n`);
  assert.match(lax.stderr, /RPM_UNSIGNED_ALLOWED/);

  const json = runCli(['--json', 'rpm', 'verify', signed, join(fixtures, 'PROVENANCE.md'), '-k', rsa]);
  assert.equal(json.status, 1);
  const doc = JSON.parse(json.stdout) as { ok: boolean; results: Array<{ ok: boolean; signatures?: Array<{ status: string; keyId: string }>; error?: { code: string } }> };
  assert.equal(doc.ok, false);
  assert.equal(doc.results[0]!.ok, true);
  assert.deepEqual(doc.results[0]!.signatures!.map((s) => [s.status, s.keyId]), [['ok', '4344591e1964c5fc'], ['ok', '4344591e1964c5fc']]);
  assert.equal(doc.results[1]!.ok, false);
  assert.match(doc.results[1]!.error!.code, /^RPM_/);

  const badKey = runCli(['rpm', 'verify', signed, '--keyring', join(fixtures, 'PROVENANCE.md')]);
  assert.equal(badKey.status, 1);
  assert.match(badKey.stderr, /PGP_BAD_KEY/);
  void t;
});

test('requireVerified throws the coded reason', async (t) => {
  const rsa = await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]);
  const code = async (file: string, keyring: Keyring) => {
    try {
      requireVerified(await verifyPackage(file, { keyring }));
      return 'passed';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };
  const dir = tempDir(t);
  assert.equal(await code(rpm('hello-2.0-1.x86_64-signed.rpm'), rsa), 'passed');
  assert.equal(await code(rpm('hello-2.0-1.x86_64-signed.rpm'), Keyring.empty()), 'RPM_MISSING_KEY');
  assert.equal(await code(rpm('hello-2.0-1.x86_64.rpm'), rsa), 'RPM_UNSIGNED');
  assert.equal(await code(zeroed(dir, 'hello-2.0-1.x86_64-signed.rpm', 7777), rsa), 'RPM_DIGEST_MISMATCH');
  assert.equal(await code(zeroed(dir, 'hello-2.0-1.x86_64-signed.rpm', 264), rsa), 'RPM_SIGNATURE_INVALID');
  assert.equal(await code(rpm('hello-2.0-1.x86_64-signed-with-subkey.rpm'), await Keyring.fromFiles([key('alice-expired-subkey.asc')])), 'RPM_KEY_EXPIRED');
  assert.equal(await code(rpm('hello-2.0-1.x86_64-signed-with-subkey.rpm'), await Keyring.fromFiles([key('alice-revoked-subkey.asc')])), 'RPM_KEY_REVOKED');
});

test('fuzz (fixed seed): mutated signed packages never pass, and fail only with coded errors', async () => {
  const src = readFileSync(rpm('hello-2.0-1.x86_64-signed.rpm'));
  const { size } = decodeHeader(src, 96);
  const mainAt = 96 + size + ((8 - (size % 8)) % 8);
  const keyring = await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]);
  let seed = 0x5eed1234;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const { openPackageBytes } = await import('./package.js');
  const { verifyOpenedPackage } = await import('./verify.js');
  let rejected = 0;
  for (let i = 0; i < 150; i++) {
    const b = Uint8Array.from(src);
    // half the mutations target the signature header (where the OpenPGP packets are)
    const at = i % 2 ? 96 + rand(size) : rand(b.length);
    b[at]! ^= 1 + rand(255);
    let r: PackageVerification | undefined;
    try {
      r = await verifyOpenedPackage(await openPackageBytes(b, { path: `mutant-${i}` }), { keyring });
    } catch (e) {
      assert.match(String((e as { code?: string }).code), /^[A-Z]+_[A-Z_]+$/, `mutation at ${at}: uncoded ${String(e)}`);
      rejected++;
      continue;
    }
    if (r.ok) assert.ok(at < mainAt, `mutation at ${at} (main header/payload) passed verification`);
    else rejected++;
  }
  assert.ok(rejected > 50, `only ${rejected} mutants rejected`);
});
