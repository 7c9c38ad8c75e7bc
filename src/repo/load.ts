/**
 * Load an rpm-md repository: fetch repomd.xml (+ repomd.xml.asc, verified against the trusted
 * keys unless gpgcheck is off), then fetch, verify (size + checksum from repomd, hashed while
 * streaming) and parse only the metadata files asked for. Results come from the parsed-metadata
 * cache when its key (sha256 of repomd.xml + the parts loaded) matches.
 *
 *   const repo = await loadRepo('test/fixtures/repos/cs9-baseos', { gpgcheck: false, parts: ['filelists'] });
 *   repo.packages.length  // 1125
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { decompress, type CompressionKind } from '../core/compression.js';
import { DriftlessError, isDriftlessError } from '../core/errors.js';
import type { DigestAlgorithm } from '../core/hash.js';
import { Keyring, verifyDetached, type SignatureVerdict } from '../core/pgp.js';
import { silentReport, type Report } from '../core/report.js';
import { nevra, type PackageMeta } from '../rpm/metadata.js';
import type { Comps } from './comps.js';
import type { OtherEntry } from './filelists.js';
import { readMetaCache, writeMetaCache, type CachedRepo } from './metacache.js';
import type { ModulesMetadata } from './modules.js';
import { parseRepomd, type Repomd, type RepomdRecord } from './repomd.js';
import { openRepoSource, readAll, type RepoSource, type RepoSourceOptions } from './source.js';
import type { Advisory } from './updateinfo.js';

/** Optional metadata parts beyond primary. */
export type RepoPart = 'filelists' | 'other' | 'comps' | 'updateinfo' | 'modules';
export const REPO_PARTS: readonly RepoPart[] = ['filelists', 'other', 'comps', 'updateinfo', 'modules'];

export interface LoadRepoOptions {
  /** Verify repomd.xml.asc (repo_gpgcheck). Default true. */
  gpgcheck?: boolean;
  /** Keys trusted for this repository's repomd signature. */
  keyring?: Keyring;
  /** Parts to load besides primary. Default none. */
  parts?: RepoPart[];
  /** Parsed-metadata cache directory; null disables the cache. Default: defaultCacheDir(). */
  cacheDir?: string | null;
  report?: Report;
  sourceOptions?: RepoSourceOptions;
  signal?: AbortSignal;
}

export interface LoadedRepo {
  location: string;
  repomd: Repomd;
  /** sha256 of the repomd.xml bytes: the identity of this metadata snapshot. */
  repomdSha256: string;
  /** Verdict of the repomd signature check (absent when gpgcheck is off). */
  signature?: SignatureVerdict;
  /**
   * Packages in primary.xml order. They are CachedPackage objects over a column store: fields
   * are getters decoded on first access, so `{...pkg}`/structuredClone miss them — use
   * `plainPackage(pkg)` (columns.ts) for a plain copy; assign fields to change them.
   */
  packages: PackageMeta[];
  parts: RepoPart[];
  comps?: Comps;
  updateinfo?: Advisory[];
  modules?: ModulesMetadata;
  other?: OtherEntry[];
  fromCache: boolean;
}

/** `$XDG_CACHE_HOME/driftless` or `~/.cache/driftless`. */
export function defaultCacheDir(): string {
  const x = process.env.XDG_CACHE_HOME;
  return join(x && x.startsWith('/') ? x : join(homedir(), '.cache'), 'driftless');
}

const MAX_REPOMD = 32 * 1024 * 1024;
const MAX_SIGNATURE = 1024 * 1024;
const DEFAULT_MAX_FILE = 4 * 1024 ** 3;

