/**
 * Verify an RPM package: every digest (src/rpm/digests.ts) and every OpenPGP signature
 * (src/core/pgp.ts), with driftless's policy on top.
 *
 *   const r = await verifyPackage('hello.rpm', { keyring })
 *   r.ok        // every digest correct AND ≥1 signature verified AND none bad
 *   r.summary   // 'digests signatures OK' | 'digests SIGNATURES NOT OK (MISSING KEY: …)' | …
 *               // (with allowUnsigned, an unverified package with good digests: 'digests OK')
 *
 * Signatures: header-only ones (RSA 268, DSA 267 — also EdDSA/ECDSA —, OPENPGP 278, a string
 * array of base64 or armored signatures in v6 packages) cover the main header's immutable
 * region; legacy ones (PGP 1002, GPG 1005) cover main header + compressed payload (streamed).
 *
 * Policy: a package passes when every digest present is correct and its signatures verify:
 * at least one `ok`, and every other one `ok` or `unsupported` (an algorithm such as ML-DSA we
 * cannot check never counts as valid, and never fails a package that is otherwise validly
 * signed — rpm 4.18 ignores tags it does not know the same way). A missing key, an expired or
 * revoked key, a bad or malformed signature fail the package. `allowUnsigned` also accepts
 * packages whose signatures cannot be checked (none at all, missing keys, unsupported
 * algorithms — what stripping the signature would give anyway) with a loud RPM_UNSIGNED_ALLOWED
 * warning; digests must still be right, and bad signatures or expired/revoked keys still fail.
 */
import type { Keyring, SignatureVerdict, SignedData } from '../core/pgp.js';
import { verifyDetached } from '../core/pgp.js';
import { DriftlessError } from '../core/errors.js';
import { silentReport, type Report } from '../core/report.js';
import { checkDigests, headerRegionBytes, type DigestCheck } from './digests.js';
import { openPackage, type RpmPackage } from './package.js';
import { SigTag } from './tags.js';

export type { DigestCheck } from './digests.js';

export interface SignatureCheck extends SignatureVerdict {
  /** rpm's name: 'Header OpenPGP RSA signature', 'Legacy OpenPGP DSA signature', 'Header OpenPGP signature'. */
  name: string;
  tag: number;
  /** Position in the OPENPGP string array (v6 multi-signature packages). */
  index?: number;
  scope: 'header' | 'header+payload';
}

export interface PackageVerification {
  path?: string;
  /** The package passes the policy. */
  ok: boolean;
  digestsOk: boolean;
  /** At least one signature verified and none failed (unsupported ones aside). */
  signaturesOk: boolean;
  /** The package carries at least one signature. */
  signed: boolean;
  /** Passed only because `allowUnsigned` accepted a package without a verified signature. */
  unsignedAllowed: boolean;
  digests: DigestCheck[];
  signatures: SignatureCheck[];
  /** Issuer key ids named by the signatures. */
  keyIds: string[];
  /** One line in the style of `rpmkeys -K`, without the file name. */
  summary: string;
}

export interface VerifyPackageOptions {
  keyring: Keyring;
  /** Accept packages without a verifiable signature (loudly). Default false. */
  allowUnsigned?: boolean;
  report?: Report;
  /** Also decompress to check uncompressed-payload (ALT) digests: 'always'; default 'auto' (see digests.ts). */
  checkAlt?: 'auto' | 'always';
  /** Header+payload up to this many bytes is read into memory for legacy signatures; beyond, streamed. Default 16 MiB. */
  legacyBufferMax?: number;
}

/** Open and verify a package file. Throws the reader's coded errors for unreadable packages. */
export async function verifyPackage(path: string, opts: VerifyPackageOptions): Promise<PackageVerification> {
  const pkg = await openPackage(path);
  return verifyOpenedPackage(pkg, opts);
}

/** Header+payload up to this size is verified from memory; larger packages are streamed. */
const LEGACY_BUFFER_MAX = 16 * 1024 * 1024;

const SIG_ITEMS: Array<{ tag: number; name: string; scope: 'header' | 'header+payload' }> = [
  { tag: SigTag.DSA, name: 'Header OpenPGP DSA signature', scope: 'header' },
  { tag: SigTag.RSA, name: 'Header OpenPGP RSA signature', scope: 'header' },
  { tag: SigTag.OPENPGP, name: 'Header OpenPGP signature', scope: 'header' },
  { tag: SigTag.GPG, name: 'Legacy OpenPGP DSA signature', scope: 'header+payload' },
  { tag: SigTag.PGP, name: 'Legacy OpenPGP RSA signature', scope: 'header+payload' },
];

/** The raw signatures a package carries, by tag (OPENPGP arrays decoded from base64/armor). */
export function packageSignatures(pkg: RpmPackage): Array<{ tag: number; name: string; scope: 'header' | 'header+payload'; index?: number; bytes: Uint8Array | string }> {
  const out: ReturnType<typeof packageSignatures> = [];
  for (const item of SIG_ITEMS) {
    const bin = pkg.signature.getBin(item.tag);
    if (bin) {
      out.push({ ...item, bytes: bin });
      continue;
    }
    const strs = pkg.signature.getStrings(item.tag);
    if (!strs) continue;
    strs.forEach((s, index) => {
      const bytes = s.includes('-----BEGIN PGP') ? s : Buffer.from(s.replace(/\s+/g, ''), 'base64');
      out.push({ ...item, index: strs.length > 1 ? index : undefined, bytes });
    });
  }
  return out;
}

