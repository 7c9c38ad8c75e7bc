/**
 * Fetch stage: every package is streamed into the content store through SHA-256 (and the
 * repository's own checksum), then its digests and OpenPGP signature are verified with the keys
 * the definition trusts for that repository. Nothing unsigned or tampered gets past this point
 * unless the definition opted out (and that is reported loudly).
 */
import type { Report } from '../core/report.js';
import { DriftlessError } from '../core/errors.js';
import { openCache, fetchToStore, type Cache } from '../repo/fetch.js';
import { verifyPackage } from '../rpm/verify.js';
import type { OpenedRepo } from './repos.js';

export interface FetchStageOptions {
  cache: Cache;
  report: Report;
}

export interface FetchedPackage {
  path: string;
  sha256: string;
  size: number;
  signingKey: string | null;
}

export async function fetchAndVerify(
  repo: OpenedRepo,
  item: { location: string; size?: number; checksum?: { type: string; value: string }; sha256?: string; nevra: string },
  opts: FetchStageOptions,
): Promise<FetchedPackage> {
  const checksum = item.sha256 ? { type: 'sha256', value: item.sha256 } : item.checksum;
  const r = await fetchToStore(repo.source, { relPath: item.location, checksum, size: item.size, nevra: item.nevra, kind: 'package' }, opts.cache, { report: opts.report });
  const v = await verifyPackage(r.path, { keyring: repo.keyring, allowUnsigned: !repo.gpgcheck, report: opts.report });
  if (!v.ok) {
    throw new DriftlessError(v.digestsOk ? 'COMPOSE_PACKAGE_UNTRUSTED' : 'COMPOSE_PACKAGE_CORRUPT', `${item.nevra} from ${repo.name}: ${v.summary}`, {
      hint: v.digestsOk ? `trust the signing key with gpgkey: in the repository entry (key ids: ${v.keyIds.join(', ') || 'none'})` : 'the package is damaged or was tampered with',
      details: { keyIds: v.keyIds },
    });
  }
  const signer = v.signatures.find((s) => s.status === 'ok');
  return { path: r.path, sha256: r.sha256, size: r.size, signingKey: signer?.keyId ?? null };
}

export { openCache };
