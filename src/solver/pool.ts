/**
 * The solver's pool: interned strings, relational dependencies, solvables grouped in repos,
 * the architecture policy and the whatprovides index. Ids are small integers so the rule
 * generator and SAT core work on numbers only.
 *
 *   const pool = new Pool();
 *   const repo = pool.addRepo('available');
 *   const p = pool.addSolvable(repo, 'A', '1-1', 'noarch');
 *   pool.solvables[p].provides.push(pool.str2id('A'));
 *   pool.setArch('x86_64'); pool.createWhatProvides();
 *   pool.whatProvides(pool.rel(pool.str2id('A'), pool.str2id('1'), REL.GT))  // [p]
 */
import { rpmvercmp } from '../rpm/vercmp.js';
import { strHash } from '../core/strhash.js';

/** Relation flags, numerically as libsolv's REL_* (GT=1, EQ=2, LT=4, boolean ops >= 16). */
export const REL = {
  GT: 1, EQ: 2, LT: 4,
  AND: 16, OR: 17, WITH: 18, NAMESPACE: 19, ARCH: 20, FILECONFLICT: 21, COND: 22, COMPAT: 23,
  KIND: 24, MULTIARCH: 25, ELSE: 26, ERROR: 27, WITHOUT: 28, UNLESS: 29, CONDA: 30,
} as const;

/** Reldep ids start here; plain string ids are below. */
export const RELBASE = 0x40000000;
export const isRel = (id: number) => id >= RELBASE;
export const SYSTEMSOLVABLE = 1;

export interface Reldep { name: number; evr: number; flags: number }

export interface Repo {
  id: number;
  name: string;
  priority: number;
  subpriority: number;
  solvables: number[];
}

export interface Solvable {
  id: number;
  name: number;
  evr: number;
  arch: number;
  vendor: number;
  repo: Repo | null;
  provides: number[];
  /** Requires; ids after PREREQ marker (prereqStart) are pre-requires. */
  requires: number[];
  conflicts: number[];
  obsoletes: number[];
  recommends: number[];
  suggests: number[];
  supplements: number[];
  enhances: number[];
  files: string[];
  buildflavor?: string[];
  buildtime?: number;
}

export interface PoolFlags {
  promoteepoch: boolean;
  forbidselfconflicts: boolean;
  obsoleteusesprovides: boolean;
  implicitobsoleteusesprovides: boolean;
  obsoleteusescolors: boolean;
  implicitobsoleteusescolors: boolean;
  noinstalledobsoletes: boolean;
  havedistepoch: boolean;
  noobsoletesmultiversion: boolean;
  addfileprovidesfiltered: boolean;
  nowhatprovidesaux: boolean;
  whatprovideswithdisabled: boolean;
}

export const DEFAULT_POOL_FLAGS: PoolFlags = {
  promoteepoch: false, forbidselfconflicts: false, obsoleteusesprovides: false, implicitobsoleteusesprovides: false,
  obsoleteusescolors: false, implicitobsoleteusescolors: false, noinstalledobsoletes: false, havedistepoch: false,
  noobsoletesmultiversion: false, addfileprovidesfiltered: false, nowhatprovidesaux: false, whatprovideswithdisabled: false,
};

const ARCH_POLICIES: Record<string, string> = {
  x86_64_v4: 'x86_64_v4:x86_64_v3:x86_64_v2:x86_64:i686:i586:i486:i386',
  x86_64_v3: 'x86_64_v3:x86_64_v2:x86_64:i686:i586:i486:i386',
  x86_64_v2: 'x86_64_v2:x86_64:i686:i586:i486:i386',
  x86_64: 'x86_64:i686:i586:i486:i386',
  i686: 'i686:i586:i486:i386',
  i586: 'i586:i486:i386',
  i486: 'i486:i386',
  s390x: 's390x:s390',
  ppc64: 'ppc64:ppc',
  ppc64p7: 'ppc64p7:ppc64:ppc',
  ia64: 'ia64:i686:i586:i486:i386',
  armv8l: 'armv8l:armv7l:armv6l:armv5tejl:armv5tel:armv5tl:armv5l:armv4tl:armv4l:armv3l',
  armv7hl: 'armv7hl:armv6hl',
  armv7l: 'armv7l:armv6l:armv5tejl:armv5tel:armv5tl:armv5l:armv4tl:armv4l:armv3l',
  aarch64: 'aarch64',
};

