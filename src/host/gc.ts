/**
 * Garbage collection with a keep-N policy: roots are the deployments (their commits and merged
 * /etc objects) and every ref's commit plus its N-1 nearest ancestors. Everything else — objects,
 * signatures of dropped commits, checkout copies no deployment links, crash leftovers — is
 * removed. Only unreachable things are ever deleted, so an interrupted gc loses nothing.
 *
 *   const r = await gc(store, { keep: 2 })
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../core/report.js';
import { silentReport } from '../core/report.js';
import { readState } from './state.js';
import { pruneDeployments, readMeta } from './deploy.js';
import { reachable } from './fsck.js';
import { faultPoint } from '../core/faults.js';
import { withLock, type HostStore } from './store.js';

export interface GcResult {
  keptCommits: number;
  removedObjects: number;
  removedCheckoutCopies: number;
  removedSignatures: number;
  freedBytes: number;
  prunedDeployments: string[];
}

export async function gc(store: HostStore, opts: { keep?: number; report?: Report } = {}): Promise<GcResult> {
  const keep = Math.max(1, opts.keep ?? 1);
  const report = opts.report ?? silentReport;
  return withLock(store, 'gc', async () => {
    faultPoint('gc', 'locked');
    const state = await readState(store);
    const prunedDeployments = await pruneDeployments(store, state, 'gc');
    const roots = new Set<string>();
    const marked = new Set<string>();
    for (const d of Object.values(state.deployments)) {
      roots.add(d.commit);
      for (const [, it] of (await readMeta(store, d.id)).etc) if (it.sha) marked.add(it.sha);
    }
    for (const r of await store.listRefs()) {
      let c: string | null = r.commit;
      for (let i = 0; i < keep && c && (await store.cas.has(c)); i++) {
        roots.add(c);
        c = (await store.readCommit(c)).parent;
      }
    }
    const seen = await reachable(store, roots);
    for (const s of [...seen.commits, ...seen.trees, ...seen.contents]) marked.add(s);
    let removedObjects = 0;
    let freedBytes = 0;
    for (const sha of await store.cas.list()) {
      if (marked.has(sha)) continue;
      const p = store.cas.objectPath(sha);
      freedBytes += (await fsp.lstat(p).catch(() => ({ size: 0 }))).size;
      await fsp.rm(p, { force: true });
      removedObjects++;
      faultPoint('gc', 'remove-object');
    }
    let removedSignatures = 0;
    const sigDir = join(store.repoDir, 'sigs');
    for (const f of (await fsp.readdir(sigDir).catch(() => [] as string[])).sort()) {
      const id = f.replace(/\.sig$/, '');
      if (seen.commits.has(id) && f.endsWith('.sig')) continue;
      await fsp.rm(join(sigDir, f), { force: true });
      removedSignatures++;
      faultPoint('gc', 'remove-signature');
    }
    // checkout copies no deployment links any more (link count 1), or of unreachable content
    let removedCheckoutCopies = 0;
    const coDir = join(store.repoDir, 'co');
    for (const sub of (await fsp.readdir(coDir).catch(() => [] as string[])).sort()) {
      for (const name of (await fsp.readdir(join(coDir, sub)).catch(() => [] as string[])).sort()) {
        const p = join(coDir, sub, name);
        const s = await fsp.lstat(p);
        const sha = name.slice(0, 64);
        if (s.nlink > 1 && marked.has(sha) && !name.startsWith('.')) continue;
        freedBytes += s.nlink > 1 ? 0 : s.size;
        await fsp.rm(p, { force: true });
        removedCheckoutCopies++;
        faultPoint('gc', 'remove-checkout-copy');
      }
    }
    for (const f of await fsp.readdir(join(store.repoDir, 'tmp')).catch(() => [] as string[])) {
      await fsp.rm(join(store.repoDir, 'tmp', f), { force: true, recursive: true });
    }
    const res: GcResult = { keptCommits: seen.commits.size, removedObjects, removedCheckoutCopies, removedSignatures, freedBytes, prunedDeployments };
    report.info('host.gc', `removed ${removedObjects} objects, ${removedCheckoutCopies} checkout copies (${freedBytes} bytes)`, { ...res });
    return res;
  });
}
