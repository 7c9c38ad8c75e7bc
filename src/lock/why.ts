/**
 * `why`: the shortest dependency chains from what the definition requested to a package —
 * the answer to "why is bash in my distroless image?".
 *
 *   whyChains(lock, 'x86_64', 'bash')
 *   // [[{ nevra: 'coreutils-…', via: null }, { nevra: 'bash-…', via: '/bin/sh' }]]
 *   formatChain(chain) // 'bash ← requires /bin/sh ← coreutils (requested)'
 */
import { DriftlessError } from '../core/errors.js';
import type { Lockfile, LockedPackage } from './lockfile.js';

export interface ChainStep {
  nevra: string;
  name: string;
  /** The dependency of the previous step that this package satisfies (null for the requested root). */
  via: string | null;
  /** For the root: what the definition asked for. */
  requestedAs?: string[];
}

export interface WhyOptions {
  arch?: string;
  /** At most this many distinct shortest chains (default 5). */
  limit?: number;
}

/** All shortest chains (root first) from requested packages to `target` (a name or NEVRA). */
export function whyChains(lock: Lockfile, target: string, opts: WhyOptions = {}): ChainStep[][] {
  const arches = Object.keys(lock.arches).sort();
  const arch = opts.arch ?? arches[0];
  if (!arch || !lock.arches[arch]) {
    throw new DriftlessError('WHY_NO_ARCH', `lockfile has no packages for arch ${opts.arch ?? '(none)'}`, { hint: `available: ${arches.join(', ')}` });
  }
  const pkgs = lock.arches[arch]!.packages;
  const byNevra = new Map(pkgs.map((p) => [p.nevra, p]));
  const targets = pkgs.filter((p) => p.name === target || p.nevra === target);
  if (targets.length === 0) {
    throw new DriftlessError('WHY_NOT_INSTALLED', `${target} is not in the locked package set for ${arch}`, {
      hint: 'check the spelling; `driftless why` answers for packages that are in the image',
    });
  }
  const limit = opts.limit ?? 5;
  // BFS from all requested roots over "requires" edges; keep every shortest predecessor.
  const dist = new Map<string, number>();
  const preds = new Map<string, Array<{ from: string; dep: string }>>();
  let frontier: LockedPackage[] = pkgs.filter((p) => p.reason === 'requested');
  for (const p of frontier) dist.set(p.nevra, 0);
  let depth = 0;
  while (frontier.length) {
    const next: LockedPackage[] = [];
    for (const p of frontier) {
      for (const e of p.requires) {
        const to = byNevra.get(e.to);
        if (!to) continue;
        const d = dist.get(to.nevra);
        if (d === undefined) {
          dist.set(to.nevra, depth + 1);
          preds.set(to.nevra, [{ from: p.nevra, dep: e.dep }]);
          next.push(to);
        } else if (d === depth + 1) {
          const list = preds.get(to.nevra)!;
          if (!list.some((x) => x.from === p.nevra && x.dep === e.dep)) list.push({ from: p.nevra, dep: e.dep });
        }
      }
    }
    frontier = next;
    depth++;
  }
  const chains: ChainStep[][] = [];
  const step = (p: LockedPackage, via: string | null): ChainStep => ({
    nevra: p.nevra,
    name: p.name,
    via,
    ...(p.reason === 'requested' && via === null ? { requestedAs: p.requestedAs ?? [p.name] } : {}),
  });
  const walk = (nevra: string, via: string | null, suffix: ChainStep[]) => {
    if (chains.length >= limit) return;
    const p = byNevra.get(nevra)!;
    const here = [step(p, via), ...suffix];
    if (dist.get(nevra) === 0) {
      here[0] = step(p, null);
      chains.push(here);
      return;
    }
    const ps = [...(preds.get(nevra) ?? [])].sort((a, b) => (a.from === b.from ? (a.dep < b.dep ? -1 : 1) : a.from < b.from ? -1 : 1));
    for (const pr of ps) {
      const withVia = [{ ...here[0]!, via: pr.dep }, ...here.slice(1)];
      walk(pr.from, null, withVia);
    }
  };
  for (const t of targets) {
    if (dist.get(t.nevra) === undefined) {
      chains.push([{ ...step(t, null), via: null }]);
      continue;
    }
    walk(t.nevra, null, []);
  }
  return chains;
}

/** `bash ← requires /bin/sh ← coreutils (requested: coreutils)` — target first, like the question. */
export function formatChain(chain: ChainStep[]): string {
  const last = chain.length - 1;
  const parts = [chain[last]!.nevra];
  for (let i = last; i > 0; i--) parts.push(`requires ${chain[i]!.via}`, chain[i - 1]!.nevra);
  const root = chain[0]!;
  const tail = root.requestedAs ? ` (requested: ${root.requestedAs.join(', ')})` : ' (not reachable from the request)';
  return parts.join(' ← ') + tail;
}
