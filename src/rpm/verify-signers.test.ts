/**
 * Packages signed in the test with every kind of key — rpmsign + gpg (RSA, Ed25519, DSA),
 * openpgp.js with rpm's fixture keys (RSA, EdDSA, ECDSA P-256, subkeys, v6 Ed25519/RSA, several
 * signatures in the OPENPGP array), hand-made v3 packets — verified here and, where the
 * installed rpm can, by `rpmkeys -K`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { Keyring, signDetached } from '../core/pgp.js';
import { parseSignaturePacket, rsaPublicKey, verifyV3 } from '../core/pgp-packets.js';
import { CollectingReport } from '../core/report.js';
import { decodeHeader } from './header.js';
import { SigTag, TagType } from './tags.js';
import { verifyPackage } from './verify.js';
import { requireTool, run, runCli, tempDir } from '../../test/helpers/cli.js';
import { assertSameVerdict, craftV3, derInt, derLen, derSeq, key, regionOf, resign, rpm, rpmdb, rpmkeysK } from '../../test/helpers/rpmkeys.js';

test('v6 multi-signature packages (OPENPGP string array): v6 Ed25519 + v4 RSA', async (t) => {
  const dir = tempDir(t);
  const base = rpm('hello-2.0-1.x86_64.rpm');
  const region = regionOf(base);
  const date = new Date(Date.UTC(2025, 5, 1));
  const v6 = (await signDetached(readFileSync(key('rpm.org-v6-ed25519-test.secret'), 'utf8'), region, { date })) as Uint8Array;
  const v4 = (await signDetached(readFileSync(key('rpm.org-rsa-2048-test.secret'), 'utf8'), region, { date, hash: 'sha512' })) as Uint8Array;
  const out = join(dir, 'multisig.rpm');
  resign(base, out, [{ tag: SigTag.OPENPGP, type: TagType.STRING_ARRAY, value: [Buffer.from(v6).toString('base64'), Buffer.from(v4).toString('base64')] }]);

  const both = await Keyring.fromFiles([key('rpm.org-v6-ed25519-test.asc'), key('rpm.org-rsa-2048-test.pub')]);
  const r = await verifyPackage(out, { keyring: both });
  assert.equal(r.ok, true, r.summary);
  assert.deepEqual(r.signatures.map((s) => [s.version, s.status]), [[6, 'ok'], [4, 'ok']]);
  // as in rpmsigdig.at "rpmsign --addsign multisig v4": one signature without a key fails the package
  const onlyRsa = await verifyPackage(out, { keyring: await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]) });
  assert.equal(onlyRsa.ok, false, onlyRsa.summary);
  assert.match(onlyRsa.summary, /MISSING KEY/);
  // --allow-unsigned tolerates the missing key (as it would a missing signature), loudly
  const report = new CollectingReport();
  const lax = await verifyPackage(out, { keyring: await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]), allowUnsigned: true, report });
  assert.equal(lax.ok, true, lax.summary);
  assert.equal(lax.unsignedAllowed, true);
  assert.equal(report.warnings[0]?.code, 'RPM_UNSIGNED_ALLOWED');
  // a corrupted second signature fails the package although the first is valid
  const badV4 = Uint8Array.from(v4);
  badV4[badV4.length - 3]! ^= 0xff;
  const out2 = join(dir, 'multisig-bad.rpm');
  resign(base, out2, [{ tag: SigTag.OPENPGP, type: TagType.STRING_ARRAY, value: [Buffer.from(v6).toString('base64'), Buffer.from(badV4).toString('base64')] }]);
  assert.equal((await verifyPackage(out2, { keyring: both })).ok, false);

  if (requireTool(t, 'rpmkeys')) {
    const { db, imported } = rpmdb(t, [key('rpm.org-v6-ed25519-test.asc'), key('rpm.org-rsa-2048-test.pub')]);
    const theirs = rpmkeysK(db, [out, out2]);
    if (imported.length === 2) {
      // this rpm understands v6 keys (and so the OPENPGP tag): compare
      assertSameVerdict(r, theirs.get(out), out);
      assertSameVerdict(await verifyPackage(out2, { keyring: both }), theirs.get(out2), out2);
    } else {
      assert.equal(theirs.get(out)?.digests, true, 'the rewritten signature header must stay readable to rpm');
    }
  }
});

test('a package signed only with ML-DSA is never valid; --allow-unsigned accepts it loudly', async (t) => {
  const dir = tempDir(t);
  const src = rpm('hello-2.0-1.x86_64-signed-mldsa87.rpm');
  const b = readFileSync(src);
  const { header } = decodeHeader(b, 96);
  const out = join(dir, 'mldsa-only.rpm');
  // keep only the ML-DSA entry of the OPENPGP array (the version 6 signature packet)
  const v6only = header.getStrings(SigTag.OPENPGP)!.filter((s) => parseSignaturePacket(Buffer.from(s, 'base64')).version === 6);
  assert.equal(v6only.length, 1);
  resign(src, out, [{ tag: SigTag.OPENPGP, type: TagType.STRING_ARRAY, value: v6only }], [SigTag.RSA, SigTag.PGP, SigTag.DSA, SigTag.GPG]);
  const keyring = await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub'), key('unknown/rpm.org-v6-mldsa87-test.asc')], new CollectingReport());
  const r = await verifyPackage(out, { keyring });
  assert.equal(r.ok, false, r.summary);
  assert.deepEqual(r.signatures.map((s) => s.status), ['unsupported']);
  const report = new CollectingReport();
  const lax = await verifyPackage(out, { keyring, allowUnsigned: true, report });
  assert.equal(lax.ok, true, lax.summary);
  assert.equal(lax.unsignedAllowed, true);
  assert.equal(report.warnings[0]?.code, 'RPM_UNSIGNED_ALLOWED');
});

for (const algo of ['rsa3072', 'ed25519', 'dsa2048'] as const) {
  test(`rpmsign --addsign (${algo}, gpg) packages verify here and with rpmkeys`, async (t) => {
    if (!requireTool(t, 'rpmsign', 'rpmkeys', 'gpg', 'gpgconf')) return;
    const dir = tempDir(t, 'dl-sign-');
    const home = join(dir, 'gnupg');
    mkdirSync(home, { mode: 0o700 });
    const env = { GNUPGHOME: home };
    t.after(() => run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { env }));
    const uid = `Driftless ${algo} <${algo}@driftless.test>`;
    const gen = run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', uid, algo, 'sign', 'never'], { env });
    if (gen.status !== 0) {
      // this gpg cannot make such keys: nothing to compare against
      t.skip(`gpg cannot generate ${algo} keys: ${gen.stderr.trim()}`);
      return;
    }
    const pub = join(dir, 'pub.asc');
    writeFileSync(pub, run('gpg', ['--armor', '--export', uid], { env }).stdout);
    const pkg = join(dir, 'hello.rpm');
    copyFileSync(rpm('hello-2.0-1.x86_64.rpm'), pkg);
    // rpm's %__gpg may name gpg2, which Debian does not ship: point it at the gpg on PATH
    const gpg = run('sh', ['-c', 'command -v gpg']).stdout.trim();
    const signed = run('rpmsign', ['--define', `__gpg ${gpg}`, '--define', `_gpg_name ${uid}`, '--define', `_gpg_path ${home}`, '--addsign', pkg], { env });
    assert.equal(signed.status, 0, signed.stderr);

    const keyring = await Keyring.fromFiles([pub]);
    const ours = await verifyPackage(pkg, { keyring });
    assert.equal(ours.ok, true, ours.summary);
    assert.ok(ours.signatures.every((s) => s.status === 'ok' && s.algorithm === { ed25519: 'EdDSA', rsa3072: 'RSA', dsa2048: 'DSA' }[algo]));
    const { db, imported } = rpmdb(t, [pub]);
    assert.equal(imported.length, 1, 'rpmkeys imports the gpg key');
    const theirs = rpmkeysK(db, [pkg]).get(pkg);
    if (algo === 'dsa2048' && theirs && !theirs.ok) {
      // rpm's Sequoia backend may refuse DSA by policy; its legacy backend (and driftless) accept it
      t.diagnostic(`this rpm refuses DSA signatures: ${theirs.line}`);
    } else {
      assertSameVerdict(ours, theirs, pkg);
    }
    // and without the key, both say so
    const { db: empty } = rpmdb(t, []);
    assertSameVerdict(await verifyPackage(pkg, { keyring: Keyring.empty() }), rpmkeysK(empty, [pkg]).get(pkg), `${pkg} (no key)`);

    if (algo !== 'rsa3072') return;
    // the CLI gives the same answer and exit status
    const cli = runCli(['rpm', 'verify', pkg, '--keyring', pub]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(cli.stdout.trim(), `${pkg}: digests signatures OK`);
  });
}

/** Fixture secret keys → the signature tag rpm uses for them (OPENPGP for v6 packages). */
const RESIGN: Array<{ secret: string; pub: string; tag: number; algorithm: string }> = [
  { secret: 'rpm.org-rsa-2048-test.secret', pub: 'rpm.org-rsa-2048-test.pub', tag: SigTag.RSA, algorithm: 'RSA' },
  { secret: 'rpm.org-ed25519-test.secret', pub: 'rpm.org-ed25519-test.pub', tag: SigTag.DSA, algorithm: 'EdDSA' },
  { secret: 'rpm.org-nistp256-test.secret', pub: 'rpm.org-nistp256-test.pub', tag: SigTag.DSA, algorithm: 'ECDSA' },
  { secret: 'alice.secret', pub: 'alice.asc', tag: SigTag.RSA, algorithm: 'RSA' },
  { secret: 'keyidcollision1.asc', pub: 'keyidcollision1.pub', tag: SigTag.DSA, algorithm: 'EdDSA' },
  { secret: 'rpm.org-v6-ed25519-test.secret', pub: 'rpm.org-v6-ed25519-test.asc', tag: SigTag.OPENPGP, algorithm: 'Ed25519' },
  { secret: 'rpm.org-v6-rsa4k-test.secret', pub: 'rpm.org-v6-rsa4k-test.asc', tag: SigTag.OPENPGP, algorithm: 'RSA' },
];

