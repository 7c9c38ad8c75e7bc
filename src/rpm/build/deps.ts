/**
 * Dependencies of a built package, as rpmbuild stores them: the definition's lists parsed into
 * (name, flags, version) triples, plus what rpmbuild adds by itself — `NAME = EVR` and
 * `NAME(ISA) = EVR` provides, `config(NAME)` for packages with config files, user()/group()
 * provides for sysusers.d fragments, and the `rpmlib(...)` requires for the features used.
 * Each list is sorted and de-duplicated like rpm's rpmds (name, then version, then flags).
 */
import { DriftlessError } from '../../core/errors.js';
import { DepFlag, FileFlag } from '../tags.js';
import { opToFlags } from '../deps.js';
import { DEP_TAGS as READER_DEP_TAGS } from '../depformat.js';
import { isRichDep, parseRichDep } from '../richdeps.js';
import type { DependencySpec, PackageDefinition } from './schema.js';
import type { FileRecord } from './files.js';

export interface DepTriple {
  name: string;
  flags: number;
  version: string;
}

export type BuildDepKind = 'requires' | 'provides' | 'conflicts' | 'obsoletes' | 'recommends' | 'suggests' | 'supplements' | 'enhances';

/** Header tags (name, flags, version) of each dependency kind a definition can declare: the reader's table without `order`. */
export const DEP_TAGS: Record<BuildDepKind, { name: number; flags: number; version: number }> = (({ order: _order, ...kinds }) => kinds)(READER_DEP_TAGS);

/** rpm's ISA suffix for an arch (`%{_isa}`); noarch has none. */
export function isaOf(arch: string): string | undefined {
  const map: Record<string, string> = {
    x86_64: 'x86-64', aarch64: 'aarch-64', i686: 'x86-32', i586: 'x86-32', ppc64le: 'ppc-64', ppc64: 'ppc-64', s390x: 's390-64', riscv64: 'riscv-64',
  };
  return map[arch];
}

/** `[epoch:]version-release` */
export function evrOf(def: Pick<PackageDefinition, 'epoch' | 'version' | 'release'>): string {
  return `${def.epoch !== undefined ? `${def.epoch}:` : ''}${def.version}-${def.release}`;
}

const depErr = (kind: string, text: string, why: string) =>
  new DriftlessError('RPM_BUILD_DEPENDENCY', `${kind}: bad dependency ${JSON.stringify(text)}: ${why}`, { hint: 'write "name", "name >= [epoch:]version[-release]" or a rich dependency "(a or b)"' });

/** Parse one definition entry (`"foo >= 1.2"`, `"(a or b)"`, `{dep, pre}`) into a header triple. */
export function parseDepSpec(kind: BuildDepKind, spec: DependencySpec): DepTriple & { rich: boolean } {
  const text = (typeof spec === 'string' ? spec : spec.dep).trim();
  let extra = 0;
  if (typeof spec !== 'string') {
    if (kind !== 'requires' && (spec.pre || spec.post)) throw depErr(kind, text, 'pre/post only apply to requires');
    if (spec.pre) extra |= DepFlag.SCRIPT_PRE;
    if (spec.post) extra |= DepFlag.SCRIPT_POST;
  }
  if (isRichDep(text)) {
    if (kind === 'provides') throw depErr(kind, text, 'provides cannot be rich dependencies');
    try {
      parseRichDep(text);
    } catch (e) {
      throw depErr(kind, text, (e as Error).message);
    }
    return { name: text, flags: extra, version: '', rich: true };
  }
  const m = /^(\S+)(?:\s+(<=|>=|=<|=>|==|<|>|=)\s+(\S+))?$/.exec(text);
  if (!m) throw depErr(kind, text, 'expected "name [op version]"');
  const [, name, op, evr] = m;
  if (/[<>=()]/.test(name!.replace(/\([^()]*\)/g, '')) && !name!.startsWith('/')) throw depErr(kind, text, 'operators need spaces around them');
  if (evr !== undefined && !/^(\d+:)?[A-Za-z0-9._+~^]+(-[A-Za-z0-9._+~^]+)?$/.test(evr)) throw depErr(kind, text, `bad version ${evr}`);
  return { name: name!, flags: opToFlags(op) | extra, version: evr ?? '', rich: false };
}

