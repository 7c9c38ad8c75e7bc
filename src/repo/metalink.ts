/**
 * Mirror lists for http(s) repositories, as dnf/librepo understand them:
 *
 * - a **mirrorlist** is plain text, one base URL per line (`#` comments);
 * - a **metalink** (Metalink 3.0 XML, as served by mirrors.fedoraproject.org) lists the URLs of
 *   `repodata/repomd.xml` on each mirror with a preference, plus the expected size and hashes
 *   of repomd.xml (and `mm0:alternates` for recently replaced versions). The hashes are what make
 *   a mirror trustworthy: a repomd.xml that matches none of them is refused.
 *
 *   const ml = parseMetalink(xml)          // { urls: [...], baseurls: [...], repomd: [{ size, hashes }] }
 *   metalinkAccepts(ml, repomdBytes)       // true if any advertised hash set matches
 */
import { createRequire } from 'node:module';
import type * as Saxes from 'saxes';

/** saxes is loaded with the first metalink parsed (most commands never read one). */
let saxes: typeof Saxes | undefined;
const saxesLib = () => (saxes ??= createRequire(import.meta.url)('saxes') as typeof Saxes);
import { createHash } from 'node:crypto';
import { DriftlessError } from '../core/errors.js';

export interface MetalinkHashSet {
  size?: number;
  /** Algorithm (md5, sha1, sha256, sha512) → lowercase hex. */
  hashes: Record<string, string>;
}

export interface Metalink {
  /** repomd.xml URLs ordered by preference (highest first). */
  urls: string[];
  /** The same mirrors as repository base URLs (ending in '/'). */
  baseurls: string[];
  /** The current repomd.xml first, then alternates. */
  repomd: MetalinkHashSet[];
}

const HASH_STRENGTH = ['sha512', 'sha384', 'sha256', 'sha224', 'sha1', 'md5'];

/** Parse a metalink document. Throws REPO_METALINK_INVALID when it lists no usable mirror. */
export function parseMetalink(text: string, label = 'metalink'): Metalink {
  const parser = new (saxesLib().SaxesParser)({ xmlns: false });
  const stack: string[] = [];
  let inRepomd = false;
  let current: MetalinkHashSet | undefined;
  const sets: MetalinkHashSet[] = [];
  const urls: { url: string; pref: number; order: number }[] = [];
  let text_ = '';
  let hashType = '';
  let urlAttrs: Record<string, string> = {};
  const local = (n: string) => n.slice(n.indexOf(':') + 1);
  parser.on('opentag', (node) => {
    const name = local(node.name);
    stack.push(name);
    text_ = '';
    const attrs = node.attributes as Record<string, string>;
    if (name === 'file') inRepomd = attrs.name === 'repomd.xml';
    if (!inRepomd) return;
    if ((name === 'file' || name === 'alternate') && stack.length >= 1) {
      current = { hashes: {} };
      sets.push(current);
    }
    if (name === 'hash') hashType = (attrs.type ?? '').toLowerCase();
    if (name === 'url') urlAttrs = attrs;
  });
  parser.on('text', (t) => {
    text_ += t;
  });
  parser.on('closetag', (node) => {
    const name = local(node.name);
    stack.pop();
    if (!inRepomd) return;
    const value = text_.trim();
    if (name === 'size' && current) current.size = Number(value);
    else if (name === 'hash' && current && hashType) current.hashes[hashType] = value.toLowerCase();
    else if (name === 'url') {
      const proto = (urlAttrs.protocol ?? urlAttrs.type ?? '').toLowerCase();
      if (/^https?:\/\//i.test(value) && (proto === '' || proto === 'http' || proto === 'https')) {
        urls.push({ url: value, pref: Number(urlAttrs.preference ?? 0) || 0, order: urls.length });
      }
    } else if (name === 'alternate') current = sets[0];
    else if (name === 'file') inRepomd = false;
    text_ = '';
  });
  try {
    parser.write(text).close();
  } catch (e) {
    throw new DriftlessError('REPO_METALINK_INVALID', `${label}: not a metalink document: ${(e as Error).message}`, { path: label, cause: e });
  }
  urls.sort((a, b) => b.pref - a.pref || a.order - b.order);
  const ordered = urls.map((u) => u.url);
  if (ordered.length === 0 || sets.length === 0) {
    throw new DriftlessError('REPO_METALINK_INVALID', `${label}: no repomd.xml mirrors in the metalink`, { path: label });
  }
  if (!sets.some((s) => Object.keys(s.hashes).some((h) => HASH_STRENGTH.includes(h)))) {
    throw new DriftlessError('REPO_METALINK_INVALID', `${label}: the metalink gives no hash for repomd.xml`, { path: label });
  }
  return { urls: ordered, baseurls: ordered.map(baseFromRepomdUrl), repomd: sets };
}

/** `https://m/x/repodata/repomd.xml` → `https://m/x/`. */
export function baseFromRepomdUrl(url: string): string {
  const u = url.replace(/repodata\/repomd\.xml(\?.*)?$/, '');
  return u.endsWith('/') ? u : `${u}/`;
}

/** Parse a mirrorlist (or a metalink served at a mirrorlist= URL: detected by its content). */
export function parseMirrorlist(text: string, label = 'mirrorlist'): { baseurls: string[]; metalink?: Metalink } {
  if (/^\s*(<\?xml|<metalink)/.test(text)) {
    const metalink = parseMetalink(text, label);
    return { baseurls: metalink.baseurls, metalink };
  }
  const baseurls: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (!/^https?:\/\//i.test(line)) continue;
    baseurls.push(line.endsWith('/') ? line : `${line}/`);
  }
  if (baseurls.length === 0) throw new DriftlessError('REPO_MIRRORLIST_EMPTY', `${label}: lists no http(s) mirror`, { path: label });
  return { baseurls };
}

/**
 * Does `repomd` match one of the metalink's hash sets? Each set is checked with its strongest
 * algorithm (and its size when given). Returns the matching set's index, or -1.
 */
export function metalinkMatch(ml: Metalink, repomd: Uint8Array): number {
  const cache = new Map<string, string>();
  const digest = (alg: string) => {
    let v = cache.get(alg);
    if (v === undefined) {
      v = createHash(alg).update(repomd).digest('hex');
      cache.set(alg, v);
    }
    return v;
  };
  for (let i = 0; i < ml.repomd.length; i++) {
    const s = ml.repomd[i]!;
    if (s.size !== undefined && Number.isFinite(s.size) && s.size !== repomd.length) continue;
    const alg = HASH_STRENGTH.find((a) => s.hashes[a]);
    if (alg && digest(alg) === s.hashes[alg]) return i;
  }
  return -1;
}
