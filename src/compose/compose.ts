/**
 * `driftless compose`: definition → lock (enforced) → fetch + verify every package → rootfs
 * (no root, no chroot, no scriptlets) → accounts, system config, hardening, rpmdb → emitters →
 * SBOMs + report. Everything is built in a temporary sibling of OUTDIR and renamed into place at
 * the end, so an interrupted compose never leaves partial output.
 *
 *   const r = await compose('examples/base.yaml', { outDir: 'out/base', report })
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve, dirname } from 'node:path';
import { DriftlessError } from '../core/errors.js';
import type { Report } from '../core/report.js';
import { sourceDateEpoch } from '../core/time.js';
import { publishDirAtomic, writeFileAtomic } from '../core/atomic.js';
import { serializeLockfile, type Lockfile, type LockedPackage } from '../lock/lockfile.js';
import { openPackage, type RpmPackage } from '../rpm/package.js';
import { getEmitter, type EmittedFile, type ImageInfo } from '../outputs/index.js';
import '../outputs/verity.js';
import { writeOciLayout } from '../outputs/oci.js';
import { buildSboms } from '../outputs/sbom.js';
import { loadDefinition, type ImageDefinition, type LoadedDefinition } from './definition.js';
import { Rootfs, sameEntry, entryBytes, type ConflictHandler } from './rootfs.js';
import { createHash } from 'node:crypto';
import { installPackage, resolveOwners } from './install.js';
import { applyAccounts, idMaps } from './accounts.js';
import { applySystemConfig, parseOsRelease } from './system-config.js';
import { applyHardening } from './hardening.js';
import { writeRpmdbInto } from './rpmdb-stage.js';
import { installOrder } from './order.js';
import { openDefinitionRepos, type OpenedRepo } from './repos.js';
import { lockStage } from './lock-stage.js';
import { fetchAndVerify, openCache } from './fetch-stage.js';
import { archTotals, largestPackages, type ArchReport, type ComposeReport, type PackageReport } from './report.js';
import { defaultCacheDir } from '../repo/load.js';
import { faultPoint } from '../core/faults.js';

export interface ComposeOptions {
  outDir: string;
  /** Lockfile path; default `<definition>.lock.json` beside the definition. */
  lockPath?: string;
  updateLock?: boolean;
  /** Build timestamp; default SOURCE_DATE_EPOCH, else the lockfile's. */
  epoch?: number;
  /** Metadata cache + package store; default the user cache dir. */
  cacheDir?: string;
  /** Skip (with an OUTPUT_SKIPPED warning) outputs whose external tool is missing, e.g. mksquashfs. */
  skipUnavailableOutputs?: boolean;
  report: Report;
}

export interface ComposeResult {
  outDir: string;
  lockPath: string;
  report: ComposeReport;
}

/** Decide real file collisions: identical content and metadata is fine (rpm shares it), else error with both owners. */
const conflicts: ConflictHandler = (c) => {
  if (c.existing.type === 'dir' && c.incoming.type === 'dir') return 'keep';
  if (sameEntry(c.existing, c.incoming)) return 'keep';
  const a = c.existing.content?.sha256;
  if (a && a === c.incoming.content?.sha256 && c.existing.mode === c.incoming.mode) return 'keep';
  return 'error';
};

/** Small file contents kept in memory per arch (the rest streams through the content store). */
const INLINE_BUDGET = 512 * 1024 * 1024;

export function defaultLockPath(defPath: string): string {
  return join(dirname(resolve(defPath)), `${basename(defPath).replace(/\.(ya?ml)$/, '')}.lock.json`);
}

