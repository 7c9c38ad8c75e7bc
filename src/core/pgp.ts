/**
 * OpenPGP keyrings, detached-signature verification and signing (on top of openpgp.js v6).
 * Used by RPM verification, repository metadata signing and host commit signing.
 *
 *   const keyring = await Keyring.fromFiles(['RPM-GPG-KEY.asc'])
 *   const v = await verifyDetached(keyring, sigBytes, data)   // v.status === 'ok' | 'bad' | ...
 *   const sig = await signDetached(secretArmored, data, { date: new Date(epoch * 1000) })
 *
 * Verification never throws for bad input: every outcome is a SignatureVerdict. A signature is
 * `ok` only when it verifies cryptographically with a key (primary or subkey, with a valid
 * binding signature) that was neither expired nor revoked when the signature was made. Every
 * key whose id matches the issuer is tried (key-id collisions). Algorithms outside the
 * supported set (e.g. ML-DSA) are `unsupported`, never `ok`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as openpgp from 'openpgp';

/** openpgp.js is loaded on first use: it costs ~40 ms of start-up that --nogpgcheck runs never need. */
let pgpModule: Promise<typeof openpgp> | undefined;
const pgpLib = () => (pgpModule ??= import('openpgp'));
import { DriftlessError } from './errors.js';
import { dsaPublicKey, parseSignaturePacket, rsaPublicKey, verifyV3 as verifyV3Packet, type RawSignature } from './pgp-packets.js';
import { silentReport, type Report } from './report.js';

export type SignatureStatus = 'ok' | 'bad' | 'missing-key' | 'unsupported' | 'expired-key' | 'revoked-key' | 'malformed';

export interface SignatureVerdict {
  status: SignatureStatus;
  /** Issuer key id (16 hex, lower case) as named by the signature. */
  keyId?: string;
  /** Fingerprint of the primary key that verified (or was tried), lower-case hex. */
  fingerprint?: string;
  /** Public key algorithm of the signature: 'RSA', 'DSA', 'ECDSA', 'EdDSA', 'Ed25519', 'Ed448', or a number. */
  algorithm?: string;
  /** Hash algorithm: 'SHA256', 'SHA512', ... */
  hash?: string;
  /** Signature packet version (3, 4 or 6). */
  version?: number;
  /** Signature creation time (ISO-8601). */
  created?: string;
  message: string;
}

export interface VerifyOptions {
  /**
   * Accept SHA-1 as signature hash (rpm does, for old packages). Default true here because
   * callers verifying RPMs must match rpm; repository/commit signing callers should pass false.
   */
  allowSha1?: boolean;
  /** Evaluate signature expiry against this time instead of now. */
  date?: Date;
}

/** Public key algorithms we verify (RFC 9580 ids). Anything else is reported as unsupported. */
const SUPPORTED_PK: Record<number, string> = { 1: 'RSA', 3: 'RSA', 17: 'DSA', 19: 'ECDSA', 22: 'EdDSA', 27: 'Ed25519', 28: 'Ed448' };
const PK_NAMES: Record<number, string> = { ...SUPPORTED_PK, 2: 'RSA', 16: 'ElGamal', 18: 'ECDH', 25: 'X25519', 26: 'X448', 30: 'ML-DSA-65+Ed25519', 31: 'ML-DSA-87+Ed448', 34: 'ML-DSA-44', 35: 'ML-DSA-65', 36: 'ML-DSA-87' };
const HASH_NAMES: Record<number, string> = { 1: 'MD5', 2: 'SHA1', 3: 'RIPEMD160', 8: 'SHA256', 9: 'SHA384', 10: 'SHA512', 11: 'SHA224', 12: 'SHA3-256', 14: 'SHA3-512' };
/** Hashes we accept in signatures (MD5 and RIPEMD-160 are rejected, as by every current verifier). */
const SUPPORTED_HASH = new Set([2, 8, 9, 10, 11, 12, 14]);


