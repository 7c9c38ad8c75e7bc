import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PackageMeta } from '../rpm/metadata.js';
import { ColumnsCorrupt, decodeColumns, encodeColumns, packageColumns, plainPackage, SEC_HOT } from './columns.js';
import { Pool } from '../solver/pool.js';
import { strHash } from '../core/strhash.js';
import { addPackageMetas } from '../solver/meta.js';

const pad8 = (n: number) => (n + 7) & ~7;

/** Lay sections out as metacache.ts does (each part 8-byte aligned) and decode them again. */
function roundTrip(pk: PackageMeta[], mutate?: (bytes: Uint8Array, sections: Map<number, [number, number]>) => void): PackageMeta[] {
  const secs = encodeColumns(pk);
  let total = 0;
  for (const parts of secs.values()) for (const p of parts) total += pad8(p.length);
  const ab = new ArrayBuffer(total);
  const bytes = new Uint8Array(ab);
  const at = new Map<number, [number, number]>();
  let off = 0;
  for (const [id, parts] of secs) {
    const start = off;
    for (const p of parts) {
      bytes.set(p, off);
      off += pad8(p.length);
    }
    at.set(id, [start, off - start]);
  }
  mutate?.(bytes, at);
  return decodeColumns(ab, (id) => at.get(id)!);
}

function pkg(name: string, extra: Partial<PackageMeta> = {}): PackageMeta {
  return {
    name, epoch: 0, version: '1.0', release: '1', arch: 'x86_64', summary: `the ${name} package`,
    provides: [{ name, op: '=', evr: '1.0-1' }], requires: [], conflicts: [], obsoletes: [], recommends: [], suggests: [], supplements: [], enhances: [],
    files: [], ...extra,
  } as PackageMeta;
}

const SAMPLE: PackageMeta[] = [
  pkg('café', { summary: 'non-ASCII: café, 日本語, emoji 🚀', requires: [{ name: 'libü.so.1()(64bit)' }, { name: 'rpmlib(CompressedFileNames)', op: '<=', evr: '3.0.4-1' }], files: [{ path: '/usr/share/café/ß.txt' }, { path: '/etc/x', type: 'dir' }] }),
  pkg('plain', { requires: [{ name: '(café if plain)' }, { name: '/usr/share/café/ß.txt' }, { name: 'café', op: '>=', evr: '1.0', pre: true }], obsoletes: [{ name: 'old', op: '<', evr: '2:1' }] }),
  pkg('empty-strings', { summary: '', url: '', version: '', provides: [] }),
];

test('string tables round-trip UTF-8, empty strings and lazily decoded entries', () => {
  const back = roundTrip(SAMPLE);
  assert.deepEqual(back.map(plainPackage).map((p) => JSON.parse(JSON.stringify(p))), SAMPLE.map((p) => JSON.parse(JSON.stringify(p))));
  // an all-ASCII table takes the latin1 path and still round-trips
  const ascii = [pkg('a'), pkg('b', { requires: [{ name: 'a', op: '=', evr: '1.0-1' }] })];
  assert.deepEqual(roundTrip(ascii).map((p) => JSON.parse(JSON.stringify(p))), ascii.map((p) => JSON.parse(JSON.stringify(p))));
});

test('corrupt string offsets are refused at load, not at first use', () => {
  assert.throws(
    () => roundTrip(SAMPLE, (bytes, at) => {
      const [hot] = at.get(SEC_HOT)!;
      // start[2] (offsets follow the 16-byte table header) no longer ends a string on its NUL
      const dv = new DataView(bytes.buffer);
      dv.setUint32(hot + 16 + 8, dv.getUint32(hot + 16 + 8, true) + 1, true);
    }),
    ColumnsCorrupt,
  );
});

test('the solver pool gets the same dependencies from cache columns as from plain packages', () => {
  const cached = roundTrip(SAMPLE);
  assert.ok(packageColumns(cached[0]!), 'decoded packages expose their columns');
  const plain = cached.map((p) => JSON.parse(JSON.stringify(p)) as PackageMeta);
  assert.equal(packageColumns(plain[0]!), undefined);
  const view = (metas: PackageMeta[]) => {
    const pool = new Pool();
    const ids = addPackageMetas(pool, pool.addRepo('r'), metas);
    return ids.map((id) => {
      const s = pool.solvables[id]!;
      const kinds = { provides: s.provides, requires: s.requires, conflicts: s.conflicts, obsoletes: s.obsoletes, recommends: s.recommends };
      const deps = Object.fromEntries(Object.entries(kinds).map(([k, l]) => [k, l.map((d) => pool.dep2str(d))])) as Record<keyof typeof kinds, string[]>;
      return { ...deps, files: s.files };
    });
  };
  assert.deepEqual(view(cached), view(plain));
  // rpmlib() requirements are dropped and rich dependencies become boolean relations on both paths
  const v = view(cached);
  assert.deepEqual(v[0]!.requires, ['libü.so.1()(64bit)']);
  assert.match(v[1]!.requires[0]!, /if/);
});

test('cached HOT strings carry strHash values that match the pool hash of the decoded string', () => {
  const cached = roundTrip(SAMPLE);
  const [cols] = packageColumns(cached[0]!)!;
  assert.ok(cols.strings.hashes, 'the HOT table stores hashes');
  for (let i = 1; i < cols.strings.count; i++) assert.equal(cols.strings.hashes![i], strHash(cols.strings.get(i)!));
});
