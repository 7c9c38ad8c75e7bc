/**
 * Install order like rpm's: dependencies before the packages that need them (so `filesystem`
 * lays down /bin -> usr/bin before anything installs into /bin), ties and cycles broken by name.
 */
import type { LockedPackage } from '../lock/lockfile.js';

export function installOrder(pkgs: LockedPackage[]): LockedPackage[] {
  const byNevra = new Map(pkgs.map((p) => [p.nevra, p]));
  const sorted = [...pkgs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.nevra < b.nevra ? -1 : 1));
  const state = new Map<string, 1 | 2>();
  const out: LockedPackage[] = [];
  const visit = (p: LockedPackage) => {
    if (state.has(p.nevra)) return; // done, or on the stack (a cycle: broken here)
    state.set(p.nevra, 1);
    const deps = [...new Set(p.requires.map((e) => e.to))].sort();
    for (const d of deps) {
      const q = byNevra.get(d);
      if (q && q !== p) visit(q);
    }
    state.set(p.nevra, 2);
    out.push(p);
  };
  for (const p of sorted) visit(p);
  return out;
}
