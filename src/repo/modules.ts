/**
 * modules.yaml (modulemd v2 streams, modulemd-defaults, obsoletes...), kept as data: every
 * document is parsed with the YAML failsafe schema (all scalars stay strings, so stream "10.10"
 * and 16-digit versions survive) and the common fields are lifted for convenience.
 *
 *   const m = await parseModules(chunks, 'modules.yaml.xz');
 *   m.streams.map((s) => `${s.name}:${s.stream}`)   // ['mariadb:10.11', ...]
 */
import { parseAllDocuments } from 'yaml';
import { DriftlessError } from '../core/errors.js';

export interface ModuleStream {
  name: string;
  stream: string;
  version: string;
  context: string;
  arch: string;
  summary?: string;
  /** NEVRAs of the rpms the stream ships (data.artifacts.rpms). */
  artifacts: string[];
  profiles: Record<string, string[]>;
  /** The whole `data` mapping. */
  data: Record<string, unknown>;
}

export interface ModuleDefaults {
  module: string;
  stream?: string;
  profiles: Record<string, string[]>;
}

export interface ModulesMetadata {
  streams: ModuleStream[];
  defaults: ModuleDefaults[];
  /** Every document as parsed ({ document, version, data }), including kinds not lifted above. */
  documents: { document: string; version: string; data: Record<string, unknown> }[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

/** Parse modules.yaml text (multi-document). Malformed YAML → REPO_BAD_METADATA. */
export function parseModulesText(text: string, label: string): ModulesMetadata {
  const out: ModulesMetadata = { streams: [], defaults: [], documents: [] };
  const docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false });
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length) {
      throw new DriftlessError('REPO_BAD_METADATA', `${label}: malformed YAML: ${d.errors[0]!.message}`, { path: label });
    }
    const js = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (js === null || js === undefined) continue;
    const r = rec(js);
    const doc = { document: str(r.document), version: str(r.version), data: rec(r.data) };
    out.documents.push(doc);
    const data = doc.data;
    if (doc.document === 'modulemd') {
      const profiles: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(rec(data.profiles))) profiles[k] = strList(rec(v).rpms);
      out.streams.push({
        name: str(data.name),
        stream: str(data.stream),
        version: str(data.version),
        context: str(data.context),
        arch: str(data.arch),
        ...(data.summary !== undefined ? { summary: str(data.summary) } : {}),
        artifacts: strList(rec(data.artifacts).rpms),
        profiles,
        data,
      });
    } else if (doc.document === 'modulemd-defaults') {
      const profiles: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(rec(data.profiles))) profiles[k] = strList(v);
      out.defaults.push({ module: str(data.module), ...(data.stream !== undefined ? { stream: str(data.stream) } : {}), profiles });
    }
  }
  return out;
}

/** Parse a modules.yaml stream (buffered: module metadata is small, a few MB at most). */
export async function parseModules(chunks: AsyncIterable<Uint8Array>, label: string): Promise<ModulesMetadata> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return parseModulesText(Buffer.concat(parts).toString('utf8'), label);
}
