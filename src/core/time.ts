/**
 * The single build timestamp. Everything that lands in an output (mtimes, buildtime, commit
 * dates, SBOM creation time) uses this value so that two builds of the same input are identical.
 */
import { DriftlessError } from './errors.js';

/** Default when neither SOURCE_DATE_EPOCH nor a lockfile timestamp is given: 2024-01-01T00:00:00Z. */
export const DEFAULT_EPOCH = 1704067200;

/** Resolve the build timestamp: explicit value, then $SOURCE_DATE_EPOCH, then the fallback. */
export function sourceDateEpoch(explicit?: number | string, fallback: number = DEFAULT_EPOCH): number {
  const raw = explicit ?? process.env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new DriftlessError('CORE_BAD_EPOCH', `invalid SOURCE_DATE_EPOCH: ${String(raw)}`, {
      hint: 'use a whole number of seconds since 1970-01-01 UTC',
    });
  }
  return n;
}

/** ISO-8601 UTC string for an epoch in seconds, e.g. for SBOMs and reports. */
export function isoFromEpoch(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
}
