/**
 * Columnar package storage for the parsed-metadata cache (metacache.ts): packages become typed
 * arrays of string-table indices, and load back as `CachedPackage` objects whose NEVRA is eager
 * and whose heavier fields (dependencies, files, descriptions…) are decoded on first access.
 * Listing 17k packages therefore touches only the small "hot" string table.
 *
 * String tables (index 0 = absent): HOT (NEVRA parts, locations, checksums, dependency names and
 * EVRs), FILES (paths), COLD (summary, description, url, license, vendor, group, packager,
 * buildhost, sourcerpm). Each is NUL-joined UTF-8 with per-string offsets; a string is decoded on
 * first access (see encodeStrings for the layout).
 */
import { strHash } from '../core/strhash.js';
import { DEP_KINDS, type Dependency, type DepKind, type DepOp, type PackageFileEntry, type PackageMeta } from '../rpm/metadata.js';

const HOT_FIELDS = 8; // name version release arch locHref locBase ckType ckValue
const COLD_FIELDS = 9; // summary description url license vendor group packager buildhost sourcerpm
const NUM_FIELDS = 8; // epoch buildtime filetime sizePackage sizeInstalled sizeArchive hdrStart hdrEnd
const OPS: (DepOp | undefined)[] = [undefined, '<', '<=', '=', '>=', '>'];
const OP_CODE = new Map<DepOp | undefined, number>(OPS.map((o, i) => [o, i]));
const PRE_BIT = 0x80;
const NK = DEP_KINDS.length;

