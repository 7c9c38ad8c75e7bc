/** modules.yaml parsing checked against `dnf module list` (libdnf's libmodulemd) on the cs9-appstream fixture. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixtures, requireTool, run, tempDir } from '../../test/helpers/cli.js';
import { loadRepo } from './load.js';
import { parseModulesText } from './modules.js';

/** Parse dnf's fixed-width table (columns located from the header line). */
function dnfModuleTable(out: string): { name: string; stream: string; profiles: string[] }[] {
  const lines = out.split('\n');
  const h = lines.findIndex((l) => /^Name\s+Stream\s+Profiles\s+Summary/.test(l));
  assert.ok(h >= 0, out);
  const head = lines[h]!;
  const [cs, cp, cu] = ['Stream', 'Profiles', 'Summary'].map((c) => head.indexOf(c));
  const rows = [];
  for (const l of lines.slice(h + 1)) {
    if (l.trim() === '' || l.startsWith('Hint:')) break;
    rows.push({
      name: l.slice(0, cs).trim(),
      stream: l.slice(cs, cp).trim(),
      profiles: l.slice(cp, cu).trim().split(', ').filter(Boolean),
    });
  }
  return rows;
}

test('modules.yaml streams, profiles and defaults agree with dnf module list', async (t) => {
  if (!requireTool(t, 'dnf')) return;
  const repo = join(fixtures, 'repos/cs9-appstream');
  const root = tempDir(t);
  const r = run('dnf', ['-q', `--installroot=${root}`, '--releasever=9', '--setopt=reposdir=/dev/null', '--setopt=module_platform_id=platform:el9',
    `--setopt=cachedir=${join(root, 'cache')}`, `--repofrompath=a,${repo}`, '--repo', 'a', '--nogpgcheck', 'module', 'list']);
  assert.equal(r.status, 0, r.stderr);
  const want = dnfModuleTable(r.stdout);
  assert.ok(want.length >= 10);
  const m = (await loadRepo(repo, { gpgcheck: false, cacheDir: null, parts: ['modules'] })).modules!;
  // dnf shows one row per name:stream, with the newest version's profiles; [d] marks the defaults' profiles
  const newest = new Map<string, (typeof m.streams)[number]>();
  for (const s of m.streams) {
    const k = `${s.name}:${s.stream}`;
    const cur = newest.get(k);
    if (!cur || BigInt(s.version) > BigInt(cur.version)) newest.set(k, s);
  }
  const got = [...newest.values()].map((s) => {
    const defaults = m.defaults.find((d) => d.module === s.name)?.profiles[s.stream] ?? [];
    return { name: s.name, stream: s.stream, profiles: Object.keys(s.profiles).sort().map((p) => (defaults.includes(p) ? `${p} [d]` : p)) };
  });
  const key = (x: { name: string; stream: string }) => `${x.name}:${x.stream}`;
  assert.deepEqual(
    got.sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    want.map((w) => ({ ...w, profiles: [...w.profiles].sort() })).sort((a, b) => (key(a) < key(b) ? -1 : 1)),
  );
});

test('modules.yaml: failsafe scalars, bad YAML is a coded error', () => {
  const m = parseModulesText('---\ndocument: modulemd\nversion: 2\ndata:\n  name: x\n  stream: 1.10\n  version: 9000000000000000001\n  context: c\n  arch: x86_64\n  artifacts:\n    rpms: [x-0:1-1.x86_64]\n...\n', 'm.yaml');
  assert.equal(m.streams[0]!.stream, '1.10');
  assert.equal(m.streams[0]!.version, '9000000000000000001');
  assert.deepEqual(m.streams[0]!.artifacts, ['x-0:1-1.x86_64']);
  assert.throws(() => parseModulesText('---\ndocument: [unclosed\n', 'bad.yaml'), { code: 'REPO_BAD_METADATA' });
});
