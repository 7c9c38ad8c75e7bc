/**
 * The byte-level state machine behind `scanXml` (xmlscan.ts, where the format and the choices
 * are described): one instance per document, fed with `push(chunk)` and closed with `end()`;
 * it is also the XmlCursor handed to the handler.
 */
import { DriftlessError } from '../core/errors.js';
import type { XmlCursor, XmlCursorHandler } from './xmlscan.js';
import {
  AMP, ATTR_STOP, BANG, CR, DQ, EQ, GT, HASH, LF, LT, NAME_BYTE, NAME_RE, NAME_START, QM, RSQB, SEMI, SLASH, SQ, TAB, TEXT_STOP, WS,
  expandRefs, internalize, isEntity, isXmlChar, localOf, xmlDeclError,
} from './xmlchars.js';

/** Value flags: needs UTF-8 decoding / has references / has \r (text) or \t\n\r (attributes). */
const F_UTF8 = 1, F_AMP = 2, F_NL = 4;
const MAX_DEPTH = 4096;
const JOIN = 16 * 1024; // bytes of a new chunk joined to a carried token
const MEMO_MAX = 96; // values up to this many bytes go through the memo
const VALUE_SLOTS = 1 << 16;
const NAME_SLOTS = 1 << 11;
const QUICK_SLOTS = 1 << 10;
/**
 * Buffer's own latin1Slice/utf8Slice: what `toString('latin1' | 'utf8', s, e)` calls after
 * checking its arguments (a third of the cost for the short strings decoded here).
 */
type NodeBuffer = Buffer & { latin1Slice(s: number, e: number): string; utf8Slice(s: number, e: number): string };
const EMPTY = Buffer.alloc(0) as NodeBuffer;
const DASHES = Buffer.from('--'), CDATA_END = Buffer.from(']]>'), PI_END = Buffer.from('?>');
const COMMENT_OPEN = Buffer.from('<!--'), CDATA_OPEN = Buffer.from('<![CDATA['), DOCTYPE_OPEN = Buffer.from('<!DOCTYPE');
const BOM = [0xef, 0xbb, 0xbf];

export class XmlScanner implements XmlCursor {
  private buf: NodeBuffer = EMPTY;
  private len = 0;
  /** Document offset of buf[0] (for error messages). */
  private base = 0;
  /** Bytes waiting for the next scan: an unfinished token plus chunks received since. */
  private pend: Buffer[] = [];
  private pendLen = 0;
  /** Rescan only once this many bytes are pending (doubles while a big token stays unfinished). */
  private need = 0;
  private boms = 0;
  private atStart = true;
  private sawRoot = false;
  private closedRoot = false;
  private depth = 0;
  private readonly qstack: string[] = [];
  private readonly lstack: string[] = [];
  // text since the last element start/end: decoded pieces + one pending byte range of buf
  private tAcc = '';
  private tS = -1;
  private tE = 0;
  private tF = 0;
  private tLen = 0;
  // attributes of the start tag being reported
  private na = 0;
  private aq: string[] = [];
  private aSlot = new Int32Array(16);
  private avS = new Int32Array(16);
  private avE = new Int32Array(16);
  private avF = new Uint8Array(16);
  // memos, byte range → string: values (two-way, FNV-1a), names (open addressing, never evicted)
  private readonly vHash: Int32Array;
  private readonly vStr: string[];
  private readonly vMask: number;
  private readonly nHash = new Int32Array(NAME_SLOTS + 1);
  private readonly nq: string[] = new Array<string>(NAME_SLOTS + 1).fill('');
  private readonly nl: string[] = new Array<string>(NAME_SLOTS + 1).fill('');
  private names = 0;
  private readonly nQuick = new Int32Array(QUICK_SLOTS).fill(NAME_SLOTS);
  /** Last value seen per attribute-name slot (rpm-md repeats epoch/ver/rel/flags from entry to entry). */
  private readonly nLast: string[] = new Array<string>(NAME_SLOTS + 1).fill('');

  constructor(private readonly label: string, private readonly h: XmlCursorHandler, private readonly maxToken: number, valueSlots = VALUE_SLOTS) {
    this.vHash = new Int32Array(valueSlots);
    this.vStr = new Array<string>(valueSlots).fill('');
    this.vMask = valueSlots - 1;
  }

