/**
 * The 96-byte RPM lead: magic ed ab ee db, format version, type (0 binary, 1 source), a legacy
 * arch/os number, the NEVR name (66 bytes, NUL padded) and the signature type (5 = header-style
 * signature, the only kind rpm ≥ 4 reads). rpm itself ignores most of it; we decode it for
 * identification and inspection.
 *
 *   const lead = decodeLead(first96Bytes)   // { major: 3, minor: 0, type: 0, name: 'hello-2.0-1', ... }
 */
import { DriftlessError } from '../core/errors.js';

export const LEAD_SIZE = 96;
export const LEAD_MAGIC = Uint8Array.of(0xed, 0xab, 0xee, 0xdb);
/** Signature type of a header-style signature (RPMSIGTYPE_HEADERSIG). */
export const SIGTYPE_HEADERSIG = 5;

export interface Lead {
  major: number;
  minor: number;
  /** 0 binary package, 1 source package. */
  type: number;
  archnum: number;
  name: string;
  osnum: number;
  signatureType: number;
}

/** Decode and validate a lead. Errors carry offset 0 (or the offending field's offset). */
export function decodeLead(b: Uint8Array, path?: string): Lead {
  if (b.length < LEAD_SIZE) {
    throw new DriftlessError('RPM_TRUNCATED', `file too short for an RPM lead (${b.length} of ${LEAD_SIZE} bytes)`, { offset: b.length, path });
  }
  for (let i = 0; i < 4; i++) {
    if (b[i] !== LEAD_MAGIC[i]) {
      throw new DriftlessError('RPM_BAD_MAGIC', 'not an RPM package: lead magic mismatch', { offset: 0, path, hint: 'RPM files start with ed ab ee db' });
    }
  }
  const dv = new DataView(b.buffer, b.byteOffset, LEAD_SIZE);
  const major = b[4]!;
  const minor = b[5]!;
  if (major < 3 || major > 4) {
    throw new DriftlessError('RPM_UNSUPPORTED_VERSION', `unsupported RPM lead version ${major}.${minor}`, { offset: 4, path });
  }
  const nameBytes = b.subarray(10, 76);
  const nul = nameBytes.indexOf(0);
  const name = new TextDecoder('utf-8', { fatal: false }).decode(nul >= 0 ? nameBytes.subarray(0, nul) : nameBytes);
  const lead: Lead = {
    major,
    minor,
    type: dv.getUint16(6),
    archnum: dv.getUint16(8),
    name,
    osnum: dv.getUint16(76),
    signatureType: dv.getUint16(78),
  };
  if (lead.signatureType !== SIGTYPE_HEADERSIG) {
    throw new DriftlessError('RPM_UNSUPPORTED_SIGNATURE_TYPE', `unsupported lead signature type ${lead.signatureType} (only header-style signatures, type 5)`, { offset: 78, path });
  }
  return lead;
}

/** Encode a lead (for writers). `name` is truncated to 65 bytes. */
export function encodeLead(lead: Lead): Uint8Array {
  const b = new Uint8Array(LEAD_SIZE);
  b.set(LEAD_MAGIC, 0);
  b[4] = lead.major;
  b[5] = lead.minor;
  const dv = new DataView(b.buffer);
  dv.setUint16(6, lead.type);
  dv.setUint16(8, lead.archnum);
  b.set(new TextEncoder().encode(lead.name).subarray(0, 65), 10);
  dv.setUint16(76, lead.osnum);
  dv.setUint16(78, lead.signatureType);
  return b;
}
