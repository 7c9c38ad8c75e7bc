/**
 * Store and deployment consistency check. Verifies, for every commit a ref or deployment needs:
 * the commit object and every tree and content object it reaches (re-hashed), the state file and
 * each deployment's directory and metadata, the merged-/etc objects, and that checkout copies are
 * unmodified (size, mode, mtime 0). Signatures are checked against the trusted keys; an untrusted
 * commit is reported as a warning, not a problem (it may have been committed without --sign).
 *
 *   const r = await fsck(store); if (r.problems.length) ...
 */
import { lstatSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isDriftlessError } from '../core/errors.js';
import type { Report } from '../core/report.js';
import { silentReport } from '../core/report.js';
import { readState } from './state.js';
import { readMeta } from './deploy.js';
import { readTree } from './tree.js';
import { hasObject, verifyObject } from './fastio.js';
import type { HostStore } from './store.js';

export interface FsckProblem {
  kind: 'object-missing' | 'object-corrupt' | 'tree-invalid' | 'commit-invalid' | 'state' | 'deployment' | 'checkout-copy' | 'ref';
  message: string;
  object?: string;
  path?: string;
}

export interface FsckResult {
  problems: FsckProblem[];
  commits: number;
  trees: number;
  contents: number;
  untrusted: string[];
}

/** Everything reachable from the given commits: commits, trees, contents (for gc and fsck). */
export async function reachable(
  store: HostStore,
  commits: Iterable<string>,
  onProblem: (p: FsckProblem) => void = () => {},
  verifyContent = false,
): Promise<{ commits: Set<string>; trees: Set<string>; contents: Set<string> }> {
  const seen = { commits: new Set<string>(), trees: new Set<string>(), contents: new Set<string>() };
  const visitTree = async (d: string): Promise<void> => {
    if (seen.trees.has(d)) return;
    seen.trees.add(d);
    let t;
    try {
      t = await readTree(store.cas, d);
    } catch (e) {
      const kind = isDriftlessError(e, 'HOST_OBJECT_MISSING') ? 'object-missing' : isDriftlessError(e, 'HOST_OBJECT_CORRUPT') ? 'object-corrupt' : 'tree-invalid';
      onProblem({ kind, object: d, message: (e as Error).message });
      return;
    }
    for (const e of t.entries) {
      if (e.type === 'dir') await visitTree(e.tree);
      else if (e.type === 'file') await visitContent(e.content);
    }
  };
  const visitContent = async (d: string): Promise<void> => {
    if (seen.contents.has(d)) return;
    seen.contents.add(d);
    if (!verifyContent) return;
    if (!hasObject(store.cas, d)) onProblem({ kind: 'object-missing', object: d, message: `content object ${d} is missing` });
    else if (!(await verifyObject(store.cas, d))) onProblem({ kind: 'object-corrupt', object: d, message: `content object ${d} does not match its digest` });
  };
  for (const c of commits) {
    if (seen.commits.has(c)) continue;
    seen.commits.add(c);
    let commit;
    try {
      commit = await store.readCommit(c);
    } catch (e) {
      onProblem({ kind: 'commit-invalid', object: c, message: (e as Error).message });
      continue;
    }
    await visitTree(commit.tree);
    if (commit.lock) await visitContent(commit.lock);
    for (const s of commit.sbom) await visitContent(s);
  }
  return seen;
}

export async function fsck(store: HostStore, opts: { report?: Report } = {}): Promise<FsckResult> {
  const report = opts.report ?? silentReport;
  const problems: FsckProblem[] = [];
  const add = (p: FsckProblem) => {
    problems.push(p);
    report.error('HOST_FSCK_PROBLEM', p.message, { ...p });
  };
  const roots = new Set<string>();
  const refs = await store.listRefs().catch((e) => {
    add({ kind: 'ref', message: (e as Error).message });
    return [];
  });
  for (const r of refs) roots.add(r.commit);

  let state;
  try {
    state = await readState(store);
  } catch (e) {
    add({ kind: 'state', message: (e as Error).message });
  }
  const etcObjects = new Set<string>();
  if (state) {
    if (!state.booted && !state.pending && Object.keys(state.deployments).length) add({ kind: 'state', message: 'deployments exist but none is booted or pending' });
    for (const d of Object.values(state.deployments)) {
      roots.add(d.commit);
      const root = join(store.deployDir, d.id);
      const s = await fsp.lstat(root).catch(() => undefined);
      if (!s?.isDirectory()) add({ kind: 'deployment', path: root, message: `deployment ${d.id} has no root directory` });
      try {
        const meta = await readMeta(store, d.id);
        if (meta.commit !== d.commit) add({ kind: 'deployment', path: root, message: `deployment ${d.id}: metadata names another commit` });
        for (const [, it] of meta.etc) if (it.sha) etcObjects.add(it.sha);
      } catch (e) {
        add({ kind: 'deployment', path: root, message: (e as Error).message });
      }
    }
  }
  const seen = await reachable(store, roots, add, true);
  for (const sha of etcObjects) {
    if (seen.contents.has(sha)) continue;
    if (!(await store.cas.has(sha))) add({ kind: 'object-missing', object: sha, message: `/etc object ${sha} is missing` });
    else if (!(await verifyObject(store.cas, sha))) add({ kind: 'object-corrupt', object: sha, message: `/etc object ${sha} does not match its digest` });
  }
  // checkout copies: unmodified and backed by a content object
  const coDir = join(store.repoDir, 'co');
  const damaged = new Set(problems.map((p) => p.object).filter((o): o is string => o !== undefined));
  for (const sub of (await fsp.readdir(coDir).catch(() => [] as string[])).sort()) {
    for (const name of (await fsp.readdir(join(coDir, sub)).catch(() => [] as string[])).sort()) {
      const m = /^([0-9a-f]{64})\.([0-7]+)\.\d+\.\d+(\.[0-9a-f]{16})?$/.exec(name);
      if (!m) continue; // temp files of an interrupted copy
      const p = join(coDir, sub, name);
      // synchronous lstat: thousands of them, and each async one is a thread-pool round trip (~0.5 s idle for 5,000 files)
      const s = lstatSync(p);
      const obj = damaged.has(m[1]!) ? undefined : lstatSync(store.cas.objectPath(m[1]!), { throwIfNoEntry: false });
      if (s.mtimeMs !== 0 || (s.mode & 0o7777) !== parseInt(m[2]!, 8) || (obj && obj.size !== s.size)) {
        add({ kind: 'checkout-copy', path: p, message: `checkout copy ${name} was modified (a hardlinked deployment file was edited); \`host reset\` restores it` });
      }
    }
  }
  const untrusted: string[] = [];
  const keyring = await store.keyring();
  for (const c of seen.commits) {
    const v = await store.verifyCommit(c, keyring).catch(() => undefined);
    if (v && v.status !== 'ok') {
      untrusted.push(c);
      report.warn('HOST_COMMIT_UNTRUSTED', `commit ${c.slice(0, 12)} has no trusted signature (${v.status})`);
    }
  }
  return { problems, commits: seen.commits.size, trees: seen.trees.size, contents: seen.contents.size, untrusted };
}
