import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { Keyring, verifyDetached, signDetached, inspectSignature, publicKeyArmored } from './pgp.js';
import { parseSignaturePacket } from './pgp-packets.js';
import { CollectingReport } from './report.js';
import { isDriftlessError } from './errors.js';
import { decodeHeader } from '../rpm/header.js';
import { SigTag } from '../rpm/tags.js';
import { fixtures } from '../../test/helpers/cli.js';

const KEYS = join(fixtures, 'rpm/keys');
const RPMS = join(fixtures, 'rpm/RPMS');
const key = (f: string) => join(KEYS, f);
const DATE = new Date(Date.UTC(2025, 5, 1));
const data = new TextEncoder().encode('driftless signed data\n');

/** Signature header and main header region of a fixture package (test-only, no package reader). */
function headers(file: string) {
  const b = readFileSync(join(RPMS, file));
  const { header: sig, size } = decodeHeader(b, 96, { label: 'signature header' });
  const off = 96 + size + ((8 - (size % 8)) % 8);
  const { header: main } = decodeHeader(b, off, { label: 'main header' });
  return { sig, region: main.regionBlob()! };
}

test('keyring reads armored, binary and secret keys; lists key ids and fingerprints', async () => {
  const kr = await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub'), key('rpm.org-rsa-2048-test.pgp'), key('alice.secret'), key('rpm.org-v6-ed25519-test.asc')]);
  assert.equal(kr.size, 4);
  assert.ok(kr.keyIds().includes('4344591e1964c5fc'));
  assert.ok(kr.keyIds().includes('185e6146f00650f8'), 'subkeys are listed');
  assert.ok(kr.keyIds().includes('1f71177215217ee0'), 'secret key reduced to its public part');
  assert.ok(kr.fingerprints().includes('771b18d3d7baa28734333c424344591e1964c5fc'));
  assert.ok(kr.fingerprints().includes('b6542f92f30650c36b6f41bcb3a771bfeb04e625'));
  assert.equal(kr.info().find((k) => k.keyId === '036824f0ac60aed6')?.version, 6);
});

test('a file with several armored key blocks yields every key (as rpmkeys --import does)', async () => {
  const bundle = readFileSync(key('rpm.org-rsa-2048-test.pub'), 'utf8') + '\n' + readFileSync(key('rpm.org-ed25519-test.pub'), 'utf8');
  const kr = await Keyring.fromArmored([bundle]);
  assert.deepEqual(kr.fingerprints().sort(), ['152bb32fd9ca982797e835cfb0645aec757bf69e', '771b18d3d7baa28734333c424344591e1964c5fc']);
  // an unreadable block (ML-DSA) does not hide the others when a report collects warnings
  const report = new CollectingReport();
  const mixed = await Keyring.fromArmored([readFileSync(key('unknown/rpm.org-v6-mldsa87-test.asc'), 'utf8') + bundle], report);
  assert.equal(mixed.size, 2);
  assert.match(report.warnings[0]!.message, /key block 1/);
});

test('a directory of key files (like /etc/pki/rpm-gpg) loads every readable key', async () => {
  const report = new CollectingReport();
  const kr = await Keyring.fromFiles([KEYS], report);
  assert.ok(kr.fingerprints().includes('771b18d3d7baa28734333c424344591e1964c5fc'));
  assert.ok(kr.keyIds().includes('036824f0ac60aed6'), 'v6 key');
  assert.ok(report.warnings.some((w) => w.code === 'PGP_BAD_KEY' && /privkey\.pem/.test(w.message)), 'non-key files are skipped with a warning');
});

test('unreadable keys throw PGP_BAD_KEY, or are skipped with a warning when a report is given', async () => {
  await assert.rejects(Keyring.fromArmored(['not a key']), (e) => isDriftlessError(e, 'PGP_BAD_KEY'));
  await assert.rejects(Keyring.fromFiles([key('does-not-exist.asc')]), (e) => isDriftlessError(e, 'PGP_BAD_KEY'));
  const report = new CollectingReport();
  const kr = await Keyring.fromFiles([key('unknown/rpm.org-v6-mldsa87-test.asc'), key('alice.asc')], report);
  assert.equal(kr.size, 1);
  assert.equal(report.warnings[0]?.code, 'PGP_BAD_KEY');
});