export async function compose(defPath: string, opts: ComposeOptions): Promise<ComposeResult> {
  const timings: Record<string, number> = {};
  const t = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Number(((performance.now() - s) / 1000).toFixed(3));
    }
  };
  const report = opts.report;
  const def = await loadDefinition(defPath);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const lockPath = opts.lockPath ?? defaultLockPath(defPath);
  const repos = await t('repositories', () =>
    openDefinitionRepos(def, { cacheDir: join(cacheDir, 'metadata'), report, parts: def.definition.packages.groups.length ? ['comps'] : [] }),
  );
  const cache = openCache(join(cacheDir, 'store'));
  try {
    const requestedEpoch = opts.epoch ?? (process.env.SOURCE_DATE_EPOCH ? sourceDateEpoch() : undefined);
    const locked = await t('lock', () => lockStage(def, repos, lockPath, { cache, report, updateLock: opts.updateLock ?? false, epoch: requestedEpoch ?? sourceDateEpoch() }));
    const lock = locked.lock;
    const epoch = requestedEpoch ?? lock.sourceDateEpoch;
    // fetch + verify everything before anything is emitted
    const opened = await t('fetch', () => fetchLocked(lock, repos, cache, report));
    const arches: ArchReport[] = [];
    await publishDirAtomic(resolve(opts.outDir), async (tmp) => {
      const multi = def.definition.arch.length > 1;
      const ociImages: Array<{ rootfs: Rootfs; image: ImageInfo }> = [];
      for (const arch of def.definition.arch) {
        const pkgs = lock.arches[arch]?.packages ?? [];
        const dir = multi ? join(tmp, arch) : tmp;
        faultPoint('compose', 'rootfs');
        const built = await t(`rootfs:${arch}`, () => buildRootfs(def, pkgs, opened, cache.store, epoch, report));
        const image: ImageInfo = imageInfo(def.definition, arch);
        const outputs: EmittedFile[] = [];
        await t(`emit:${arch}`, async () => {
          for (const name of ['tar', 'erofs', 'verity', 'squashfs'] as const) {
            if (!wants(def.definition, name)) continue;
            let files: EmittedFile[];
            faultPoint('compose', `emit-${name}`);
            try {
              files = await getEmitter(name).emit(built.rootfs, { outDir: dir, epoch, report, image });
            } catch (e) {
              const code = (e as DriftlessError).code;
              if (!opts.skipUnavailableOutputs || (code !== 'OUTPUT_TOOL_MISSING' && code !== 'OUTPUT_SQUASHFS_NO_TAR')) throw e;
              report.warn('OUTPUT_SKIPPED', `${name} output skipped: ${(e as Error).message}`);
              continue;
            }
            outputs.push(...files.map((f) => ({ ...f, path: multi ? `${arch}/${f.path}` : f.path })));
          }
        });
        if (wants(def.definition, 'oci')) ociImages.push({ rootfs: built.rootfs, image });
        const digest = outputs.find((f) => f.path.endsWith('rootfs.tar'))?.sha256 ?? built.treeDigest;
        if (wants(def.definition, 'sbom')) {
          const { spdx, cyclonedx } = await buildSboms({
            image: { name: def.definition.name, version: def.definition.version, arch, digest: `sha256:${digest}` },
            epoch,
            distro: distroOf(def.definition, built.osRelease),
            packages: pkgs,
          });
          await writeFileAtomic(join(dir, 'sbom.spdx.json'), spdx, { noSync: true });
          await writeFileAtomic(join(dir, 'sbom.cdx.json'), cyclonedx, { noSync: true });
        }
        arches.push({ ...built.report, arch, outputs });
      }
      faultPoint('compose', 'emit-oci');
      if (ociImages.length) {
        await t('emit:oci', () => writeOciLayout(join(tmp, 'oci'), ociImages, { epoch, compression: def.definition.oci.layerCompression }));
      }
      await writeFileAtomic(join(tmp, 'lock.json'), serializeLockfile(lock), { noSync: true });
      const composeReport: ComposeReport = {
        image: { name: def.definition.name, version: def.definition.version, arches: def.definition.arch },
        sourceDateEpoch: epoch,
        lock: { path: lockPath, requestDigest: lock.requestDigest, updated: locked.updated },
        arches,
        timings,
      };
      await writeFileAtomic(join(tmp, 'report.json'), JSON.stringify(composeReport, null, 2) + '\n', { noSync: true });
      faultPoint('compose', 'publish');
    });
    const composeReport = JSON.parse(await readFile(join(resolve(opts.outDir), 'report.json'), 'utf8')) as ComposeReport;
    return { outDir: resolve(opts.outDir), lockPath, report: composeReport };
  } finally {
    cache.close();
  }
}

function wants(def: ImageDefinition, name: string): boolean {
  if (name === 'erofs' && def.outputs.includes('verity')) return true;
  return (def.outputs as string[]).includes(name);
}

function imageInfo(def: ImageDefinition, arch: string): ImageInfo {
  return {
    name: def.name,
    arch,
    version: def.version,
    config: {
      ...(def.oci.entrypoint ? { entrypoint: def.oci.entrypoint } : {}),
      ...(def.oci.cmd ? { cmd: def.oci.cmd } : {}),
      env: Object.keys(def.oci.env).sort().map((k) => `${k}=${def.oci.env[k]}`),
      labels: def.oci.labels,
      ...(def.oci.workingDir ? { workingDir: def.oci.workingDir } : {}),
      ...(def.oci.user ? { user: def.oci.user } : {}),
    },
  };
}

function distroOf(def: ImageDefinition, osRelease: Record<string, string>): { id: string; versionId?: string } {
  const id = def.osRelease.ID ?? osRelease.ID ?? def.name;
  const versionId = def.osRelease.VERSION_ID ?? osRelease.VERSION_ID;
  return versionId ? { id, versionId } : { id };
}