test('packages re-signed with every fixture secret key: valid, tamper-evident, same as rpmkeys where it can', async (t) => {
  const dir = tempDir(t);
  const base = rpm('hello-2.0-1.x86_64.rpm');
  const region = regionOf(base);
  const date = new Date(Date.UTC(2025, 5, 1));
  const live = requireTool(t, 'rpmkeys');
  for (const r of RESIGN) {
    const sig = (await signDetached(readFileSync(key(r.secret), 'utf8'), region, { date, hash: 'sha512' })) as Uint8Array;
    const value = r.tag === SigTag.OPENPGP ? [Buffer.from(sig).toString('base64')] : sig;
    const out = join(dir, `${r.secret}.rpm`);
    resign(base, out, [{ tag: r.tag, type: r.tag === SigTag.OPENPGP ? TagType.STRING_ARRAY : TagType.BIN, value }]);
    const tampered = join(dir, `${r.secret}-tampered.rpm`);
    const b = readFileSync(out);
    const { size } = decodeHeader(b, 96);
    const mainAt = 96 + size + ((8 - (size % 8)) % 8);
    b[mainAt + decodeHeader(b, mainAt).size - 60]! ^= 0x01; // a byte of the main header's data
    writeFileSync(tampered, b);

    const keyring = await Keyring.fromFiles([key(r.pub)]);
    const ours = await verifyPackage(out, { keyring });
    assert.equal(ours.ok, true, `${r.secret}: ${ours.summary}`);
    assert.deepEqual(ours.signatures.map((s) => s.algorithm), [r.algorithm]);
    const bad = await verifyPackage(tampered, { keyring });
    assert.equal(bad.ok, false, `${r.secret} tampered: ${bad.summary}`);
    if (live) {
      const { db, imported } = rpmdb(t, [key(r.pub)]);
      if (imported.length === 1) {
        const theirs = rpmkeysK(db, [out, tampered]);
        assertSameVerdict(ours, theirs.get(out), out);
        assertSameVerdict(bad, theirs.get(tampered), tampered);
      }
    }
  }
});

