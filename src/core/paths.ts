/**
 * Where the driftless checkout (or installed package) lives: the nearest directory above this
 * module with driftless's package.json. Resolved by walking up instead of a fixed `../../` so the
 * same code works from src/ (tsx), dist/ (one file per module) and the bundled CLI (chunks).
 *
 *   const examples = join(projectRoot(), 'examples');
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function projectRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'driftless') return (cached = dir);
      } catch {
        // not ours (or unreadable): keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('driftless: cannot find the project root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
