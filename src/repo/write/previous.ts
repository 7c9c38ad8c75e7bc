/**
 * The previous repodata of a directory, for incremental `repo create`: each package's
 * primary/filelists/other XML snippets keyed by location href, with the size, mtime and pkgid
 * they describe. Files are checked against repomd.xml's checksums first; anything unreadable
 * or inconsistent means "no previous data" (a full rescan), never an error.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { decompress } from '../../core/compression.js';
import type { Report } from '../../core/report.js';
import type { PackageEntries } from './entries.js';

export interface PreviousEntry {
  size: number;
  mtime: number;
  pkgid: string;
  entries: PackageEntries;
}

const MAX_OPEN = 2 * 1024 ** 3;

function unescapeAttr(s: string): string {
  return s.replace(/&(lt|gt|quot|amp|#(\d+));/g, (_, n: string, d?: string) =>
    d ? String.fromCharCode(Number(d)) : n === 'lt' ? '<' : n === 'gt' ? '>' : n === 'quot' ? '"' : '&',
  );
}

/** Split a metadata document into its `<package …>…</package>\n` snippets. */
function packages(xml: string): string[] {
  const out: string[] = [];
  let i = xml.indexOf('<package ');
  while (i >= 0) {
    const end = xml.indexOf('</package>', i);
    if (end < 0) break;
    let stop = end + '</package>'.length;
    if (xml[stop] === '\n') stop++;
    out.push(xml.slice(i, stop));
    i = xml.indexOf('<package ', stop);
  }
  return out;
}

async function readData(dir: string, repomd: string, type: string): Promise<string | undefined> {
  const block = new RegExp(`<data type="${type}">([\\s\\S]*?)</data>`).exec(repomd)?.[1];
  if (!block) return undefined;
  const href = /<location href="([^"]+)"/.exec(block)?.[1];
  const sum = /<checksum type="sha256">([0-9a-f]{64})<\/checksum>/.exec(block)?.[1];
  if (!href || !sum || !href.startsWith('repodata/') || href.includes('..')) return undefined;
  const bytes = await fsp.readFile(join(dir, unescapeAttr(href)));
  if (createHash('sha256').update(bytes).digest('hex') !== sum) return undefined;
  const parts: Uint8Array[] = [];
  for await (const c of decompress('auto', (async function* () {
    yield bytes;
  })(), { maxOutput: MAX_OPEN })) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

/** Previous entries by href (empty when there is no usable previous repodata). */
export async function readPreviousRepodata(dir: string, report: Report): Promise<Map<string, PreviousEntry>> {
  const result = new Map<string, PreviousEntry>();
  let repomd: string;
  try {
    repomd = await fsp.readFile(join(dir, 'repodata', 'repomd.xml'), 'utf8');
  } catch {
    return result;
  }
  try {
    const [primary, filelists, other] = await Promise.all(['primary', 'filelists', 'other'].map((t) => readData(dir, repomd, t)));
    if (primary === undefined || filelists === undefined || other === undefined) {
      report.warn('REPO_WRITE_PREVIOUS_IGNORED', 'previous repodata is incomplete or does not match its repomd.xml; rescanning everything');
      return result;
    }
    // The same file in several places has one pkgid; its filelists/other entries are identical.
    const byId = (snips: string[]) => {
      const m = new Map<string, string>();
      for (const s of snips) {
        const id = /^<package pkgid="([0-9a-f]{64})"/.exec(s)?.[1];
        if (id && !m.has(id)) m.set(id, s);
      }
      return m;
    };
    const fl = byId(packages(filelists));
    const ot = byId(packages(other));
    for (const p of packages(primary)) {
      const pkgid = /<checksum type="sha256" pkgid="YES">([0-9a-f]{64})<\/checksum>/.exec(p)?.[1];
      const href = /<location href="([^"]+)"\/>/.exec(p)?.[1];
      const time = /<time file="(\d+)"/.exec(p)?.[1];
      const size = /<size package="(\d+)"/.exec(p)?.[1];
      const name = /<name>([^<]*)<\/name>/.exec(p)?.[1];
      const arch = /<arch>([^<]*)<\/arch>/.exec(p)?.[1];
      if (!pkgid || !href || !time || !size || name === undefined || arch === undefined) continue;
      const f = fl.get(pkgid);
      const o = ot.get(pkgid);
      if (!f || !o) continue;
      const h = unescapeAttr(href);
      result.set(h, {
        size: Number(size),
        mtime: Number(time),
        pkgid,
        entries: { pkgid, href: h, name, arch, primary: p, filelists: f, other: o },
      });
    }
  } catch (e) {
    report.warn('REPO_WRITE_PREVIOUS_IGNORED', `previous repodata unreadable (${(e as Error).message}); rescanning everything`);
    return new Map();
  }
  return result;
}