const pad8 = (n: number) => (n + 7) & ~7;
const bytesOf = (a: Uint32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

class TableBuilder {
  private readonly index = new Map<string, number>();
  readonly strings: string[] = [''];
  add(v: string | undefined): number {
    if (v === undefined) return 0;
    let i = this.index.get(v);
    if (i === undefined) {
      if (v.includes('\0')) throw new Error('NUL in metadata string');
      i = this.strings.length;
      this.strings.push(v);
      this.index.set(v, i);
    }
    return i;
  }
  encode(withHashes = false): Uint8Array[] {
    return encodeStrings(this.strings, withHashes);
  }
}

/**
 * A string table section: u32 count | u32 bytes | u32 ascii | u32 hashed | u32 start[count + 1] |
 * [i32 strHash[count] when hashed] | NUL-joined UTF-8 (string i is bytes start[i] .. start[i + 1] - 1).
 * The offsets let a load decode only the strings it reads; `ascii` (every byte < 0x80) allows the
 * faster latin1 decoding; the hashes (HOT table: dependency names and EVRs) let the solver pool
 * intern the strings without hashing them again (core/strhash.ts).
 */
function encodeStrings(strings: readonly string[], withHashes = false): Uint8Array[] {
  const joined = strings.join('\0');
  const blob = Buffer.from(joined, 'utf8');
  const starts = new Uint32Array(strings.length + 1);
  let at = 0;
  if (blob.length === joined.length) {
    for (let i = 0; i < strings.length; i++, at += strings[i - 1]!.length + 1) starts[i] = at;
  } else {
    for (let i = 0; i < strings.length; i++, at += Buffer.byteLength(strings[i - 1]!, 'utf8') + 1) starts[i] = at;
  }
  starts[strings.length] = blob.length + 1;
  const head = new Uint8Array(Uint32Array.from([strings.length, blob.length, blob.length === joined.length ? 1 : 0, withHashes ? 1 : 0]).buffer);
  if (!withHashes) return [head, new Uint8Array(starts.buffer), blob];
  const hashes = new Int32Array(strings.length);
  for (let i = 0; i < strings.length; i++) hashes[i] = strHash(strings[i]!);
  return [head, new Uint8Array(starts.buffer), new Uint8Array(hashes.buffer), blob];
}

/** Section id → parts (each part 8-byte aligned inside its section). */
export type Sections = Map<number, Uint8Array[]>;
export const SEC_HOT = 1, SEC_COLS = 2, SEC_DEPS = 3, SEC_FILES = 4, SEC_FILESTR = 6, SEC_COLD = 7;

/** Encode packages into column sections (a clean store built while parsing is written as it is). */
export function encodeColumns(pk: readonly PackageMeta[]): Sections {
  const first = pk.length ? CachedPackage.storeOf(pk[0]!) : undefined;
  if (first?.[0].sections && pk.every((p, i) => {
    const si = CachedPackage.storeOf(p);
    return si !== undefined && si[0] === first[0] && si[1] === i;
  }) && first[0].hotCols[0]!.length === pk.length) return first[0].sections();
  const hot = new TableBuilder();
  const files = new TableBuilder();
  const cold = new TableBuilder();
  const n = pk.length;
  const hotCols = Array.from({ length: HOT_FIELDS }, () => new Uint32Array(n));
  const coldCols = Array.from({ length: COLD_FIELDS }, () => new Uint32Array(n));
  const numCols = Array.from({ length: NUM_FIELDS }, () => new Float64Array(n).fill(NaN));
  const depCounts = new Uint32Array(n * NK);
  const fileCounts = new Uint32Array(n);
  const depNames: number[] = [];
  const depEvrs: number[] = [];
  const depFlags: number[] = [];
  const filePaths: number[] = [];
  const fileTypes: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = pk[i]!;
    const hv = [p.name, p.version, p.release, p.arch, p.location?.href, p.location?.base, p.checksum?.type, p.checksum?.value];
    for (let f = 0; f < HOT_FIELDS; f++) hotCols[f]![i] = hot.add(hv[f]);
    const cv = [p.summary, p.description, p.url, p.license, p.vendor, p.group, p.packager, p.buildhost, p.sourcerpm];
    for (let f = 0; f < COLD_FIELDS; f++) coldCols[f]![i] = cold.add(cv[f]);
    const nv = [p.epoch, p.buildtime, p.filetime, p.size?.package, p.size?.installed, p.size?.archive, p.headerRange?.start, p.headerRange?.end];
    for (let f = 0; f < NUM_FIELDS; f++) if (nv[f] !== undefined) numCols[f]![i] = nv[f]!;
    for (let k = 0; k < NK; k++) {
      const list = p[DEP_KINDS[k]!];
      depCounts[i * NK + k] = list.length;
      for (const d of list) {
        depNames.push(hot.add(d.name));
        depEvrs.push(hot.add(d.evr));
        depFlags.push((OP_CODE.get(d.op) ?? 0) | (d.pre ? PRE_BIT : 0));
      }
    }
    fileCounts[i] = p.files.length;
    for (const f of p.files) {
      filePaths.push(files.add(f.path));
      fileTypes.push(f.type === 'dir' ? 1 : f.type === 'ghost' ? 2 : 0);
    }
  }
  return new Map([
    [SEC_HOT, hot.encode(true)],
    [SEC_FILESTR, files.encode()],
    [SEC_COLD, cold.encode()],
    [SEC_COLS, [new Uint8Array(Uint32Array.from([n]).buffer), ...hotCols.map(bytesOf), ...coldCols.map(bytesOf), ...numCols.map(bytesOf)]],
    [SEC_DEPS, [bytesOf(depCounts), bytesOf(Uint32Array.from(depNames)), bytesOf(Uint32Array.from(depEvrs)), Uint8Array.from(depFlags)]],
    [SEC_FILES, [bytesOf(fileCounts), bytesOf(Uint32Array.from(filePaths)), Uint8Array.from(fileTypes)]],
  ]);
}

