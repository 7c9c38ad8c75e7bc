/**
 * Header signatures for built packages: a v4 OpenPGP detached signature over the main header
 * blob, stored where rpm 4.18 rpmsign stores it — RSAHEADER (268) for RSA and EdDSA keys alike
 * (rpm uses the DSA tag only for DSA keys). The creation time is SOURCE_DATE_EPOCH, so RSA
 * (PKCS#1 v1.5) and EdDSA signatures are byte-reproducible.
 *
 *   const sig = await signHeader(secretArmored, headerBytes, 1704067200)  // { tag: 268, packet, keyId }
 */
import { DriftlessError } from '../../core/errors.js';
import { inspectSignature, readSecretKey, signDetached } from '../../core/pgp.js';
import { SigTag } from '../tags.js';

export interface HeaderSignature {
  /** Signature header tag the packet goes into. */
  tag: number;
  /** Binary OpenPGP signature packet. */
  packet: Uint8Array;
  /** Issuer key id, 16 lower-case hex digits. */
  keyId: string;
  algorithm: number;
}

/** Sign a main header blob. `epoch` (seconds) is the signature creation time. */
export async function signHeader(secretKey: string | Uint8Array, header: Uint8Array, epoch: number, passphrase?: string): Promise<HeaderSignature> {
  // A signature older than its key is invalid to strict verifiers (Sequoia, used by newer rpm).
  const created = (await readSecretKey(secretKey, passphrase)).getCreationTime().getTime() / 1000;
  if (epoch < created) {
    throw new DriftlessError('RPM_BUILD_SIGN', `SOURCE_DATE_EPOCH ${epoch} is before the signing key's creation time ${created}`, {
      hint: 'use a later SOURCE_DATE_EPOCH or a signing key created before it',
    });
  }
  const packet = (await signDetached(secretKey, header, { date: new Date(epoch * 1000), hash: 'sha256', passphrase })) as Uint8Array;
  const facts = await inspectSignature(packet);
  if (facts.version !== 4) {
    throw new DriftlessError('RPM_BUILD_SIGN', `the signing key made a v${facts.version} signature; rpm 4.18 reads only v4 (and v3) signatures`, {
      hint: 'use a v4 RSA or Ed25519 (EdDSA legacy) key',
    });
  }
  if (facts.algorithmId === 17) return { tag: SigTag.DSA, packet, keyId: facts.keyId ?? '', algorithm: facts.algorithmId };
  return { tag: SigTag.RSA, packet, keyId: facts.keyId ?? '', algorithm: facts.algorithmId };
}
