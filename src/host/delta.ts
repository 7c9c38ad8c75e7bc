/**
 * Signed deltas between two commits. A delta carries only the objects the target commit reaches
 * and the base commit does not (content addressing makes it package-aware: files of unchanged
 * packages are never sent), each either whole or as a binary diff against the base commit's file
 * at the same path (or with the same name) when that is much smaller; the payload is zstd.
 *
 *   file = "DLDELTA1" | u32 manifest length | manifest JSON | u32 signature length | signature | payload
 *
 * The detached OpenPGP signature covers the manifest, which pins the payload's SHA-256, the
 * target commit's bytes and every object digest. `applyDelta` verifies the signature with the
 * sysroot's trusted keys, the payload digest, and every object's digest before storing it; the
 * ref moves last, so an interrupted apply leaves only unreferenced objects.
 *
 *   const r = await createDelta(store, { from: a, to: 'x86_64/stable', out: 'v2.delta', secretKey })
 *   await applyDelta(otherStore, 'v2.delta')
 */
import { promises as fsp } from 'node:fs';
import { DriftlessError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { writeFileAtomic } from '../core/atomic.js';
import { decompress, zstdCompress } from '../core/compression.js';
import { silentReport, type Report } from '../core/report.js';
import { diffBytes, patchBytes } from './bdiff.js';
import { reachable } from './fsck.js';
import { walkTree } from './tree.js';
import { hasObject } from './fastio.js';
import { syncFs } from './commit.js';
import { faultPoint, syncOpts } from '../core/faults.js';
import { decodeCommit, loadPgp, withLock, type HostStore } from './store.js';

const MAGIC = Buffer.from('DLDELTA1');
/** Largest delta file `applyDelta` reads (they are held in memory). */
export const MAX_DELTA_SIZE = 2 * 1024 ** 3;

export interface DeltaObject {
  sha: string;
  /** Size of the object itself. */
  size: number;
  kind: 'full' | 'diff';
  /** For diffs: the base object (already on the receiving side). */
  base?: string;
  /** Bytes of this part in the uncompressed payload. */
  length: number;
}

export interface DeltaManifest {
  format: 'driftless-delta-1';
  from: string;
  to: string;
  ref: string;
  /** The target commit object (base64) and its signature (base64 or null). */
  commit: string;
  commitSignature: string | null;
  payload: { sha256: string; size: number; rawSize: number };
  objects: DeltaObject[];
}

export interface DeltaStats {
  file: string;
  from: string;
  to: string;
  /** Bytes of the delta file. */
  deltaSize: number;
  /** Bytes of every object the target commit reaches (a full image in the store). */
  fullSize: number;
  /** deltaSize / fullSize. */
  ratio: number;
  objects: number;
  diffs: number;
  /** Target objects the base already has (never sent). */
  reused: number;
}

async function filesByPath(store: HostStore, tree: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for await (const it of walkTree(store.cas, tree)) if (it.entry.type === 'file') m.set(it.path, it.entry.content);
  return m;
}

export interface CreateDeltaOptions {
  from: string;
  to: string;
  out: string;
  secretKey: string;
  passphrase?: string;
  report?: Report;
}

export async function createDelta(store: HostStore, opts: CreateDeltaOptions): Promise<DeltaStats> {
  const report = opts.report ?? silentReport;
  const from = await store.resolve(opts.from);
  const to = await store.resolve(opts.to);
  const fromCommit = await store.readCommit(from);
  const toBytes = await store.readCommitBytes(to);
  const toCommit = decodeCommit(toBytes, to);
  const problems: string[] = [];
  const a = await reachable(store, [from], (p) => problems.push(p.message));
  const b = await reachable(store, [to], (p) => problems.push(p.message));
  if (problems.length) throw new DriftlessError('HOST_OBJECT_MISSING', `cannot build the delta: ${problems[0]}`, { hint: 'run `driftless host fsck`' });
  const have = new Set([...a.trees, ...a.contents]);
  const oldByPath = await filesByPath(store, fromCommit.tree);
  // diff bases: the same path, else the same path with version numbers masked
  // (/usr/share/doc/hello-1.0/README → hello-1.1), else the same file name
  const mask = (p: string) => p.replace(/[0-9]+/g, '#');
  const oldByName = new Map<string, string>();
  const oldByMasked = new Map<string, string>();
  for (const [p, sha] of oldByPath) {
    oldByName.set(p.slice(p.lastIndexOf('/') + 1), sha);
    oldByMasked.set(mask(p), sha);
  }
  const newByPath = await filesByPath(store, toCommit.tree);
  const newPathOf = new Map<string, string>();
  for (const [p, sha] of newByPath) if (!newPathOf.has(sha)) newPathOf.set(sha, p);

  const objects: DeltaObject[] = [];
  const parts: Buffer[] = [];
  let fullSize = 0;
  let reused = 0;
  for (const sha of [...b.trees, ...b.contents].sort()) {
    const size = (await fsp.stat(store.cas.objectPath(sha))).size;
    fullSize += size;
    if (have.has(sha)) {
      reused++;
      continue;
    }
    const data = await store.cas.readBytes(sha);
    if (sha256Hex(data) !== sha) throw new DriftlessError('HOST_OBJECT_CORRUPT', `object ${sha} does not match its digest`);
    const path = newPathOf.get(sha);
    const base = path ? (oldByPath.get(path) ?? oldByMasked.get(mask(path)) ?? oldByName.get(path.slice(path.lastIndexOf('/') + 1))) : undefined;
    if (base && data.length >= 256) {
      const baseData = await store.cas.readBytes(base);
      if (baseData.length <= 256 * 1024 ** 2) {
        const d = diffBytes(baseData, data);
        if (d.length < data.length / 2) {
          objects.push({ sha, size: data.length, kind: 'diff', base, length: d.length });
          parts.push(d);
          continue;
        }
      }
    }
    objects.push({ sha, size: data.length, kind: 'full', length: data.length });
    parts.push(data);
  }
  const raw = Buffer.concat(parts);
  const payload = Buffer.from(await zstdCompress(raw, 15));
  const sig = await store.readSignature(to);
  const manifest: DeltaManifest = {
    format: 'driftless-delta-1',
    from,
    to,
    ref: toCommit.ref,
    commit: toBytes.toString('base64'),
    commitSignature: sig ? sig.toString('base64') : null,
    payload: { sha256: sha256Hex(payload), size: payload.length, rawSize: raw.length },
    objects,
  };
  const mbytes = Buffer.from(JSON.stringify(manifest));
  const { readSecretKey, signDetached } = await loadPgp();
  const created = (await readSecretKey(opts.secretKey, opts.passphrase)).getCreationTime().getTime();
  const date = new Date(Math.max(toCommit.timestamp * 1000, created));
  const s = await signDetached(opts.secretKey, mbytes, { date, passphrase: opts.passphrase });
  const signature = typeof s === 'string' ? Buffer.from(s) : Buffer.from(s);
  const u32 = (n: number) => {
    const b4 = Buffer.alloc(4);
    b4.writeUInt32BE(n);
    return b4;
  };
  const file = Buffer.concat([MAGIC, u32(mbytes.length), mbytes, u32(signature.length), signature, payload]);
  await writeFileAtomic(opts.out, file, syncOpts());
  const stats: DeltaStats = {
    file: opts.out,
    from,
    to,
    deltaSize: file.length,
    fullSize,
    ratio: fullSize ? file.length / fullSize : 0,
    objects: objects.length,
    diffs: objects.filter((o) => o.kind === 'diff').length,
    reused,
  };
  report.info('host.delta', `delta ${from.slice(0, 12)}→${to.slice(0, 12)}: ${file.length} bytes (${(stats.ratio * 100).toFixed(1)}% of ${fullSize})`, { ...stats });
  return stats;
}

const bad = (why: string): never => {
  throw new DriftlessError('HOST_DELTA_INVALID', `not a valid driftless delta: ${why}`);
};

/** Split a delta file into manifest bytes, signature and payload (no verification). */
export function splitDelta(file: Buffer): { manifestBytes: Buffer; signature: Buffer; payload: Buffer } {
  if (file.length < 16 || !file.subarray(0, 8).equals(MAGIC)) bad('bad magic');
  const ml = file.readUInt32BE(8);
  if (12 + ml + 4 > file.length) bad('truncated manifest');
  const manifestBytes = file.subarray(12, 12 + ml);
  const sl = file.readUInt32BE(12 + ml);
  if (16 + ml + sl > file.length) bad('truncated signature');
  const signature = file.subarray(16 + ml, 16 + ml + sl);
  const payload = file.subarray(16 + ml + sl);
  return { manifestBytes, signature, payload };
}

/** Parse manifest bytes (call after the signature over them verified). */
export function parseManifest(manifestBytes: Buffer): DeltaManifest {
  let manifest: DeltaManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    return bad('manifest is not JSON');
  }
  if (!manifest || manifest.format !== 'driftless-delta-1' || !Array.isArray(manifest.objects) || typeof manifest.commit !== 'string') bad('unknown manifest format');
  return manifest;
}

