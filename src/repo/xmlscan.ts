/**
 * Streaming XML scanner for the large rpm-md documents (primary.xml, filelists.xml). It reads
 * the decompressed bytes directly and reports elements to a handler that pulls only the
 * attributes and text it needs, decoded on demand:
 *
 *   await scanXml(chunks, 'primary.xml', {
 *     open(name, x) { if (name === 'entry') deps.push(x.attr('name')); },
 *     close(name, x) { if (name === 'summary') summary = x.text(); },
 *   });
 *
 * Why not saxes (still used for repomd, comps, updateinfo, other): saxes is a general parser
 * over JS strings (after a TextDecoder pass), one `charCodeAt` state-machine step per
 * character and an object per start tag. On cs9-appstream (primary.xml.gz 3.6 MB → 51 MB of
 * XML, 17,649 packages) gunzip + saxes with empty handlers cost ~816-850 ms CPU, more than
 * libsolv's `repo2solv` needs for the whole repository (~606 ms); gunzip + this scanner cost
 * ~280 ms (bench/repo.ts: coldFloorGunzipSaxesNoop, coldFloorGunzipScanNoop), and a cold
 * `loadRepo` went from ~1,225 to ~860 ms. It finds token ends with byte-table loops, keeps
 * attributes as byte ranges decoded only when asked for, and turns repeated short values
 * (dependency names, EVRs, arches) into the same string through a byte-keyed memo, so most
 * values cost no allocation.
 *
 * It is a real XML 1.0 reader, checked against saxes event for event (xmlscan.test.ts): start
 * tags (single/double quotes, any whitespace, `/>`), end tags matched against the element
 * stack, text, CDATA, comments, processing instructions and the XML declaration; the five
 * predefined entities and character references; UTF-8 (invalid sequences become U+FFFD, as
 * TextDecoder does); line ends normalised (`\r\n`, `\r` → `\n`; literal tab/newline in
 * attribute values → space, as saxes does); element names reported with the prefix stripped
 * (`rpm:entry` → `entry`), attributes by qualified name (`xml:base`). Well-formedness errors
 * are REPO_BAD_XML. Deliberate differences from saxes: DOCTYPE is rejected (rpm-md has none),
 * the XML declaration must say version 1.0, and a single token over 16 MiB or nesting deeper
 * than 4096 is rejected, so bad input cannot take unbounded memory.
 *
 * Chunks may split anything anywhere: an unfinished token is carried to the next chunk (and,
 * when it is big, rescanned only once the buffered bytes have doubled, so time stays linear).
 */
import { DriftlessError } from '../core/errors.js';
import { XmlScanner } from './xmlscanner.js';

/** What a handler can read about the current element; valid only during the call. */
export interface XmlCursor {
  /** Value of the attribute with this qualified name on the start tag (in `open`). */
  attr(qname: string): string | undefined;
  /** All attributes of the start tag (in `open`), as a new object. */
  attrs(): Record<string, string>;
  /** Text since the last element start or end (in `close`; meaningful for leaves). */
  text(): string;
}

export interface XmlCursorHandler {
  /** Element start: local name (prefix stripped). */
  open(name: string, x: XmlCursor): void;
  /** Element end (also right after `open` for `<empty/>`): local name. */
  close(name: string, x: XmlCursor): void;
}

export interface ScanOptions {
  /** Longest single token (tag, text, comment, CDATA) accepted, in bytes. Default 16 MiB. */
  maxToken?: number;
}

/** Scan an XML byte stream into `h`. Malformed XML → REPO_BAD_XML; handler errors pass through. */
export async function scanXml(chunks: AsyncIterable<Uint8Array>, label: string, h: XmlCursorHandler, opts: ScanOptions = {}): Promise<void> {
  const s = new XmlScanner(label, h, opts.maxToken ?? 16 * 1024 * 1024);
  try {
    for await (const c of chunks) s.push(c);
    s.end();
  } catch (e) {
    if (e instanceof DriftlessError) throw e;
    throw new DriftlessError('REPO_BAD_XML', `${label}: malformed XML: ${(e as Error).message}`, { path: label, cause: e });
  }
}

/**
 * V8 optimises the scanner while the first document streams through, and each branch the
 * optimised code has not seen taken yet (an entity, a CR, a non-ASCII byte, a quote inside a
 * value…) throws it back to the interpreter and costs a recompile. Scanning this small document
 * a few times when the module loads records those branches first: 20 → 4 deoptimisations and
 * ~50 ms less CPU when reading cs9-appstream's primary.xml (bench/repo.ts).
 */
const PRIMER = Buffer.from('<?xml version="1.0"?>\n<!-- c --><a x="1&amp;\t\u00e9" y=\'2"3\' z = "it\'s&#65;&#x42;"><?p x?><b/>t&lt;\r\n]\u00e9<![CDATA[x]]><c>d</c></a>\n');
const primer: XmlCursorHandler = {
  open(_n, x) {
    x.attr('x');
    x.attr('y');
    x.attr('z');
    x.attr('none');
  },
  close(_n, x) {
    x.text();
  },
};
for (let i = 0; i < 12; i++) {
  const s = new XmlScanner('primer', primer, 1 << 20, 64);
  s.push(PRIMER.subarray(0, 30)); // ends inside a start tag: the carry path too
  s.push(PRIMER.subarray(30));
  s.end();
}