/** Fetch and verify every locked package (all arches, each once); signing keys must match the lock. */
async function fetchLocked(lock: Lockfile, repos: OpenedRepo[], cache: ReturnType<typeof openCache>, report: Report): Promise<Map<string, RpmPackage>> {
  const out = new Map<string, RpmPackage>();
  for (const a of Object.keys(lock.arches).sort()) {
    for (const p of lock.arches[a]!.packages) {
      if (out.has(p.sha256)) continue;
      const repo = repos.find((r) => r.name === p.repo);
      if (!repo) throw new DriftlessError('LOCK_STALE', `${p.nevra}: repository ${p.repo} is not in the definition`, { hint: 'use --update-lock' });
      const f = await fetchAndVerify(repo, { location: p.location, size: p.size, sha256: p.sha256, nevra: p.nevra }, { cache, report });
      if (p.signingKey && f.signingKey !== p.signingKey) {
        throw new DriftlessError('COMPOSE_SIGNER_CHANGED', `${p.nevra}: signed by ${f.signingKey ?? 'nobody'}, the lockfile recorded ${p.signingKey}`, { hint: 'a key change needs a deliberate --update-lock' });
      }
      out.set(p.sha256, await openPackage(f.path));
    }
  }
  return out;
}

interface BuiltRootfs {
  rootfs: Rootfs;
  report: Omit<ArchReport, 'arch' | 'outputs'>;
  osRelease: Record<string, string>;
  treeDigest: string;
}

async function buildRootfs(def: LoadedDefinition, pkgs: LockedPackage[], opened: Map<string, RpmPackage>, cas: ReturnType<typeof openCache>['store'], epoch: number, report: Report): Promise<BuiltRootfs> {
  const rootfs = new Rootfs({ onConflict: conflicts, defaultMtime: epoch });
  const packages: PackageReport[] = [];
  const ordered = installOrder(pkgs);
  const inlineBudget = { remaining: INLINE_BUDGET };
  for (const p of ordered) {
    const r = await installPackage(rootfs, opened.get(p.sha256)!, { cas, inlineBudget });
    if (r.skippedScriptlets.length) report.info('COMPOSE_SCRIPTLETS_SKIPPED', `${p.nevra}: ${r.skippedScriptlets.join(' ')} not run`);
    packages.push({ nevra: p.nevra, name: p.name, reason: p.reason, rpmSize: p.size, installedSize: r.installedSize, files: r.files, signingKey: p.signingKey, skippedScriptlets: r.skippedScriptlets });
  }
  const d = def.definition;
  const accounts = await applyAccounts(rootfs, { users: d.users, groups: d.groups, epoch });
  const config = await applySystemConfig(rootfs, d, { epoch, baseDir: def.baseDir, readSource: (p) => readFile(resolve(def.baseDir, p)) });
  const hardening = applyHardening(rootfs, d, { epoch });
  const missingOwners = resolveOwners(rootfs, await idMaps(rootfs));
  for (const m of missingOwners.slice(0, 20)) report.warn('COMPOSE_UNKNOWN_OWNER', `${m.path}: ${m.missing} does not exist, using root`);
  await writeRpmdbInto(rootfs, ordered.map((p) => opened.get(p.sha256)!), { epoch, cas });
  rootfs.clampMtimes(epoch);
  const osRelease = parseOsRelease(await textOf(rootfs, '/usr/lib/os-release'));
  const sorted = [...packages].sort((a, b) => (a.nevra < b.nevra ? -1 : 1));
  return {
    rootfs,
    osRelease,
    treeDigest: await treeDigest(rootfs),
    report: {
      packages: sorted,
      totals: archTotals(sorted, rootfs.size),
      largest: largestPackages(sorted),
      accounts,
      config,
      hardening,
      missingOwners,
    },
  };
}

async function textOf(fs: Rootfs, path: string): Promise<string> {
  const e = fs.get(fs.resolveParents(path));
  return e?.type === 'file' ? (await entryBytes(e)).toString('utf8') : '';
}

/**
 * Digest of the whole tree (paths, types, modes, owners, link targets, xattrs, content digests),
 * used as the image digest in SBOMs when no rootfs.tar is emitted.
 */
export async function treeDigest(fs: Rootfs): Promise<string> {
  const h = createHash('sha256');
  for (const e of fs.sorted()) {
    const content = e.type === 'file' ? e.content?.sha256 ?? createHash('sha256').update(await entryBytes(e)).digest('hex') : '';
    const xattrs = Object.keys(e.xattrs).sort().map((k) => `${k}=${Buffer.from(e.xattrs[k]!).toString('hex')}`).join(',');
    h.update(`${e.path}\0${e.type}\0${e.mode}\0${e.uid}\0${e.gid}\0${e.mtime}\0${e.linkTarget ?? ''}\0${content}\0${xattrs}\n`);
  }
  return h.digest('hex');
}
