/**
 * `driftless repo create DIR`: a createrepo-like writer. Scans DIR for *.rpm (skipping
 * repodata/ and hidden directories), writes repodata/ with primary, filelists and other
 * (zstd or gzip), optional comps (group) and updateinfo, and repomd.xml; `sign` adds an armored
 * detached repomd.xml.asc. The new repodata/ replaces the old one atomically.
 *
 * Output is bit-reproducible: packages sorted by file name, `revision` and every timestamp from
 * SOURCE_DATE_EPOCH (src/core/time.ts), deterministic compressors and signatures.
 * Incremental: an entry from the previous repodata is reused when the file's size, mtime and
 * sha256 are unchanged (the header is then not parsed again).
 *
 *   const r = await createRepo('/srv/repo', { compress: 'zstd', signKey: armoredSecretKey })
 *   r.packages, r.reused, r.repomdSha256
 */
import { createReadStream, promises as fsp, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { DriftlessError } from '../../core/errors.js';
import { publishDirAtomic } from '../../core/atomic.js';
import { sourceDateEpoch } from '../../core/time.js';
import { gzipStable, zstdCompress } from '../../core/compression.js';
import { signDetached } from '../../core/pgp.js';
import { silentReport, type Report } from '../../core/report.js';
import { openPackage, openPackageBytes } from '../../rpm/package.js';
import { packageEntries, xmlAttr, type PackageEntries } from './entries.js';
import { readPreviousRepodata } from './previous.js';

export type RepoCompression = 'zstd' | 'gz';

export interface CreateRepoOptions {
  compress?: RepoCompression;
  /** Armored (or binary) OpenPGP secret key: writes repodata/repomd.xml.asc. */
  signKey?: string | Uint8Array;
  signPassphrase?: string;
  /** comps.xml to publish as the "group" metadata. */
  comps?: string;
  /** updateinfo.xml to publish as "updateinfo". */
  updateinfo?: string;
  /** Revision and timestamps (default SOURCE_DATE_EPOCH, then the project default). */
  epoch?: number;
  /** Reuse unchanged entries of the previous repodata (default true). */
  incremental?: boolean;
  changelogLimit?: number;
  /** Packages up to this many bytes are read whole (default 4 MiB); bigger ones are streamed. */
  wholeReadLimit?: number;
  /** Packages read and parsed at once. Default 8. */
  concurrency?: number;
  report?: Report;
}

export interface CreateRepoResult {
  packages: number;
  reused: number;
  repomdSha256: string;
  files: string[];
}

/** Every *.rpm under `dir` (relative paths with '/'), sorted by file name; repodata/ and dot-dirs skipped. */
export async function scanRpms(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const ents = await fsp.readdir(d, { withFileTypes: true });
    for (const e of ents) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (d === dir && e.name === 'repodata') continue;
        await walk(p);
      } else if (e.name.endsWith('.rpm') && (e.isFile() || (e.isSymbolicLink() && (await fsp.stat(p).catch(() => undefined))?.isFile()))) {
        out.push(relative(dir, p).split(sep).join('/'));
      }
    }
  };
  await walk(dir);
  // createrepo_c's order: by file name, then (for equal names in different directories) by path
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  return out.sort((a, b) => cmp(base(a), base(b)) || cmp(a, b));
}

/** Packages up to this size are read into memory whole. */
const SMALL_RPM = 4 * 1024 * 1024;

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

interface Described {
  entries: PackageEntries;
  reused: boolean;
}

