// Transpiles src/**/*.ts (tests excluded) to dist/ with esbuild, one file per module.
// Type checking is separate (`npm run typecheck`, part of `npm test`), so `npm ci`
// never fails on a type error and the CLI always starts from plain JavaScript.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: walk('src'),
  outdir: 'dist',
  outbase: 'src',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  logLevel: 'warning',
});

// The CLI again as one bundle (bin/driftless.js runs it), split into a chunk per lazily loaded
// command: loading ~60 separate ES modules costs ~15 ms of start-up on every command. Pure-JS
// packages made of many small modules are bundled too (zod: 52 → 27 ms to load); the others stay
// external (native addons, packages that read files next to themselves, single-file builds).
// dist/<module>.js above remains the importable library.
const BUNDLED = new Set(['zod', 'commander', 'yaml']);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
await build({
  external: Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d)),
  banner: { js: "import { createRequire as __driftlessRequire } from 'node:module'; const require = __driftlessRequire(import.meta.url);" },
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  splitting: true,
  outdir: 'dist/cli-bundle',
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  logLevel: 'warning',
});