/** Hash of a relation triple for Pool's rel index. */
function relHash(name: number, evr: number, flags: number): number {
  let h = Math.imul(name, 0x9e3779b1) ^ Math.imul(evr + 0x7f4a7c15, 0x85ebca6b) ^ flags;
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

/** Compare modes of evrcmp. */
export const EVRCMP = { COMPARE: 0, MATCH_RELEASE: 1, MATCH: 2, COMPARE_EVONLY: 3 } as const;

export class Pool {
  strs: string[] = ['<NULL>', ''];
  /** String index: open addressing over ids (0 = empty slot), with each id's hash kept beside it. */
  private strSlots = new Int32Array(1 << 12);
  private strHashes = new Int32Array(1 << 11);
  /**
   * Relations as parallel typed arrays (tens of thousands per repository: no object each, nothing
   * for the garbage collector to trace); `getRel` materialises a Reldep on first use.
   */
  private relNames = new Int32Array(1 << 11);
  private relEvrs = new Int32Array(1 << 11);
  private relFlagsArr = new Uint8Array(1 << 11);
  private nrels = 0;
  /** Materialised relations by index (packed, filled with undefined: never a sparse dictionary). */
  private relObjs: (Reldep | undefined)[] = new Array<Reldep | undefined>(1 << 11).fill(undefined);
  /** Open-addressing index of the relations: slot -> rel index + 1 (0 = empty). */
  private relSlots = new Int32Array(1 << 12);
  solvables: Solvable[] = [];
  repos: Repo[] = [];
  installed: Repo | null = null;
  flags: PoolFlags = { ...DEFAULT_POOL_FLAGS };
  /** Arch id -> score (0 = not installable); null = no arch policy. */
  archScore: Map<number, number> | null = null;
  /** Solvables that are considered (undefined = all). */
  considered: Uint8Array | null = null;
  noarch: number;
  /** Vendor equivalence classes (glob patterns, '!' excludes), as libsolv's vendorclass. */
  vendorClasses: string[][] = [];
  private vendorMasks = new Map<number, number>();

  addVendorClass(patterns: string[]): void {
    if (patterns.length) this.vendorClasses.push(patterns);
    this.vendorMasks.clear();
  }

  /** Bit mask of the vendor classes a vendor belongs to (0 = none). */
  vendor2mask(vendor: number): number {
    if (!vendor || !this.vendorClasses.length) return 0;
    const c = this.vendorMasks.get(vendor);
    if (c !== undefined) return c;
    const v = this.strs[vendor]!;
    let mask = 0;
    this.vendorClasses.forEach((cls, k) => {
      if (k >= 31) return;
      for (const pat of cls) {
        const neg = pat.startsWith('!');
        if (globMatch(neg ? pat.slice(1) : pat, v)) {
          if (!neg) mask |= 1 << k;
          break;
        }
      }
    });
    this.vendorMasks.set(vendor, mask);
    return mask;
  }

  /** Namespace callback results: reldep id -> providers. */
  namespaceProviders = new Map<number, number[]>();
  private wpStart = new Int32Array(1);
  private wpData = new Int32Array(0);
  private wpNames = 0;
  private wpCache = new Map<number, number[]>();
  private wpOther = new Map<number, number[]>();
  private wpRel = new Map<number, number[]>();
  /** File path id -> providers, filled lazily (see fileProvidersOf). */
  private fileProviders = new Map<number, number[]>();
  /** Solvables indexed by the last createWhatProvides (file providers are looked up among them). */
  private wpSolvables: number[] = [];
  private fileDepsScanned = false;

  constructor() {
    // '' is id 1 (strs[0] is the <NULL> placeholder)
    this.strHashes[1] = strHash('');
    this.rehashStrings(this.strSlots.length);
    this.noarch = this.str2id('noarch');
    this.str2id('src');
    this.str2id('nosrc');
    // solvable 0 (unused) and 1 (the system solvable)
    for (let i = 0; i < 2; i++) this.solvables.push(this.blank(i, i === 1 ? this.str2id('system:system') : 0));
  }

  private blank(id: number, name: number): Solvable {
    return { id, name, evr: 1, arch: 0, vendor: 0, repo: null, provides: [], requires: [], conflicts: [], obsoletes: [], recommends: [], suggests: [], supplements: [], enhances: [], files: [] };
  }

  str2id(s: string, create = true): number {
    return this.intern(s, strHash(s), create);
  }

  /** str2id with the string's `strHash` already known (the metadata cache stores it). */
  str2idHashed(s: string, hash: number): number {
    return this.intern(s, hash, true);
  }

  lookupStr(s: string): number {
    return this.intern(s, strHash(s), false);
  }

  private intern(s: string, h: number, create: boolean): number {
    const slots = this.strSlots;
    const mask = slots.length - 1;
    let i = h & mask;
    for (let id = slots[i]!; id !== 0; i = (i + 1) & mask, id = slots[i]!) {
      if (this.strHashes[id] === h && this.strs[id] === s) return id;
    }
    if (!create) return 0;
    const id = this.strs.length;
    this.strs.push(s);
    if (id >= this.strHashes.length) this.growStrHashes(this.strHashes.length * 2);
    this.strHashes[id] = h;
    if (id * 2 >= slots.length) this.rehashStrings(slots.length * 2);
    else slots[i] = id;
    return id;
  }

  /** Make room for `n` more strings and `rels` more relations (bulk loads: one rehash instead of many). */
  reserve(n: number, rels = 0): void {
    const want = this.strs.length + n;
    if (want > this.strHashes.length) this.growStrHashes(want);
    let size = this.strSlots.length;
    while (want * 2 >= size) size *= 2;
    if (size !== this.strSlots.length) this.rehashStrings(size);
    this.growRels(this.nrels + rels);
  }

  private growStrHashes(size: number): void {
    const grown = new Int32Array(size);
    grown.set(this.strHashes);
    this.strHashes = grown;
  }

  private rehashStrings(size: number): void {
    const slots = (this.strSlots = new Int32Array(size));
    const mask = size - 1;
    const hashes = this.strHashes;
    // id 0 (<NULL>) is never indexed
    for (let id = 1; id < this.strs.length; id++) {
      let i = hashes[id]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id;
    }
  }

  id2str(id: number): string {
    if (isRel(id)) return this.dep2str(id);
    return this.strs[id] ?? '';
  }

  rel(name: number, evr: number, flags: number): number {
    const slots = this.relSlots;
    const mask = slots.length - 1;
    const rn = this.relNames, re = this.relEvrs, rf = this.relFlagsArr;
    let h = relHash(name, evr, flags) & mask;
    for (let v = slots[h]!; v !== 0; h = (h + 1) & mask, v = slots[h]!) {
      if (rn[v - 1] === name && re[v - 1] === evr && rf[v - 1] === flags) return RELBASE + v - 1;
    }
    const i = this.nrels;
    if (i >= rn.length || (i + 1) * 2 > slots.length) {
      this.growRels(i + 1);
      return this.rel(name, evr, flags);
    }
    rn[i] = name;
    re[i] = evr;
    rf[i] = flags;
    this.nrels = i + 1;
    slots[h] = i + 1;
    return RELBASE + i;
  }

  /** Capacity for `want` relations, and an index at most half full. */
  private growRels(want: number): void {
    if (want > this.relNames.length) {
      let cap = this.relNames.length;
      while (cap < want) cap *= 2;
      const n = new Int32Array(cap), e = new Int32Array(cap), f = new Uint8Array(cap);
      n.set(this.relNames);
      e.set(this.relEvrs);
      f.set(this.relFlagsArr);
      [this.relNames, this.relEvrs, this.relFlagsArr] = [n, e, f];
      const objs = new Array<Reldep | undefined>(cap).fill(undefined);
      for (let i = 0; i < this.nrels; i++) objs[i] = this.relObjs[i];
      this.relObjs = objs;
    }
    let size = this.relSlots.length;
    while (want * 2 > size) size *= 2;
    if (size === this.relSlots.length) return;
    const slots = (this.relSlots = new Int32Array(size));
    const mask = size - 1;
    for (let i = 0; i < this.nrels; i++) {
      let k = relHash(this.relNames[i]!, this.relEvrs[i]!, this.relFlagsArr[i]!) & mask;
      while (slots[k] !== 0) k = (k + 1) & mask;
      slots[k] = i + 1;
    }
  }

  getRel(id: number): Reldep {
    const i = id - RELBASE;
    let r = this.relObjs[i];
    if (r === undefined) {
      if (i < 0 || i >= this.nrels) throw new RangeError(`no relation ${id}`);
      this.relObjs[i] = r = { name: this.relNames[i]!, evr: this.relEvrs[i]!, flags: this.relFlagsArr[i]! };
    }
    return r;
  }

  /** libsolv's plain text form of a dependency for rpm (`a >= 1`, `(a and (b or c))`). */
  dep2str(id: number): string {
    return this.dep2strRel(id, -1);
  }

  private dep2strRel(id: number, oldrel: number): string {
    if (!isRel(id)) return this.strs[id] ?? '';
    const rd = this.getRel(id);
    const rel = rd.flags;
    const isBool = (f: number) => f === REL.AND || f === REL.OR || f === REL.WITH || f === REL.WITHOUT || f === REL.COND || f === REL.UNLESS || f === REL.ELSE;
    if ((isBool(oldrel) || oldrel === -1) && isBool(rel)) {
      if ((oldrel !== rel || rel === REL.COND || rel === REL.UNLESS || rel === REL.ELSE) && !((oldrel === REL.COND || oldrel === REL.UNLESS) && rel === REL.ELSE)) {
        return `(${this.dep2strRel(rd.name, rel)}${relStr(rel)}${this.dep2strRel(rd.evr, rel)})`;
      }
    }
    if (rel === REL.KIND) return `${this.dep2strRel(rd.evr, rel)}:${this.dep2strRel(rd.name, rel)}`;
    if (rel === REL.NAMESPACE) return `${this.dep2strRel(rd.name, rel)}(${this.dep2strRel(rd.evr, rel)})`;
    if (rel === REL.FILECONFLICT) return this.dep2strRel(rd.name, rel);
    return `${this.dep2strRel(rd.name, rel)}${relStr(rel)}${this.dep2strRel(rd.evr, rel)}`;
  }

  addRepo(name: string, priority = 0, subpriority = 0): Repo {
    const r: Repo = { id: this.repos.length + 1, name, priority, subpriority, solvables: [] };
    this.repos.push(r);
    return r;
  }

  addSolvable(repo: Repo, name: string, evr: string, arch: string): number {
    const id = this.solvables.length;
    const s = this.blank(id, this.str2id(name));
    s.evr = this.str2id(evr);
    s.arch = arch ? this.str2id(arch) : 0;
    s.repo = repo;
    this.solvables.push(s);
    repo.solvables.push(id);
    return id;
  }

  setArch(arch: string | null): void {
    if (!arch) {
      this.archScore = null;
      return;
    }
    this.setArchPolicy(ARCH_POLICIES[arch] ?? arch);
  }

  /** `a:b>c=d` policy string as libsolv: ':' new class, '>' worse in same class, '=' equivalent. */
  setArchPolicy(policy: string): void {
    const m = new Map<number, number>();
    m.set(this.noarch, 1);
    let score = 0x10001;
    let sep = '';
    for (const tok of policy.split(/([:>=])/)) {
      if (tok === ':' || tok === '>' || tok === '=') { sep = tok; continue; }
      if (!tok) continue;
      const id = this.str2id(tok);
      if (!m.has(id)) {
        if (sep === ':') score += 0x10000;
        else if (sep === '>') score += 1;
        m.set(id, score);
      }
    }
    this.archScore = m;
  }

  arch2score(arch: number): number {
    if (!this.archScore) return 1;
    return this.archScore.get(arch) ?? 0;
  }

  /** 64-bit vs 32-bit "color" of an arch (0 = colorless). */
  arch2color(arch: number): number {
    if (!arch || arch === this.noarch) return 0;
    const a = this.strs[arch]!;
    if (a === 'src' || a === 'nosrc' || a === 'all' || a === 'any') return 0;
    return /64|s390x/.test(a) ? 2 : 1;
  }

  colormatch(a: Solvable, b: Solvable): boolean {
    if (a.arch === b.arch) return true;
    const ca = this.arch2color(a.arch);
    const cb = this.arch2color(b.arch);
    return !ca || !cb || ca === cb;
  }

  isConsidered(p: number): boolean {
    return !this.considered || this.considered[p] === 1;
  }

  /** Can the solvable be installed at all (arch policy, not disabled)? */
  installable(s: Solvable): boolean {
    const a = this.strs[s.arch];
    if (a === 'src' || a === 'nosrc') return false;
    if (s.arch && this.archScore && !this.archScore.get(s.arch)) return false;
    if (this.considered && !this.considered[s.id]) {
      if (!(this.flags.whatprovideswithdisabled && this.installed && s.repo === this.installed)) return false;
      return false;
    }
    return true;
  }

  private installableWhatprovides(s: Solvable): boolean {
    const a = this.strs[s.arch];
    if (a === 'src' || a === 'nosrc') return false;
    if (s.arch && this.archScore && !this.archScore.get(s.arch)) return false;
    if (this.considered && !this.considered[s.id]) {
      return this.flags.whatprovideswithdisabled && !!this.installed && s.repo === this.installed;
    }
    return true;
  }

  /**
   * Build the provides index (call after all solvables are added or flags changed). Providers by
   * name id are kept in two typed arrays (offsets + solvables, two counting passes) and turned
   * into arrays only for the names that are looked up.
   */
  createWhatProvides(): void {
    this.wpCache.clear();
    this.wpRel.clear();
    this.fileProviders.clear();
    this.fileDepsScanned = false;
    const indexed: number[] = (this.wpSolvables = []);
    const nStr = (this.wpNames = this.strs.length);
    const start = (this.wpStart = new Int32Array(nStr + 1));
    const lastP = new Int32Array(nStr);
    const other = (this.wpOther = new Map<number, number[]>());
    const nameOf = (d: number) => (isRel(d) ? this.relNames[d - RELBASE]! : d);
    for (let p = 2; p < this.solvables.length; p++) {
      const s = this.solvables[p]!;
      if (!s.repo || !this.installableWhatprovides(s)) continue;
      indexed.push(p);
      for (const d of s.provides) {
        const k = nameOf(d);
        if (k >= nStr) {
          const l = other.get(k);
          if (!l) other.set(k, [p]);
          else if (l[l.length - 1] !== p) l.push(p);
        } else if (lastP[k] !== p) {
          lastP[k] = p;
          start[k + 1]!++;
        }
      }
    }
    for (let k = 0; k < nStr; k++) start[k + 1]! += start[k]!;
    const data = (this.wpData = new Int32Array(start[nStr]!));
    const fill = start.slice(0, nStr);
    lastP.fill(0);
    for (const p of indexed) {
      for (const d of this.solvables[p]!.provides) {
        const k = nameOf(d);
        if (k < nStr && lastP[k] !== p) {
          lastP[k] = p;
          data[fill[k]!++] = p;
        }
      }
    }
  }

  /** Providers of a plain name id (by `provides` only), or undefined. */
  private nameProviders(k: number): number[] | undefined {
    if (k >= this.wpNames) return this.wpOther.get(k);
    const from = this.wpStart[k]!, to = this.wpStart[k + 1]!;
    if (from === to) return undefined;
    let l = this.wpCache.get(k);
    if (!l) this.wpCache.set(k, (l = Array.from(this.wpData.subarray(from, to))));
    return l;
  }

  /**
   * Packages whose file list contains the path `dep` (undefined when none or not a path). Like
   * libsolv's addfileprovides, only paths that some dependency names are indexed: the first
   * lookup collects those (a few hundred) and scans the file lists once, instead of interning
   * every listed file; any other path is looked up by a scan of its own and remembered.
   */
  private fileProvidersOf(dep: number): number[] | undefined {
    const path = this.strs[dep];
    if (path === undefined || path.charCodeAt(0) !== 47 /* '/' */) return undefined;
    let l = this.fileProviders.get(dep);
    if (!l && !this.fileDepsScanned) {
      this.scanFileDeps();
      l = this.fileProviders.get(dep);
    }
    if (!l) {
      l = [];
      for (const p of this.wpSolvables) if (this.solvables[p]!.files.includes(path)) l.push(p);
      this.fileProviders.set(dep, l);
    }
    return l.length ? l : undefined;
  }

  private scanFileDeps(): void {
    this.fileDepsScanned = true;
    const needed = new Map<string, number[]>();
    const seenRel = new Uint8Array(this.nrels);
    const visit = (d: number): void => {
      if (isRel(d)) {
        const i = d - RELBASE;
        if (seenRel[i]) return;
        seenRel[i] = 1;
        visit(this.relNames[i]!);
        if (this.relFlagsArr[i]! >= 16) visit(this.relEvrs[i]!);
        return;
      }
      const v = this.strs[d];
      if (v !== undefined && v.charCodeAt(0) === 47 && !this.fileProviders.has(d)) {
        const l: number[] = [];
        this.fileProviders.set(d, l);
        needed.set(v, l);
      }
    };
    for (let p = 2; p < this.solvables.length; p++) {
      const s = this.solvables[p]!;
      for (const list of [s.requires, s.conflicts, s.obsoletes, s.recommends, s.suggests, s.supplements, s.enhances]) for (const d of list) visit(d);
    }
    if (!needed.size) return;
    for (const p of this.wpSolvables) {
      for (const f of this.solvables[p]!.files) {
        const l = needed.get(f);
        if (l && l[l.length - 1] !== p) l.push(p);
      }
    }
  }

  /** Providers of a dependency (names, versioned reldeps, and/or/with, namespaces, files). */
  whatProvides(dep: number): number[] {
    if (!isRel(dep)) {
      const l = this.nameProviders(dep);
      const f = this.fileProvidersOf(dep);
      if (!f) return l ?? [];
      if (!l) return f;
      return [...new Set([...l, ...f])].sort((a, b) => a - b);
    }
    const c = this.wpRel.get(dep);
    if (c) return c;
    const r = this.getRel(dep);
    let out: number[];
    if (r.flags < 8 && isRel(r.name)) {
      // e.g. (A . i686) > 1: providers of the inner relation, versioned on its base name
      let base = r.name;
      while (isRel(base)) base = this.getRel(base).name;
      const rr: Reldep = { name: base, evr: r.evr, flags: r.flags };
      out = this.whatProvides(r.name).filter((p) => this.solvableProvidesRel(this.solvables[p]!, rr));
    } else if (r.flags < 8) {
      out = this.whatProvides(r.name).filter((p) => this.solvableProvidesRel(this.solvables[p]!, r));
    } else if (r.flags === REL.AND || r.flags === REL.WITH) {
      const b = new Set(this.whatProvides(r.evr));
      out = this.whatProvides(r.name).filter((p) => b.has(p));
    } else if (r.flags === REL.WITHOUT) {
      const b = new Set(this.whatProvides(r.evr));
      out = this.whatProvides(r.name).filter((p) => !b.has(p));
    } else if (r.flags === REL.OR) {
      out = [...new Set([...this.whatProvides(r.name), ...this.whatProvides(r.evr)])].sort((a, b) => a - b);
    } else if (r.flags === REL.ARCH) {
      out = this.whatProvides(r.name).filter((p) => this.solvables[p]!.arch === r.evr);
    } else if (r.flags === REL.NAMESPACE) {
      out = this.namespaceProviders.get(dep) ?? [];
    } else if (r.flags === REL.COND || r.flags === REL.UNLESS) {
      out = this.whatProvides(r.name);
    } else if (r.flags === REL.MULTIARCH || r.flags === REL.KIND) {
      out = this.whatProvides(r.name);
    } else {
      out = [];
    }
    this.wpRel.set(dep, out);
    return out;
  }

  /** Does the solvable have a provide matching the (versioned) reldep? */
  solvableProvidesRel(s: Solvable, r: Reldep): boolean {
    for (const d of s.provides) {
      if (!isRel(d)) {
        if (d === r.name) return true;
        continue;
      }
      const pr = this.getRel(d);
      if (pr.name !== r.name) continue;
      if (this.intersectEvrs(pr.flags, pr.evr, r.flags, r.evr)) return true;
    }
    return false;
  }

  /** Do the ranges (pflags pevr) and (flags evr) overlap? libsolv's rules. */
  intersectEvrs(pflags: number, pevr: number, flags: number, evr: number): boolean {
    if (!pflags || !flags || pflags >= 8 || flags >= 8) return false;
    if (flags === 7 || pflags === 7) return true;
    if (pflags & flags & (REL.LT | REL.GT)) return true;
    if (pevr === evr) return (flags & pflags & REL.EQ) !== 0;
    switch (this.evrcmp(pevr, evr, EVRCMP.MATCH_RELEASE)) {
      case -2: return (pflags & REL.EQ) !== 0;
      case -1: return (flags & REL.LT) !== 0 || (pflags & REL.GT) !== 0;
      case 0: return (flags & pflags & REL.EQ) !== 0;
      case 1: return (flags & REL.GT) !== 0 || (pflags & REL.LT) !== 0;
      case 2: return (flags & REL.EQ) !== 0;
    }
    return false;
  }

  /** Does solvable `s` match dependency `d` by name/evr (obsoletes matching, pool_match_nevr)? */
  matchNevr(s: Solvable, d: number): boolean {
    if (!isRel(d)) return s.name === d;
    const r = this.getRel(d);
    if (r.flags >= 8) {
      if (r.flags === REL.ARCH) return s.arch === r.evr && this.matchNevr(s, r.name);
      if (r.flags === REL.AND) return this.matchNevr(s, r.name) && this.matchNevr(s, r.evr);
      if (r.flags === REL.OR) return this.matchNevr(s, r.name) || this.matchNevr(s, r.evr);
      return false;
    }
    if (isRel(r.name)) return this.matchNevr(s, r.name) && this.intersectEvrs(REL.EQ, s.evr, r.flags, r.evr);
    if (s.name !== r.name) return false;
    return this.intersectEvrs(REL.EQ, s.evr, r.flags, r.evr);
  }

  evrcmp(a: number, b: number, mode: number): number {
    if (a === b) return 0;
    return evrcmpStr(this.strs[a]!, this.strs[b]!, mode, this.flags.promoteepoch);
  }

  /** Same package (libsolv's solvable_identical): NEVRA, vendor, build time or else the requires. */
  identical(a: number, b: number): boolean {
    const s1 = this.solvables[a]!;
    const s2 = this.solvables[b]!;
    if (s1.name !== s2.name || s1.arch !== s2.arch || s1.evr !== s2.evr) return false;
    if ((s1.vendor || 1) !== (s2.vendor || 1)) return false;
    if (s1.buildtime && s2.buildtime) return s1.buildtime === s2.buildtime;
    let x1 = 0;
    let x2 = 0;
    for (const r of s1.requires) x1 ^= r;
    for (const r of s2.requires) x2 ^= r;
    return x1 === x2;
  }

  /** Does the package's provides match the dependency (pool_match_dep on solvable)? */
  providesDep(p: number, dep: number): boolean {
    return this.whatProvides(dep).includes(p);
  }
}

/** fnmatch-like case-insensitive glob (*, ?, [...]). */
export function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = pattern.indexOf(']', i + 1);
      if (j < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, j);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(re + '$', 'is').test(s);
}