for (const [name, secret, pub] of [
  ['RSA v4 (signing subkey)', 'alice.secret', 'alice.asc'],
  ['Ed25519 v4', 'rpm.org-ed25519-test.secret', 'rpm.org-ed25519-test.pub'],
  ['ECDSA P-256 v4', 'rpm.org-nistp256-test.secret', 'rpm.org-nistp256-test.pub'],
  ['RSA v4 primary', 'rpm.org-rsa-2048-test.secret', 'rpm.org-rsa-2048-test.pub'],
  ['Ed25519 v6', 'rpm.org-v6-ed25519-test.secret', 'rpm.org-v6-ed25519-test.asc'],
] as const) {
  test(`sign + verify round trip: ${name}`, async () => {
    const sk = readFileSync(key(secret), 'utf8');
    const kr = await Keyring.fromFiles([key(pub)]);
    const sig = (await signDetached(sk, data, { date: DATE })) as Uint8Array;
    assert.ok(sig instanceof Uint8Array);
    const v = await verifyDetached(kr, sig, data);
    assert.equal(v.status, 'ok', v.message);
    assert.ok(kr.fingerprints().includes(v.fingerprint!));
    assert.equal(v.created, DATE.toISOString());
    const tampered = Uint8Array.from(data);
    tampered[3]! ^= 1;
    assert.equal((await verifyDetached(kr, sig, tampered)).status, 'bad');
    assert.equal((await verifyDetached(Keyring.empty(), sig, data)).status, 'missing-key');
    // streamed data verifies the same way
    const chunks = () => (async function* () { yield data.subarray(0, 5); yield data.subarray(5); })();
    assert.equal((await verifyDetached(kr, sig, chunks)).status, 'ok');
    const armored = await signDetached(sk, data, { date: DATE, armor: true });
    assert.equal(typeof armored, 'string');
    assert.equal((await verifyDetached(kr, armored as string, data)).status, 'ok');
    const facts = await inspectSignature(sig);
    assert.equal(facts.version, pub.includes('v6') ? 6 : 4);
  });
}

test('v4 RSA and EdDSA signatures are reproducible for a fixed date', async () => {
  for (const secret of ['rpm.org-rsa-2048-test.secret', 'rpm.org-ed25519-test.secret']) {
    const sk = readFileSync(key(secret), 'utf8');
    const a = await signDetached(sk, data, { date: DATE });
    const b = await signDetached(sk, data, { date: DATE });
    assert.deepEqual(a, b, secret);
  }
});

test('signing dates older than the key are moved to the key\'s newest self-signature', async () => {
  const sk = readFileSync(key('rpm.org-v6-ed25519-test.secret'), 'utf8');
  const sig = (await signDetached(sk, data, { date: new Date(0) })) as Uint8Array;
  const kr = await Keyring.fromFiles([key('rpm.org-v6-ed25519-test.asc')]);
  const v = await verifyDetached(kr, sig, data);
  assert.equal(v.status, 'ok', v.message);
  assert.ok(new Date(v.created!).getTime() > 0);
});

test('public key export of a secret key verifies its signatures', async () => {
  const sk = readFileSync(key('rpm.org-ed25519-test.secret'), 'utf8');
  const kr = await Keyring.fromArmored([await publicKeyArmored(sk)]);
  assert.equal((await verifyDetached(kr, (await signDetached(sk, data, { date: DATE })) as Uint8Array, data)).status, 'ok');
});

test('RPM header signatures of the fixtures: subkeys, v3, expired and revoked subkeys', async () => {
  const rsa = await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]);
  const signed = headers('hello-2.0-1.x86_64-signed.rpm');
  assert.equal((await verifyDetached(rsa, signed.sig.getBin(SigTag.RSA)!, signed.region)).status, 'ok');

  const v3 = headers('hello-2.0-1.x86_64-v3-signed.rpm');
  const v3sig = v3.sig.getBin(SigTag.RSA)!;
  assert.equal(parseSignaturePacket(v3sig).version, 3);
  const ok3 = await verifyDetached(rsa, v3sig, v3.region);
  assert.equal(ok3.status, 'ok', ok3.message);
  assert.equal(ok3.version, 3);
  const bad3 = Uint8Array.from(v3.region);
  bad3[bad3.length - 40]! ^= 0x40;
  assert.equal((await verifyDetached(rsa, v3sig, bad3)).status, 'bad');

  const sub = headers('hello-2.0-1.x86_64-signed-with-subkey.rpm');
  const subSig = sub.sig.getBin(SigTag.RSA)!;
  const expect = { 'alice.asc': 'ok', 'alice-expired-subkey.asc': 'expired-key', 'alice-revoked-subkey.asc': 'revoked-key' } as const;
  for (const [file, status] of Object.entries(expect)) {
    const v = await verifyDetached(await Keyring.fromFiles([key(file)]), subSig, sub.region);
    assert.equal(v.status, status, `${file}: ${v.message}`);
    assert.equal(v.keyId, '1f71177215217ee0');
  }

  const newSub = headers('hello-2.0-1.x86_64-signed-with-new-subkey.rpm');
  const edSig = newSub.sig.getBin(SigTag.DSA)!;
  assert.equal((await verifyDetached(rsa, edSig, newSub.region)).status, 'missing-key', 'old certificate lacks the new subkey');
  const withSub = await Keyring.fromFiles([key('rpm.org-rsa-2048-add-subkey.asc')]);
  assert.equal((await verifyDetached(withSub, edSig, newSub.region)).status, 'ok');
});

