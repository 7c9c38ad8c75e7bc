/**
 * `driftless rpm build`: definition → signed, bit-reproducible RPM (lead, signature header,
 * main header, zstd cpio payload), laid out as rpmbuild 4.18 writes it.
 *
 *   const r = await buildRpm(await loadDefinition('hello.yaml'), { outDir: 'out', epoch: 1704067200, signingKey })
 *   r.path   // out/hello-1.0-1.x86_64.rpm
 *
 * The signature header carries SHA1 + SHA256 of the main header, SIZE + MD5 over header and
 * payload, PAYLOADSIZE, and RESERVEDSPACE sized so that the header keeps the same size when a
 * signature is added (so rpmsign can also sign in place later).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { DriftlessError } from '../../core/errors.js';
import { silentReport, type Report } from '../../core/report.js';
import { encodeHeader, type EncodeEntry } from '../header.js';
import { encodeLead, SIGTYPE_HEADERSIG } from '../lead.js';
import { RPMTAG_HEADERSIGNATURES, SigTag, TagType } from '../tags.js';
import { packageDependencies, evrOf } from './deps.js';
import { collectFiles } from './files.js';
import { buildMainHeader, installedSize } from './header.js';
import { assignInodes, buildPayload } from './payload.js';
import type { LoadedDefinition } from './schema.js';
import { signHeader } from './sign.js';

/** rpm's default reserved space in the signature header. */
export const RESERVED_SPACE = 4128;

export interface BuildOptions {
  /** Directory to write `<name>-<version>-<release>.<arch>.rpm` into; omit to only return bytes. */
  outDir?: string;
  /** SOURCE_DATE_EPOCH: build time, default/clamped mtimes, signature time. */
  epoch: number;
  /** Armored or binary OpenPGP secret key to sign with. */
  signingKey?: string | Uint8Array;
  passphrase?: string;
  /** zstd level (PAYLOADFLAGS). Default 19. */
  compressionLevel?: number;
  /** Input bytes per zstd frame (default payload.ts FRAME_SIZE); small values are for tests. */
  frameSize?: number;
  report?: Report;
}

export interface BuiltPackage {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string;
  evr: string;
  fileName: string;
  /** Written file path (when outDir was given). */
  path?: string;
  bytes: Uint8Array;
  sha256: string;
  files: number;
  installedSize: number;
  /** Issuer key id of the header signature, when signed. */
  signedBy?: string;
}

const LEAD_ARCH: Record<string, number> = { x86_64: 1, i686: 1, noarch: 1, aarch64: 19, ppc64le: 16, s390x: 15, riscv64: 22 };

function sigEntries(header: Uint8Array, payload: Uint8Array, archiveSize: number, reserved: number, sig?: { tag: number; packet: Uint8Array }): EncodeEntry[] {
  const total = header.length + payload.length;
  if (total > 0xffffffff || archiveSize > 0xffffffff) {
    throw new DriftlessError('RPM_BUILD_TOO_LARGE', 'package exceeds 4 GiB; large packages are not supported by this writer');
  }
  const md5 = createHash('md5').update(header).update(payload).digest();
  const e: EncodeEntry[] = [
    { tag: SigTag.SHA1, type: TagType.STRING, value: createHash('sha1').update(header).digest('hex') },
    { tag: SigTag.SHA256, type: TagType.STRING, value: createHash('sha256').update(header).digest('hex') },
    { tag: SigTag.SIZE, type: TagType.INT32, value: [total] },
    { tag: SigTag.MD5, type: TagType.BIN, value: new Uint8Array(md5) },
    { tag: SigTag.PAYLOADSIZE, type: TagType.INT32, value: [archiveSize] },
    { tag: SigTag.RESERVEDSPACE, type: TagType.BIN, value: new Uint8Array(reserved) },
  ];
  if (sig) e.push({ tag: sig.tag, type: TagType.BIN, value: sig.packet });
  return e;
}

/** Encode the signature header, padded to 8 bytes as rpm requires. */
function sigHeaderBytes(entries: EncodeEntry[]): Uint8Array {
  const h = encodeHeader(entries, { region: RPMTAG_HEADERSIGNATURES });
  const pad = (8 - (h.length % 8)) % 8;
  if (!pad) return h;
  const out = new Uint8Array(h.length + pad);
  out.set(h);
  return out;
}

/** Build one package. Same definition + epoch (+ key) → byte-identical output. */
export async function buildRpm(loaded: LoadedDefinition, opts: BuildOptions): Promise<BuiltPackage> {
  const { def } = loaded;
  const report = opts.report ?? silentReport;
  const level = opts.compressionLevel ?? 19;
  const files = await collectFiles(def, loaded.baseDir, { epoch: opts.epoch });
  const inodes = assignInodes(files);
  const deps = packageDependencies(def, files);
  const payload = await buildPayload(files, inodes, { level, frameSize: opts.frameSize });
  const header = buildMainHeader({ def, files, inodes, deps, payload, epoch: opts.epoch, compressionLevel: level });

  const unsigned = sigHeaderBytes(sigEntries(header, payload.compressed, payload.archiveSize, RESERVED_SPACE));
  let sigHeader = unsigned;
  let signedBy: string | undefined;
  if (opts.signingKey !== undefined) {
    const sig = await signHeader(opts.signingKey, header, opts.epoch, opts.passphrase);
    signedBy = sig.keyId;
    const grown = sigHeaderBytes(sigEntries(header, payload.compressed, payload.archiveSize, RESERVED_SPACE, sig));
    const diff = grown.length - unsigned.length;
    // Shrink the reserved space by what the signature added, as rpmsign does.
    sigHeader = diff > 0 && diff <= RESERVED_SPACE
      ? sigHeaderBytes(sigEntries(header, payload.compressed, payload.archiveSize, RESERVED_SPACE - diff, sig))
      : grown;
  }

  const nvr = `${def.name}-${def.version}-${def.release}`;
  const lead = encodeLead({ major: 3, minor: 0, type: 0, archnum: LEAD_ARCH[def.arch] ?? 1, name: nvr, osnum: 1, signatureType: SIGTYPE_HEADERSIG });
  const bytes = Buffer.concat([lead, sigHeader, header, payload.compressed]);
  const fileName = `${nvr}.${def.arch}.rpm`;
  const built: BuiltPackage = {
    name: def.name,
    epoch: def.epoch ?? null,
    version: def.version,
    release: def.release,
    arch: def.arch,
    evr: evrOf(def),
    fileName,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    files: files.length,
    installedSize: installedSize(files),
    signedBy,
  };
  if (opts.outDir) {
    built.path = join(opts.outDir, fileName);
    await writeFileAtomic(built.path, bytes);
  }
  report.info('RPM_BUILT', `built ${fileName}`, { file: built.path ?? fileName, sha256: built.sha256, signedBy });
  return built;
}