/** Hot string fields (column index in the HOT table). */
export const Hot = { Name: 0, Version: 1, Release: 2, Arch: 3, LocHref: 4, LocBase: 5, CkType: 6, CkValue: 7 } as const;
export type Hot = (typeof Hot)[keyof typeof Hot];
/** Cold string fields. */
export const Cold = { Summary: 0, Description: 1, Url: 2, License: 3, Vendor: 4, Group: 5, Packager: 6, Buildhost: 7, Sourcerpm: 8 } as const;
export type Cold = (typeof Cold)[keyof typeof Cold];
/** Numeric fields. */
export const Num = { Epoch: 0, Buildtime: 1, Filetime: 2, SizePackage: 3, SizeInstalled: 4, SizeArchive: 5, HdrStart: 6, HdrEnd: 7 } as const;
export type Num = (typeof Num)[keyof typeof Num];

/**
 * Builds the column store directly while a parser streams packages (no per-dependency objects):
 * `begin()`, setters and `dep()`/`file()` calls, `end()` per package, then `finish()`.
 */
export class ColumnBuilder {
  private readonly hot = new TableBuilder();
  private readonly files = new TableBuilder();
  private readonly cold = new TableBuilder();
  private readonly hotCols: number[][] = Array.from({ length: HOT_FIELDS }, () => []);
  private readonly coldCols: number[][] = Array.from({ length: COLD_FIELDS }, () => []);
  private readonly numCols: number[][] = Array.from({ length: NUM_FIELDS }, () => []);
  private readonly depCounts: number[] = [];
  private readonly depNames: number[] = [];
  private readonly depEvrs: number[] = [];
  private readonly depFlags: number[] = [];
  private readonly fileCounts: number[] = [];
  private readonly filePaths: number[] = [];
  private readonly fileTypes: number[] = [];
  /** Per-kind dependency triples of the current package (flushed in DEP_KINDS order). */
  private readonly pending: number[][] = Array.from({ length: NK }, () => []);
  private lastEvr: string | undefined;
  private lastEvrIdx = 0;
  n = 0;