export interface ApplyDeltaOptions {
  /** Accept a delta without a trusted signature (loud). */
  allowUntrusted?: boolean;
  report?: Report;
}

export interface ApplyResult {
  from: string;
  to: string;
  ref: string;
  objects: number;
  written: number;
}

/** Verify and import a delta; moves its ref to the target commit. */
export async function applyDelta(store: HostStore, path: string, opts: ApplyDeltaOptions = {}): Promise<ApplyResult> {
  const report = opts.report ?? silentReport;
  const st = await fsp.stat(path).catch((e) => {
    throw new DriftlessError('HOST_DELTA_INVALID', `cannot read ${path}`, { cause: e, path });
  });
  if (st.size > MAX_DELTA_SIZE) throw new DriftlessError('HOST_DELTA_TOO_LARGE', `${path} is larger than ${MAX_DELTA_SIZE} bytes`, { path });
  const { manifestBytes, signature, payload } = splitDelta(await fsp.readFile(path));
  const { verifyDetached } = await loadPgp();
  const v = await verifyDetached(await store.keyring(), signature, manifestBytes, { allowSha1: false });
  if (v.status !== 'ok') {
    if (!opts.allowUntrusted) {
      throw new DriftlessError('HOST_DELTA_UNTRUSTED', `delta signature is not from a trusted key: ${v.message}`, {
        path,
        hint: 'trust the signer with `driftless host init --sysroot S --trust KEY.asc`',
      });
    }
    report.warn('HOST_UNTRUSTED_ALLOWED', `applying a delta without a trusted signature (${v.status})`);
  }
  const manifest = parseManifest(manifestBytes);
  if (sha256Hex(payload) !== manifest.payload.sha256 || payload.length !== manifest.payload.size) {
    throw new DriftlessError('HOST_DELTA_CORRUPT', 'delta payload does not match the signed manifest', { path });
  }
  const commitBytes = Buffer.from(manifest.commit, 'base64');
  if (sha256Hex(commitBytes) !== manifest.to) throw new DriftlessError('HOST_DELTA_CORRUPT', 'delta commit does not match its id', { path });
  const commit = decodeCommit(commitBytes, manifest.to);
  if (!(await store.cas.has(manifest.from))) {
    throw new DriftlessError('HOST_DELTA_BASE_MISSING', `this sysroot does not have the delta's base commit ${manifest.from.slice(0, 12)}`, {
      hint: 'apply the deltas in order, or import a full commit',
    });
  }
  const parts: Uint8Array[] = [];
  async function* one() {
    yield payload;
  }
  for await (const c of decompress('zstd', one(), { maxOutput: manifest.payload.rawSize, label: 'delta payload' })) parts.push(c);
  const raw = Buffer.concat(parts);
  if (raw.length !== manifest.payload.rawSize) throw new DriftlessError('HOST_DELTA_CORRUPT', 'delta payload has the wrong size', { path });

  return withLock(store, 'delta-apply', async () => {
    faultPoint('delta-apply', 'locked');
    let off = 0;
    let written = 0;
    for (const o of manifest.objects) {
      if (!/^[0-9a-f]{64}$/.test(o.sha) || !Number.isSafeInteger(o.length) || o.length < 0 || off + o.length > raw.length) {
        throw new DriftlessError('HOST_DELTA_CORRUPT', 'delta object table is inconsistent', { path });
      }
      const part = raw.subarray(off, off + o.length);
      off += o.length;
      if (hasObject(store.cas, o.sha)) continue;
      let data: Buffer = part;
      if (o.kind === 'diff') {
        const base = await store.cas.readBytes(o.base ?? '').catch(() => undefined);
        if (!base || sha256Hex(base) !== o.base) {
          throw new DriftlessError('HOST_DELTA_BASE_MISSING', `diff base ${o.base} is missing or corrupt`, { hint: 'run `driftless host fsck`' });
        }
        data = patchBytes(base, part, o.size);
      }
      await store.cas.putBytes(data, { expectedSha256: o.sha, expectedSize: o.size, noSync: true, label: `delta object ${o.sha.slice(0, 12)}` }).catch((e) => {
        throw new DriftlessError('HOST_DELTA_CORRUPT', `delta object ${o.sha.slice(0, 12)} does not match its digest`, { cause: e, path });
      });
      written++;
      faultPoint('delta-apply', 'object');
    }
    // the target must now be complete
    const problems: string[] = [];
    const all = await reachableFromTree(store, commit.tree, problems).catch((e: Error) => {
      problems.push(e.message);
      return 0;
    });
    if (problems.length) throw new DriftlessError('HOST_DELTA_INCOMPLETE', `after applying the delta: ${problems[0]}`, { path, details: { missing: problems.length } });
    await syncFs(store.repoDir);
    faultPoint('delta-apply', 'objects-synced');
    await store.writeCommit(commitBytes, manifest.commitSignature ? Buffer.from(manifest.commitSignature, 'base64') : null);
    faultPoint('delta-apply', 'commit-written');
    await store.setRef(manifest.ref, manifest.to);
    faultPoint('delta-apply', 'ref-set');
    report.info('host.delta-apply', `applied delta to ${manifest.to.slice(0, 12)} (${written} objects)`, { written, objects: all });
    return { from: manifest.from, to: manifest.to, ref: manifest.ref, objects: manifest.objects.length, written };
  });
}

async function reachableFromTree(store: HostStore, tree: string, problems: string[]): Promise<number> {
  let n = 0;
  for await (const it of walkTree(store.cas, tree)) {
    n++;
    if (it.entry.type === 'file' && !hasObject(store.cas, it.entry.content)) problems.push(`content object ${it.entry.content} (${it.path}) is missing`);
  }
  return n;
}
