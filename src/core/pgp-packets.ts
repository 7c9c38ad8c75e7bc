/**
 * Minimal OpenPGP signature-packet reader and v3 signature verifier.
 *
 * openpgp.js parses v4/v6 signatures only; RPM packages signed by rpm < 4.14 (and some
 * modern tools) carry v3 signature packets, and signatures with algorithms openpgp.js does
 * not know (ML-DSA) must still be described (issuer, algorithms) to be reported as
 * unsupported. This module reads those facts from the raw packet and verifies v3 RSA and DSA
 * signatures with node:crypto (over data || sigtype || creation time).
 *
 *   const raw = parseSignaturePacket(bytes)    // { version, algorithmId, hashId, keyId, ... }
 */
import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { DriftlessError } from './errors.js';

export interface RawSignature {
  version: number;
  signatureType: number;
  algorithmId: number;
  hashId: number;
  keyId?: string;
  issuerFingerprint?: string;
  created?: Date;
  /** First two bytes of the signed hash (sanity check). */
  left16: Uint8Array;
  /** Algorithm-specific signature data (MPIs for v3/v4, native for v6). */
  material: Uint8Array;
}

const bad = (msg: string) => new DriftlessError('PGP_MALFORMED', `malformed OpenPGP signature: ${msg}`);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Strip the packet framing (old or new format) of a single packet; returns tag and body. */
export function readPacket(bytes: Uint8Array): { tag: number; body: Uint8Array; rest: Uint8Array } {
  if (bytes.length < 2 || !(bytes[0]! & 0x80)) throw bad('not an OpenPGP packet');
  const b0 = bytes[0]!;
  let tag: number;
  let len: number;
  let p: number;
  if (b0 & 0x40) {
    tag = b0 & 0x3f;
    const l0 = bytes[1]!;
    if (l0 < 192) [len, p] = [l0, 2];
    else if (l0 < 224) {
      if (bytes.length < 3) throw bad('truncated length');
      [len, p] = [((l0 - 192) << 8) + bytes[2]! + 192, 3];
    } else if (l0 === 255) {
      if (bytes.length < 6) throw bad('truncated length');
      [len, p] = [Buffer.from(bytes.subarray(2, 6)).readUInt32BE(0), 6];
    } else throw bad('partial body lengths are not allowed in signatures');
  } else {
    tag = (b0 >> 2) & 0x0f;
    const lt = b0 & 3;
    if (lt === 3) [len, p] = [bytes.length - 1, 1];
    else {
      const n = 1 << lt;
      if (bytes.length < 1 + n) throw bad('truncated length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[1 + i]!;
      p = 1 + n;
    }
  }
  if (p + len > bytes.length) throw bad(`packet claims ${len} bytes, ${bytes.length - p} present`);
  return { tag, body: bytes.subarray(p, p + len), rest: bytes.subarray(p + len) };
}

function readSubpackets(area: Uint8Array, into: Partial<RawSignature>): void {
  let p = 0;
  while (p < area.length) {
    const l0 = area[p]!;
    let len: number;
    if (l0 < 192) [len, p] = [l0, p + 1];
    else if (l0 < 255) [len, p] = [((l0 - 192) << 8) + (area[p + 1] ?? 0) + 192, p + 2];
    else [len, p] = [Buffer.from(area.subarray(p + 1, p + 5)).readUInt32BE(0), p + 5];
    if (len < 1 || p + len > area.length) throw bad('subpacket overruns its area');
    const type = area[p]! & 0x7f;
    const data = area.subarray(p + 1, p + len);
    if (type === 2 && data.length === 4) into.created ??= new Date(Buffer.from(data).readUInt32BE(0) * 1000);
    if (type === 16 && data.length === 8) into.keyId ??= hex(data);
    if (type === 33 && data.length > 1) into.issuerFingerprint ??= hex(data.subarray(1));
    p += len;
  }
}

/** Parse exactly one signature packet (binary). Throws PGP_MALFORMED when it is not one. */
export function parseSignaturePacket(bytes: Uint8Array): RawSignature {
  const { tag, body: b, rest } = readPacket(bytes);
  if (tag !== 2) throw bad(`packet tag ${tag} is not a signature`);
  if (rest.length) throw bad('trailing data after the signature packet');
  const need = (n: number) => {
    if (b.length < n) throw bad('truncated signature packet');
  };
  need(1);
  const version = b[0]!;
  if (version === 3) {
    need(19);
    if (b[1] !== 5) throw bad('v3 signature hashed length is not 5');
    return {
      version,
      signatureType: b[2]!,
      created: new Date(Buffer.from(b.subarray(3, 7)).readUInt32BE(0) * 1000),
      keyId: hex(b.subarray(7, 15)),
      algorithmId: b[15]!,
      hashId: b[16]!,
      left16: b.subarray(17, 19),
      material: b.subarray(19),
    };
  }
  if (version === 4 || version === 6) {
    const lw = version === 4 ? 2 : 4;
    need(4 + lw);
    const rd = (o: number) => (lw === 2 ? (b[o]! << 8) | b[o + 1]! : Buffer.from(b.subarray(o, o + 4)).readUInt32BE(0));
    const out: Partial<RawSignature> = { version, signatureType: b[1]!, algorithmId: b[2]!, hashId: b[3]! };
    const hl = rd(4);
    let p = 4 + lw;
    need(p + hl + lw);
    readSubpackets(b.subarray(p, p + hl), out);
    p += hl;
    const ul = rd(p);
    p += lw;
    need(p + ul + 2);
    readSubpackets(b.subarray(p, p + ul), out);
    p += ul;
    out.left16 = b.subarray(p, p + 2);
    out.material = b.subarray(p + 2);
    if (!out.created) throw bad('signature without creation time');
    if (!out.keyId && out.issuerFingerprint) out.keyId = version === 4 ? out.issuerFingerprint.slice(-16) : out.issuerFingerprint.slice(0, 16);
    return out as RawSignature;
  }
  throw bad(`unknown signature version ${version}`);
}

const NODE_HASH: Record<number, string> = { 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224', 12: 'sha3-256', 14: 'sha3-512' };

/** Read one MPI (2-byte bit count + big-endian bytes) at the start of `b`. */
function readMpi(b: Uint8Array): Uint8Array {
  if (b.length < 2) throw bad('truncated MPI');
  const bits = (b[0]! << 8) | b[1]!;
  const n = (bits + 7) >> 3;
  if (b.length < 2 + n) throw bad('truncated MPI');
  return b.subarray(2, 2 + n);
}

const b64url = (x: Uint8Array) => Buffer.from(x).toString('base64url');

/** node:crypto RSA public key from OpenPGP public parameters n and e. */
export function rsaPublicKey(n: Uint8Array, e: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
}

/** DER encoding of one length-prefixed element. */
function der(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Uint8Array.of(tag, ...len), body]);
}
const derInt = (x: Uint8Array) => {
  let i = 0;
  while (i < x.length - 1 && x[i] === 0) i++;
  const v = x.subarray(i);
  return der(0x02, v[0]! & 0x80 ? Buffer.concat([Uint8Array.of(0), v]) : v);
};
const derSeq = (...parts: Uint8Array[]) => der(0x30, Buffer.concat(parts));
const DSA_OID = Uint8Array.of(0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01);