/** Public key algorithm name for an RFC 9580 id ('RSA', 'EdDSA', ...). */
export function publicKeyAlgorithmName(id: number): string {
  return PK_NAMES[id] ?? String(id);
}
/** Hash algorithm name for an RFC 9580 id ('SHA256', ...). */
export function hashAlgorithmName(id: number): string {
  return HASH_NAMES[id] ?? String(id);
}

function isArmored(t: string | Uint8Array): boolean {
  const s = typeof t === 'string' ? t : Buffer.from(t.subarray(0, 4096)).toString('latin1');
  return s.includes('-----BEGIN PGP');
}

/** Description of one public key or subkey in a keyring. */
export interface KeyInfo {
  keyId: string;
  fingerprint: string;
  /** Fingerprint of the primary key this (sub)key belongs to. */
  primaryFingerprint: string;
  primary: boolean;
  algorithm: string;
  version: number;
  userIds: string[];
}

/** A set of OpenPGP public keys (certificates). Immutable once built. */
export class Keyring {
  private constructor(readonly keys: readonly openpgp.PublicKey[]) {}

  /** An empty keyring: every signature verifies as `missing-key`. */
  static empty(): Keyring {
    return new Keyring([]);
  }

  /**
   * Parse keys from armored text or binary packets; each input may hold several keys.
   * Secret keys are accepted and reduced to their public part. Unparseable input throws
   * PGP_BAD_KEY; with a `report`, it is reported as a warning and skipped instead.
   */
  static async fromArmored(texts: (string | Uint8Array)[], report?: Report, labels?: string[]): Promise<Keyring> {
    const pg = await pgpLib();
    const keys: openpgp.PublicKey[] = [];
    for (const [i, t] of texts.entries()) {
      const label = labels?.[i] ?? `key input ${i + 1}`;
      // a file may hold several armored blocks (key bundles); openpgp.js reads only the first,
      // so each block is read on its own (and one unreadable block does not hide the others)
      const units: Array<{ armored?: string; binary?: Uint8Array; label: string }> = [];
      if (isArmored(t)) {
        const text = typeof t === 'string' ? t : Buffer.from(t).toString('utf8');
        const blocks = text.match(/-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g) ?? [text];
        blocks.forEach((armored, n) => units.push({ armored, label: blocks.length > 1 ? `${label} (key block ${n + 1})` : label }));
      } else {
        units.push({ binary: typeof t === 'string' ? Buffer.from(t, 'latin1') : t, label });
      }
      for (const u of units) {
        try {
          const parsed = u.armored !== undefined ? await pg.readKeys({ armoredKeys: u.armored }) : await pg.readKeys({ binaryKeys: u.binary! });
          for (const k of parsed) keys.push(k.isPrivate() ? k.toPublic() : (k as openpgp.PublicKey));
        } catch (e) {
          const err = new DriftlessError('PGP_BAD_KEY', `${u.label}: not a readable OpenPGP key: ${(e as Error).message}`, {
            cause: e,
            hint: 'pass an armored ("-----BEGIN PGP PUBLIC KEY BLOCK-----") or binary OpenPGP public key',
          });
          if (!report) throw err;
          report.warn('PGP_BAD_KEY', err.message, { input: u.label });
        }
      }
    }
    return new Keyring(keys);
  }

  /**
   * Read keys from files (armored or binary) and directories of key files (see fromDirectory).
   * A missing or unreadable file throws PGP_BAD_KEY (a warning with `report`, see fromArmored).
   */
  static async fromFiles(paths: string[], report?: Report): Promise<Keyring> {
    const texts: Uint8Array[] = [];
    const labels: string[] = [];
    let fromDirs: Keyring | undefined;
    for (const p of paths) {
      try {
        if ((await stat(p)).isDirectory()) {
          const dir = await Keyring.fromDirectory(p, report);
          fromDirs = fromDirs ? fromDirs.merge(dir) : dir;
          continue;
        }
        texts.push(await readFile(p));
        labels.push(p);
      } catch (e) {
        throw new DriftlessError('PGP_BAD_KEY', `cannot read key file ${p}: ${(e as Error).message}`, { path: p, cause: e });
      }
    }
    const files = await Keyring.fromArmored(texts, report, labels);
    return fromDirs ? files.merge(fromDirs) : files;
  }