/** rpmds order: name, then version, then flags (strcmp / numeric). */
function sortDedupe(list: DepTriple[]): DepTriple[] {
  const cmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const sorted = [...list].sort((a, b) => cmp(a.name, b.name) || cmp(a.version, b.version) || a.flags - b.flags);
  return sorted.filter((d, i) => i === 0 || d.name !== sorted[i - 1]!.name || d.version !== sorted[i - 1]!.version || d.flags !== sorted[i - 1]!.flags);
}

/** user()/group() provides for the accounts a sysusers.d fragment creates. */
export function sysusersProvides(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [type, name] = line.split(/\s+/);
    if (!name) throw new DriftlessError('RPM_BUILD_DEFINITION', `sysusers: line ${JSON.stringify(line)} has no name`);
    if (type === 'u' || type === 'u!') out.push(`user(${name})`, `group(${name})`);
    else if (type === 'g') out.push(`group(${name})`);
    else if (type !== 'm' && type !== 'r') throw new DriftlessError('RPM_BUILD_DEFINITION', `sysusers: unknown line type ${JSON.stringify(type)}`, { hint: 'sysusers.d lines start with u, g, m or r' });
  }
  return out;
}

const RPMLIB = DepFlag.RPMLIB | DepFlag.LESS | DepFlag.EQUAL;

/** Every dependency list of the package, complete and sorted as rpmbuild writes them. */
export function packageDependencies(def: PackageDefinition, files: FileRecord[]): Record<BuildDepKind, DepTriple[]> {
  const evr = evrOf(def);
  const kinds = Object.keys(DEP_TAGS) as BuildDepKind[];
  const out = {} as Record<BuildDepKind, DepTriple[]>;
  let rich = false;
  for (const k of kinds) {
    out[k] = def[k].map((s) => {
      const d = parseDepSpec(k, s);
      rich ||= d.rich;
      return { name: d.name, flags: d.flags, version: d.version };
    });
  }
  const eq = DepFlag.EQUAL;
  out.provides.push({ name: def.name, flags: eq, version: evr });
  const isa = isaOf(def.arch);
  if (isa) out.provides.push({ name: `${def.name}(${isa})`, flags: eq, version: evr });
  if (files.some((f) => f.flags & FileFlag.CONFIG)) {
    out.provides.push({ name: `config(${def.name})`, flags: eq | DepFlag.CONFIG, version: evr });
    out.requires.push({ name: `config(${def.name})`, flags: eq | DepFlag.CONFIG, version: evr });
  }
  if (def.sysusers) for (const p of sysusersProvides(def.sysusers)) out.provides.push({ name: p, flags: 0, version: '' });
  if (def.installonly) out.provides.push({ name: `installonlypkg(${def.installonly === true ? def.name : def.installonly})`, flags: 0, version: '' });

  // rpmlib() features this package needs from the installing rpm.
  const feats: Array<[string, string]> = [
    ['CompressedFileNames', '3.0.4-1'],
    ['PayloadFilesHavePrefix', '4.0-1'],
    ['PayloadIsZstd', '5.4.18-1'],
  ];
  if (files.length) feats.push(['FileDigests', '4.6.0-1']);
  if (files.some((f) => f.hardlinkOf)) feats.push(['PartialHardlinkSets', '4.0.4-1']);
  if (files.some((f) => f.caps)) feats.push(['FileCaps', '4.6.1-1']);
  if (rich) feats.push(['RichDependencies', '4.12.0-1']);
  const allVersions = [evr, ...kinds.flatMap((k) => out[k].map((d) => d.version))];
  if (allVersions.some((v) => v.includes('~'))) feats.push(['TildeInVersions', '4.10.0-1']);
  if (allVersions.some((v) => v.includes('^'))) feats.push(['CaretInVersions', '4.15.0-1']);
  for (const [n, v] of feats) out.requires.push({ name: `rpmlib(${n})`, flags: RPMLIB, version: v });

  for (const k of kinds) out[k] = sortDedupe(out[k]);
  return out;
}
