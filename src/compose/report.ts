/**
 * report.json: what went into the image and what the composer did instead of scriptlets —
 * packages with sizes and file counts, the largest ones (the footprint view), accounts,
 * configuration and hardening changes, skipped scriptlets per package, owners that did not
 * exist, the emitted files with their digests, and timings.
 */
import type { AccountChange } from './accounts.js';
import type { ConfigChange } from './system-config.js';
import type { HardeningChange } from './hardening.js';
import type { EmittedFile } from '../outputs/emitter.js';
import type { LockedPackage } from '../lock/lockfile.js';

export interface PackageReport {
  nevra: string;
  name: string;
  reason: LockedPackage['reason'];
  rpmSize: number;
  installedSize: number;
  files: number;
  signingKey: string | null;
  skippedScriptlets: string[];
}

export interface ArchReport {
  arch: string;
  packages: PackageReport[];
  totals: { packages: number; rpmBytes: number; installedBytes: number; files: number; rootfsEntries: number };
  largest: Array<{ nevra: string; installedSize: number }>;
  accounts: AccountChange[];
  config: ConfigChange[];
  hardening: HardeningChange[];
  missingOwners: Array<{ path: string; missing: string }>;
  outputs: EmittedFile[];
}

export interface ComposeReport {
  image: { name: string; version: string; arches: string[] };
  sourceDateEpoch: number;
  lock: { path: string; requestDigest: string; updated: boolean };
  arches: ArchReport[];
  /** Wall-clock seconds per stage; the only part of the report that differs between runs. */
  timings: Record<string, number>;
}

export function archTotals(pkgs: PackageReport[], rootfsEntries: number): ArchReport['totals'] {
  return {
    packages: pkgs.length,
    rpmBytes: pkgs.reduce((n, p) => n + p.rpmSize, 0),
    installedBytes: pkgs.reduce((n, p) => n + p.installedSize, 0),
    files: pkgs.reduce((n, p) => n + p.files, 0),
    rootfsEntries,
  };
}

export function largestPackages(pkgs: PackageReport[], n = 10): ArchReport['largest'] {
  return [...pkgs]
    .sort((a, b) => b.installedSize - a.installedSize || (a.nevra < b.nevra ? -1 : 1))
    .slice(0, n)
    .map((p) => ({ nevra: p.nevra, installedSize: p.installedSize }));
}