  /**
   * Every key file in a directory (like /etc/pki/rpm-gpg), in name order. Files that hold no
   * readable key are skipped (reported as PGP_BAD_KEY warnings when a report is given).
   */
  static async fromDirectory(dir: string, report?: Report): Promise<Keyring> {
    const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && !d.name.startsWith('.')).map((d) => d.name).sort();
    const texts = await Promise.all(names.map((n) => readFile(join(dir, n))));
    return Keyring.fromArmored(texts, report ?? silentReport, names.map((n) => join(dir, n)));
  }

  /** A keyring holding the keys of both. */
  merge(other: Keyring): Keyring {
    return new Keyring([...this.keys, ...other.keys]);
  }

  /** Key ids (16 hex, lower case) of primary keys and subkeys. */
  keyIds(): string[] {
    return this.info().map((k) => k.keyId);
  }

  /** Fingerprints (lower-case hex) of the primary keys. */
  fingerprints(): string[] {
    return this.keys.map((k) => k.getFingerprint());
  }

  /** Primary keys and subkeys with their ids, algorithms and user ids. */
  info(): KeyInfo[] {
    const out: KeyInfo[] = [];
    for (const k of this.keys) {
      const primaryFingerprint = k.getFingerprint();
      const userIds = k.getUserIDs();
      for (const [i, sub] of [k, ...k.getSubkeys()].entries()) {
        out.push({
          keyId: sub.getKeyID().toHex(),
          fingerprint: sub.getFingerprint(),
          primaryFingerprint,
          primary: i === 0,
          algorithm: publicKeyAlgorithmName(Number(sub.keyPacket.algorithm)),
          version: sub.keyPacket.version,
          userIds,
        });
      }
    }
    return out;
  }

  /** Certificates holding a primary key or subkey with this key id (16 hex). */
  candidates(keyId: string): openpgp.PublicKey[] {
    const id = keyId.toLowerCase();
    return this.keys.filter((k) => [k, ...k.getSubkeys()].some((s) => s.getKeyID().toHex() === id));
  }

  get size(): number {
    return this.keys.length;
  }
}

/** Facts read from a signature packet before any key is involved. */
export interface SignatureFacts {
  version: number;
  algorithmId: number;
  hashId: number;
  keyId?: string;
  issuerFingerprint?: string;
  created?: Date;
}

/** Binary packet bytes of a signature given as binary or armored text. */
async function signatureBytes(signature: Uint8Array | string): Promise<Uint8Array> {
  const pg = await pgpLib();
  if (typeof signature !== 'string' && !isArmored(signature)) return signature;
  const text = typeof signature === 'string' ? signature : Buffer.from(signature).toString('utf8');
  return (await pg.unarmor(text)).data as Uint8Array;
}

/** Read the issuer, algorithms and creation time of a signature without verifying it. */
export async function inspectSignature(signature: Uint8Array | string): Promise<SignatureFacts> {
  const raw = parseSignaturePacket(await signatureBytes(signature));
  return { version: raw.version, algorithmId: raw.algorithmId, hashId: raw.hashId, keyId: raw.keyId, issuerFingerprint: raw.issuerFingerprint, created: raw.created };
}

function classifyFailure(message: string): SignatureStatus {
  if (/revoked/i.test(message)) return 'revoked-key';
  if (/expired|not alive/i.test(message)) return 'expired-key';
  return 'bad';
}

/** Rank verdicts so the most informative failure is reported when every candidate key fails. */
const FAILURE_RANK: Record<SignatureStatus, number> = { ok: 9, bad: 5, 'revoked-key': 4, 'expired-key': 3, unsupported: 2, 'missing-key': 1, malformed: 0 };

