/**
 * Benchmark of the rpm-md reader against libsolv, measured in the same run on cs9-appstream
 * (17,649 packages, primary.xml.gz 3.6 MB → 51 MB XML):
 *  - cold: driftless `loadRepo` (repomd, primary streamed through gunzip + sha256 check + the
 *    rpm-md byte scanner into the column store, no cache) vs libsolv `repo2solv` on the same
 *    repository directory;
 *  - warm: driftless `loadRepo` served from the parsed-metadata cache (repomd read + sha256,
 *    cache file read + crc32 + column decode, every package's name/version/release/arch read) vs libsolv loading
 *    the `.solv` file repo2solv wrote (`repo.add_solv` in python3-solv, timed inside Python so
 *    interpreter start-up is excluded). Both sides then read every package's name, EVR and
 *    arch as strings, so both have produced the same usable records.
 * Each side runs in fresh child processes; the best of N runs is kept. Times are CPU time
 * (user+sys) of the measured work — robust on a shared machine — with wall time alongside.
 * Ours is measured inside the child (node/tsx start-up excluded, like Python's); repo2solv's
 * includes its own (C) process start-up, a few ms. Peak RSS is each process's max RSS; for ours
 * `baselineRssMb` is the node+tsx process before the work starts. `coldFloorGunzipScanNoop` is
 * gunzip + the byte scanner (src/repo/xmlscan.ts) with empty handlers on the same file: the part
 * of the cold time spent reading XML; `coldFloorGunzipSaxesNoop` is the same with saxes (loaded
 * inside the timed part, as before), which read primary.xml until the scanner replaced it.
 * Ratios > 1: driftless slower.
 *
 *   node --import tsx bench/run.ts repo [--quick]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const PY = '/usr/bin/python3';
const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Peak RSS of this process's own address space (VmHWM). Not getrusage's ru_maxrss: on Linux a
 * process forked from the (large) bench process inherits the parent's high-water mark there.
 */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

interface Sample {
  cpuMs: number;
  wallMs: number;
  maxRssMb: number;
  baselineRssMb?: number;
  packages?: number;
}

