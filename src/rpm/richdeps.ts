/**
 * rpm rich (boolean) dependencies: parse `(a and (b or c >= 2))` into a tree and evaluate it.
 *
 *   const t = parseRichDep('(foo >= 1.0 if bar)');
 *   evaluateRich(t, (d) => installed.some((p) => depMatches(p, d)));
 *
 * Operators: and, or, if [else], unless [else], with, without. `and`/`or`/`with` chain
 * (`(a and b and c)`), but different operators on one level need parentheses, as in rpm.
 */
import { DriftlessError } from '../core/errors.js';
import type { Dependency } from './metadata.js';
import { parseDependency } from './deps.js';

export type RichOp = 'and' | 'or' | 'if' | 'unless' | 'with' | 'without';
export type RichNode =
  | { kind: 'dep'; dep: Dependency }
  | { kind: 'op'; op: RichOp; args: RichNode[]; else?: RichNode };

const OPS = new Set<string>(['and', 'or', 'if', 'unless', 'with', 'without', 'else']);
const CHAINABLE = new Set<string>(['and', 'or', 'with']);

/** True if the text is a rich dependency (starts with '('). */
export function isRichDep(text: string): boolean {
  return text.trimStart().startsWith('(');
}

function fail(text: string, pos: number, why: string): never {
  throw new DriftlessError('DEP_RICH_SYNTAX', `bad rich dependency ${JSON.stringify(text)} at offset ${pos}: ${why}`, { offset: pos });
}

/** Parse a rich dependency; throws DEP_RICH_SYNTAX on rpm's syntax errors. */
export function parseRichDep(text: string): RichNode {
  let pos = 0;
  const ws = () => { while (pos < text.length && /\s/.test(text[pos]!)) pos++; };
  const word = (): string => {
    ws();
    const s = pos;
    let depth = 0;
    while (pos < text.length) {
      const c = text[pos]!;
      if (/\s/.test(c) && depth === 0) break;
      if (c === '(') depth++;
      else if (c === ')') { if (depth === 0) break; depth--; }
      pos++;
    }
    return text.slice(s, pos);
  };
  const operand = (): RichNode => {
    ws();
    if (pos >= text.length) fail(text, pos, 'missing argument');
    if (text[pos] === '(') return group();
    if (text[pos] === ')') fail(text, pos, 'missing argument');
    const name = word();
    if (OPS.has(name)) fail(text, pos - name.length, `operator "${name}" where a dependency was expected`);
    const save = pos;
    const op = word();
    if (/^(<=|>=|=<|=>|==|<|>|=)$/.test(op)) {
      const evr = word();
      if (!evr || evr.startsWith('(') || OPS.has(evr)) fail(text, pos, `missing version after "${op}"`);
      return { kind: 'dep', dep: parseDependency(`${name} ${op} ${evr}`) };
    }
    pos = save;
    return { kind: 'dep', dep: { name } };
  };
  const group = (): RichNode => {
    const start = pos;
    pos++; // '('
    const first = operand();
    ws();
    if (text[pos] === ')') { pos++; return first; }
    const op = word();
    if (!OPS.has(op) || op === 'else') fail(text, pos - op.length, op ? `unknown operator "${op}"` : 'unterminated expression');
    const node: RichNode = { kind: 'op', op: op as RichOp, args: [first, operand()] };
    for (;;) {
      ws();
      if (pos >= text.length) fail(text, start, 'missing ")"');
      if (text[pos] === ')') { pos++; return node; }
      const next = word();
      if (next === 'else' && (op === 'if' || op === 'unless') && !node.else) { node.else = operand(); continue; }
      if (next === op && CHAINABLE.has(op)) { node.args.push(operand()); continue; }
      fail(text, pos - next.length, OPS.has(next) ? `"${next}" cannot follow "${op}" without parentheses` : `unexpected "${next}"`);
    }
  };
  ws();
  if (text[pos] !== '(') fail(text, pos, 'rich dependency must start with "("');
  const n = group();
  ws();
  if (pos !== text.length) fail(text, pos, 'trailing text');
  return n;
}

/** Format a rich tree back to rpm text. */
export function formatRichDep(n: RichNode): string {
  if (n.kind === 'dep') return n.dep.op ? `${n.dep.name} ${n.dep.op} ${n.dep.evr}` : n.dep.name;
  const parts = n.args.map((a) => formatRichDep(a)).join(` ${n.op} `);
  return `(${parts}${n.else ? ` else ${formatRichDep(n.else)}` : ''})`;
}

/**
 * Evaluate a rich dependency: `has(dep)` says whether a simple dependency is satisfied.
 * `with`/`without` are evaluated per provider set as `and`/`and not` (enough for a flat set).
 */
export function evaluateRich(n: RichNode, has: (d: Dependency) => boolean): boolean {
  if (n.kind === 'dep') return has(n.dep);
  const ev = (x: RichNode) => evaluateRich(x, has);
  switch (n.op) {
    case 'and':
    case 'with': return n.args.every(ev);
    case 'or': return n.args.some(ev);
    case 'without': return ev(n.args[0]!) && !ev(n.args[1]!);
    case 'if': return ev(n.args[1]!) ? ev(n.args[0]!) : n.else ? ev(n.else) : true;
    case 'unless': return !ev(n.args[1]!) ? ev(n.args[0]!) : n.else ? ev(n.else) : true;
  }
}