/** Signed data: bytes, or a function returning a fresh stream of it (re-opened per candidate key). */
export type SignedData = Uint8Array | (() => AsyncIterable<Uint8Array>);

/**
 * Verify a detached binary (or armored) OpenPGP signature over `data`. Large data (RPM
 * header+payload) is passed as a function that opens a fresh stream; it is never buffered.
 */
export async function verifyDetached(
  keyring: Keyring,
  signature: Uint8Array | string,
  data: SignedData,
  opts: VerifyOptions = {},
): Promise<SignatureVerdict> {
  const pg = await pgpLib();
  let bin: Uint8Array;
  let raw: RawSignature;
  try {
    bin = await signatureBytes(signature);
    raw = parseSignaturePacket(bin);
  } catch (e) {
    return { status: 'malformed', message: (e as Error).message };
  }
  const base: Omit<SignatureVerdict, 'status' | 'message'> = {
    keyId: raw.keyId,
    algorithm: publicKeyAlgorithmName(raw.algorithmId),
    hash: hashAlgorithmName(raw.hashId),
    version: raw.version,
    created: raw.created?.toISOString(),
  };
  const what = `V${raw.version} ${base.algorithm}/${base.hash} signature`;
  if (!SUPPORTED_PK[raw.algorithmId]) return { ...base, status: 'unsupported', message: `${what}: unsupported public key algorithm` };
  if (!SUPPORTED_HASH.has(raw.hashId) || (raw.hashId === 2 && opts.allowSha1 === false)) {
    return { ...base, status: 'unsupported', message: `${what}: unsupported hash algorithm` };
  }
  if (raw.signatureType !== 0 && raw.signatureType !== 1) {
    return { ...base, status: 'malformed', message: `${what}: signature type ${raw.signatureType} is not a document signature` };
  }
  if (!raw.keyId) return { ...base, status: 'malformed', message: `${what}: no issuer key id` };
  let candidates = keyring.candidates(raw.keyId);
  if (candidates.length === 0) return { ...base, status: 'missing-key', message: `${what}, key ID ${raw.keyId}: NOKEY` };
  if (raw.issuerFingerprint) {
    // a key-id collision: the certificate has the key id but not the issuer's key (rpm: BAD)
    const fp = raw.issuerFingerprint;
    const exact = candidates.filter((k) => [k, ...k.getSubkeys()].some((s) => s.getFingerprint() === fp));
    if (exact.length === 0) {
      const fingerprint = candidates[0]!.getFingerprint();
      return { ...base, fingerprint, status: 'bad', message: `${what}, key fingerprint: ${fingerprint}: certificate does not contain key ${fp}` };
    }
    candidates = exact;
  }

  let sig: openpgp.Signature | undefined;
  if (raw.version !== 3) {
    try {
      sig = await pg.readSignature({ binarySignature: bin });
      if (sig.packets.length !== 1 || !(sig.packets[0] instanceof pg.SignaturePacket)) throw new Error('unparseable signature packet');
    } catch (e) {
      return { ...base, status: 'malformed', message: `${what}: ${(e as Error).message}` };
    }
  }
  const config = {
    ...(opts.allowSha1 === false ? {} : { rejectMessageHashAlgorithms: new Set([pg.enums.hash.md5, pg.enums.hash.ripemd]) }),
    minRSABits: 1024,
    // rpm verifies DSA (older distributions signed with DSA keys); openpgp.js rejects it by default
    rejectPublicKeyAlgorithms: new Set([pg.enums.publicKey.elgamal]),
  } as openpgp.PartialConfig;
  let best: SignatureVerdict | undefined;
  for (const key of candidates) {
    const fingerprint = key.getFingerprint();
    try {
      if (sig) await verifyWithOpenpgp(sig, key, data, opts.date, config);
      else await verifyV3(raw, key, data, config);
      return { ...base, fingerprint, status: 'ok', message: `${what}, key fingerprint: ${fingerprint}: OK` };
    } catch (e) {
      if (e instanceof DriftlessError && e.code === 'PGP_UNSUPPORTED') return { ...base, fingerprint, status: 'unsupported', message: `${what}: ${e.message}` };
      const msg = (e as Error).message ?? String(e);
      const status = classifyFailure(msg);
      const verdict: SignatureVerdict = { ...base, fingerprint, status, message: `${what}, key fingerprint: ${fingerprint}: ${msg}` };
      if (!best || FAILURE_RANK[status] > FAILURE_RANK[best.status]) best = verdict;
    }
  }
  return best!;
}