/** node:crypto DSA public key from OpenPGP public parameters p, q, g, y (SubjectPublicKeyInfo DER). */
export function dsaPublicKey(p: Uint8Array, q: Uint8Array, g: Uint8Array, y: Uint8Array): KeyObject {
  const spki = derSeq(derSeq(DSA_OID, derSeq(derInt(p), derInt(q), derInt(g))), der(0x03, Buffer.concat([Uint8Array.of(0), derInt(y)])));
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/**
 * Verify a v3 RSA or DSA signature over streamed data. Returns false on a cryptographic mismatch;
 * throws PGP_MALFORMED / PGP_UNSUPPORTED for packets it cannot check.
 */
export async function verifyV3(sig: RawSignature, key: KeyObject, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<boolean> {
  const hash = NODE_HASH[sig.hashId];
  if (!hash) throw new DriftlessError('PGP_UNSUPPORTED', `unsupported hash algorithm ${sig.hashId}`);
  let s: Uint8Array;
  let dsa = false;
  if (sig.algorithmId === 1 || sig.algorithmId === 3) {
    const mpi = readMpi(sig.material);
    const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? mpi.length * 8) / 8);
    if (mpi.length > modulusBytes) return false;
    s = new Uint8Array(modulusBytes);
    s.set(mpi, modulusBytes - mpi.length);
  } else if (sig.algorithmId === 17) {
    // DSA: MPIs r and s → IEEE P1363 r||s, each padded to the byte length of q
    const r = readMpi(sig.material);
    const sv = readMpi(sig.material.subarray(2 + r.length));
    const qBytes = Math.ceil((key.asymmetricKeyDetails?.divisorLength ?? 160) / 8);
    if (r.length > qBytes || sv.length > qBytes) return false;
    s = new Uint8Array(2 * qBytes);
    s.set(r, qBytes - r.length);
    s.set(sv, 2 * qBytes - sv.length);
    dsa = true;
  } else {
    throw new DriftlessError('PGP_UNSUPPORTED', `v3 signatures are verified for RSA and DSA only (algorithm ${sig.algorithmId})`);
  }
  const v = createVerify(hash);
  if (data instanceof Uint8Array) v.update(data);
  else for await (const c of data) v.update(c);
  const trailer = new Uint8Array(5);
  trailer[0] = sig.signatureType;
  Buffer.from(trailer.buffer).writeUInt32BE(Math.floor((sig.created?.getTime() ?? 0) / 1000), 1);
  v.update(trailer);
  return dsa ? v.verify({ key, dsaEncoding: 'ieee-p1363' }, s) : v.verify(key, s);
}
