/**
 * RPM package digests and sizes, checked the way `rpmkeys -K` checks them.
 *
 *   header digests   SHA1 (sig 269), SHA256 (sig 273), SHA3-256 (sig 279): hex over the main
 *                    header's immutable region
 *   legacy digest    MD5 (sig 1004): binary, over main header + compressed payload
 *   payload digests  PAYLOADDIGEST (5092, algorithm PAYLOADDIGESTALGO 5093, default SHA-256),
 *                    PAYLOADSHA512 (5121), PAYLOADSHA3_256 (5123): over the compressed payload;
 *                    the *ALT variants (5097, 5122, 5124) over the uncompressed payload
 *   sizes            SIZE/LONGSIZE (sig 1000/270): header + compressed payload bytes;
 *                    PAYLOADSIZE (sig 1007) / PAYLOADSIZEALT (5113): uncompressed payload bytes,
 *                    checked together with the ALT digests
 *
 * Like `rpmkeys -K`, ALT digests are checked when the payload is stored uncompressed (same
 * bytes, same pass) and skipped otherwise — the compressed-payload digest in the signed header
 * already covers the payload, and readers check ALT while they decompress. Only a package with
 * ALT digests and no compressed-payload digest is decompressed here (`checkAlt: 'always'`
 * forces it). The payload is streamed once per pass; nothing is buffered whole.
 *
 *   const checks = await checkDigests(pkg)   // [{ name: 'Header SHA256 digest', status: 'ok', ... }]
 */
import { createHash, type Hash } from 'node:crypto';
import type { DigestAlgorithm } from '../core/hash.js';
import type { RpmPackage } from './package.js';
import { DigestAlgo, SigTag, Tag } from './tags.js';

export type DigestScope = 'header' | 'header+payload' | 'payload' | 'payload-uncompressed';

export interface DigestCheck {
  /** rpm's name for the item: 'Header SHA256 digest', 'Payload SHA256 ALT digest', 'MD5 digest', 'Size'. */
  name: string;
  /** Tag that holds the expected value. */
  tag: number;
  /** Which header holds it. */
  in: 'signature' | 'header';
  algorithm: DigestAlgorithm | 'size';
  scope: DigestScope;
  expected: string;
  actual?: string;
  status: 'ok' | 'bad';
  message: string;
}

/** A check before it has run. */
type Planned = Omit<DigestCheck, 'actual' | 'status' | 'message'>;

const PAYLOAD_NAMES: Partial<Record<DigestAlgorithm, string>> = { sha256: 'SHA256', sha512: 'SHA512', 'sha3-256': 'SHA3-256', sha1: 'SHA1', sha384: 'SHA384', md5: 'MD5', sha224: 'SHA224' };

export interface DigestOptions {
  /** Check uncompressed-payload (ALT) digests: 'auto' (see above, default) or 'always'. */
  checkAlt?: 'auto' | 'always';
}

/** The digest items present in a package, with their expected values (nothing computed yet). */
export function plannedDigests(pkg: RpmPackage, opts: DigestOptions = {}): Planned[] {
  const sig = pkg.signature;
  const h = pkg.header;
  const out: Planned[] = [];
  const hexTag = (tag: number, algorithm: DigestAlgorithm, name: string) => {
    const v = sig.getString(tag);
    if (v !== undefined) out.push({ name, tag, in: 'signature', algorithm, scope: 'header', expected: v.toLowerCase() });
  };
  hexTag(SigTag.SHA3_256, 'sha3-256', 'Header SHA3-256 digest');
  hexTag(SigTag.SHA256, 'sha256', 'Header SHA256 digest');
  hexTag(SigTag.SHA1, 'sha1', 'Header SHA1 digest');

  const payloadTag = (tag: number, algorithm: DigestAlgorithm | undefined, alt: boolean) => {
    const v = h.getStrings(tag)?.[0];
    if (v === undefined) return;
    const algoName = algorithm ? (PAYLOAD_NAMES[algorithm] ?? algorithm) : `algorithm ${h.getNumber(Tag.PAYLOADDIGESTALGO)}`;
    out.push({
      name: `Payload ${algoName}${alt ? ' ALT' : ''} digest`,
      tag,
      in: 'header',
      algorithm: algorithm ?? ('unknown' as DigestAlgorithm),
      scope: alt ? 'payload-uncompressed' : 'payload',
      expected: v.toLowerCase(),
    });
  };
  const algo = DigestAlgo[h.getNumber(Tag.PAYLOADDIGESTALGO) ?? 8];
  payloadTag(Tag.PAYLOADSHA3_256, 'sha3-256', false);
  payloadTag(Tag.PAYLOADSHA3_256ALT, 'sha3-256', true);
  payloadTag(Tag.PAYLOADSHA512, 'sha512', false);
  payloadTag(Tag.PAYLOADSHA512ALT, 'sha512', true);
  payloadTag(Tag.PAYLOADDIGEST, algo, false);
  payloadTag(Tag.PAYLOADDIGESTALT, algo, true);

  const hasCompressedDigest = out.some((p) => p.scope === 'payload');
  if (opts.checkAlt !== 'always' && !payloadIsPlain(pkg, out) && hasCompressedDigest) {
    for (let i = out.length - 1; i >= 0; i--) if (out[i]!.scope === 'payload-uncompressed') out.splice(i, 1);
  }

  const md5 = sig.getBin(SigTag.MD5);
  if (md5) out.push({ name: 'MD5 digest', tag: SigTag.MD5, in: 'signature', algorithm: 'md5', scope: 'header+payload', expected: Buffer.from(md5).toString('hex') });

  const size = sig.getBigInts(SigTag.LONGSIZE)?.[0] ?? sig.getBigInts(SigTag.SIZE)?.[0];
  if (size !== undefined) {
    const tag = sig.has(SigTag.LONGSIZE) ? SigTag.LONGSIZE : SigTag.SIZE;
    out.push({ name: 'Header+payload size', tag, in: 'signature', algorithm: 'size', scope: 'header+payload', expected: size.toString() });
  }
  if (out.some((p) => p.scope === 'payload-uncompressed')) {
    const sources = [
      { tag: SigTag.LONGARCHIVESIZE, in: 'signature' as const, v: sig.getBigInts(SigTag.LONGARCHIVESIZE)?.[0] },
      { tag: SigTag.PAYLOADSIZE, in: 'signature' as const, v: sig.getBigInts(SigTag.PAYLOADSIZE)?.[0] },
      { tag: Tag.PAYLOADSIZEALT, in: 'header' as const, v: h.getBigInts(Tag.PAYLOADSIZEALT)?.[0] },
    ];
    const src = sources.find((x) => x.v !== undefined);
    if (src) out.push({ name: 'Payload size', tag: src.tag, in: src.in, algorithm: 'size', scope: 'payload-uncompressed', expected: src.v!.toString() });
  }
  return out;
}