  begin(): void {
    for (const c of this.hotCols) c.push(0);
    for (const c of this.coldCols) c.push(0);
    for (const c of this.numCols) c.push(NaN);
    this.numCols[Num.Epoch]![this.n] = 0;
    this.fileCounts.push(0);
  }
  hotField(f: Hot, v: string | undefined): void {
    this.hotCols[f]![this.n] = this.hot.add(v);
  }
  hotFieldValue(f: Hot): string | undefined {
    return this.hot.strings[this.hotCols[f]![this.n]!] || undefined;
  }
  coldField(f: Cold, v: string | undefined): void {
    this.coldCols[f]![this.n] = this.cold.add(v);
  }
  num(f: Num, v: number | undefined): void {
    this.numCols[f]![this.n] = v === undefined ? NaN : v;
  }
  /** Add a dependency of kind index `k` (DEP_KINDS order). */
  dep(k: number, name: string, op: DepOp | undefined, evr: string | undefined, pre: boolean): void {
    let evrIdx = 0;
    if (op !== undefined && evr !== undefined) {
      if (evr === this.lastEvr) evrIdx = this.lastEvrIdx;
      else {
        evrIdx = this.hot.add(evr);
        this.lastEvr = evr;
        this.lastEvrIdx = evrIdx;
      }
    }
    this.pending[k]!.push(this.hot.add(name), evrIdx, (op === undefined ? 0 : OP_CODE.get(op)!) | (pre ? PRE_BIT : 0));
  }
  file(path: string, type: string | undefined): void {
    this.filePaths.push(this.files.add(path));
    this.fileTypes.push(type === 'dir' ? 1 : type === 'ghost' ? 2 : 0);
    this.fileCounts[this.n]!++;
  }
  end(): void {
    for (let k = 0; k < NK; k++) {
      const q = this.pending[k]!;
      this.depCounts.push(q.length / 3);
      for (let j = 0; j < q.length; j += 3) {
        this.depNames.push(q[j]!);
        this.depEvrs.push(q[j + 1]!);
        this.depFlags.push(q[j + 2]!);
      }
      q.length = 0;
    }
    this.n++;
  }
  /** Drop the package begun last (before `end()`). */
  abort(): void {
    for (const c of [...this.hotCols, ...this.coldCols, ...this.numCols]) c.length = this.n;
    const files = this.fileCounts.pop() ?? 0;
    this.filePaths.length -= files;
    this.fileTypes.length -= files;
    for (const q of this.pending) q.length = 0;
  }
  /** The packages, backed by the built store (which can be written to the cache without re-encoding). */
  finish(): PackageMeta[] {
    const n = this.n;
    const st = new Store();
    st.hot = new ArrayStrings(this.hot.strings);
    st.files = new ArrayStrings(this.files.strings);
    st.cold = new ArrayStrings(this.cold.strings);
    st.hotCols = this.hotCols.map((c) => Uint32Array.from(c));
    st.coldCols = this.coldCols.map((c) => Uint32Array.from(c));
    st.numCols = this.numCols.map((c) => Float64Array.from(c));
    const depCounts = Uint32Array.from(this.depCounts);
    st.depStart = new Uint32Array(n * NK + 1);
    for (let i = 0; i < depCounts.length; i++) st.depStart[i + 1] = st.depStart[i]! + depCounts[i]!;
    st.depNames = Uint32Array.from(this.depNames);
    st.depEvrs = Uint32Array.from(this.depEvrs);
    st.depFlags = Uint8Array.from(this.depFlags);
    const fileCounts = Uint32Array.from(this.fileCounts);
    st.fileStart = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) st.fileStart[i + 1] = st.fileStart[i]! + fileCounts[i]!;
    st.filePaths = Uint32Array.from(this.filePaths);
    st.fileTypes = Uint8Array.from(this.fileTypes);
    // capture the string arrays only: the interning maps can be garbage-collected
    const [hot, files, cold] = [this.hot.strings, this.files.strings, this.cold.strings];
    st.sections = () => new Map([
      [SEC_HOT, encodeStrings(hot, true)],
      [SEC_FILESTR, encodeStrings(files)],
      [SEC_COLD, encodeStrings(cold)],
      [SEC_COLS, [new Uint8Array(Uint32Array.from([n]).buffer), ...st.hotCols.map(bytesOf), ...st.coldCols.map(bytesOf), ...st.numCols.map(bytesOf)]],
      [SEC_DEPS, [bytesOf(depCounts), bytesOf(st.depNames), bytesOf(st.depEvrs), st.depFlags]],
      [SEC_FILES, [bytesOf(fileCounts), bytesOf(st.filePaths), st.fileTypes]],
    ]);
    const out: PackageMeta[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = new CachedPackage(st, i);
    return out;
  }
}

/** Thrown for structurally invalid column data (the cache treats it as corrupt). */
export class ColumnsCorrupt extends Error {}
function need(c: boolean, why: string): asserts c {
  if (!c) throw new ColumnsCorrupt(why);
}

interface Strings {
  readonly count: number;
  get(i: number): string | undefined;
}

/**
 * A string table read in place: each string is decoded on first access and remembered, so a
 * load that lists packages decodes their names, not every dependency string. The
 * offsets are validated (and the memo allocated) when the table is first used, so tables a
 * command never reads (descriptions, file paths) cost nothing; a corrupt table fails there.
 */
