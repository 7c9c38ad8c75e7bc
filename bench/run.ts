/**
 * `npm run bench [-- --quick] [-- NAME…]`: runs the benchmarks against the C tools and merges
 * each one's result into bench/results.json under its key (other keys are kept).
 * Add a benchmark by adding an entry to BENCHES.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/core/atomic.js';
import { benchRpmRead } from './rpm-read.js';
import { benchOutputs } from './outputs.js';
import { benchRepo } from './repo.js';
import { benchSolver } from './solver.js';
import { benchResolve } from './resolve.js';
import { benchCompose } from './compose.js';
import { benchHost } from './host.js';
import { benchRepoCreate } from './repo-create.js';

type Bench = (opts: { quick: boolean }) => Promise<Record<string, unknown>>;

const BENCHES: Record<string, Bench> = {
  rpmRead: benchRpmRead,
  outputs: benchOutputs,
  repo: benchRepo,
  solver: benchSolver,
  resolve: benchResolve,
  compose: benchCompose,
  host: benchHost,
  repoCreate: benchRepoCreate,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const file = fileURLToPath(new URL('./results.json', import.meta.url));
const results: Record<string, unknown> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
for (const [name, fn] of Object.entries(BENCHES)) {
  if (only.length && !only.includes(name)) continue;
  process.stderr.write(`bench ${name}...\n`);
  results[name] = { ...(await fn({ quick })), measuredAt: new Date().toISOString(), quick };
  await writeFileAtomic(file, JSON.stringify(results, null, 2) + '\n');
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