/** Verify an already opened package (see verifyPackage). */
export async function verifyOpenedPackage(pkg: RpmPackage, opts: VerifyPackageOptions): Promise<PackageVerification> {
  const report = opts.report ?? silentReport;
  const digests = await checkDigests(pkg, { checkAlt: opts.checkAlt });
  const region = headerRegionBytes(pkg);
  const headerAndPayloadStream = () =>
    (async function* () {
      yield pkg.header.raw;
      yield* pkg.rawPayload();
    })();
  // legacy signatures cover header + payload: small packages are read once into memory (faster
  // in openpgp.js), large ones are streamed (re-opened per candidate key)
  let legacyData: SignedData | undefined;
  const headerAndPayload = async (): Promise<SignedData> => {
    if (legacyData) return legacyData;
    const size = pkg.header.raw.length + Math.max(0, pkg.fileSize - pkg.payloadOffset);
    if (size > (opts.legacyBufferMax ?? LEGACY_BUFFER_MAX)) return (legacyData = headerAndPayloadStream);
    const chunks: Uint8Array[] = [];
    for await (const c of headerAndPayloadStream()) chunks.push(c);
    return (legacyData = Buffer.concat(chunks));
  };

  const signatures: SignatureCheck[] = [];
  for (const s of packageSignatures(pkg)) {
    let verdict: SignatureVerdict;
    try {
      verdict = await verifyDetached(opts.keyring, s.bytes, s.scope === 'header' ? region : await headerAndPayload());
    } catch (e) {
      verdict = { status: 'bad', message: `cannot verify: ${(e as Error).message}` };
    }
    signatures.push({ ...verdict, name: s.name, tag: s.tag, index: s.index, scope: s.scope, message: signatureLine(s.name, verdict) });
  }

  const digestsOk = digests.every((d) => d.status === 'ok');
  const signed = signatures.length > 0;
  const anyOk = signatures.some((s) => s.status === 'ok');
  const failing = signatures.filter((s) => s.status !== 'ok' && s.status !== 'unsupported');
  // A header-only signature covers the payload only through a payload digest in the signed
  // header (rpm's "partial signature" rule); without one, a legacy signature must cover it.
  const headerOnlyOk = signatures.some((s) => s.status === 'ok' && s.scope === 'header');
  const legacyOk = signatures.some((s) => s.status === 'ok' && s.scope === 'header+payload');
  const payloadDigestOk = digests.some((d) => d.in === 'header' && d.algorithm !== 'size' && d.status === 'ok' && d.scope.startsWith('payload'));
  const payloadCovered = !headerOnlyOk || legacyOk || payloadDigestOk;
  const signaturesOk = anyOk && failing.length === 0 && payloadCovered;
  const hardFailure = signatures.some((s) => s.status === 'bad' || s.status === 'malformed' || s.status === 'expired-key' || s.status === 'revoked-key');
  // allowUnsigned tolerates what a missing signature would also explain (no signature, missing
  // keys, unsupported algorithms), never evidence of tampering or an expired/revoked key
  const unsignedAllowed = Boolean(opts.allowUnsigned) && !hardFailure && !signaturesOk;
  const ok = digestsOk && (signaturesOk || unsignedAllowed);
  const keyIds = [...new Set(signatures.map((s) => s.keyId).filter((k): k is string => !!k))];

  const notes: string[] = [];
  const ids = (st: string) => [...new Set(signatures.filter((s) => s.status === st).map((s) => s.keyId ?? '?'))].join(', ');
  if (!signed) notes.push('UNSIGNED');
  if (signatures.some((s) => s.status === 'missing-key')) notes.push(`MISSING KEY: ${ids('missing-key')}`);
  if (signatures.some((s) => s.status === 'expired-key')) notes.push(`EXPIRED KEY: ${ids('expired-key')}`);
  if (signatures.some((s) => s.status === 'revoked-key')) notes.push(`REVOKED KEY: ${ids('revoked-key')}`);
  if (signatures.some((s) => s.status === 'unsupported')) {
    notes.push(`UNSUPPORTED: ${[...new Set(signatures.filter((s) => s.status === 'unsupported').map((s) => s.algorithm ?? '?'))].join(', ')}`);
  }
  if (signatures.some((s) => s.status === 'malformed')) notes.push('MALFORMED SIGNATURE');
  if (anyOk && !payloadCovered) notes.push('PAYLOAD NOT COVERED BY A SIGNATURE');

  let summary: string;
  if (unsignedAllowed) {
    // like rpmkeys -K on an unsigned package; the RPM_UNSIGNED_ALLOWED warning says the rest
    summary = digestsOk ? 'digests OK' : `DIGESTS NOT OK (${notes.join('; ')})`;
  } else {
    const parts = [digestsOk ? 'digests' : 'DIGESTS', signaturesOk ? 'signatures' : 'SIGNATURES'];
    summary = `${parts.join(' ')} ${ok ? 'OK' : 'NOT OK'}`;
    const shown = ok ? notes.filter((n) => n.startsWith('UNSUPPORTED')) : notes;
    if (shown.length) summary += ` (${shown.join('; ')})`;
  }

  const where = pkg.path ?? 'package';
  if (unsignedAllowed && digestsOk) {
    const what = anyOk ? 'accepted although not every signature could be verified' : 'accepted WITHOUT a verified signature';
    report.warn('RPM_UNSIGNED_ALLOWED', `${where}: ${what} (${notes.join('; ')}) because unsigned packages are allowed`, { path: pkg.path });
  }
  for (const d of digests) if (d.status === 'bad') report.error('RPM_DIGEST_MISMATCH', `${where}: ${d.message}`, { path: pkg.path, tag: d.tag });
  for (const s of signatures) {
    if (s.status === 'bad' || s.status === 'malformed') report.error('RPM_SIGNATURE_INVALID', `${where}: ${s.message}`, { path: pkg.path, tag: s.tag });
  }
  return { path: pkg.path, ok, digestsOk, signaturesOk, signed, unsignedAllowed, digests, signatures, keyIds, summary };
}