  push(c: Uint8Array): void {
    if (c.length === 0) return;
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    if (this.pendLen === 0) return this.scan(b, 0, false);
    this.pend.push(b);
    this.pendLen += b.length;
    if (this.pendLen < this.need) return;
    const pend = this.pend;
    this.pend = [];
    this.pendLen = 0;
    if (pend.length > 2) return this.scan(Buffer.concat(pend), 0, false); // a long token grew over chunks
    // usual case, a short unfinished token and a new chunk: finish the token on a short join,
    // then scan the chunk in place rather than copying all of it
    const first = pend[0]!;
    const p = this.runOn(Buffer.concat([first, b.subarray(0, JOIN)]), 0, false);
    if (p >= first.length) {
      this.base += first.length;
      return this.scan(b, p - first.length, false);
    }
    this.base += p;
    this.scan(Buffer.concat([first.subarray(p), b]), 0, false);
  }

  end(): void {
    const all = this.pend.length === 1 ? this.pend[0]! : Buffer.concat(this.pend, this.pendLen);
    this.pend = [];
    this.pendLen = 0;
    this.scan(all, 0, true);
    if (!this.sawRoot) this.fail('document must contain a root element', 0);
    if (this.depth > 0) this.fail(`unclosed tag: ${this.qstack[this.depth - 1]}`, 0);
  }

  /** Scan b (whose byte 0 is at document offset `base`) from `from`; keep an unfinished token for later. */
  private scan(b: Buffer, from: number, final: boolean): void {
    const stop = this.runOn(b, from, final);
    if (stop < b.length) {
      if (b.length - stop > this.maxToken) this.fail(`token longer than ${this.maxToken} bytes`, stop);
      const rest = Buffer.allocUnsafe(b.length - stop);
      b.copy(rest, 0, stop);
      this.pend = [rest];
      this.pendLen = rest.length;
      this.need = rest.length * 2;
    }
    this.base += stop;
  }

  /** Tokens of b from `from` on; returns where an unfinished token starts (b.length when none). */
  private runOn(b: Buffer, from: number, final: boolean): number {
    this.buf = b as NodeBuffer;
    this.len = b.length;
    const stop = this.run(from, final);
    if (this.tS >= 0) this.flushText();
    this.buf = EMPTY;
    this.len = 0;
    return stop;
  }

  /** Scan tokens from the start of buf; returns where an unfinished token starts (or end). */
  private run(from: number, final: boolean): number {
    const buf = this.buf, end = this.len;
    let i = from;
    if (this.boms < 2) {
      // TextDecoder drops one byte order mark and saxes another
      while (this.boms < 2 && i < end && buf[i] === BOM[0]) {
        if (end - i < 3 && !final && (end - i < 2 || buf[i + 1] === BOM[1])) return i;
        if (end - i < 3 || buf[i + 1] !== BOM[1] || buf[i + 2] !== BOM[2]) break;
        i += 3;
        this.boms++;
      }
      if (i < end || final) this.boms = 2;
    }
    while (i < end) {
      const r = buf[i] !== LT ? this.textToken(i, final) : this.markup(i);
      if (r < 0) {
        if (final) this.fail('unexpected end of document', i);
        return i;
      }
      this.atStart = false;
      i = r;
    }
    return end;
  }

  private textToken(i: number, final: boolean): number {
    const buf = this.buf, end = this.len;
    let j = i;
    if (this.depth === 0) {
      while (j < end && WS[buf[j]!] === 1) j++;
      if (j < end && buf[j] !== LT) this.fail('text outside the root element', j);
      return j;
    }
    let f = 0;
    for (;;) {
      while (j < end && TEXT_STOP[buf[j]!] === 0) j++;
      if (j >= end) {
        if (!final) return -1;
        break;
      }
      const b = buf[j]!;
      if (b === LT) break;
      if (b >= 0x80) {
        f |= F_UTF8;
        j++;
      } else if (b === AMP) {
        const r = this.ref(j);
        if (r < 0) return -1;
        f |= F_AMP;
        j = r;
      } else if (b === CR) {
        f |= F_NL;
        j++;
      } else if (b === RSQB) {
        if (j + 2 < end && buf[j + 1] === RSQB && buf[j + 2] === GT) this.fail('"]]>" in text', j);
        j++;
      } else this.fail(`disallowed character 0x${b.toString(16)}`, j);
    }
    if (this.tS >= 0) this.flushText();
    this.addLen(j - i, i);
    this.tS = i;
    this.tE = j;
    this.tF = f;
    return j;
  }