const RELS = [' ! ', ' > ', ' = ', ' >= ', ' < ', ' <> ', ' <= ', ' <=> '];

function relStr(flags: number): string {
  if (flags >= 0 && flags < 8) return RELS[flags]!;
  switch (flags) {
    case REL.AND: return ' and ';
    case REL.OR: return ' or ';
    case REL.WITH: return ' with ';
    case REL.WITHOUT: return ' without ';
    case REL.NAMESPACE: return ' NAMESPACE ';
    case REL.ARCH: return '.';
    case REL.MULTIARCH: return ':';
    case REL.FILECONFLICT: return ' FILECONFLICT ';
    case REL.COND: return ' if ';
    case REL.UNLESS: return ' unless ';
    case REL.COMPAT: return ' compat >= ';
    case REL.KIND: return ' KIND ';
    case REL.ELSE: return ' else ';
    case REL.CONDA: return ' ';
    case REL.ERROR: return ' ERROR ';
    default: return ' ??? ';
  }
}

export function relOpStr(flags: number): string {
  switch (flags) {
    case REL.EQ: return '=';
    case REL.GT: return '>';
    case REL.LT: return '<';
    case REL.GT | REL.EQ: return '>=';
    case REL.LT | REL.EQ: return '<=';
    case REL.GT | REL.LT: return '<>';
    case REL.GT | REL.LT | REL.EQ: return '<=>';
    default: return `<${flags}>`;
  }
}

