/**
 * rpm dependency text and range matching.
 *
 *   formatDependency({ name: 'foo', op: '>=', evr: '1.2' })           // 'foo >= 1.2'
 *   depFromFlags('foo', DepFlag.GREATER | DepFlag.EQUAL, '1.2')       // { name: 'foo', op: '>=', evr: '1.2' }
 *   depMatches({ name: 'a', op: '=', evr: '1.2-1' }, { name: 'a', op: '>=', evr: '1.2' })  // true
 *
 * Matching follows rpm's rpmdsCompare: two ranges match when they overlap; a side without a
 * version matches everything; a missing epoch is 0; when one side has no release the releases
 * are not compared (with rpm's special "=" rule, or libsolv's plain rule in `libsolv` mode).
 */
import { DepFlag } from './tags.js';
import type { Dependency, DepOp } from './metadata.js';
import { parseEVR, rpmvercmp, type EVR } from './vercmp.js';

/** Sense bits (LESS|GREATER|EQUAL) of an operator. */
export const SENSE_MASK = DepFlag.LESS | DepFlag.GREATER | DepFlag.EQUAL;

const OP_FLAGS: Record<string, number> = {
  '<': DepFlag.LESS,
  '<=': DepFlag.LESS | DepFlag.EQUAL,
  '=': DepFlag.EQUAL,
  '==': DepFlag.EQUAL,
  '>=': DepFlag.GREATER | DepFlag.EQUAL,
  '>': DepFlag.GREATER,
  '<>': DepFlag.LESS | DepFlag.GREATER,
  '=<': DepFlag.LESS | DepFlag.EQUAL,
  '=>': DepFlag.GREATER | DepFlag.EQUAL,
};

/** Sense bits of an operator string (`<`, `<=`, `=`, `>=`, `>`, `<>`); 0 for none. */
export function opToFlags(op: string | undefined): number {
  if (op === undefined || op === '') return 0;
  const f = OP_FLAGS[op];
  if (f === undefined) throw new Error(`unknown dependency operator ${JSON.stringify(op)}`);
  return f;
}

/** The operator for rpm sense bits, or undefined when none (or `<>`, which DepOp cannot express). */
export function depFlagsToOp(flags: number): DepOp | undefined {
  switch (flags & SENSE_MASK) {
    case DepFlag.LESS: return '<';
    case DepFlag.LESS | DepFlag.EQUAL: return '<=';
    case DepFlag.EQUAL: return '=';
    case DepFlag.GREATER | DepFlag.EQUAL: return '>=';
    case DepFlag.GREATER: return '>';
    default: return undefined;
  }
}

/** A Dependency from an rpm header triple (name, flags, version). Pre-requires are marked `pre`. */
export function depFromFlags(name: string, flags: number, evr: string): Dependency {
  const op = depFlagsToOp(flags);
  const d: Dependency = { name };
  if (op !== undefined && evr !== '') {
    d.op = op;
    d.evr = evr;
  }
  if (flags & (DepFlag.PREREQ | DepFlag.SCRIPT_PRE | DepFlag.SCRIPT_POST | DepFlag.PRETRANS)) d.pre = true;
  return d;
}

/** rpm's text form: `name`, `name op evr`; rich dependencies are kept as written. */
export function formatDependency(d: Dependency): string {
  if (d.op === undefined || d.evr === undefined) return d.name;
  return `${d.name} ${d.op} ${d.evr}`;
}

/** Parse rpm's text form back (`name [op evr]`); rich deps (starting with '(') stay whole. */
export function parseDependency(text: string): Dependency {
  const t = text.trim();
  if (t.startsWith('(')) return { name: t };
  const m = /^(\S+)\s+(<=|>=|=<|=>|==|<|>|=)\s+(\S+)$/.exec(t);
  if (!m) return { name: t };
  return { name: m[1]!, op: depFlagsToOp(opToFlags(m[2]!)), evr: m[3]! };
}

/** How a missing release is treated: rpm's rpmdsCompare, or libsolv's pool matching. */
export type MatchMode = 'rpm' | 'libsolv';

/**
 * Do the ranges (flags1 evr1) and (flags2 evr2) overlap? `flags` are sense bits; an empty sense
 * or empty evr is an existence test and matches everything.
 */
export function rangesOverlap(flags1: number, evr1: string | EVR | undefined, flags2: number, evr2: string | EVR | undefined, mode: MatchMode = 'rpm'): boolean {
  const f1 = flags1 & SENSE_MASK;
  const f2 = flags2 & SENSE_MASK;
  if (!f1 || !f2) return true;
  if (evr1 === undefined || evr2 === undefined || evr1 === '' || evr2 === '') return true;
  const a = typeof evr1 === 'string' ? parseEVR(evr1) : evr1;
  const b = typeof evr2 === 'string' ? parseEVR(evr2) : evr2;
  let sense = 0;
  const ea = a.epoch !== undefined && a.epoch !== '' ? a.epoch : undefined;
  const eb = b.epoch !== undefined && b.epoch !== '' ? b.epoch : undefined;
  if (ea !== undefined && eb !== undefined) sense = rpmvercmp(ea, eb);
  else if (ea !== undefined && Number(ea) > 0) sense = 1;
  else if (eb !== undefined && Number(eb) > 0) sense = -1;
  if (sense === 0) {
    sense = rpmvercmp(a.version, b.version);
    if (sense === 0) {
      const ra = a.release !== undefined && a.release !== '';
      const rb = b.release !== undefined && b.release !== '';
      if (ra && rb) sense = rpmvercmp(a.release!, b.release!);
      else if (mode === 'rpm' && ((ra && f2 & DepFlag.EQUAL) || (rb && f1 & DepFlag.EQUAL))) return true;
    }
  }
  if (sense < 0) return !!(f1 & DepFlag.GREATER || f2 & DepFlag.LESS);
  if (sense > 0) return !!(f1 & DepFlag.LESS || f2 & DepFlag.GREATER);
  return !!(f1 & f2);
}

/** Does `provide` satisfy `require` (same name, overlapping ranges)? Rich deps are not handled here. */
export function depMatches(provide: Dependency, require: Dependency, mode: MatchMode = 'rpm'): boolean {
  if (provide.name !== require.name) return false;
  return rangesOverlap(opToFlags(provide.op), provide.evr, opToFlags(require.op), require.evr, mode);
}