  /** End of the entity or character reference at `j` (after ';'), -1 when unfinished. */
  private ref(j: number): number {
    const buf = this.buf, end = this.len;
    let k = j + 1;
    if (k >= end) return -1;
    if (buf[k] === HASH) {
      if (++k >= end) return -1;
      const hex = buf[k] === 0x78;
      if (hex) k++;
      let v = 0, n = 0, b = 0;
      for (; ; k++, n++) {
        if (k >= end) return -1;
        b = buf[k]!;
        let d: number;
        if (b >= 0x30 && b <= 0x39) d = b - 0x30;
        else if (hex && (b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) d = (b | 0x20) - 0x61 + 10;
        else break;
        if (v <= 0x10ffff) v = v * (hex ? 16 : 10) + d;
      }
      if (b !== SEMI || n === 0) this.fail('malformed character reference', j);
      if (!isXmlChar(v)) this.fail('character reference to a disallowed character', j);
      return k + 1;
    }
    const s = k;
    while (k < end && k - s < 5 && buf[k]! >= 0x61 && buf[k]! <= 0x7a) k++;
    if (k >= end) return -1;
    if (buf[k] !== SEMI || !isEntity(buf.latin1Slice(s, k))) this.fail(`undefined or unterminated entity reference "&${buf.latin1Slice(s, k)}"`, j);
    return k + 1;
  }

  private markup(i: number): number {
    if (i + 1 >= this.len) return -1;
    switch (this.buf[i + 1]) {
      case SLASH: return this.endTag(i);
      case BANG: return this.bang(i);
      case QM: return this.pi(i);
      default: return this.startTag(i);
    }
  }

  private startTag(i: number): number {
    const buf = this.buf, end = this.len;
    let j = i + 1;
    while (j < end && NAME_BYTE[buf[j]!] === 1) j++;
    if (j >= end) return -1;
    if (j === i + 1) this.fail('disallowed character in tag name', j);
    const slot = this.name(i + 1, j);
    const q = this.nq[slot]!, l = this.nl[slot]!;
    let na = 0;
    let empty = false;
    for (;;) {
      let ws = false;
      while (j < end && WS[buf[j]!] === 1) {
        j++;
        ws = true;
      }
      if (j >= end) return -1;
      let b = buf[j]!;
      if (b === GT) {
        j++;
        break;
      }
      if (b === SLASH) {
        if (j + 1 >= end) return -1;
        if (buf[j + 1] !== GT) this.fail('"/" in a start tag not followed by ">"', j);
        j += 2;
        empty = true;
        break;
      }
      if (!ws) this.fail(na === 0 ? 'disallowed character in tag name' : 'no whitespace between attributes', j);
      const as = j;
      while (j < end && NAME_BYTE[buf[j]!] === 1) j++;
      if (j >= end) return -1;
      if (j === as) this.fail('disallowed character in attribute name', j);
      const ae = j;
      if (buf[j] === EQ) j++; // common case: name="value"
      else {
        while (j < end && WS[buf[j]!] === 1) j++;
        if (j >= end) return -1;
        if (buf[j] !== EQ) this.fail('attribute without value', j);
        j++;
      }
      while (j < end && WS[buf[j]!] === 1) j++;
      if (j >= end) return -1;
      const quote = buf[j]!;
      if (quote !== DQ && quote !== SQ) this.fail('unquoted attribute value', j);
      const vs = ++j;
      let f = 0;
      for (;;) {
        while (j < end && ATTR_STOP[buf[j]!] === 0) j++;
        if (j >= end) return -1;
        b = buf[j]!;
        if (b === quote) break;
        if (b === DQ || b === SQ) j++;
        else if (b >= 0x80) {
          f |= F_UTF8;
          j++;
        } else if (b === AMP) {
          const r = this.ref(j);
          if (r < 0) return -1;
          f |= F_AMP;
          j = r;
        } else if (b === TAB || b === LF || b === CR) {
          f |= F_NL;
          j++;
        } else this.fail(b === LT ? '"<" in an attribute value' : `disallowed character 0x${b.toString(16)}`, j);
      }
      if (na === this.avS.length) this.growAttrs();
      const ns = this.name(as, ae);
      this.aq[na] = this.nq[ns]!;
      this.aSlot[na] = ns;
      this.avS[na] = vs;
      this.avE[na] = j;
      this.avF[na] = f;
      na++;
      j++;
    }
    if (this.closedRoot) this.fail('content after the root element', i);
    if (na > 1) this.checkDuplicates(na, i);
    this.sawRoot = true;
    this.tAcc = '';
    this.tS = -1;
    this.tLen = 0;
    if (!empty) {
      if (this.depth === MAX_DEPTH) this.fail(`elements nested deeper than ${MAX_DEPTH}`, i);
      this.qstack[this.depth] = q;
      this.lstack[this.depth++] = l;
    }
    this.na = na;
    this.h.open(l, this);
    this.na = 0;
    if (empty) {
      this.h.close(l, this);
      if (this.depth === 0) this.closedRoot = true;
    }
    return j;
  }

  private endTag(i: number): number {
    const buf = this.buf, end = this.len;
    let j = i + 2;
    while (j < end && NAME_BYTE[buf[j]!] === 1) j++;
    const ne = j;
    while (j < end && WS[buf[j]!] === 1) j++;
    if (j >= end) return -1;
    if (buf[j] !== GT || ne === i + 2) this.fail('malformed end tag', j);
    const d = this.depth;
    if (d === 0) this.fail(`end tag </${buf.utf8Slice(i + 2, ne)}> without a start tag`, i);
    const q = this.qstack[d - 1]!;
    if (!this.sameName(q, i + 2, ne)) this.fail(`end tag </${buf.utf8Slice(i + 2, ne)}> does not match <${q}>`, i);
    this.depth = d - 1;
    this.h.close(this.lstack[d - 1]!, this);
    this.tAcc = '';
    this.tS = -1;
    this.tLen = 0;
    if (d === 1) this.closedRoot = true;
    return j + 1;
  }

  private sameName(q: string, s: number, e: number): boolean {
    const buf = this.buf;
    if (q.length === e - s) {
      let k = 0;
      for (; k < q.length; k++) {
        const b = buf[s + k]!;
        if (b >= 0x80 || q.charCodeAt(k) !== b) break;
      }
      if (k === q.length) return true;
    }
    return q === buf.utf8Slice(s, e);
  }

  /** `<!--`, `<![CDATA[`, `<!DOCTYPE`. */
  private bang(i: number): number {
    const buf = this.buf, end = this.len;
    let m = this.startsWith(i, COMMENT_OPEN);
    if (m > 0) {
      const k = buf.indexOf(DASHES, i + 4);
      if (k < 0 || k + 2 >= end) return -1;
      if (buf[k + 2] !== GT) this.fail('"--" inside a comment', k);
      this.checkChars(i + 4, k);
      return k + 3;
    }
    if (m < 0) return -1;
    m = this.startsWith(i, CDATA_OPEN);
    if (m > 0) {
      if (this.depth === 0) this.fail('CDATA outside the root element', i);
      const k = buf.indexOf(CDATA_END, i + 9);
      if (k < 0) return -1;
      const f = this.checkChars(i + 9, k);
      if (this.tS >= 0) this.flushText();
      this.addLen(k - i - 9, i);
      this.tAcc += this.decode(i + 9, k, f, false);
      return k + 3;
    }
    if (m < 0) return -1;
    m = this.startsWith(i, DOCTYPE_OPEN);
    if (m > 0) this.fail('DOCTYPE declarations are not supported in rpm-md documents', i);
    if (m < 0) return -1;
    return this.fail('malformed markup after "<!"', i);
  }

  /** 1 = buf at i starts with `p`, 0 = does not, -1 = cannot tell yet (buffer ends first). */
  private startsWith(i: number, p: Buffer): number {
    const buf = this.buf;
    for (let k = 0; k < p.length; k++) {
      if (i + k >= this.len) return -1;
      if (buf[i + k] !== p[k]) return 0;
    }
    return 1;
  }

  /** Processing instruction or XML declaration (`<?xml …?>`, only at the very start). */
  private pi(i: number): number {
    const buf = this.buf, end = this.len;
    let j = i + 2;
    while (j < end && NAME_BYTE[buf[j]!] === 1) j++;
    if (j >= end) return -1;
    if (j === i + 2) this.fail('processing instruction without a target', j);
    if (buf[j] !== QM && WS[buf[j]!] === 0) this.fail('disallowed character in processing instruction target', j);
    const target = buf.utf8Slice(i + 2, j);
    if (target === 'xml') {
      if (!this.atStart) this.fail('the XML declaration must be at the start of the document', i);
      return this.xmlDecl(j);
    }
    if (target.toLowerCase() === 'xml' || !NAME_RE.test(target)) this.fail(`bad processing instruction target "${target}"`, i);
    const k = buf.indexOf(PI_END, j);
    if (k < 0) return -1;
    this.checkChars(j, k);
    return k + 2;
  }

  private xmlDecl(j: number): number {
    const buf = this.buf;
    const k = buf.indexOf(QM, j);
    if (k < 0 || k + 1 >= this.len) return -1;
    if (buf[k + 1] !== GT) this.fail('"?" inside the XML declaration', k);
    const err = xmlDeclError(buf.latin1Slice(j, k));
    if (err) this.fail(err, j);
    return k + 2;
  }

  /** Reject characters XML disallows in [s, e) (controls, U+FFFE/U+FFFF); returns value flags. */
  private checkChars(s: number, e: number): number {
    const buf = this.buf;
    let f = 0;
    for (let k = s; k < e; k++) {
      const b = buf[k]!;
      if (b < 0x20) {
        if (b === CR) f |= F_NL;
        else if (b !== TAB && b !== LF) this.fail(`disallowed character 0x${b.toString(16)}`, k);
      } else if (b >= 0x80) {
        f |= F_UTF8;
        if (b === 0xef && buf[k + 1] === 0xbf && (buf[k + 2]! & 0xfe) === 0xbe && k + 2 < e) this.fail('disallowed character U+FFFE/U+FFFF', k);
      }
    }
    return f;
  }

  /** Slot of the name in buf[s, e) in the name memo (the spare last slot for non-ASCII names). */
  private name(s: number, e: number): number {
    const buf = this.buf;
    // most names are one of a few: try the slot last seen with this length and first/last byte
    const quick = (e - s + (buf[s]! << 4) + (buf[e - 1]! << 7)) & (QUICK_SLOTS - 1);
    const qs = this.nQuick[quick]!;
    const qq = this.nq[qs]!;
    if (qq.length === e - s && qs !== NAME_SLOTS && this.same(qq, s)) return qs;
    const slot = this.nameSlot(s, e);
    if (slot !== NAME_SLOTS) this.nQuick[quick] = slot;
    return slot;
  }

  private nameSlot(s: number, e: number): number {
    const buf = this.buf;
    let h = 0x811c9dc5 | 0, o = 0;
    for (let k = s; k < e; k++) {
      const b = buf[k]!;
      o |= b;
      h = Math.imul(h ^ b, 0x01000193);
    }
    if (o >= 0x80) {
      const q = buf.utf8Slice(s, e);
      if (!NAME_RE.test(q)) this.fail(`malformed name "${q}"`, s);
      this.nq[NAME_SLOTS] = q;
      this.nl[NAME_SLOTS] = localOf(q);
      return NAME_SLOTS;
    }
    // open addressing, never evicts; once half full, further names are decoded each time
    let slot = h & (NAME_SLOTS - 1);
    for (;; slot = (slot + 1) & (NAME_SLOTS - 1)) {
      const q = this.nq[slot]!;
      if (q === '') break;
      if (this.nHash[slot] === h && q.length === e - s) {
        let k = 0;
        while (k < q.length && q.charCodeAt(k) === buf[s + k]) k++;
        if (k === q.length) return slot;
      }
    }
    if (NAME_START[buf[s]!] === 0) this.fail(`malformed name "${buf.latin1Slice(s, e)}"`, s);
    const name = buf.latin1Slice(s, e);
    if (this.names >= NAME_SLOTS / 2) slot = NAME_SLOTS;
    else this.names++;
    this.nHash[slot] = h;
    this.nq[slot] = internalize(name);
    this.nl[slot] = internalize(localOf(name));
    return slot;
  }

  private checkDuplicates(na: number, at: number): void {
    const aq = this.aq, sl = this.aSlot;
    if (na <= 16) {
      // memo slots identify ASCII names; the spare slot (non-ASCII names) compares strings
      for (let a = 1; a < na; a++) {
        const x = sl[a]!;
        for (let b = 0; b < a; b++) if (sl[b] === x && (x !== NAME_SLOTS || aq[a] === aq[b])) this.fail(`duplicate attribute ${aq[a]}`, at);
      }
    } else if (new Set(aq.slice(0, na)).size !== na) this.fail('duplicate attribute', at);
  }

  private growAttrs(): void {
    const n = this.avS.length * 2;
    const s = new Int32Array(n), e = new Int32Array(n), f = new Uint8Array(n), ns = new Int32Array(n);
    ns.set(this.aSlot);
    this.aSlot = ns;
    s.set(this.avS);
    e.set(this.avE);
    f.set(this.avF);
    this.avS = s;
    this.avE = e;
    this.avF = f;
  }

  private addLen(n: number, at: number): void {
    if ((this.tLen += n) > this.maxToken) this.fail(`text longer than ${this.maxToken} bytes`, at);
  }

  private flushText(): void {
    const t = this.decode(this.tS, this.tE, this.tF, false);
    this.tAcc = this.tAcc === '' ? t : this.tAcc + t;
    this.tS = -1;
  }

  /** Decode buf[s, e) with value flags `f` (attribute-value or text rules for line ends). */
  private decode(s: number, e: number, f: number, attr: boolean): string {
    const buf = this.buf;
    if (f === 0) {
      const n = e - s;
      if (n === 0) return '';
      if (n > MEMO_MAX) return buf.latin1Slice(s, e);
      let h = 0x811c9dc5 | 0;
      for (let k = s; k < e; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
      // two candidate slots; a new value takes the first and moves its occupant to the second
      const s1 = h & this.vMask, s2 = ((h >>> 16) ^ s1) & this.vMask;
      const vh = this.vHash, vs = this.vStr;
      let v = vs[s1]!;
      if (vh[s1] === h && v.length === n && this.same(v, s)) return v;
      v = vs[s2]!;
      if (vh[s2] === h && v.length === n && this.same(v, s)) return v;
      const str = buf.latin1Slice(s, e);
      vh[s2] = vh[s1]!;
      vs[s2] = vs[s1]!;
      vh[s1] = h;
      vs[s1] = str;
      return str;
    }
    let str = f & F_UTF8 ? buf.utf8Slice(s, e) : buf.latin1Slice(s, e);
    if (f & F_UTF8 && /[\uFFFE\uFFFF]/.test(str)) this.fail('disallowed character U+FFFE/U+FFFF', s);
    if (f & F_NL) str = attr ? str.replace(/\r\n|[\t\n\r]/g, ' ') : str.replace(/\r\n?/g, '\n');
    if (f & F_AMP) str = expandRefs(str);
    return str;
  }

  /** buf at s holds the (ASCII) characters of v. */
  private same(v: string, s: number): boolean {
    const buf = this.buf;
    let k = 0;
    while (k < v.length && v.charCodeAt(k) === buf[s + k]) k++;
    return k === v.length;
  }

  private fail(msg: string, at: number): never {
    const offset = this.base + at;
    throw new DriftlessError('REPO_BAD_XML', `${this.label}: malformed XML: ${msg} (byte ${offset})`, { path: this.label, offset });
  }

  // XmlCursor

  attr(qname: string): string | undefined {
    for (let k = 0; k < this.na; k++) {
      if (this.aq[k] !== qname) continue;
      const s = this.avS[k]!, e = this.avE[k]!, f = this.avF[k]!;
      if (f !== 0) return this.decode(s, e, f, true);
      const slot = this.aSlot[k]!;
      const last = this.nLast[slot]!;
      if (last.length === e - s && this.same(last, s)) return last;
      return (this.nLast[slot] = this.decode(s, e, 0, true));
    }
    return undefined;
  }

  attrs(): Record<string, string> {
    const o: Record<string, string> = Object.create(null) as Record<string, string>;
    for (let k = 0; k < this.na; k++) o[this.aq[k]!] = this.decode(this.avS[k]!, this.avE[k]!, this.avF[k]!, true);
    return o;
  }

  text(): string {
    if (this.tS >= 0) this.flushText();
    return this.tAcc;
  }
}