test('rpmsigdig.at "key id collision": the other certificate with the same key id gives BAD', async (t) => {
  const dir = tempDir(t);
  const base = rpm('hello-2.0-1.x86_64.rpm');
  const date = new Date(Date.UTC(2025, 5, 1));
  const sig = (await signDetached(readFileSync(key('keyidcollision1.asc'), 'utf8'), regionOf(base), { date, hash: 'sha256' })) as Uint8Array;
  const out = join(dir, 'collision.rpm');
  resign(base, out, [{ tag: SigTag.DSA, type: TagType.BIN, value: sig }]);
  const other = await verifyPackage(out, { keyring: await Keyring.fromFiles([key('keyidcollision2.pub')]) });
  assert.equal(other.ok, false);
  assert.equal(other.signatures[0]?.status, 'bad');
  assert.equal(other.signatures[0]?.fingerprint, '94706f8da571389e8642bdfd42655a75156b3de0');
  const both = await verifyPackage(out, { keyring: await Keyring.fromFiles([key('keyidcollision2.pub'), key('keyidcollision1.pub')]) });
  assert.equal(both.ok, true, both.summary);
  assert.equal(both.signatures[0]?.fingerprint, '79cc07f167fee8841829acaa42655a75156b3de0');
  if (requireTool(t, 'rpmkeys')) {
    const { db, imported } = rpmdb(t, [key('keyidcollision2.pub')]);
    if (imported.length === 1) assertSameVerdict(other, rpmkeysK(db, [out]).get(out), 'collision, other key');
  }
});