class StringTable implements Strings {
  private memo?: (string | undefined)[];
  private readonly starts: Uint32Array;
  private readonly blob: Buffer;
  private readonly ascii: boolean;
  /** strHash of each string, when the table carries them. */
  readonly hashes?: Int32Array;
  readonly count: number;
  constructor(ab: ArrayBuffer, at: number, len: number) {
    need(len >= 16, 'string table');
    const dv = new DataView(ab, at, 16);
    const count = (this.count = dv.getUint32(0, true));
    const bytes = dv.getUint32(4, true);
    this.ascii = dv.getUint32(8, true) === 1;
    const hashed = dv.getUint32(12, true) === 1;
    const hashAt = 16 + pad8(4 * (count + 1));
    const blobAt = hashed ? hashAt + pad8(4 * count) : hashAt;
    need(count >= 1 && blobAt + bytes <= len, 'string bytes');
    if (hashed) this.hashes = new Int32Array(ab, at + hashAt, count);
    this.starts = new Uint32Array(ab, at + 16, count + 1);
    this.blob = Buffer.from(ab, at + blobAt, bytes);
  }
  private init(): (string | undefined)[] {
    // offsets must rise and each string end on its NUL separator (then get() cannot fail)
    const s = this.starts, b = this.blob, count = this.count;
    let ok = s[0] === 0 && s[count] === b.length + 1;
    for (let i = 1; ok && i < count; i++) ok = s[i]! > s[i - 1]! && b[s[i]! - 1] === 0;
    need(ok && s[count]! > s[count - 1]!, 'string offsets');
    return (this.memo = new Array(count));
  }
  get(i: number): string | undefined {
    if (i === 0) return undefined;
    const memo = this.memo ?? this.init();
    let v = memo[i];
    if (v === undefined) {
      const from = this.starts[i]!, to = this.starts[i + 1]! - 1;
      need(to >= from, 'string index');
      // Buffer's own slicers (what toString('latin1' | 'utf8', s, e) calls after checking its arguments)
      const b = this.blob as Buffer & { latin1Slice(s: number, e: number): string; utf8Slice(s: number, e: number): string };
      memo[i] = v = this.ascii ? b.latin1Slice(from, to) : b.utf8Slice(from, to);
    }
    return v;
  }
}

/** Check every index in `idx` is in range (done once at load, so later lazy access cannot fail). */
function checkIndices(t: Strings, idx: Uint32Array): void {
  const c = t.count;
  let max = 0;
  for (let i = 0; i < idx.length; i++) if (idx[i]! > max) max = idx[i]!;
  need(idx.length === 0 || max < c, 'string index');
}

/** Strings already in memory (a table built while parsing). */
class ArrayStrings implements Strings {
  constructor(private readonly strings: string[]) {}
  get count(): number {
    return this.strings.length;
  }
  get(i: number): string | undefined {
    return i === 0 ? undefined : this.strings[i];
  }
}

/** The decoded column store; CachedPackage objects read from it. */
class Store {
  hot!: Strings;
  files!: Strings;
  cold!: Strings;
  /** Set when a package was modified after the store was built (the store no longer describes them). */
  dirty = false;
  /** Sections to write this store back out unchanged (stores built while parsing). */
  sections?: () => Sections;
  hotCols: Uint32Array[] = [];
  coldCols: Uint32Array[] = [];
  numCols: Float64Array[] = [];
  depStart!: Uint32Array; // n*NK+1 prefix sums
  depNames!: Uint32Array;
  depEvrs!: Uint32Array;
  depFlags!: Uint8Array;
  fileStart!: Uint32Array; // n+1 prefix sums
  filePaths!: Uint32Array;
  fileTypes!: Uint8Array;
  view?: PackageColumns;
  num(f: number, i: number): number | undefined {
    const v = this.numCols[f]![i]!;
    return v !== v ? undefined : v;
  }
}