async function verifyWithOpenpgp(sig: openpgp.Signature, key: openpgp.PublicKey, data: SignedData, date: Date | undefined, config: openpgp.PartialConfig): Promise<void> {
  const pg = await pgpLib();
  if (data instanceof Uint8Array) {
    const message = await pg.createMessage({ binary: data, format: 'binary' });
    const res = await pg.verify({ message, signature: sig, verificationKeys: [key], date, config, format: 'binary' });
    if (!res.signatures[0]) throw new Error('no verifiable signature');
    await res.signatures[0].verified;
    return;
  }
  const stream = ReadableStream.from(data()) as unknown as ReadableStream<Uint8Array>;
  const message = await pg.createMessage({ binary: stream, format: 'binary' });
  const res = await pg.verify({ message, signature: sig, verificationKeys: [key], date, config, format: 'binary' });
  const reader = (res.data as unknown as ReadableStream<Uint8Array>).getReader();
  for (;;) if ((await reader.read()).done) break;
  if (!res.signatures[0]) throw new Error('no verifiable signature');
  await res.signatures[0].verified;
}

/** v3 signatures: key validity through openpgp.js (binding, expiry, revocation), RSA/DSA check through node:crypto. */
async function verifyV3(raw: RawSignature, key: openpgp.PublicKey, data: SignedData, config: openpgp.PartialConfig): Promise<void> {
  const pg = await pgpLib();
  const issuer = [key, ...key.getSubkeys()].find((k) => k.getKeyID().toHex() === raw.keyId)!.getKeyID();
  const signing = await key.getSigningKey(issuer, raw.created ?? null, undefined, { ...pg.config, ...config });
  if (signing.getKeyID().toHex() !== raw.keyId) throw new Error('issuer key is not a valid signing key');
  const params = signing.keyPacket.publicParams as { n?: Uint8Array; e?: Uint8Array; p?: Uint8Array; q?: Uint8Array; g?: Uint8Array; y?: Uint8Array };
  let pub;
  if (params.n && params.e) pub = rsaPublicKey(params.n, params.e);
  else if (params.p && params.q && params.g && params.y) pub = dsaPublicKey(params.p, params.q, params.g, params.y);
  else throw new DriftlessError('PGP_UNSUPPORTED', 'v3 signatures are verified for RSA and DSA keys only');
  const ok = await verifyV3Packet(raw, pub, data instanceof Uint8Array ? data : data());
  if (!ok) throw new Error('Signed digest did not match');
}

export interface SignOptions {
  /** Signature creation time; fixes the output for reproducible builds. */
  date: Date;
  /** Armored text output instead of binary packets. Default false. */
  armor?: boolean;
  passphrase?: string;
  /** Hash algorithm name ('sha256' default, 'sha512', ...). */
  hash?: 'sha256' | 'sha384' | 'sha512' | 'sha3_256' | 'sha3_512';
  /** Sign with this key id (16 hex) instead of the default signing (sub)key. */
  keyId?: string;
}

