/**
 * updateinfo.xml: advisories (security/bugfix/enhancement), their references and the package
 * NEVRAs they ship.
 *
 *   const advisories = await parseUpdateinfo(chunks, 'updateinfo.xml.gz');
 *   advisories[0]  // { id: 'RHSA-2024:1', type: 'security', severity: 'Important', packages: [...] }
 */
import { DriftlessError } from '../core/errors.js';
import { parseXmlStream } from './xmlstream.js';

export interface AdvisoryPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  src?: string;
  filename?: string;
  checksum?: { type: string; value: string };
  rebootSuggested?: boolean;
}

export interface Advisory {
  id: string;
  type: string;
  status?: string;
  from?: string;
  version?: string;
  title?: string;
  severity?: string;
  summary?: string;
  description?: string;
  solution?: string;
  rights?: string;
  release?: string;
  issued?: string;
  updated?: string;
  references: { href?: string; id?: string; type?: string; title?: string }[];
  /** Modules (name:stream:version:context:arch) a collection is for, if any. */
  modules: { name: string; stream: string; version?: string; context?: string; arch?: string }[];
  packages: AdvisoryPackage[];
}

/** Stream-parse updateinfo.xml. */
export async function parseUpdateinfo(chunks: AsyncIterable<Uint8Array>, label: string): Promise<Advisory[]> {
  const out: Advisory[] = [];
  let cur: Advisory | undefined;
  let pkg: AdvisoryPackage | undefined;
  let sumType = '';
  let sawRoot = false;
  await parseXmlStream(chunks, label, {
    open(name, a) {
      if (name === 'updates') sawRoot = true;
      else if (name === 'update') {
        cur = { id: '', type: a.type ?? '', references: [], modules: [], packages: [] };
        if (a.status) cur.status = a.status;
        if (a.from) cur.from = a.from;
        if (a.version) cur.version = a.version;
      } else if (!cur) return;
      else if (name === 'issued') cur.issued = a.date;
      else if (name === 'updated') cur.updated = a.date;
      else if (name === 'reference') cur.references.push({ href: a.href, id: a.id, type: a.type, title: a.title });
      else if (name === 'module') cur.modules.push({ name: a.name ?? '', stream: a.stream ?? '', version: a.version, context: a.context, arch: a.arch });
      else if (name === 'package') {
        pkg = { name: a.name ?? '', epoch: a.epoch ? Number(a.epoch) : 0, version: a.version ?? '', release: a.release ?? '', arch: a.arch ?? '' };
        if (a.src) pkg.src = a.src;
      } else if (name === 'sum') sumType = a.type ?? '';
    },
    close(name, text) {
      if (!cur) return;
      const t = text.trim();
      if (pkg) {
        if (name === 'package') {
          cur.packages.push(pkg);
          pkg = undefined;
        } else if (name === 'filename') pkg.filename = t;
        else if (name === 'sum') pkg.checksum = { type: sumType, value: t };
        else if (name === 'reboot_suggested') pkg.rebootSuggested = t === '1' || t === 'True' || t === 'true';
        return;
      }
      switch (name) {
        case 'update': out.push(cur); cur = undefined; break;
        case 'id': cur.id = t; break;
        case 'title': cur.title = t; break;
        case 'severity': cur.severity = t; break;
        case 'summary': cur.summary = t; break;
        case 'description': cur.description = text; break;
        case 'solution': cur.solution = t; break;
        case 'rights': cur.rights = t; break;
        case 'release': cur.release = t; break;
      }
    },
  });
  if (!sawRoot) throw new DriftlessError('REPO_BAD_METADATA', `${label}: no <updates> root element`, { path: label });
  return out;
}