/** Codec for a metadata file from its href suffix; unknown compressions fail clearly. */
export function compressionForHref(href: string): CompressionKind | 'auto' {
  const ext = /\.([A-Za-z0-9]+)$/.exec(href)?.[1]?.toLowerCase() ?? '';
  switch (ext) {
    case 'gz': return 'gzip';
    case 'xz': return 'xz';
    case 'zst': case 'zstd': return 'zstd';
    case 'bz2': return 'bzip2';
    case 'xml': case 'yaml': case 'yml': return 'auto';
    case 'zck': case 'lz4': case 'lzma': case 'lz': case 'sqlite':
      throw new DriftlessError('REPO_UNKNOWN_COMPRESSION', `${href}: unsupported metadata compression ".${ext}"`, {
        hint: 'supported: .gz, .xz, .zst, .bz2 and uncompressed',
        path: href,
      });
    default: return 'auto';
  }
}

/** Hashes and counts a stream as it flows; `check()` compares against the repomd record. */
class StreamVerifier {
  private readonly hash;
  size = 0;
  finished = false;
  constructor(private readonly algo: DigestAlgorithm | undefined, private readonly label: string, private readonly rec: RepomdRecord) {
    this.hash = algo ? createHash(algo) : undefined;
  }
  async *wrap(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const c of src) {
      this.size += c.length;
      this.hash?.update(c);
      yield c;
    }
    this.finished = true;
  }
  check(): void {
    if (this.rec.size !== undefined && this.size !== this.rec.size) {
      throw new DriftlessError('REPO_TRUNCATED', `${this.label}: expected ${this.rec.size} bytes, got ${this.size}`, {
        path: this.label, details: { expected: this.rec.size, actual: this.size },
      });
    }
    if (this.hash && this.rec.checksum) {
      const actual = this.hash.digest('hex');
      if (actual !== this.rec.checksum.value) throw checksumMismatch(this.label, this.rec, actual);
    }
  }
}

function checksumMismatch(label: string, rec: RepomdRecord, actual: string): DriftlessError {
  const c = rec.checksum!;
  return new DriftlessError('REPO_CHECKSUM_MISMATCH', `${label}: ${c.type} checksum mismatch (expected ${c.value}, got ${actual})`, {
    path: label,
    details: { file: rec.location.href, algorithm: c.type, expected: c.value, actual },
    hint: 'the file does not match repomd.xml: the repository is being updated, or the file was tampered with',
  });
}

/**
 * Open the file a repomd record points to, verify size + checksum while `consume` parses the
 * decompressed stream, and return `consume`'s result only when the digest matched.
 */
export async function readVerified<T>(
  source: RepoSource,
  rec: RepomdRecord,
  consume: (chunks: AsyncIterable<Uint8Array>, label: string) => Promise<T>,
  opts: { sourceOptions?: RepoSourceOptions; signal?: AbortSignal } = {},
): Promise<T> {
  const src = rec.location.base ? openRepoSource(rec.location.base, opts.sourceOptions) : source;
  const href = rec.location.href;
  const label = `${src.location.replace(/\/+$/, '')}/${href}`;
  if (!rec.checksum) {
    throw new DriftlessError('REPO_NO_CHECKSUM', `${label}: repomd.xml gives no checksum for the ${rec.type} metadata; refusing to use it unverified`, {
      path: label,
      hint: 'regenerate the repository metadata (createrepo_c / driftless repo create)',
    });
  }
  const kind = compressionForHref(href);
  const open = () => src.open(href, { expectedSize: rec.size, maxSize: rec.size ?? DEFAULT_MAX_FILE, signal: opts.signal });
  const v = new StreamVerifier(rec.checksum?.type, label, rec);
  let result: T;
  try {
    const raw = await open();
    result = await consume(decompress(kind, v.wrap(raw), { maxOutput: rec.openSize ?? DEFAULT_MAX_FILE, label }), label);
    if (!v.finished) for await (const _ of v.wrap(raw)) void _;
  } catch (e) {
    // A parse or decompression failure on a tampered/truncated file is reported as what it is.
    if (isDriftlessError(e, 'REPO_FILE_NOT_FOUND')) throw e;
    const again = new StreamVerifier(rec.checksum!.type, label, rec);
    try {
      for await (const _ of again.wrap(await open())) void _;
      again.check();
    } catch (e2) {
      if (isDriftlessError(e2)) throw e2;
    }
    throw e;
  }
  v.check();
  return result;
}