/** libsolv's evr comparison on strings (epoch promotion, release handling per mode). */
export function evrcmpStr(evr1: string, evr2: string, mode: number, promoteepoch = false): number {
  if (evr1 === evr2) return 0;
  let e1 = 0;
  while (e1 < evr1.length && evr1.charCodeAt(e1) >= 48 && evr1.charCodeAt(e1) <= 57) e1++;
  let e2 = 0;
  while (e2 < evr2.length && evr2.charCodeAt(e2) >= 48 && evr2.charCodeAt(e2) <= 57) e2++;
  let a = evr1;
  let b = evr2;
  if (mode === EVRCMP.MATCH && (a[0] === ':' || b[0] === ':')) {
    if (a[e1] === ':') a = a.slice(e1 + 1);
    if (b[e2] === ':') b = b.slice(e2 + 1);
    e1 = 0;
    e2 = 0;
  }
  const has1 = e1 > 0 && a[e1] === ':';
  const has2 = e2 > 0 && b[e2] === ':';
  if (has1 && has2) {
    const r = rpmvercmp(a.slice(0, e1), b.slice(0, e2));
    if (r) return r;
    a = a.slice(e1 + 1);
    b = b.slice(e2 + 1);
  } else if (has1) {
    if (!promoteepoch && !/^0+$/.test(a.slice(0, e1))) return 1;
    a = a.slice(e1 + 1);
  } else if (has2) {
    if (!/^0+$/.test(b.slice(0, e2))) return -1;
    b = b.slice(e2 + 1);
  }
  const d1 = a.lastIndexOf('-');
  const d2 = b.lastIndexOf('-');
  const v1 = d1 >= 0 ? a.slice(0, d1) : a;
  const v2 = d2 >= 0 ? b.slice(0, d2) : b;
  let r1: string | undefined = d1 >= 0 ? a.slice(d1 + 1) : undefined;
  let r2: string | undefined = d2 >= 0 ? b.slice(d2 + 1) : undefined;
  let r = 0;
  if (mode !== EVRCMP.MATCH || (v1 !== '' && v2 !== '')) r = rpmvercmp(v1, v2);
  if (r) return r;
  if (mode === EVRCMP.COMPARE) {
    if (r1 === undefined && r2 !== undefined) return -1;
    if (r1 !== undefined && r2 === undefined) return 1;
  }
  if (mode === EVRCMP.COMPARE_EVONLY) return 0;
  if (mode === EVRCMP.MATCH_RELEASE) {
    if (r1 === '') r1 = undefined;
    if (r2 === '') r2 = undefined;
  }
  if (r1 !== undefined && r2 !== undefined) {
    if (mode !== EVRCMP.MATCH || (r1 !== '' && r2 !== '')) r = rpmvercmp(r1, r2);
    return r;
  }
  if (mode === EVRCMP.MATCH_RELEASE) {
    if (r1 === undefined && r2 !== undefined) return -2;
    if (r1 !== undefined && r2 === undefined) return 2;
  }
  return 0;
}