test('ML-DSA signatures are unsupported, never valid', async () => {
  const m = headers('hello-2.0-1.x86_64-signed-mldsa87.rpm');
  const sigs = m.sig.getStrings(SigTag.OPENPGP)!;
  const kr = await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]);
  const verdicts = await Promise.all(sigs.map((s) => verifyDetached(kr, Buffer.from(s, 'base64'), m.region)));
  assert.deepEqual(verdicts.map((v) => v.status).sort(), ['ok', 'unsupported']);
  assert.match(verdicts.find((v) => v.status === 'unsupported')!.algorithm!, /ML-DSA/);
});

test('garbage and non-signature packets are malformed', async () => {
  const kr = Keyring.empty();
  assert.equal((await verifyDetached(kr, Uint8Array.of(1, 2, 3), data)).status, 'malformed');
  const pub = readFileSync(key('rpm.org-rsa-2048-test.pgp'));
  assert.equal((await verifyDetached(kr, pub, data)).status, 'malformed');
  // the corrupted signature of rpm's "corrupted signed 1" case (6 zero bytes at file offset 264)
  const b = readFileSync(join(RPMS, 'hello-2.0-1.x86_64-signed.rpm'));
  b.fill(0, 264, 270);
  const { header } = decodeHeader(b, 96);
  const rsa = await Keyring.fromFiles([key('rpm.org-rsa-2048-test.pub')]);
  assert.notEqual((await verifyDetached(rsa, header.getBin(SigTag.RSA)!, headers('hello-2.0-1.x86_64-signed.rpm').region)).status, 'ok');
});

test('key-id collisions: every certificate with the issuer key id is tried', async () => {
  const sk1 = readFileSync(key('keyidcollision1.asc'), 'utf8');
  const sk2 = readFileSync(key('keyidcollision2.asc'), 'utf8');
  const kr = await Keyring.fromFiles([key('keyidcollision1.pub'), key('keyidcollision2.pub')]);
  assert.equal(new Set(kr.keyIds()).size, 1, 'both certificates share one key id');
  for (const sk of [sk1, sk2]) {
    const sig = (await signDetached(sk, data, { date: DATE })) as Uint8Array;
    assert.equal((await verifyDetached(kr, sig, data)).status, 'ok');
  }
  const only2 = await Keyring.fromFiles([key('keyidcollision2.pub')]);
  assert.equal((await verifyDetached(only2, (await signDetached(sk1, data, { date: DATE })) as Uint8Array, data)).status, 'bad');
});

test('CVE-2021-3521: a subkey attached without a valid binding signature does not verify', async () => {
  const gen = (name: string) =>
    openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name }], subkeys: [{ sign: true }], date: DATE, format: 'object' });
  const victim = (await gen('victim')).publicKey;
  const attacker = await gen('attacker');
  const sig = (await signDetached(attacker.privateKey.armor(), data, { date: DATE, keyId: attacker.publicKey.getSubkeys()[0]!.getKeyID().toHex() })) as Uint8Array;
  assert.equal((await verifyDetached(await Keyring.fromArmored([attacker.publicKey.armor()]), sig, data)).status, 'ok');
  const subkey = attacker.publicKey.getSubkeys()[0]!;
  // forged: victim's certificate + attacker's subkey with the attacker's binding signature
  const badbind = new openpgp.PacketList();
  badbind.push(...victim.toPacketList(), ...(subkey as unknown as { toPacketList(): openpgp.PacketList<openpgp.AnyPacket> }).toPacketList());
  // forged: victim's certificate + attacker's subkey without any binding signature
  const nosig = new openpgp.PacketList();
  nosig.push(...victim.toPacketList(), subkey.keyPacket);
  for (const forged of [badbind, nosig]) {
    const kr = await Keyring.fromArmored([new openpgp.PublicKey(forged).armor()]);
    const v = await verifyDetached(kr, sig, data);
    assert.notEqual(v.status, 'ok', v.message);
  }
  // rpm's own CVE fixtures still parse; their subkey is not a valid signing key
  for (const f of ['CVE-2021-3521-badbind.asc', 'CVE-2021-3521-nosubsig.asc', 'CVE-2021-3521-nosubsig-last.asc']) {
    assert.ok((await Keyring.fromFiles([key(f)])).keyIds().includes('185e6146f00650f8'), f);
  }
});
