/**
 * The offline end-to-end demo behind `npm run demo`, as a library function (the CLI renders it):
 * build the sample distribution with the RPM writer and sign it with the TEST-ONLY demo key,
 * publish it as a signed rpm-md repository, lock and compose `examples/base.yaml` and
 * `examples/distroless.yaml`, verify every output without trusting it, and answer `why` for a
 * package. Everything is written under `outDir` (out/demo/ by default).
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { projectRoot } from '../core/paths.js';
import type { Report } from '../core/report.js';
import { buildSampleRepo, SAMPLE_REPO_V2_DIR, DEMO_SECRET_KEY, type SamplePackage } from '../rpm/build/sample-set.js';
import { createRepo, type CreateRepoResult } from '../repo/write/create.js';
import { compose } from '../compose/compose.js';
import type { ComposeReport } from '../compose/report.js';
import { verifyComposeOutput, type OutputCheck } from '../compose/verify-output.js';
import { readLockfile } from '../lock/lockfile.js';
import { whyChains, formatChain } from '../lock/why.js';

const examples = join(projectRoot(), 'examples') + sep;
export const DEMO_IMAGES = ['base', 'distroless'] as const;

export interface DemoImage {
  name: string;
  dir: string;
  report: ComposeReport;
  checks: OutputCheck[];
}

export interface DemoResult {
  epoch: number;
  repo: { dir: string; packages: SamplePackage[]; repodata: CreateRepoResult };
  repoV2: { dir: string; packages: SamplePackage[]; repodata: CreateRepoResult };
  images: DemoImage[];
  /** `why bash` on the base image, and whether the distroless image has a shell at all. */
  why: { image: string; package: string; chains: string[] };
  distrolessHasShell: boolean;
  seconds: number;
}

/**
 * The example definitions point at ../out/demo/repo; for another output directory the demo
 * writes adjusted copies (absolute repository and key paths) next to the images.
 */
async function definitionFor(name: string, outDir: string, repoDir: string): Promise<string> {
  const text = await readFile(join(examples, `${name}.yaml`), 'utf8');
  const adjusted = text
    .replace(/path: \.\.\/out\/demo\/repo/g, `path: ${JSON.stringify(repoDir)}`)
    .replace(/gpgkey: \[keys\//g, `gpgkey: [${examples}keys/`);
  const dir = join(outDir, 'definitions');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  await writeFile(path, adjusted);
  return path;
}

export async function runDemo(outDir: string, opts: { epoch: number; report: Report }): Promise<DemoResult> {
  const started = performance.now();
  const { epoch, report } = opts;
  const signKey = await readFile(DEMO_SECRET_KEY, 'utf8');
  const repoDir = join(outDir, 'repo');
  const v2Dir = join(outDir, 'repo-v2');
  const packages = await buildSampleRepo(repoDir, { epoch, report });
  const repodata = await createRepo(repoDir, { epoch, signKey, report, incremental: false });
  const v2 = await buildSampleRepo(v2Dir, { epoch, report, definitionsDir: SAMPLE_REPO_V2_DIR });
  const v2data = await createRepo(v2Dir, { epoch, signKey, report, incremental: false });
  const images: DemoImage[] = [];
  for (const name of DEMO_IMAGES) {
    const def = await definitionFor(name, outDir, repoDir);
    const dir = join(outDir, 'images', name);
    const r = await compose(def, {
      outDir: dir,
      lockPath: join(outDir, 'locks', `${name}.lock.json`),
      updateLock: true,
      epoch,
      cacheDir: join(outDir, 'cache'),
      skipUnavailableOutputs: true,
      report,
    });
    images.push({ name, dir, report: r.report, checks: await verifyComposeOutput(dir) });
  }
  const baseLock = await readLockfile(join(outDir, 'images', 'base', 'lock.json'));
  const distroLock = await readLockfile(join(outDir, 'images', 'distroless', 'lock.json'));
  const distrolessHasShell = Object.values(distroLock.arches).some((a) => a.packages.some((p) => p.name === 'bash'));
  return {
    epoch,
    repo: { dir: repoDir, packages, repodata },
    repoV2: { dir: v2Dir, packages: v2, repodata: v2data },
    images,
    why: { image: 'base', package: 'bash', chains: whyChains(baseLock, 'bash').map(formatChain) },
    distrolessHasShell,
    seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
  };
}