/** Read and (unless gpgcheck is off) verify repomd.xml. */
export async function readRepomd(
  source: RepoSource,
  opts: Pick<LoadRepoOptions, 'gpgcheck' | 'keyring' | 'report' | 'signal'>,
): Promise<{ bytes: Buffer; repomd: Repomd; sha256: string; signature?: SignatureVerdict }> {
  const r = await fetchRepomd(source, opts);
  return { ...r, repomd: await parseRepomd(r.bytes, `${source.location}/repodata/repomd.xml`) };
}

/** repomd.xml bytes, their sha256 and the signature verdict (verified unless gpgcheck is off); not parsed. */
async function fetchRepomd(
  source: RepoSource,
  opts: Pick<LoadRepoOptions, 'gpgcheck' | 'keyring' | 'report' | 'signal'>,
): Promise<{ bytes: Buffer; sha256: string; signature?: SignatureVerdict }> {
  const report = opts.report ?? silentReport;
  const bytes = await readAll(await source.open('repodata/repomd.xml', { maxSize: MAX_REPOMD, signal: opts.signal }));
  let signature: SignatureVerdict | undefined;
  if (opts.gpgcheck === false) {
    report.warn('REPO_GPGCHECK_DISABLED', `repository metadata signature NOT checked for ${source.location} (--nogpgcheck): its content is not authenticated`, {
      repo: source.location,
    });
  } else {
    let asc: Buffer;
    try {
      asc = await readAll(await source.open('repodata/repomd.xml.asc', { maxSize: MAX_SIGNATURE, signal: opts.signal }));
    } catch (e) {
      if (!isDriftlessError(e, 'REPO_FILE_NOT_FOUND')) throw e;
      throw new DriftlessError('REPO_SIGNATURE_MISSING', `${source.location}: repodata/repomd.xml.asc is missing; the repository metadata is unsigned`, {
        path: source.location,
        hint: 'sign the repository (driftless repo create --sign KEY), or pass --nogpgcheck to trust it without a signature',
        cause: e,
      });
    }
    const keyring = opts.keyring ?? Keyring.empty();
    signature = await verifyDetached(keyring, asc, bytes, { allowSha1: false });
    if (signature.status !== 'ok') {
      const noKey = signature.status === 'missing-key';
      throw new DriftlessError('REPO_SIGNATURE_INVALID', `${source.location}: repomd.xml signature is not valid: ${signature.message}`, {
        path: source.location,
        details: { status: signature.status, keyId: signature.keyId, fingerprint: signature.fingerprint },
        hint: noKey
          ? "the signing key is not trusted for this repository: pass the repository's public key with --gpgkey FILE"
          : 'the metadata or its signature was modified; refetch it, or check the key',
      });
    }
    report.info('REPO_SIGNATURE_OK', `${source.location}: repomd.xml signed by ${signature.fingerprint}`, { fingerprint: signature.fingerprint });
  }
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), signature };
}

const PART_RECORDS: Record<RepoPart, string[]> = {
  filelists: ['filelists'],
  other: ['other'],
  comps: ['group_gz', 'group_xz', 'group_zst', 'group'],
  updateinfo: ['updateinfo'],
  modules: ['modules'],
};

/** Cache key parts: sorted, de-duplicated. */
function normParts(parts: RepoPart[] | undefined): RepoPart[] {
  return [...new Set(parts ?? [])].filter((p) => REPO_PARTS.includes(p)).sort();
}

/**
 * Verified read of the first record of `types` whose file exists. Repos often list files that
 * are absent (compressed comps variants); only a missing file falls through to the next record.
 */
