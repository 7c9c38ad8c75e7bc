/**
 * repomd.xml: the index of a repository's metadata files, each with location, size and
 * checksum (of the file as stored) and optional open-size/open-checksum (decompressed).
 *
 *   const md = await parseRepomd(bytes, 'repodata/repomd.xml');
 *   md.data.get('primary')  // { location: { href: 'repodata/…-primary.xml.gz' }, checksum: {type:'sha256', value}, size, ... }
 */
import { DriftlessError, isDriftlessError } from '../core/errors.js';
import type { DigestAlgorithm } from '../core/hash.js';
import { parseXmlStream, type XmlHandler } from './xmlstream.js';
import { scanXml } from './xmlscan.js';

export interface RepomdChecksum {
  /** Normalised algorithm ('sha' → 'sha1'). */
  type: DigestAlgorithm;
  value: string;
}

export interface RepomdRecord {
  type: string;
  location: { href: string; base?: string };
  checksum?: RepomdChecksum;
  openChecksum?: RepomdChecksum;
  size?: number;
  openSize?: number;
  headerChecksum?: RepomdChecksum;
  headerSize?: number;
  timestamp?: number;
  databaseVersion?: number;
}

export interface Repomd {
  revision?: string;
  tags: { content: string[]; repo: string[]; distro: { cpeid?: string; name: string }[] };
  /** Records by type ('primary', 'filelists', 'other', 'group', 'group_gz', 'updateinfo', 'modules', ...). */
  data: Map<string, RepomdRecord>;
}

const ALGOS: Record<string, DigestAlgorithm> = {
  sha: 'sha1', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', md5: 'md5',
};

/** Map an rpm-md checksum type name to a digest algorithm; unknown → REPO_UNKNOWN_CHECKSUM. */
export function checksumAlgorithm(type: string, label: string): DigestAlgorithm {
  const a = ALGOS[type.toLowerCase()];
  if (!a) {
    throw new DriftlessError('REPO_UNKNOWN_CHECKSUM', `${label}: unsupported checksum type "${type}"`, {
      hint: `supported: ${Object.keys(ALGOS).join(', ')}`,
    });
  }
  return a;
}

function int(s: string, what: string, label: string): number {
  const t = s.trim();
  if (!/^\d+$/.test(t)) throw new DriftlessError('REPO_BAD_METADATA', `${label}: bad ${what} "${t}"`, { path: label });
  return Number(t);
}

/** Parse repomd.xml bytes. */
export async function parseRepomd(bytes: Uint8Array, label = 'repomd.xml'): Promise<Repomd> {
  const md: Repomd = { tags: { content: [], repo: [], distro: [] }, data: new Map() };
  let rec: Partial<RepomdRecord> | undefined;
  let ckType: string | undefined;
  let distroCpe: string | undefined;
  let sawRoot = false;
  let inTags = false;
  async function* one() {
    yield bytes;
  }
  const handler: XmlHandler = {
    open(name, a) {
      if (name === 'repomd') sawRoot = true;
      else if (name === 'tags') inTags = true;
      else if (name === 'data') {
        if (!a.type) throw new DriftlessError('REPO_BAD_METADATA', `${label}: <data> without type`, { path: label });
        rec = { type: a.type };
      } else if (rec) {
        if (name === 'location') {
          if (!a.href) throw new DriftlessError('REPO_BAD_METADATA', `${label}: ${rec.type} has no location href`, { path: label });
          rec.location = { href: a.href, ...(a['xml:base'] ? { base: a['xml:base'] } : {}) };
        } else if (name === 'checksum' || name === 'open-checksum' || name === 'header-checksum') ckType = a.type;
      } else if (inTags && name === 'distro') distroCpe = a.cpeid;
    },
    close(name, text) {
      if (name === 'tags') inTags = false;
      else if (name === 'revision' && !rec) md.revision = text.trim();
      else if (inTags && name === 'content') md.tags.content.push(text.trim());
      else if (inTags && name === 'repo') md.tags.repo.push(text.trim());
      else if (inTags && name === 'distro') md.tags.distro.push({ name: text.trim(), ...(distroCpe ? { cpeid: distroCpe } : {}) });
      else if (rec) {
        switch (name) {
          case 'data':
            if (!rec.location) throw new DriftlessError('REPO_BAD_METADATA', `${label}: ${rec.type} has no location`, { path: label });
            md.data.set(rec.type!, rec as RepomdRecord);
            rec = undefined;
            break;
          case 'checksum':
          case 'open-checksum':
          case 'header-checksum': {
            const c: RepomdChecksum = { type: checksumAlgorithm(ckType ?? '', `${label} (${rec.type})`), value: text.trim().toLowerCase() };
            if (name === 'checksum') rec.checksum = c;
            else if (name === 'open-checksum') rec.openChecksum = c;
            else rec.headerChecksum = c;
            break;
          }
          case 'size': rec.size = int(text, 'size', label); break;
          case 'open-size': rec.openSize = int(text, 'open-size', label); break;
          case 'header-size': rec.headerSize = int(text, 'header-size', label); break;
          case 'timestamp': rec.timestamp = Number(text.trim()); break;
          case 'database_version': rec.databaseVersion = Number(text.trim()); break;
        }
      }
    },
  };
  // The byte scanner reads repomd.xml without loading saxes (~40 ms of a cold load); a document
  // it refuses (it is stricter: no DOCTYPE, XML 1.0 only) gets saxes's verdict instead.
  try {
    await scanXml(one(), label, {
      open: (name, x) => handler.open(name, x.attrs()),
      close: (name, x) => handler.close(name, x.text()),
    });
  } catch (e) {
    if (!isDriftlessError(e, 'REPO_BAD_XML')) throw e;
    md.tags = { content: [], repo: [], distro: [] };
    md.data.clear();
    delete md.revision;
    rec = undefined;
    ckType = distroCpe = undefined;
    sawRoot = inTags = false;
    await parseXmlStream(one(), label, handler);
  }
  if (!sawRoot) {
    throw new DriftlessError('REPO_BAD_METADATA', `${label}: not a repomd.xml document`, { path: label, hint: 'is this an rpm-md repository?' });
  }
  return md;
}

/** The record for the first present type of `types` (e.g. ['group', 'group_gz']). */
export function pickRecord(md: Repomd, types: string[]): RepomdRecord | undefined {
  for (const t of types) {
    const r = md.data.get(t);
    if (r) return r;
  }
  return undefined;
}