/** Decode column sections (`get(id)` → [offset, length] in `ab`) into lazily materialised packages. */
export function decodeColumns(ab: ArrayBuffer, get: (id: number) => [number, number]): PackageMeta[] {
  const st = new Store();
  const table = (id: number) => new StringTable(ab, ...get(id));
  st.hot = table(SEC_HOT);
  st.files = table(SEC_FILESTR);
  st.cold = table(SEC_COLD);
  const [cAt, cLen] = get(SEC_COLS);
  const n = new DataView(ab, cAt, 4).getUint32(0, true);
  need(8 + (HOT_FIELDS + COLD_FIELDS) * pad8(4 * n) + NUM_FIELDS * 8 * n <= cLen, 'columns');
  let off = cAt + 8;
  for (let f = 0; f < HOT_FIELDS; f++, off += pad8(4 * n)) st.hotCols.push(new Uint32Array(ab, off, n));
  for (let f = 0; f < COLD_FIELDS; f++, off += pad8(4 * n)) st.coldCols.push(new Uint32Array(ab, off, n));
  for (let f = 0; f < NUM_FIELDS; f++, off += 8 * n) st.numCols.push(new Float64Array(ab, off, n));
  const [dAt, dLen] = get(SEC_DEPS);
  const counts = new Uint32Array(ab, dAt, n * NK);
  st.depStart = new Uint32Array(n * NK + 1);
  for (let i = 0; i < counts.length; i++) st.depStart[i + 1] = st.depStart[i]! + counts[i]!;
  const nd = st.depStart[n * NK]!;
  off = pad8(dAt + 4 * n * NK);
  need(off - dAt + 2 * pad8(4 * nd) + nd <= dLen, 'deps');
  st.depNames = new Uint32Array(ab, off, nd);
  st.depEvrs = new Uint32Array(ab, (off = pad8(off + 4 * nd)), nd);
  st.depFlags = new Uint8Array(ab, pad8(off + 4 * nd), nd);
  const [fAt, fLen] = get(SEC_FILES);
  const fc = new Uint32Array(ab, fAt, n);
  st.fileStart = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) st.fileStart[i + 1] = st.fileStart[i]! + fc[i]!;
  const nf = st.fileStart[n]!;
  off = pad8(fAt + 4 * n);
  need(off - fAt + pad8(4 * nf) + nf <= fLen, 'files');
  st.filePaths = new Uint32Array(ab, off, nf);
  st.fileTypes = new Uint8Array(ab, pad8(off + 4 * nf), nf);
  for (const c of st.hotCols) checkIndices(st.hot, c);
  for (const c of st.coldCols) checkIndices(st.cold, c);
  checkIndices(st.hot, st.depNames);
  checkIndices(st.hot, st.depEvrs);
  checkIndices(st.files, st.filePaths);
  let badFlag = false;
  const fl = st.depFlags;
  for (let i = 0; i < nd; i++) if ((fl[i]! & 0x7f) >= OPS.length) badFlag = true;
  need(!badFlag, 'dep flags');
  const out: PackageMeta[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = new CachedPackage(st, i);
  return out;
}

type Deps = Record<DepKind, Dependency[]>;

/**
 * A package backed by the column store. Name/epoch/version/release/arch are plain fields;
 * everything else is decoded on first access (and can be reassigned). `toJSON` gives the same
 * plain object the XML parser produces.
 */
