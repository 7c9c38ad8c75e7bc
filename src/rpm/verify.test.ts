/**
 * RPM verification against the real `rpmkeys -K` and against rpm's own expectations in
 * test/fixtures/rpm/at/rpmsigdig.at (for keys/formats the installed rpm cannot handle, e.g.
 * v6 keys or Debian 12's rpm 4.18 rejecting alice.asc at import).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import * as openpgp from 'openpgp';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring, signDetached } from '../core/pgp.js';
import { parseSignaturePacket } from '../core/pgp-packets.js';
import { CollectingReport } from '../core/report.js';
import { decodeHeader, encodeHeader, type EncodeEntry } from './header.js';
import { RPMTAG_HEADERSIGNATURES, SigTag, TagType } from './tags.js';
import { requireVerified, verifyPackage, type PackageVerification } from './verify.js';
import { fixtures, requireTool, run, runCli, tempDir } from '../../test/helpers/cli.js';

const KEYS = join(fixtures, 'rpm/keys');
const RPMS = join(fixtures, 'rpm/RPMS');
const PACKAGES = [
  ...readdirSync(RPMS).map((f) => join(RPMS, f)),
  ...readdirSync(join(fixtures, 'rpm/SRPMS')).map((f) => join(fixtures, 'rpm/SRPMS', f)),
];
const PUBLIC_KEYS = [
  ...readdirSync(KEYS).filter((f) => /\.(asc|pub|pgp)$/.test(f)).map((f) => join(KEYS, f)),
  join(KEYS, 'unknown/rpm.org-v6-mldsa87-test.asc'),
];
const key = (f: string) => join(KEYS, f);
const rpm = (f: string) => join(RPMS, f);

/** A fresh rpmdb with `keys` imported; returns the keys live rpmkeys accepted (its capability). */
function rpmdb(t: TestContext, keys: string[]): { db: string; imported: string[] } {
  const db = tempDir(t, 'driftless-rpmdb-');
  const imported = keys.filter((k) => run('rpmkeys', ['--dbpath', db, '--import', k]).status === 0);
  return { db, imported };
}

interface RpmVerdict {
  digests: boolean;
  /** undefined when rpmkeys printed no signature part (it saw no signature it knows). */
  signatures?: boolean;
  ok: boolean;
  line: string;
}

/** `rpmkeys -K FILE…` → verdict per file, from lines like "FILE: digests SIGNATURES NOT OK". */
function rpmkeysK(db: string, files: string[]): Map<string, RpmVerdict> {
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

function assertSameVerdict(ours: PackageVerification, theirs: RpmVerdict | undefined, label: string) {
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

/** Copy of `file` with bytes at `offset` zeroed (rpm's tests use dd the same way). */
function zeroed(dir: string, file: string, offset: number, count = 6): string {
  const b = readFileSync(rpm(file));
  b.fill(0, offset, offset + count);
  const out = join(dir, `z${offset}-${file}`);
  writeFileSync(out, b);
  return out;
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

/** Rewrite a package's signature header: drop `remove` tags, add `add` entries. */
function resign(src: string, out: string, add: EncodeEntry[], remove: number[] = []): void {
  const b = readFileSync(src);
  const { header, size } = decodeHeader(b, 96);
  const rest = 96 + size + ((8 - (size % 8)) % 8);
  const entries: EncodeEntry[] = header.entries
    .filter((e) => e.tag !== RPMTAG_HEADERSIGNATURES && !remove.includes(e.tag) && !add.some((a) => a.tag === e.tag))
    .map((e) => ({ tag: e.tag, type: e.type, value: e.value }));
  const sig = encodeHeader([...entries, ...add], { region: RPMTAG_HEADERSIGNATURES });
  writeFileSync(out, Buffer.concat([b.subarray(0, 96), sig, Buffer.alloc((8 - (sig.length % 8)) % 8), b.subarray(rest)]));
}

function regionOf(file: string): Uint8Array {
  const b = readFileSync(file);
  const { size } = decodeHeader(b, 96);
  return decodeHeader(b, 96 + size + ((8 - (size % 8)) % 8)).header.regionBlob()!;
}

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

/** Minimal DER for the DSA private key of the v3 test below. */
function derLen(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.of(tag, ...len), body]);
}
const derInt = (x: Uint8Array) => derLen(0x02, x[0]! & 0x80 ? Buffer.concat([Buffer.of(0), x]) : Buffer.from(x));
const derSeq = (...p: Buffer[]) => derLen(0x30, Buffer.concat(p));

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

  /** A v3 signature packet (RFC 4880 5.2.2) by the DSA primary key over `data`. */
  const v3sig = (data: Uint8Array) => {
    const created = Math.floor(Date.now() / 1000); // not before the key, which gpg just made
    const trailer = Buffer.alloc(5);
    trailer[0] = 0;
    trailer.writeUInt32BE(created, 1);
    const rs = sign('sha256', Buffer.concat([data, trailer]), { key: priv, dsaEncoding: 'ieee-p1363' });
    const mpi = (v: Buffer) => {
      let i = 0;
      while (i < v.length - 1 && v[i] === 0) i++;
      const m = v.subarray(i);
      const bits = (m.length - 1) * 8 + (32 - Math.clz32(m[0]!));
      return Buffer.concat([Buffer.of(bits >> 8, bits & 0xff), m]);
    };
    const half = rs.length / 2;
    const keyId = Buffer.from(sk.getKeyID().toHex(), 'hex');
    const left16 = createHash('sha256').update(Buffer.concat([data, trailer])).digest().subarray(0, 2);
    const body = Buffer.concat([Buffer.of(3, 5, 0), trailer.subarray(1), keyId, Buffer.of(17, 8), left16, mpi(rs.subarray(0, half)), mpi(rs.subarray(half))]);
    return Buffer.concat([Buffer.of(0x88, body.length), body]);
  };

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
