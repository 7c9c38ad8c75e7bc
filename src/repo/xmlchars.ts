/**
 * XML 1.0 syntax tables for the rpm-md byte scanner (xmlscan.ts): byte classes, the Name
 * production, the five predefined entities, character references and the XML declaration,
 * each as saxes (the reference the scanner is tested against) reads them.
 *
 *   NAME_BYTE[0x61] === 1;  expandRefs('a &amp; &#x42;') === 'a & B';  xmlDeclError(' version="1.1"')
 */

export const LT = 0x3c, GT = 0x3e, AMP = 0x26, SLASH = 0x2f, BANG = 0x21, QM = 0x3f, EQ = 0x3d, DQ = 0x22, SQ = 0x27;
export const RSQB = 0x5d, CR = 0x0d, LF = 0x0a, TAB = 0x09, HASH = 0x23, SEMI = 0x3b;

/** XML whitespace (S): space, tab, CR, LF. */
export const WS = new Uint8Array(256);
/** Bytes that may occur in a name (ASCII name characters and any non-ASCII byte, validated afterwards). */
export const NAME_BYTE = new Uint8Array(256);
/** ASCII NameStartChar. */
export const NAME_START = new Uint8Array(256);
/** Bytes the text loop stops at: `<`, `&`, `]` (for `]]>`), CR, controls, non-ASCII. */
export const TEXT_STOP = new Uint8Array(256);
/** Bytes the attribute-value loop stops at: quotes, `<`, `&`, tab/LF/CR, controls, non-ASCII. */
export const ATTR_STOP = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const ws = b === 0x20 || b === TAB || b === LF || b === CR;
  const ctrl = b < 0x20 && !ws;
  const alpha = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  WS[b] = ws ? 1 : 0;
  NAME_START[b] = alpha || b === 0x3a || b === 0x5f ? 1 : 0;
  NAME_BYTE[b] = NAME_START[b] || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b >= 0x80 ? 1 : 0;
  TEXT_STOP[b] = ctrl || b === LT || b === AMP || b === RSQB || b === CR || b >= 0x80 ? 1 : 0;
  ATTR_STOP[b] = ctrl || b === LT || b === AMP || b === DQ || b === SQ || b === TAB || b === LF || b === CR || b >= 0x80 ? 1 : 0;
}

// XML 1.0 (5th edition) Name
const NSC = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
export const NAME_RE = new RegExp(`^[${NSC}][${NSC}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]*$`, 'u');

/** Name after the first colon, as xmlstream.ts reports element names (`rpm:entry` → `entry`). */
export function localOf(q: string): string {
  const i = q.indexOf(':');
  return i < 0 ? q : q.slice(i + 1);
}

/** The same string object as a literal with this content (property keys are internalized), so `===` is a pointer test. */
export function internalize(s: string): string {
  const o: Record<string, number> = { [s]: 0 };
  return Object.keys(o)[0]!;
}

const ENTITIES: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" });

/** A predefined entity name (`amp`, `lt`, `gt`, `quot`, `apos`). */
export const isEntity = (name: string): boolean => ENTITIES[name] !== undefined;

/** A code point XML 1.0 allows (the Char production). */
export const isXmlChar = (v: number): boolean => v === 9 || v === 10 || v === 13 || (v >= 0x20 && v <= 0xd7ff) || (v >= 0xe000 && v <= 0xfffd) || (v >= 0x10000 && v <= 0x10ffff);

const REF_RE = /&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g;
const expandRef = (_m: string, r: string): string =>
  r.charCodeAt(0) !== HASH ? ENTITIES[r]! : String.fromCodePoint(r.charCodeAt(1) === 0x78 ? parseInt(r.slice(2), 16) : parseInt(r.slice(1), 10));

/** Replace the (already validated) entity and character references in `s`. */
export const expandRefs = (s: string): string => s.replace(REF_RE, expandRef);

const S = '[ \\t\\r\\n]';
const pseudo = (n: string) => `(?:${S}+${n}${S}*=${S}*(?:"([^"]*)"|'([^']*)'))`;
const XML_DECL_RE = new RegExp(`^${pseudo('version')}${pseudo('encoding')}?${pseudo('standalone')}?${S}*$`);

/**
 * What is wrong with the body of `<?xml BODY?>` (undefined: nothing). Version must be 1.0:
 * saxes switches to XML 1.1 character rules for anything else, which rpm-md never uses.
 */
export function xmlDeclError(body: string): string | undefined {
  const m = XML_DECL_RE.exec(body);
  if (!m) return 'malformed XML declaration';
  if ((m[1] ?? m[2]) !== '1.0') return 'only XML version 1.0 is supported';
  const enc = m[3] ?? m[4];
  if (enc !== undefined && !/^[A-Za-z][A-Za-z0-9._-]*$/.test(enc)) return `bad encoding name "${enc}"`;
  const sa = m[5] ?? m[6];
  if (sa !== undefined && sa !== 'yes' && sa !== 'no') return 'standalone must be "yes" or "no"';
  return undefined;
}
