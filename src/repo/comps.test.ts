/** comps.xml parsing checked against libcomps (dnf's comps library, via /usr/bin/python3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { decompress } from '../core/compression.js';
import { fixtures, tempDir } from '../../test/helpers/cli.js';
import { parseComps } from './comps.js';
import { SYSTEM_PYTHON } from './libsolv-oracle.js';

const ORACLE = String.raw`
import json, sys, libcomps
c = libcomps.Comps(); c.fromxml_f(sys.argv[1])
T = {libcomps.PACKAGE_TYPE_MANDATORY: 'mandatory', libcomps.PACKAGE_TYPE_DEFAULT: 'default', libcomps.PACKAGE_TYPE_OPTIONAL: 'optional', libcomps.PACKAGE_TYPE_CONDITIONAL: 'conditional'}
out = {
  'groups': [{'id': g.id, 'name': g.name, 'description': g.desc, 'default': bool(g.default), 'uservisible': bool(g.uservisible), 'displayOrder': g.display_order,
              'nameByLang': dict(g.name_by_lang.items()), 'packages': [[p.name, T.get(p.type, '?'), p.requires or None] for p in g.packages]} for g in c.groups],
  'environments': [{'id': e.id, 'name': e.name, 'displayOrder': e.display_order, 'groups': [x.name for x in e.group_ids], 'options': [[x.name, bool(x.default)] for x in e.option_ids]} for e in c.environments],
  'categories': [{'id': k.id, 'name': k.name, 'displayOrder': k.display_order, 'groups': [x.name for x in k.group_ids]} for k in c.categories],
  'langpacks': sorted([k, v] for k, v in c.langpacks.items()),
}
json.dump(out, sys.stdout)
`;

function hasLibcomps(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import libcomps']).status === 0;
}

for (const [repo, suffix] of [['cs9-baseos', '.xml.gz'], ['cs9-appstream', '.xml']] as const) {
  test(`comps of ${repo} reads like libcomps`, async (t) => {
    if (!hasLibcomps()) {
      if (process.env.DRIFTLESS_ALLOW_MISSING_TOOLS === '1') return t.skip('libcomps (python3-libcomps) missing');
      throw new Error('python3-libcomps missing (installed with dnf)');
    }
    const dir = join(fixtures, 'repos', repo, 'repodata');
    const file = join(dir, readdirSync(dir).find((n) => n.includes('comps') && n.endsWith(suffix))!);
    const plain = join(tempDir(t), 'comps.xml');
    writeFileSync(plain, suffix === '.xml.gz' ? gunzipSync(readFileSync(file)) : readFileSync(file));
    const r = spawnSync(SYSTEM_PYTHON, ['-c', ORACLE, plain], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as {
      groups: { id: string; name: string; description: string | null; default: boolean; uservisible: boolean; displayOrder: number | null; nameByLang: Record<string, string>; packages: [string, string, string | null][] }[];
      environments: { id: string; name: string; displayOrder: number | null; groups: string[]; options: [string, boolean][] }[];
      categories: { id: string; name: string; displayOrder: number | null; groups: string[] }[];
      langpacks: [string, string][];
    };
    const got = await parseComps(decompress('auto', createReadStream(file)), file);
    assert.ok(want.groups.length > 0);
    assert.deepEqual(
      got.groups.map((g) => ({ id: g.id, name: g.name, description: g.description || null, default: g.default, uservisible: g.uservisible, displayOrder: g.displayOrder ?? null, nameByLang: g.nameByLang ?? {}, packages: g.packages.map((p) => [p.name, p.type, p.requires ?? null]) })),
      want.groups.map((g) => ({ ...g, description: g.description === '' ? null : g.description })),
    );
    assert.deepEqual(got.environments.map((e) => ({ id: e.id, name: e.name, displayOrder: e.displayOrder ?? null, groups: e.groups, options: e.options.map((o) => [o.id, o.default]) })), want.environments);
    assert.deepEqual(got.categories.map((c) => ({ id: c.id, name: c.name, displayOrder: c.displayOrder ?? null, groups: c.groups })), want.categories);
    assert.deepEqual(got.langpacks.map((l) => [l.name, l.install]).sort(), want.langpacks);
  });
}
