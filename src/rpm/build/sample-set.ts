/**
 * The embedded sample distribution (examples/sample-repo/*.yaml, ≥20 packages) built into a
 * signed package directory: what `npm run demo` starts from and what the composer composes.
 *
 *   const pkgs = await buildSampleRepo('out/demo/repo', { epoch: 1704067200, report })
 *   // every package is signed with the TEST-ONLY demo key and verified before this returns
 *
 * Each package is verified (digests + signature) and read back with the package reader.
 * The directory is rebuilt from scratch and published atomically. It also receives the
 * public key as RPM-GPG-KEY-driftless-demo, so repository tooling can import it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { projectRoot } from '../../core/paths.js';
import { publishDirAtomic, writeFileAtomic } from '../../core/atomic.js';
import { DriftlessError } from '../../core/errors.js';
import { Keyring } from '../../core/pgp.js';
import { silentReport, type Report } from '../../core/report.js';
import { DEFAULT_EPOCH } from '../../core/time.js';
import { inspectPackage } from '../inspect.js';
import { verifyPackage } from '../verify.js';
import { buildRpm } from './package.js';
import { loadDefinition } from './schema.js';

const root = pathToFileURL(`${projectRoot()}/`);
/** Package definitions of the sample distribution. */
export const SAMPLE_REPO_DIR = fileURLToPath(new URL('examples/sample-repo/', root));
/** Newer versions of some sample packages (hello 1.1), for update and delta tests. */
export const SAMPLE_REPO_V2_DIR = fileURLToPath(new URL('examples/sample-repo-v2/', root));
/** The TEST-ONLY demo signing key (Ed25519) and its public half. */
export const DEMO_SECRET_KEY = fileURLToPath(new URL('examples/keys/demo-ed25519.secret.asc', root));
export const DEMO_PUBLIC_KEY = fileURLToPath(new URL('examples/keys/demo-ed25519.public.asc', root));
/** File name the public key gets inside a built sample repository. */
export const DEMO_KEY_FILE = 'RPM-GPG-KEY-driftless-demo';

export interface SampleRepoOptions {
  /** SOURCE_DATE_EPOCH for every package. Default: core/time DEFAULT_EPOCH. */
  epoch?: number;
  report?: Report;
  /** Definitions directory (default SAMPLE_REPO_DIR). */
  definitionsDir?: string;
  /** Secret/public key files (default: the demo key). */
  secretKeyFile?: string;
  publicKeyFile?: string;
}

export interface SamplePackage {
  fileName: string;
  path: string;
  name: string;
  evr: string;
  arch: string;
  /** .rpm file size in bytes. */
  size: number;
  files: number;
  sha256: string;
  /** Issuer key id of the verified header signature. */
  signedBy: string;
  /** The verifier's one-line verdict (rpmkeys -K style). */
  verdict: string;
}

/** Sorted list of *.yaml definitions in a directory. */
export async function listDefinitions(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  return names.map((n) => join(dir, n));
}

/** Build, sign and verify every definition into `outDir` (replaced atomically). */
export async function buildSampleRepo(outDir: string, opts: SampleRepoOptions = {}): Promise<SamplePackage[]> {
  const report = opts.report ?? silentReport;
  const epoch = opts.epoch ?? DEFAULT_EPOCH;
  const defs = await listDefinitions(opts.definitionsDir ?? SAMPLE_REPO_DIR);
  if (!defs.length) throw new DriftlessError('RPM_BUILD_DEFINITION', `no package definitions in ${opts.definitionsDir ?? SAMPLE_REPO_DIR}`);
  const secret = await readFile(opts.secretKeyFile ?? DEMO_SECRET_KEY, 'utf8');
  const publicKey = await readFile(opts.publicKeyFile ?? DEMO_PUBLIC_KEY, 'utf8');
  const built: Array<{ fileName: string; name: string; evr: string; arch: string; size: number; files: number; sha256: string }> = [];
  const progress = report.progress('sample-repo', 'building sample packages', defs.length);
  await publishDirAtomic(outDir, async (tmp) => {
    const seen = new Set<string>();
    for (const d of defs) {
      const b = await buildRpm(await loadDefinition(d), { outDir: tmp, epoch, signingKey: secret, report });
      if (seen.has(b.fileName)) throw new DriftlessError('RPM_BUILD_DEFINITION', `two definitions produce ${b.fileName}`, { path: d });
      seen.add(b.fileName);
      built.push({ fileName: b.fileName, name: b.name, evr: b.evr, arch: b.arch, size: b.bytes.length, files: b.files, sha256: b.sha256 });
      progress.tick();
    }
    await writeFileAtomic(join(tmp, DEMO_KEY_FILE), publicKey, { noSync: true });
  });
  progress.done();

  const keyring = await Keyring.fromArmored([publicKey]);
  const out: SamplePackage[] = [];
  for (const b of built) {
    const path = join(outDir, b.fileName);
    const v = await verifyPackage(path, { keyring, report });
    if (!v.ok || !v.signaturesOk) {
      throw new DriftlessError('RPM_BUILD_VERIFY', `${b.fileName} failed verification: ${v.summary}`, { path });
    }
    // Read it back with the package reader: what we meant to write is what is there.
    const info = await inspectPackage(path);
    if (info.name !== b.name || `${info.epoch !== null ? `${info.epoch}:` : ''}${info.version}-${info.release}` !== b.evr || info.files.length !== b.files) {
      throw new DriftlessError('RPM_BUILD_VERIFY', `${b.fileName} reads back as ${info.nevra} with ${info.files.length} files`, { path });
    }
    out.push({ ...b, path, signedBy: v.keyIds[0] ?? '', verdict: v.summary });
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.fileName < b.fileName ? -1 : 1));
  report.info('SAMPLE_REPO_BUILT', `built and verified ${out.length} packages in ${outDir}`, { dir: outDir, packages: out.length });
  return out;
}
