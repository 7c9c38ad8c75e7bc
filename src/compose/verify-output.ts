/**
 * Checks a compose output directory without trusting it: every file's digest against
 * report.json, the OCI layout's blobs against their descriptors, the rpmdb inside rootfs.tar
 * against the lockfile, the dm-verity root hash by recomputing the tree, and the SBOMs' package
 * lists against the lockfile. Used by `npm run demo` and `driftless image verify`.
 *
 *   const checks = await verifyComposeOutput('out/demo/images/base')
 *   checks.every((c) => c.ok)
 */
import { createReadStream, existsSync } from 'node:fs';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { readTar, readBody } from '../archive/tar-read.js';
import { formatVerity } from '../outputs/verity.js';
import { parseLockfile } from '../lock/lockfile.js';
import type { ComposeReport } from './report.js';
import { DriftlessError } from '../core/errors.js';

export interface OutputCheck {
  name: string;
  ok: boolean;
  detail: string;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

export async function verifyComposeOutput(outDir: string): Promise<OutputCheck[]> {
  const checks: OutputCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  if (!existsSync(join(outDir, 'report.json'))) {
    throw new DriftlessError('IMAGE_NOT_FOUND', `${outDir} has no report.json`, { path: outDir, hint: 'is this a `driftless compose` output directory?' });
  }
  const report = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as ComposeReport;
  const lock = parseLockfile(await readFile(join(outDir, 'lock.json'), 'utf8'), join(outDir, 'lock.json'));
  const multi = report.arches.length > 1;
  for (const a of report.arches) {
    const dir = multi ? join(outDir, a.arch) : outDir;
    const locked = (lock.arches[a.arch]?.packages ?? []).map((p) => p.nevra).sort();
    let bad = 0;
    for (const f of a.outputs) if ((await sha256File(join(outDir, f.path))) !== f.sha256) bad++;
    add(`${a.arch}: output digests`, bad === 0, bad ? `${bad} of ${a.outputs.length} files differ from report.json` : `${a.outputs.length} files match report.json`);

    const tarPath = join(dir, 'rootfs.tar');
    if (existsSync(tarPath)) {
      let entries = 0;
      let names: string[] = [];
      for await (const e of readTar(createReadStream(tarPath) as AsyncIterable<Uint8Array>)) {
        entries++;
        if (e.path === '/usr/lib/sysimage/rpm/rpmdb.sqlite') {
          const tmp = await mkdtemp(join(tmpdir(), 'driftless-verify-'));
          try {
            await writeFile(join(tmp, 'rpmdb.sqlite'), await readBody(e));
            const db = new Database(join(tmp, 'rpmdb.sqlite'), { readonly: true });
            names = (db.prepare('SELECT key FROM Name ORDER BY key').all() as Array<{ key: string }>).map((r) => r.key);
            db.close();
          } finally {
            await rm(tmp, { recursive: true, force: true });
          }
        } else for await (const _ of e.body) void _;
      }
      const want = [...new Set((lock.arches[a.arch]?.packages ?? []).map((p) => p.name))].sort();
      const same = JSON.stringify(names) === JSON.stringify(want);
      add(`${a.arch}: rootfs.tar rpmdb`, same, same ? `${entries} entries; rpmdb lists the ${want.length} locked packages` : `rpmdb lists ${names.length} packages, lock has ${want.length}`);
    }

    const erofs = join(dir, 'rootfs.erofs');
    if (existsSync(erofs) && existsSync(join(dir, 'rootfs.erofs.roothash'))) {
      const tmp = await mkdtemp(join(tmpdir(), 'driftless-verity-'));
      try {
        const r = await formatVerity(erofs, join(tmp, 'hash'));
        const want = (await readFile(join(dir, 'rootfs.erofs.roothash'), 'utf8')).trim();
        const sameTree = (await sha256File(join(tmp, 'hash'))) === (await sha256File(join(dir, 'rootfs.erofs.verity')));
        add(`${a.arch}: dm-verity`, r.rootHash === want && sameTree, `root hash ${want.slice(0, 16)}… ${r.rootHash === want && sameTree ? 'recomputed identically' : 'DOES NOT MATCH'}`);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }

    for (const [file, count] of [
      ['sbom.spdx.json', (j: { packages: unknown[] }) => j.packages.length - 1],
      ['sbom.cdx.json', (j: { components: unknown[] }) => j.components.length],
    ] as const) {
      const p = join(dir, file);
      if (!existsSync(p)) continue;
      const n = count(JSON.parse(await readFile(p, 'utf8')));
      add(`${a.arch}: ${file}`, n === locked.length, `${n} packages (lock: ${locked.length})`);
    }
  }

  const oci = join(outDir, 'oci');
  if (existsSync(oci)) {
    const blob = (d: { digest: string }) => join(oci, 'blobs', ...d.digest.split(':'));
    const index = JSON.parse(await readFile(join(oci, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; size: number; annotations?: Record<string, string> }> };
    let blobs = 0;
    let bad = 0;
    const check = async (d: { digest: string; size: number }) => {
      blobs++;
      const bytes = await readFile(blob(d));
      if (bytes.length !== d.size || `sha256:${createHash('sha256').update(bytes).digest('hex')}` !== d.digest) bad++;
      return bytes;
    };
    const walk = async (d: { digest: string; size: number; mediaType?: string }): Promise<void> => {
      const m = JSON.parse((await check(d)).toString('utf8')) as { manifests?: typeof index.manifests; config?: { digest: string; size: number }; layers?: Array<{ digest: string; size: number }> };
      for (const x of m.manifests ?? []) await walk(x);
      if (m.config) await check(m.config);
      for (const l of m.layers ?? []) await check(l);
    };
    for (const m of index.manifests) await walk(m);
    const named = index.manifests.some((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'latest');
    add('oci layout', bad === 0 && named, `${blobs} blobs verified${bad ? `, ${bad} BAD` : ''}; ref name ${named ? '"latest"' : 'MISSING'}`);
  }
  return checks;
}