/**
 * Whether the stored payload is its own uncompressed form: PAYLOADCOMPRESSOR says 'none', or
 * (no compressor tag) an ALT digest equals the compressed-payload digest of the same algorithm.
 */
function payloadIsPlain(pkg: RpmPackage, planned: Planned[]): boolean {
  if (pkg.payloadCompression === 'none') return true;
  if (pkg.payloadCompression !== 'auto') return false;
  return planned.some((a) => a.scope === 'payload-uncompressed' && planned.some((c) => c.scope === 'payload' && c.algorithm === a.algorithm && c.expected === a.expected));
}

/** Bytes covered by header digests and header-only signatures: the immutable region. */
export function headerRegionBytes(pkg: RpmPackage): Uint8Array {
  return pkg.header.regionBlob() ?? pkg.header.raw;
}

function hashers(items: Planned[]): Map<Planned, Hash | { n: bigint }> {
  const m = new Map<Planned, Hash | { n: bigint }>();
  for (const p of items) {
    if (p.algorithm === 'size') m.set(p, { n: 0n });
    else if ((p.algorithm as string) !== 'unknown') m.set(p, createHash(p.algorithm));
  }
  return m;
}

function update(m: Map<Planned, Hash | { n: bigint }>, chunk: Uint8Array) {
  for (const h of m.values()) {
    if ('n' in h) h.n += BigInt(chunk.length);
    else h.update(chunk);
  }
}

/**
 * Compute every digest item of the package and compare. Digest and size mismatches are
 * `bad` items, not exceptions; I/O and decompression errors (corrupt payload) become a
 * `bad` item on the affected scope with the error's message.
 */
export async function checkDigests(pkg: RpmPackage, opts: DigestOptions = {}): Promise<DigestCheck[]> {
  const planned = plannedDigests(pkg, opts);
  const actual = new Map<Planned, string>();
  const failed = new Map<Planned, string>();
  const region = headerRegionBytes(pkg);

  for (const p of planned.filter((x) => x.scope === 'header')) {
    actual.set(p, createHash(p.algorithm as DigestAlgorithm).update(region).digest('hex'));
  }

  // an uncompressed payload is its own uncompressed form: ALT items join the raw pass
  const rawIsPlain = payloadIsPlain(pkg, planned);
  const inRawPass = (x: Planned) => x.scope === 'payload' || x.scope === 'header+payload' || (rawIsPlain && x.scope === 'payload-uncompressed');
  const streamed = planned.filter(inRawPass);
  if (streamed.length) {
    const withHeader = hashers(streamed.filter((x) => x.scope === 'header+payload'));
    const payloadOnly = hashers(streamed.filter((x) => x.scope !== 'header+payload'));
    update(withHeader, pkg.header.raw);
    try {
      for await (const chunk of pkg.rawPayload()) {
        update(withHeader, chunk);
        update(payloadOnly, chunk);
      }
      for (const [p, h] of [...withHeader, ...payloadOnly]) actual.set(p, 'n' in h ? h.n.toString() : h.digest('hex'));
    } catch (e) {
      for (const p of streamed) failed.set(p, `cannot read payload: ${(e as Error).message}`);
    }
  }

  const uncompressed = planned.filter((x) => !inRawPass(x) && x.scope === 'payload-uncompressed');
  if (uncompressed.length) {
    const hs = hashers(uncompressed);
    try {
      for await (const chunk of pkg.payload()) update(hs, chunk);
      for (const [p, h] of hs) actual.set(p, 'n' in h ? h.n.toString() : h.digest('hex'));
    } catch (e) {
      for (const p of uncompressed) failed.set(p, `cannot decompress payload: ${(e as Error).message}`);
    }
  }

  return planned.map((p) => {
    const a = actual.get(p);
    const fail = failed.get(p) ?? ((p.algorithm as string) === 'unknown' ? 'unknown digest algorithm' : undefined);
    if (fail !== undefined || a === undefined) {
      return { ...p, status: 'bad', message: `${p.name}: BAD (${fail ?? 'not computed'})` };
    }
    const ok = a === p.expected;
    return {
      ...p,
      actual: a,
      status: ok ? 'ok' : 'bad',
      message: ok ? `${p.name}: OK` : `${p.name}: BAD (Expected ${p.expected} != ${a})`,
    };
  });
}