/** Read an armored or binary secret key, decrypting it with `passphrase` when needed. */
export async function readSecretKey(secretKey: string | Uint8Array, passphrase?: string): Promise<openpgp.PrivateKey> {
  const pg = await pgpLib();
  let key: openpgp.PrivateKey;
  try {
    key = isArmored(secretKey)
      ? await pg.readPrivateKey({ armoredKey: typeof secretKey === 'string' ? secretKey : Buffer.from(secretKey).toString('utf8') })
      : await pg.readPrivateKey({ binaryKey: typeof secretKey === 'string' ? Buffer.from(secretKey, 'latin1') : secretKey });
  } catch (e) {
    throw new DriftlessError('PGP_BAD_KEY', `not a readable OpenPGP secret key: ${(e as Error).message}`, { cause: e });
  }
  if (!key.isDecrypted()) {
    if (passphrase === undefined) throw new DriftlessError('PGP_PASSPHRASE', 'secret key is encrypted; a passphrase is required');
    try {
      key = await pg.decryptKey({ privateKey: key, passphrase });
    } catch (e) {
      throw new DriftlessError('PGP_PASSPHRASE', `cannot decrypt secret key: ${(e as Error).message}`, { cause: e });
    }
  }
  return key;
}

/**
 * The creation time to sign with: `date`, or — when `date` is older than the key or its
 * self-signatures (e.g. SOURCE_DATE_EPOCH far in the past) — the newest of those, because a
 * signature older than its key is invalid. Depends only on the key and `date`: reproducible.
 */
export function signingDate(key: openpgp.PrivateKey | openpgp.PublicKey, date: Date): Date {
  let t = Math.max(date.getTime(), key.getCreationTime().getTime());
  for (const u of key.users) for (const s of u.selfCertifications) if (s.created) t = Math.max(t, s.created.getTime());
  for (const s of (key as unknown as { directSignatures: openpgp.SignaturePacket[] }).directSignatures ?? []) if (s.created) t = Math.max(t, s.created.getTime());
  for (const sub of key.getSubkeys()) {
    t = Math.max(t, sub.getCreationTime().getTime());
    for (const s of sub.bindingSignatures) if (s.created) t = Math.max(t, s.created.getTime());
  }
  return new Date(t);
}

/**
 * Sign `data` with a secret key, producing a detached signature (binary packets, or armored
 * text with `armor: true`). `date` fixes the creation time (see signingDate), so RSA and EdDSA signatures of the
 * same input are byte-identical (both are deterministic); v6 keys add a random salt.
 */
export async function signDetached(secretKey: string | Uint8Array, data: Uint8Array, opts: SignOptions): Promise<Uint8Array | string> {
  const pg = await pgpLib();
  const key = await readSecretKey(secretKey, opts.passphrase);
  const date = signingDate(key, opts.date);
  // no random salt notation: v4 RSA/EdDSA signatures are then a function of key, data and date
  const config: openpgp.PartialConfig = { nonDeterministicSignaturesViaNotation: false };
  if (opts.hash) config.preferredHashAlgorithm = pg.enums.hash[opts.hash];
  try {
    const message = await pg.createMessage({ binary: data, format: 'binary' });
    const wanted = opts.keyId?.toLowerCase();
    const match = wanted ? [key, ...key.getSubkeys()].find((k) => k.getKeyID().toHex() === wanted) : undefined;
    if (wanted && !match) throw new DriftlessError('PGP_BAD_KEY', `secret key has no (sub)key ${wanted}`);
    const signingKeyIDs = match ? [match.getKeyID()] : undefined;
    if (opts.armor) {
      return await pg.sign({ message, signingKeys: key, detached: true, date, format: 'armored', config, signingKeyIDs });
    }
    return await pg.sign({ message, signingKeys: key, detached: true, date, format: 'binary', config, signingKeyIDs });
  } catch (e) {
    if (e instanceof DriftlessError) throw e;
    throw new DriftlessError('PGP_SIGN_FAILED', `signing failed: ${(e as Error).message}`, { cause: e });
  }
}

/** Public certificate (armored) of a secret key, e.g. to publish next to signed output. */
export async function publicKeyArmored(secretKey: string | Uint8Array, passphrase?: string): Promise<string> {
  const key = await readSecretKey(secretKey, passphrase);
  return key.toPublic().armor();
}