test('v3 DSA signatures (old packages) verify like rpmkeys', async (t) => {
  if (!requireTool(t, 'gpg', 'gpgconf')) return;
  const dir = tempDir(t, 'dl-v3dsa-');
  const home = join(dir, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  const env = { GNUPGHOME: home };
  t.after(() => run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { env }));
  const uid = 'Driftless v3 DSA <dsa@driftless.test>';
  const gen = run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', uid, 'dsa2048', 'sign', 'never'], { env });
  if (gen.status !== 0) return t.skip(`gpg cannot generate DSA keys: ${gen.stderr.trim()}`);
  const pub = join(dir, 'pub.asc');
  writeFileSync(pub, run('gpg', ['--armor', '--export', uid], { env }).stdout);
  const secret = run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--armor', '--export-secret-keys', uid], { env }).stdout;
  const sk = await openpgp.readPrivateKey({ armoredKey: secret });
  const { p, q, g } = sk.keyPacket.publicParams as unknown as Record<string, Uint8Array>;
  const { x } = (sk.keyPacket as unknown as { privateParams: Record<string, Uint8Array> }).privateParams;
  const dsaOid = Buffer.of(0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01);
  const pkcs8 = derSeq(derInt(Uint8Array.of(0)), derSeq(dsaOid, derSeq(derInt(p!), derInt(q!), derInt(g!))), derLen(0x04, derInt(x!)));
  const priv = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });

  /** A v3 signature by the DSA primary key over `data` (MPIs r and s). */
  const v3sig = (data: Uint8Array) =>
    craftV3(data, sk.getKeyID().toHex(), 17, (m) => sign('sha256', m, { key: priv, dsaEncoding: 'ieee-p1363' }), (rs) => [rs.subarray(0, rs.length / 2), rs.subarray(rs.length / 2)]);

  const base = rpm('hello-2.0-1.x86_64.rpm');
  const region = regionOf(base);
  const out = join(dir, 'v3dsa.rpm');
  const sig = v3sig(region);
  assert.equal(parseSignaturePacket(sig).version, 3);
  resign(base, out, [{ tag: SigTag.DSA, type: TagType.BIN, value: sig }]);
  const keyring = await Keyring.fromFiles([pub]);
  const ours = await verifyPackage(out, { keyring });
  assert.equal(ours.ok, true, ours.signatures.map((s) => s.message).join('\n'));
  assert.deepEqual(ours.signatures.map((s) => [s.version, s.algorithm, s.status]), [[3, 'DSA', 'ok']]);
  const forged = Buffer.from(sig);
  forged[forged.length - 5]! ^= 0x10;
  const out2 = join(dir, 'v3dsa-bad.rpm');
  resign(base, out2, [{ tag: SigTag.DSA, type: TagType.BIN, value: forged }]);
  const bad = await verifyPackage(out2, { keyring });
  assert.equal(bad.ok, false, bad.summary);
  if (requireTool(t, 'rpmkeys')) {
    const { db, imported } = rpmdb(t, [pub]);
    if (imported.length === 1) {
      const theirs = rpmkeysK(db, [out, out2]);
      if (theirs.get(out)?.ok) {
        t.diagnostic(`rpmkeys: ${theirs.get(out)!.line} / ${theirs.get(out2)?.line}`);
        assertSameVerdict(ours, theirs.get(out), out);
        assertSameVerdict(bad, theirs.get(out2), out2);
      } else t.diagnostic(`this rpm refuses v3 DSA signatures: ${theirs.get(out)?.line}`);
    }
  }
});

