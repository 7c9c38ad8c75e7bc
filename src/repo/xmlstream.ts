/**
 * Streaming XML for rpm-md documents (saxes underneath; never a DOM). Handlers see local
 * element names (the `rpm:` prefix is stripped) and, on close, the text of leaf elements.
 *
 *   await parseXmlStream(chunks, 'primary.xml', {
 *     open(name, attrs) { ... },
 *     close(name, text) { ... },
 *   });
 */
import type { SaxesParser as SaxesParserType } from 'saxes';

/** saxes loads with the first document parsed (warm cache loads never parse XML). */
let saxesModule: Promise<typeof SaxesParserType> | undefined;
const loadSaxes = () => (saxesModule ??= import('saxes').then((m) => m.SaxesParser));
import { DriftlessError } from '../core/errors.js';
import type { XmlCursor, XmlCursorHandler } from './xmlscan.js';

export interface XmlHandler {
  /** Element start: local name (prefix stripped) and raw attributes (qualified names, e.g. `xml:base`). */
  open(name: string, attrs: Record<string, string>): void;
  /** Element end: local name and the text seen since the last element start (meaningful for leaves). */
  close(name: string, text: string): void;
}

const localNameCache = new Map<string, string>();
function localName(q: string): string {
  let l = localNameCache.get(q);
  if (l === undefined) {
    const i = q.indexOf(':');
    l = i < 0 ? q : q.slice(i + 1);
    localNameCache.set(q, l);
  }
  return l;
}

/** Parse an XML byte stream, calling `h` for each element. Malformed XML → REPO_BAD_XML. */
export async function parseXmlStream(chunks: AsyncIterable<Uint8Array>, label: string, h: XmlHandler): Promise<void> {
  const SaxesParser = await loadSaxes();
  const p = new SaxesParser({ xmlns: false, position: false });
  let text = '';
  let failure: unknown;
  p.on('opentag', (t) => {
    text = '';
    h.open(localName(t.name), t.attributes as Record<string, string>);
  });
  p.on('text', (t) => {
    text = text === '' ? t : text + t;
  });
  p.on('cdata', (t) => {
    text += t;
  });
  p.on('closetag', (t) => {
    const s = text;
    text = '';
    h.close(localName(t.name), s);
  });
  p.on('error', (e) => {
    failure ??= e;
  });
  const dec = new TextDecoder('utf-8', { fatal: false });
  try {
    for await (const c of chunks) {
      p.write(dec.decode(c, { stream: true }));
      if (failure) break;
    }
    if (!failure) {
      const tail = dec.decode();
      if (tail) p.write(tail);
      p.close();
    }
  } catch (e) {
    if (e instanceof DriftlessError) throw e;
    failure ??= e;
  }
  if (failure) {
    if (failure instanceof DriftlessError) throw failure;
    throw new DriftlessError('REPO_BAD_XML', `${label}: malformed XML: ${(failure as Error).message}`, { path: label, cause: failure });
  }
}

/**
 * saxes behind the XmlCursorHandler interface of xmlscan.ts: the same events as `scanXml`, for
 * the documents kept on saxes and as the reference the scanner is tested against.
 */
export function parseXmlStreamCursor(chunks: AsyncIterable<Uint8Array>, label: string, h: XmlCursorHandler): Promise<void> {
  const none = Object.create(null) as Record<string, string>;
  let attrs = none;
  let text = '';
  const x: XmlCursor = {
    attr: (q) => attrs[q],
    attrs: () => Object.assign(Object.create(null) as Record<string, string>, attrs),
    text: () => text,
  };
  return parseXmlStream(chunks, label, {
    open(name, a) {
      attrs = a;
      text = '';
      h.open(name, x);
    },
    close(name, t) {
      attrs = none;
      text = t;
      h.close(name, x);
    },
  });
}

/** Interns strings so the thousands of repeated values (arches, dep names, versions) share one copy. */
export class Interner {
  private readonly map = new Map<string, string>();
  get(s: string): string {
    const v = this.map.get(s);
    if (v !== undefined) return v;
    this.map.set(s, s);
    return s;
  }
}