/** The floor under our cold parse: gunzip + the XML reader (scanner or saxes) with no-op handlers over the same primary. */
async function floorChild(repo: string, reader: 'scan' | 'saxes'): Promise<void> {
  const { readdirSync, createReadStream } = await import('node:fs');
  const { decompress } = await import('../src/core/compression.js');
  const { parseXmlStream } = await import('../src/repo/xmlstream.js');
  const { scanXml } = await import('../src/repo/xmlscan.js');
  const f = readdirSync(join(repo, 'repodata')).find((n) => n.endsWith('primary.xml.gz'))!;
  const baseline = process.memoryUsage().rss;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const chunks = decompress('gzip', createReadStream(join(repo, 'repodata', f), { highWaterMark: 256 * 1024 }));
  if (reader === 'scan') await scanXml(chunks, f, { open() {}, close() {} });
  else await parseXmlStream(chunks, f, { open() {}, close() {} });
  const c = process.cpuUsage(c0);
  const out: Sample = { cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0, maxRssMb: peakRssMb(), baselineRssMb: baseline / 1024 / 1024 };
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** Child mode: `node --import tsx bench/repo.ts --child cold|warm|populate|floor|floorSaxes REPO CACHEDIR`. */
async function child(mode: string, repo: string, cacheDir: string): Promise<void> {
  if (mode === 'floor' || mode === 'floorSaxes') return floorChild(repo, mode === 'floor' ? 'scan' : 'saxes');
  const { loadRepo } = await import('../src/repo/load.js');
  const baseline = process.memoryUsage().rss;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await loadRepo(repo, { gpgcheck: false, cacheDir: mode === 'cold' ? null : cacheDir });
  let bytes = 0;
  for (const p of r.packages) bytes += p.name.length + p.version.length + p.release.length + p.arch.length;
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (mode === 'warm' && !r.fromCache) throw new Error('warm run was not served from the cache');
  const out: Sample = {
    cpuMs: (c.user + c.system) / 1000,
    wallMs,
    maxRssMb: peakRssMb(),
    baselineRssMb: baseline / 1024 / 1024,
    packages: bytes > 0 ? r.packages.length : 0,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function runOurs(mode: 'cold' | 'warm' | 'populate' | 'floor' | 'floorSaxes', repo: string, cacheDir: string): Sample {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, repo, cacheDir], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Sample;
}

/** Run a command under Python's rusage accounting: CPU and max RSS of the child. */
function runTool(cmd: string[]): Sample {
  const script = `import json,resource,subprocess,sys,time
t=time.perf_counter(); p=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); w=(time.perf_counter()-t)*1000
u=resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode: sys.exit(p.returncode)
print(json.dumps({'cpuMs':(u.ru_utime+u.ru_stime)*1000,'wallMs':w,'maxRssMb':u.ru_maxrss/1024}))`;
  const r = spawnSync(PY, ['-c', script, ...cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Sample;
}

/** libsolv warm load: add_solv timed inside Python (process_time and wall), RSS of the process. */
function runSolvLoad(solvFile: string): Sample {
  const script = `import json,resource,sys,time,solv
def hwm():
  return int([l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1])
rss0=hwm()
c=time.process_time(); t=time.perf_counter()
pool=solv.Pool(); repo=pool.add_repo('r'); f=solv.xfopen(sys.argv[1]); repo.add_solv(f); f.close()
n=0
for s in repo.solvables_iter():
  n+=1; _=len(s.name)+len(s.evr)+len(s.arch)
print(json.dumps({'cpuMs':(time.process_time()-c)*1000,'wallMs':(time.perf_counter()-t)*1000,'maxRssMb':hwm()/1024,'baselineRssMb':rss0/1024,'packages':n}))`;
  const r = spawnSync(PY, ['-c', script, solvFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-solv failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Sample;
}

function best(n: number, f: () => Sample): Sample {
  let b: Sample | undefined;
  for (let i = 0; i < n; i++) {
    const s = f();
    if (!b || s.cpuMs < b.cpuMs) b = s;
  }
  const r: Sample = { cpuMs: round(b!.cpuMs), wallMs: round(b!.wallMs), maxRssMb: round(b!.maxRssMb) };
  if (b!.baselineRssMb !== undefined) r.baselineRssMb = round(b!.baselineRssMb);
  if (b!.packages !== undefined) r.packages = b!.packages;
  return r;
}

const has = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;

export async function benchRepo(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const runs = opts.quick ? 1 : 3;
  const repo = join(root, 'test/fixtures/repos/cs9-appstream');
  const tmp = mkdtempSync(join(tmpdir(), 'driftless-bench-repo-'));
  try {
    const cache = join(tmp, 'cache');
    const out: Record<string, unknown> = { repo: 'cs9-appstream', runs, method: 'best of N fresh processes; cpuMs = user+sys of the measured work' };
    const cold = best(runs, () => runOurs('cold', repo, cache));
    runOurs('populate', repo, cache); // parses and writes the cache
    const warm = best(runs, () => runOurs('warm', repo, cache));
    const floor = best(runs, () => runOurs('floor', repo, cache));
    const floorSaxes = best(runs, () => runOurs('floorSaxes', repo, cache));
    out.driftless = { cold, warm, coldFloorGunzipScanNoop: floor, coldFloorGunzipSaxesNoop: floorSaxes };
    if (has('repo2solv') && existsSync(PY)) {
      const solvFile = join(tmp, 'appstream.solv');
      const solvCold = best(runs, () => runTool(['repo2solv', '-o', solvFile, repo]));
      const hasSolv = spawnSync(PY, ['-c', 'import solv']).status === 0;
      const solvWarm = hasSolv ? best(runs, () => runSolvLoad(solvFile)) : undefined;
      out.libsolv = { cold: { tool: 'repo2solv -o X.solv DIR', ...solvCold }, ...(solvWarm ? { warm: { tool: 'python3-solv repo.add_solv', ...solvWarm } } : {}) };
      out.ratios = {
        coldCpu: round(cold.cpuMs / solvCold.cpuMs),
        coldWall: round(cold.wallMs / solvCold.wallMs),
        ...(solvWarm ? { warmCpu: round(warm.cpuMs / solvWarm.cpuMs), warmWall: round(warm.wallMs / solvWarm.wallMs) } : {}),
        goal: 'cold ≤ 1.5, warm ≤ 1',
      };
    } else out.libsolv = 'repo2solv or /usr/bin/python3 missing';
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child' && import.meta.url === pathToFileURL(process.argv[1]!).href) {
  await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
}