test('CVE-2021-3521 with rpm\'s fixtures: a signature by the encryption-only / badly bound subkey is never valid', async (t) => {
  // rpm.org-rsa-2048-test.secret holds the secret part of subkey 185e6146f00650f8 (flags: encrypt
  // only). The CVE fixture certificates attach that subkey with a bad or missing binding signature.
  const sk = await openpgp.readPrivateKey({ armoredKey: readFileSync(key('rpm.org-rsa-2048-test.secret'), 'utf8') });
  const sub = sk.getSubkeys().find((s) => s.getKeyID().toHex() === '185e6146f00650f8')!;
  const { n, e } = sub.keyPacket.publicParams as unknown as Record<string, Uint8Array>;
  const { d, p, q } = (sub.keyPacket as unknown as { privateParams: Record<string, Uint8Array> }).privateParams;
  const big = (x: Uint8Array) => BigInt(`0x${Buffer.from(x).toString('hex')}`);
  const b64 = (x: bigint) => Buffer.from(x.toString(16).padStart(2 * Math.ceil(x.toString(16).length / 2), '0'), 'hex').toString('base64url');
  const modInv = (a: bigint, m: bigint) => {
    let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
    while (r1) [r0, r1, s0, s1] = [r1, r0 % r1, s1, s0 - (r0 / r1) * s1];
    return ((s0 % m) + m) % m;
  };
  const [D, P, Q] = [big(d!), big(p!), big(q!)];
  const jwk = { kty: 'RSA', n: b64(big(n!)), e: b64(big(e!)), d: b64(D), p: b64(P), q: b64(Q), dp: b64(D % (P - 1n)), dq: b64(D % (Q - 1n)), qi: b64(modInv(Q, P)) };
  const priv = createPrivateKey({ key: jwk, format: 'jwk' });
  const base = rpm('hello-2.0-1.x86_64.rpm');
  const sig = craftV3(regionOf(base), '185e6146f00650f8', 1, (m) => sign('sha256', m, priv), (s) => [s]);
  // the signature itself is cryptographically sound: only the key's validity can reject it
  assert.equal(await verifyV3(parseSignaturePacket(sig), rsaPublicKey(n!, e!), regionOf(base)), true);
  const dir = tempDir(t);
  const out = join(dir, 'subkey-signed.rpm');
  resign(base, out, [{ tag: SigTag.RSA, type: TagType.BIN, value: sig }]);
  for (const f of ['rpm.org-rsa-2048-test.pub', 'CVE-2021-3521-badbind.asc', 'CVE-2021-3521-nosubsig.asc', 'CVE-2021-3521-nosubsig-last.asc']) {
    const r = await verifyPackage(out, { keyring: await Keyring.fromFiles([key(f)]) });
    assert.equal(r.ok, false, `${f}: ${r.summary}`);
    assert.equal(r.signatures[0]?.keyId, '185e6146f00650f8', r.signatures[0]?.message);
    assert.notEqual(r.signatures[0]?.status, 'missing-key', `${f}: the subkey is in the certificate`);
  }
  if (requireTool(t, 'rpmkeys')) {
    const { db, imported } = rpmdb(t, [key('rpm.org-rsa-2048-test.pub')]);
    if (imported.length === 1) {
      assertSameVerdict(await verifyPackage(out, { keyring: await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]) }), rpmkeysK(db, [out]).get(out), out);
    }
  }
});