/** Write DIR/repodata for the RPMs in DIR. */
export async function createRepo(dir: string, opts: CreateRepoOptions = {}): Promise<CreateRepoResult> {
  const report = opts.report ?? silentReport;
  const compress = opts.compress ?? 'zstd';
  if (compress !== 'zstd' && compress !== 'gz') {
    throw new DriftlessError('REPO_WRITE_BAD_OPTION', `unknown compression "${String(compress)}"`, { hint: 'use zstd or gz' });
  }
  const epoch = opts.epoch ?? sourceDateEpoch();
  const st = await fsp.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new DriftlessError('REPO_WRITE_NO_DIR', `${dir} is not a directory`, { path: dir });
  const hrefs = await scanRpms(dir);
  const previous = opts.incremental === false ? new Map() : await readPreviousRepodata(dir, report);
  const progress = report.progress('repo.create', `indexing ${hrefs.length} packages`, hrefs.length);
  const described: Described[] = new Array(hrefs.length);
  let next = 0;
  const worker = async () => {
    while (next < hrefs.length) {
      const i = next++;
      const href = hrefs[i]!;
      const full = join(dir, ...href.split('/'));
      const fst = statSync(full);
      const mtime = Math.floor(fst.mtimeMs / 1000);
      // small packages are read once, synchronously (digest + header from the same bytes: far
      // cheaper than several async round trips each); big ones are streamed
      const bytes = fst.size <= (opts.wholeReadLimit ?? SMALL_RPM) ? readFileSync(full) : undefined;
      const sha256 = bytes ? createHash('sha256').update(bytes).digest('hex') : await sha256File(full);
      const prev = previous.get(href);
      if (prev && prev.size === fst.size && prev.mtime === mtime && prev.pkgid === sha256) {
        described[i] = { entries: prev.entries, reused: true };
      } else {
        let pkg;
        try {
          pkg = bytes ? await openPackageBytes(bytes, { path: full }) : await openPackage(full);
        } catch (e) {
          throw new DriftlessError('REPO_WRITE_BAD_RPM', `${href}: not a readable RPM: ${(e as Error).message}`, { path: full, cause: e });
        }
        described[i] = { entries: packageEntries(pkg, { sha256, size: fst.size, mtime, href, changelogLimit: opts.changelogLimit }), reused: false };
      }
      progress.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, hrefs.length || 1)) }, worker));
  progress.done();

  const n = described.length;
  const primary =
    `<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${n}">\n` +
    described.map((d) => d.entries.primary).join('') +
    '</metadata>';
  const filelists =
    `<?xml version="1.0" encoding="UTF-8"?>\n<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${n}">\n` +
    described.map((d) => d.entries.filelists).join('') +
    '</filelists>';
  const other =
    `<?xml version="1.0" encoding="UTF-8"?>\n<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="${n}">\n` +
    described.map((d) => d.entries.other).join('') +
    '</otherdata>';

  const squeeze = async (b: Uint8Array) => (compress === 'zstd' ? zstdCompress(b, 10) : gzipStable(b));
  const ext = compress === 'zstd' ? 'zst' : 'gz';
  type Out = { type: string; open: Buffer; name: string; data: Uint8Array; compressed: boolean };
  const outs: Out[] = [];
  const add = async (type: string, base: string, text: Buffer, compressed = true) => {
    const data = compressed ? await squeeze(text) : text;
    const digest = createHash('sha256').update(data).digest('hex');
    outs.push({ type, open: text, name: `${digest}-${base}${compressed ? `.${ext}` : ''}`, data, compressed });
  };
  await add('primary', 'primary.xml', Buffer.from(primary));
  await add('filelists', 'filelists.xml', Buffer.from(filelists));
  await add('other', 'other.xml', Buffer.from(other));
  if (opts.comps) {
    const c = await readInput(opts.comps, 'comps');
    await add('group', 'comps.xml', c, false);
    await add(`group_${compress === 'zstd' ? 'zst' : 'gz'}`, 'comps.xml', c);
  }
  if (opts.updateinfo) await add('updateinfo', 'updateinfo.xml', await readInput(opts.updateinfo, 'updateinfo'));

  let repomd = `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n  <revision>${epoch}</revision>\n`;
  for (const o of outs) {
    const sum = createHash('sha256').update(o.data).digest('hex');
    repomd +=
      `  <data type="${xmlAttr(o.type)}">\n` +
      `    <checksum type="sha256">${sum}</checksum>\n` +
      (o.compressed ? `    <open-checksum type="sha256">${createHash('sha256').update(o.open).digest('hex')}</open-checksum>\n` : '') +
      `    <location href="repodata/${xmlAttr(o.name)}"/>\n` +
      `    <timestamp>${epoch}</timestamp>\n` +
      `    <size>${o.data.length}</size>\n` +
      (o.compressed ? `    <open-size>${o.open.length}</open-size>\n` : '') +
      `  </data>\n`;
  }
  repomd += '</repomd>\n';
  const repomdBytes = Buffer.from(repomd);
  let signature: string | undefined;
  if (opts.signKey !== undefined) {
    signature = String(await signDetached(opts.signKey, repomdBytes, { date: new Date(epoch * 1000), armor: true, passphrase: opts.signPassphrase }));
  }

  const target = join(dir, 'repodata');
  await publishDirAtomic(target, async (tmp) => {
    for (const o of outs) await fsp.writeFile(join(tmp, o.name), o.data);
    await fsp.writeFile(join(tmp, 'repomd.xml'), repomdBytes);
    if (signature !== undefined) await fsp.writeFile(join(tmp, 'repomd.xml.asc'), signature);
    for (const f of [...outs.map((o) => o.name), 'repomd.xml', ...(signature !== undefined ? ['repomd.xml.asc'] : [])]) {
      const fh = await fsp.open(join(tmp, f), 'r');
      await fh.sync();
      await fh.close();
    }
  });
  const reused = described.filter((d) => d.reused).length;
  report.info('repo.created', `${dir}: ${n} packages (${reused} reused)`, { packages: n, reused });
  return {
    packages: n,
    reused,
    repomdSha256: createHash('sha256').update(repomdBytes).digest('hex'),
    files: [...outs.map((o) => `repodata/${o.name}`), 'repodata/repomd.xml', ...(signature !== undefined ? ['repodata/repomd.xml.asc'] : [])].sort(),
  };
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    const b = await fsp.readFile(path);
    if (b.length > 512 * 1024 * 1024) throw new Error('larger than 512 MiB');
    return b;
  } catch (e) {
    throw new DriftlessError('REPO_WRITE_INPUT', `cannot read the ${what} file ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}