async function readFirst<T>(source: RepoSource, md: Repomd, types: string[], consume: (c: AsyncIterable<Uint8Array>, label: string) => Promise<T>, opts: LoadRepoOptions): Promise<T | undefined> {
  const recs = types.map((t) => md.data.get(t)).filter((r): r is RepomdRecord => r !== undefined);
  for (const [i, rec] of recs.entries()) {
    try {
      return await readVerified(source, rec, consume, opts);
    } catch (e) {
      if (!isDriftlessError(e, 'REPO_FILE_NOT_FOUND') || i === recs.length - 1) throw e;
    }
  }
  return undefined;
}

/** Load one repository (see module doc). */
export async function loadRepo(location: string | RepoSource, opts: LoadRepoOptions = {}): Promise<LoadedRepo> {
  const report = opts.report ?? silentReport;
  const source = typeof location === 'string' ? openRepoSource(location, { report, ...opts.sourceOptions }) : location;
  const { bytes, sha256, signature } = await fetchRepomd(source, opts);
  const parts = normParts(opts.parts);
  const cacheDir = opts.cacheDir === undefined ? defaultCacheDir() : opts.cacheDir;
  if (cacheDir) {
    // the cache key pins the repomd bytes, so the cached parse of repomd.xml is exact too
    const hit = await readMetaCache(cacheDir, sha256, parts, report);
    if (hit?.repomd) {
      const { repomd, ...rest } = hit;
      return { location: source.location, repomd, repomdSha256: sha256, signature, parts, ...rest, fromCache: true };
    }
  }
  const repomd = await parseRepomd(bytes, `${source.location}/repodata/repomd.xml`);
  const base = { location: source.location, repomd, repomdSha256: sha256, signature, parts };
  const primaryRec = repomd.data.get('primary');
  if (!primaryRec) {
    throw new DriftlessError('REPO_BAD_METADATA', `${source.location}: repomd.xml has no primary metadata`, { path: source.location });
  }
  // the parsers load only on a cache miss, and only for the parts asked for (yaml alone costs tens of ms)
  const { parsePrimary } = await import('./primary.js');
  const prog = report.progress(`repo:${source.location}`, `loading ${source.location}`);
  const primary = await readVerified(source, primaryRec, parsePrimary, opts);
  const packages = primary.packages;
  if (primary.declaredCount !== undefined && primary.declaredCount !== packages.length) {
    report.warn('REPO_PACKAGE_COUNT_MISMATCH', `${source.location}: primary.xml announces ${primary.declaredCount} packages but lists ${packages.length}`);
  }
  const data: CachedRepo = { packages, repomd };
  for (const part of parts) {
    const types = PART_RECORDS[part];
    if (!types.some((t) => repomd.data.has(t))) continue;
    if (part === 'filelists') {
      const [{ parseFilelists, attachFilelists }, { Interner }] = await Promise.all([import('./filelists.js'), import('./xmlstream.js')]);
      const intern = new Interner();
      const lists = await readFirst(source, repomd, types, (c, l) => parseFilelists(c, l, intern), opts);
      if (lists) attachFilelists(packages, lists, source.location, report);
    } else if (part === 'other') data.other = await readFirst(source, repomd, types, (await import('./filelists.js')).parseOther, opts);
    else if (part === 'comps') data.comps = await readFirst(source, repomd, types, (await import('./comps.js')).parseComps, opts);
    else if (part === 'updateinfo') data.updateinfo = await readFirst(source, repomd, types, (await import('./updateinfo.js')).parseUpdateinfo, opts);
    else if (part === 'modules') data.modules = await readFirst(source, repomd, types, (await import('./modules.js')).parseModules, opts);
  }
  prog.done();
  if (cacheDir) await writeMetaCache(cacheDir, sha256, parts, data, report);
  const { repomd: _r, ...rest } = data;
  return { ...base, ...rest, fromCache: false };
}

/** Load several repositories (in order); packages keep their repository via the returned list. */
export async function loadRepos(locations: string[], opts: LoadRepoOptions = {}): Promise<LoadedRepo[]> {
  const out: LoadedRepo[] = [];
  for (const l of locations) out.push(await loadRepo(l, opts));
  return out;
}

export { nevra };
