/**
 * The host store inside a sysroot: content objects, tree objects and commit objects in one
 * content-addressed store, detached commit signatures, refs, trusted keys and the operation lock.
 *
 *   S/sysroot.json                 marks an initialised sysroot
 *   S/trusted/<fingerprint>.asc    keys whose signatures `deploy` and `delta apply` accept
 *   S/repo/objects/<2>/<62>        every object, named by the SHA-256 of its bytes
 *   S/repo/sigs/<commit>.sig       detached OpenPGP signature over the commit object bytes
 *   S/repo/refs/<arch>/<channel>   a commit id
 *   S/repo/co/<2>/<sha>.<mode>.<uid>.<gid>   read-only checkout copies that deployments hardlink
 *   S/deploy/<id>/ + <id>.json     deployment roots and their metadata (see deploy.ts)
 *   S/state.json                   booted / pending / rollback (see state.ts)
 *   S/var/                         shared /var, never replaced by a deployment
 *
 *   const store = await HostStore.open('/sysroot')
 *   const id = await store.resolve('x86_64/stable')
 *   const commit = await store.readCommit(id)
 */
import { promises as fsp, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { ContentStore } from '../core/cas.js';
import { DriftlessError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { writeFileAtomic } from '../core/atomic.js';
import { syncOpts } from '../core/faults.js';
import type { Keyring, SignatureVerdict } from '../core/pgp.js';

/** OpenPGP is loaded only by operations that sign or verify (it costs ~0.1 s to load). */
export const loadPgp = () => import('../core/pgp.js');

const HEX64 = /^[0-9a-f]{64}$/;
const REF_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(\/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$/;

/** Signed commit metadata. Its id is the SHA-256 of its canonical bytes. */
export interface CommitObject {
  kind: 'driftless-commit-1';
  parent: string | null;
  tree: string;
  /** Digest of the lock.json object, when the image came with one. */
  lock: string | null;
  /** Digests of SBOM objects (sorted). */
  sbom: string[];
  /** Seconds since the epoch (SOURCE_DATE_EPOCH). */
  timestamp: number;
  version: string;
  subject: string;
  ref: string;
}

export function encodeCommit(c: CommitObject): Buffer {
  return Buffer.from(
    JSON.stringify({
      kind: c.kind,
      parent: c.parent,
      tree: c.tree,
      lock: c.lock,
      sbom: [...c.sbom].sort(),
      timestamp: c.timestamp,
      version: c.version,
      subject: c.subject,
      ref: c.ref,
    }),
  );
}

export function decodeCommit(bytes: Uint8Array, id = '?'): CommitObject {
  const bad = (why: string): never => {
    throw new DriftlessError('HOST_COMMIT_INVALID', `commit ${id.slice(0, 12)}: ${why}`, { details: { commit: id } });
  };
  let c: CommitObject;
  try {
    c = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return bad('not JSON');
  }
  if (!c || c.kind !== 'driftless-commit-1') bad('not a commit object');
  if (c.parent !== null && !HEX64.test(String(c.parent))) bad('bad parent');
  if (!HEX64.test(String(c.tree))) bad('bad tree digest');
  if (c.lock !== null && !HEX64.test(String(c.lock))) bad('bad lock digest');
  if (!Array.isArray(c.sbom) || c.sbom.some((s) => !HEX64.test(String(s)))) bad('bad sbom digests');
  if (!Number.isInteger(c.timestamp) || typeof c.version !== 'string' || typeof c.subject !== 'string' || typeof c.ref !== 'string') bad('bad fields');
  return c;
}

export function validateRef(ref: string): string {
  if (!REF_RE.test(ref) || ref.length > 200) {
    throw new DriftlessError('HOST_BAD_REF', `invalid ref "${ref}"`, { hint: 'refs look like <arch>/<channel>, e.g. x86_64/stable' });
  }
  return ref;
}

export class HostStore {
  readonly cas: ContentStore;
  private constructor(readonly sysroot: string) {
    this.cas = new ContentStore(join(sysroot, 'repo'));
  }

  get repoDir() {
    return join(this.sysroot, 'repo');
  }
  get deployDir() {
    return join(this.sysroot, 'deploy');
  }
  get varDir() {
    return join(this.sysroot, 'var');
  }

  /** Create (or re-open) a sysroot and add trusted public keys. */
  static async init(sysroot: string, trustedKeys: { name: string; armored: string }[] = []): Promise<HostStore> {
    for (const d of ['repo/objects', 'repo/sigs', 'repo/refs', 'repo/co', 'repo/tmp', 'deploy', 'var', 'trusted']) {
      await fsp.mkdir(join(sysroot, d), { recursive: true });
    }
    const store = new HostStore(sysroot);
    for (const k of trustedKeys) await store.trust(k.armored, k.name);
    await writeFileAtomic(join(sysroot, 'sysroot.json'), JSON.stringify({ format: 'driftless-sysroot-1' }) + '\n', syncOpts());
    return store;
  }

  static async open(sysroot: string): Promise<HostStore> {
    try {
      const meta = JSON.parse(await fsp.readFile(join(sysroot, 'sysroot.json'), 'utf8'));
      if (meta.format !== 'driftless-sysroot-1') throw new Error('unknown format');
    } catch (e) {
      throw new DriftlessError('HOST_NOT_INITIALIZED', `${sysroot} is not a driftless sysroot`, {
        path: sysroot,
        cause: e,
        hint: 'run `driftless host init --sysroot S` first',
      });
    }
    return new HostStore(sysroot);
  }

  /** Add a public key to the sysroot's trusted keys. Returns its fingerprints. */
  async trust(armored: string, label = 'key'): Promise<string[]> {
    const { Keyring } = await loadPgp();
    const kr = await Keyring.fromArmored([armored], undefined, [label]);
    if (kr.size === 0) throw new DriftlessError('PGP_BAD_KEY', `${label}: no key found`);
    const fps = kr.fingerprints();
    await writeFileAtomic(join(this.sysroot, 'trusted', `${fps[0]}.asc`), armored, syncOpts());
    return fps;
  }

  /** The sysroot's trusted keys. */
  async keyring(): Promise<Keyring> {
    const dir = join(this.sysroot, 'trusted');
    const files = (await fsp.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.asc')).sort();
    const { Keyring } = await loadPgp();
    if (files.length === 0) return Keyring.empty();
    return Keyring.fromFiles(files.map((f) => join(dir, f)));
  }

  async readCommitBytes(id: string): Promise<Buffer> {
    if (!HEX64.test(id)) throw new DriftlessError('HOST_BAD_REF', `not a commit id: ${id}`);
    let bytes: Buffer;
    try {
      bytes = await this.cas.readBytes(id);
    } catch (e) {
      throw new DriftlessError('HOST_COMMIT_MISSING', `commit ${id} is not in the store`, { cause: e, details: { commit: id } });
    }
    if (sha256Hex(bytes) !== id) throw new DriftlessError('HOST_OBJECT_CORRUPT', `commit object ${id} does not match its digest`, { details: { digest: id } });
    return bytes;
  }

  async readCommit(id: string): Promise<CommitObject> {
    return decodeCommit(await this.readCommitBytes(id), id);
  }

  /** Store a commit object and its detached signature; returns the commit id. */
  async writeCommit(bytes: Uint8Array, signature: Uint8Array | null): Promise<string> {
    const id = sha256Hex(bytes);
    decodeCommit(bytes, id);
    if (signature) await writeFileAtomic(this.sigPath(id), signature, syncOpts());
    if (!(await this.cas.has(id))) await this.cas.putBytes(bytes, syncOpts());
    return id;
  }

  sigPath(id: string): string {
    return join(this.repoDir, 'sigs', `${id}.sig`);
  }

  async readSignature(id: string): Promise<Buffer | null> {
    try {
      return await fsp.readFile(this.sigPath(id));
    } catch {
      return null;
    }
  }

  /** Verify a commit's signature against the trusted keys. */
  async verifyCommit(id: string, keyring?: Keyring): Promise<SignatureVerdict> {
    const bytes = await this.readCommitBytes(id);
    const sig = await this.readSignature(id);
    if (!sig) return { status: 'missing-key', message: 'commit is not signed' };
    const { verifyDetached } = await loadPgp();
    return verifyDetached(keyring ?? (await this.keyring()), sig, bytes, { allowSha1: false });
  }

  /** Refuse (HOST_COMMIT_UNTRUSTED) a commit without a good signature by a trusted key. */
  async requireTrusted(id: string): Promise<SignatureVerdict> {
    const v = await this.verifyCommit(id);
    if (v.status !== 'ok') {
      throw new DriftlessError('HOST_COMMIT_UNTRUSTED', `commit ${id.slice(0, 12)} is not signed by a trusted key: ${v.message}`, {
        hint: 'add the signer with `driftless host init --sysroot S --trust KEY.asc`, or pass --allow-untrusted (not recommended)',
        details: { commit: id, status: v.status },
      });
    }
    return v;
  }

  refPath(ref: string): string {
    return join(this.repoDir, 'refs', validateRef(ref));
  }

  async readRef(ref: string): Promise<string | undefined> {
    try {
      const id = (await fsp.readFile(this.refPath(ref), 'utf8')).trim();
      if (!HEX64.test(id)) throw new DriftlessError('HOST_BAD_REF', `ref ${ref} holds no commit id`);
      return id;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async setRef(ref: string, id: string): Promise<void> {
    await writeFileAtomic(this.refPath(ref), id + '\n', syncOpts());
  }

  /** Every ref with its commit, sorted by name. */
  async listRefs(): Promise<{ ref: string; commit: string }[]> {
    const base = join(this.repoDir, 'refs');
    const out: { ref: string; commit: string }[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const d of (await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (d.name.startsWith('.')) continue;
        const name = prefix ? `${prefix}/${d.name}` : d.name;
        if (d.isDirectory()) await walk(join(dir, d.name), name);
        else {
          const c = await this.readRef(name);
          if (c) out.push({ ref: name, commit: c });
        }
      }
    };
    await walk(base, '');
    return out;
  }

  /** A ref name or a full commit id → commit id (HOST_UNKNOWN_REF when neither). */
  async resolve(refOrCommit: string): Promise<string> {
    if (HEX64.test(refOrCommit)) {
      if (!(await this.cas.has(refOrCommit))) throw new DriftlessError('HOST_COMMIT_MISSING', `commit ${refOrCommit} is not in the store`);
      return refOrCommit;
    }
    const id = await this.readRef(refOrCommit);
    if (!id) throw new DriftlessError('HOST_UNKNOWN_REF', `no ref or commit "${refOrCommit}"`, { hint: 'see the refs under S/repo/refs' });
    return id;
  }

  /**
   * Take the sysroot's operation lock. A lock left by a dead process (a crash) is taken over.
   * Returns the release function.
   */
  async lock(op: string, waitMs = 30_000): Promise<() => Promise<void>> {
    const p = join(this.sysroot, 'lock');
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await fsp.open(p, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, 0o644);
        await fh.writeFile(`${process.pid} ${op}\n`);
        await fh.close();
        return async () => {
          await fsp.rm(p, { force: true });
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = Number((await fsp.readFile(p, 'utf8').catch(() => '')).split(' ')[0]);
        if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
          if (Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
          throw new DriftlessError('HOST_LOCKED', `sysroot is busy (process ${holder})`, { path: p, hint: 'wait for the other driftless host command' });
        }
        if (attempt > 50) throw new DriftlessError('HOST_LOCKED', 'could not take the sysroot lock', { path: p });
        await fsp.rm(p, { force: true });
      }
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run `fn` holding the sysroot lock. */
export async function withLock<T>(store: HostStore, op: string, fn: () => Promise<T>): Promise<T> {
  const release = await store.lock(op);
  try {
    return await fn();
  } finally {
    await release();
  }
}