export class CachedPackage implements PackageMeta {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  #st: Store;
  #i: number;
  #deps?: Deps;
  #files?: PackageFileEntry[];
  #over?: Partial<PackageMeta>;
  constructor(st: Store, i: number) {
    this.#st = st;
    this.#i = i;
    const h = st.hotCols;
    this.name = st.hot.get(h[0]![i]!) ?? '';
    this.version = st.hot.get(h[1]![i]!) ?? '';
    this.release = st.hot.get(h[2]![i]!) ?? '';
    this.arch = st.hot.get(h[3]![i]!) ?? '';
    this.epoch = st.numCols[0]![i]!;
  }
  #cold(f: number): string | undefined {
    return this.#st.cold.get(this.#st.coldCols[f]![this.#i]!);
  }
  #hot(f: number): string | undefined {
    return this.#st.hot.get(this.#st.hotCols[f]![this.#i]!);
  }
  #d(): Deps {
    if (this.#deps) return this.#deps;
    const st = this.#st;
    const d = {} as Deps;
    for (let k = 0; k < NK; k++) {
      const from = st.depStart[this.#i * NK + k]!;
      const to = st.depStart[this.#i * NK + k + 1]!;
      const list: Dependency[] = new Array(to - from);
      for (let j = from; j < to; j++) {
        const fl = st.depFlags[j]!;
        const op = OPS[fl & 0x7f];
        const name = st.hot.get(st.depNames[j]!) ?? '';
        // one literal per shape: no hidden-class transitions
        if (op !== undefined) {
          const evr = st.hot.get(st.depEvrs[j]!) ?? '';
          list[j - from] = fl & PRE_BIT ? { name, op, evr, pre: true } : { name, op, evr };
        } else list[j - from] = fl & PRE_BIT ? { name, pre: true } : { name };
      }
      d[DEP_KINDS[k]!] = list;
    }
    return (this.#deps = d);
  }
  #o<K extends keyof PackageMeta>(k: K, compute: () => PackageMeta[K]): PackageMeta[K] {
    return this.#over && k in this.#over ? (this.#over[k] as PackageMeta[K]) : compute();
  }
  #set<K extends keyof PackageMeta>(k: K, v: PackageMeta[K]): void {
    this.#st.dirty = true;
    (this.#over ??= {})[k] = v;
  }
  #setDep(k: DepKind, v: Dependency[]): void {
    this.#st.dirty = true;
    this.#d()[k] = v;
  }
  /** The store and index behind a package, when it is a clean CachedPackage. */
  static storeOf(p: PackageMeta): [Store, number] | undefined {
    return p instanceof CachedPackage && !p.#st.dirty ? [p.#st, p.#i] : undefined;
  }
  get summary() { return this.#o('summary', () => this.#cold(0)); }
  set summary(v) { this.#set('summary', v); }
  get description() { return this.#o('description', () => this.#cold(1)); }
  set description(v) { this.#set('description', v); }
  get url() { return this.#o('url', () => this.#cold(2)); }
  set url(v) { this.#set('url', v); }
  get license() { return this.#o('license', () => this.#cold(3)); }
  set license(v) { this.#set('license', v); }
  get vendor() { return this.#o('vendor', () => this.#cold(4)); }
  set vendor(v) { this.#set('vendor', v); }
  get group() { return this.#o('group', () => this.#cold(5)); }
  set group(v) { this.#set('group', v); }
  get packager() { return this.#o('packager', () => this.#cold(6)); }
  set packager(v) { this.#set('packager', v); }
  get buildhost() { return this.#o('buildhost', () => this.#cold(7)); }
  set buildhost(v) { this.#set('buildhost', v); }
  get sourcerpm() { return this.#o('sourcerpm', () => this.#cold(8)); }
  set sourcerpm(v) { this.#set('sourcerpm', v); }
  get buildtime() { return this.#o('buildtime', () => this.#st.num(1, this.#i)); }
  set buildtime(v) { this.#set('buildtime', v); }
  get filetime() { return this.#o('filetime', () => this.#st.num(2, this.#i)); }
  set filetime(v) { this.#set('filetime', v); }
  get size() {
    return this.#o('size', () => {
      const st = this.#st, i = this.#i;
      const [p, n, a] = [st.num(3, i), st.num(4, i), st.num(5, i)];
      return p === undefined && n === undefined && a === undefined ? undefined : { package: p, installed: n, archive: a };
    });
  }
  set size(v) { this.#set('size', v); }
  get location() {
    return this.#o('location', () => {
      const href = this.#hot(4);
      if (href === undefined) return undefined;
      const base = this.#hot(5);
      return base !== undefined ? { href, base } : { href };
    });
  }
  set location(v) { this.#set('location', v); }
  get checksum() {
    return this.#o('checksum', () => {
      const type = this.#hot(6);
      return type === undefined ? undefined : { type, value: this.#hot(7) ?? '' };
    });
  }
  set checksum(v) { this.#set('checksum', v); }
  get headerRange() {
    return this.#o('headerRange', () => {
      const s = this.#st.num(6, this.#i);
      return s === undefined ? undefined : { start: s, end: this.#st.num(7, this.#i) ?? 0 };
    });
  }
  set headerRange(v) { this.#set('headerRange', v); }
  get provides() { return this.#d().provides; }
  set provides(v) { this.#setDep('provides', v); }
  get requires() { return this.#d().requires; }
  set requires(v) { this.#setDep('requires', v); }
  get conflicts() { return this.#d().conflicts; }
  set conflicts(v) { this.#setDep('conflicts', v); }
  get obsoletes() { return this.#d().obsoletes; }
  set obsoletes(v) { this.#setDep('obsoletes', v); }
  get recommends() { return this.#d().recommends; }
  set recommends(v) { this.#setDep('recommends', v); }
  get suggests() { return this.#d().suggests; }
  set suggests(v) { this.#setDep('suggests', v); }
  get supplements() { return this.#d().supplements; }
  set supplements(v) { this.#setDep('supplements', v); }
  get enhances() { return this.#d().enhances; }
  set enhances(v) { this.#setDep('enhances', v); }
  get files(): PackageFileEntry[] {
    if (this.#files) return this.#files;
    const st = this.#st;
    const from = st.fileStart[this.#i]!;
    const to = st.fileStart[this.#i + 1]!;
    const out: PackageFileEntry[] = new Array(to - from);
    for (let j = from; j < to; j++) {
      const path = st.files.get(st.filePaths[j]!) ?? '';
      const t = st.fileTypes[j]!;
      out[j - from] = t === 1 ? { path, type: 'dir' } : t === 2 ? { path, type: 'ghost' } : { path };
    }
    return (this.#files = out);
  }
  set files(v) {
    this.#st.dirty = true;
    this.#files = v;
  }

  /** A plain PackageMeta (what the XML parser would have produced). */
  toPlain(): PackageMeta {
    const p: Record<string, unknown> = { name: this.name, epoch: this.epoch, version: this.version, release: this.release, arch: this.arch };
    for (const k of ['summary', 'description', 'packager', 'url', 'filetime', 'buildtime', 'size', 'location', 'license', 'vendor', 'group', 'buildhost', 'sourcerpm', 'headerRange', 'checksum'] as const) {
      const v = this[k];
      if (v !== undefined) p[k] = v;
    }
    for (const k of DEP_KINDS) p[k] = this[k];
    p.files = this.files;
    return p as unknown as PackageMeta;
  }
  toJSON(): PackageMeta {
    return this.toPlain();
  }
}

/**
 * The raw columns behind a package loaded from the metadata cache (undefined for any other
 * package, or once a package of its store was modified). Bulk consumers such as the solver pool
 * use it to intern each distinct string once instead of once per dependency. Dependency kind k
 * of package i spans `depStart[i * DEP_KINDS.length + k] .. depStart[… + 1]`; names and EVRs are
 * indices into `strings` (0 = none), flags hold the operator index of DEP_OPS plus a pre bit (0x80).
 */
export interface PackageColumns {
  /** `hashes[i]` is strHash(get(i)) when present (tables from the cache). */
  readonly strings: { readonly count: number; readonly hashes?: Int32Array; get(i: number): string | undefined };
  readonly fileStrings: { readonly count: number; get(i: number): string | undefined };
  readonly depStart: Uint32Array;
  readonly depNames: Uint32Array;
  readonly depEvrs: Uint32Array;
  readonly depFlags: Uint8Array;
  readonly fileStart: Uint32Array;
  readonly filePaths: Uint32Array;
}
export const DEP_OPS: readonly (DepOp | undefined)[] = OPS;

export function packageColumns(p: PackageMeta): [PackageColumns, number] | undefined {
  const si = CachedPackage.storeOf(p);
  if (!si) return undefined;
  const [st, i] = si;
  return [(st.view ??= { strings: st.hot, fileStrings: st.files, depStart: st.depStart, depNames: st.depNames, depEvrs: st.depEvrs, depFlags: st.depFlags, fileStart: st.fileStart, filePaths: st.filePaths }), i];
}

/** A plain PackageMeta (own enumerable properties) for spreading/serialising any package. */
export function plainPackage(p: PackageMeta): PackageMeta {
  return p instanceof CachedPackage ? p.toPlain() : p;
}