const STATUS_WORD: Record<SignatureVerdict['status'], string> = {
  ok: 'OK',
  'missing-key': 'NOKEY',
  'expired-key': 'NOTTRUSTED',
  'revoked-key': 'NOTTRUSTED',
  unsupported: 'UNSUPPORTED',
  bad: 'BAD',
  malformed: 'BAD',
};

/** 'Header OpenPGP V4 RSA/SHA256 signature, key fingerprint: …: OK', as rpmkeys -Kv words it. */
function signatureLine(name: string, v: SignatureVerdict): string {
  const word = STATUS_WORD[v.status];
  const detail = v.status === 'ok' || v.status === 'missing-key' ? '' : ` (${v.message})`;
  if (!v.version) return `${name}: ${word}${detail}`;
  const who = v.fingerprint ? `, key fingerprint: ${v.fingerprint}` : v.keyId ? `, key ID ${v.keyId}` : '';
  return `${name.split(' ')[0]} OpenPGP V${v.version} ${v.algorithm}/${v.hash} signature${who}: ${word}${detail}`;
}

/**
 * Throw the coded error that explains why a verification result does not pass the policy
 * (for callers that must refuse the package: fetch, compose, install). Returns when `r.ok`.
 *
 *   requireVerified(await verifyPackage(path, { keyring }))
 */
export function requireVerified(r: PackageVerification): void {
  if (r.ok) return;
  const where = r.path ?? 'package';
  const details = { summary: r.summary, keyIds: r.keyIds };
  const bad = r.digests.find((d) => d.status === 'bad');
  if (bad) throw new DriftlessError('RPM_DIGEST_MISMATCH', `${where}: ${bad.message}`, { path: r.path, details: { ...details, expected: bad.expected, actual: bad.actual } });
  const sig = (st: string) => r.signatures.find((s) => s.status === st);
  const invalid = sig('bad') ?? sig('malformed');
  if (invalid) throw new DriftlessError('RPM_SIGNATURE_INVALID', `${where}: ${invalid.message}`, { path: r.path, details, hint: 'the package was altered after signing, or the signature is corrupt' });
  const expired = sig('expired-key') ?? sig('revoked-key');
  if (expired) {
    const code = expired.status === 'expired-key' ? 'RPM_KEY_EXPIRED' : 'RPM_KEY_REVOKED';
    throw new DriftlessError(code, `${where}: ${expired.message}`, { path: r.path, details, hint: 'get an updated key from the package vendor' });
  }
  const missing = sig('missing-key');
  if (missing) {
    throw new DriftlessError('RPM_MISSING_KEY', `${where}: signed by key ${missing.keyId}, which is not in the keyring`, { path: r.path, details, hint: 'add the vendor key with --keyring KEY.asc' });
  }
  if (!r.signed) throw new DriftlessError('RPM_UNSIGNED', `${where}: the package is not signed`, { path: r.path, details, hint: 'sign it, or pass --allow-unsigned to accept unsigned packages' });
  if (r.signatures.every((s) => s.status === 'unsupported')) {
    throw new DriftlessError('RPM_SIGNATURE_UNSUPPORTED', `${where}: no signature uses an algorithm driftless verifies (${r.signatures.map((s) => s.algorithm).join(', ')})`, { path: r.path, details });
  }
  throw new DriftlessError('RPM_SIGNATURE_INVALID', `${where}: signatures do not cover the payload (${r.summary})`, { path: r.path, details });
}

/** The `rpmkeys -Kv`-style item lines of a result (signatures first, then digests). */
export function verboseLines(r: PackageVerification): string[] {
  return [...r.signatures.map((s) => s.message), ...r.digests.map((d) => d.message)];
}
