import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runCli, tempDir, requireTool, run } from '../../../test/helpers/cli.js';
import { writeFixture } from '../../rpm/build/test-fixture.js';

const mainTs = join(repoRoot, 'src/cli/main.ts');
const tsx = import.meta.resolve('tsx');

/** Run the CLI from any working directory with a given TZ and umask (runCli resolves tsx from the repo root). */
function cliIn(cwd: string, tz: string, umask: string, args: string[]) {
  const cmd = `umask ${umask} && exec "${process.execPath}" --import "${tsx}" "${mainTs}" ${args.map((a) => `'${a}'`).join(' ')}`;
  const r = spawnSync('sh', ['-c', cmd], { cwd, encoding: 'utf8', env: { ...process.env, TZ: tz, SOURCE_DATE_EPOCH: '' } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test('rpm build is bit-reproducible across working directory, TZ and umask (signed and unsigned)', (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  const defA = writeFixture(a);
  const defB = writeFixture(b);
  for (const sign of [[], ['--sign', join(repoRoot, 'examples/keys/demo-ed25519.secret.asc')]]) {
    const r1 = cliIn(a, 'UTC', '022', ['rpm', 'build', defA, '-o', join(a, 'out'), '--source-date-epoch', '1704067200', ...sign]);
    assert.equal(r1.status, 0, r1.stderr);
    const r2 = cliIn(b, 'Pacific/Chatham', '077', ['rpm', 'build', 'tpkg.yaml', '-o', 'out', '--source-date-epoch', '1704067200', ...sign]);
    assert.equal(r2.status, 0, r2.stderr);
    const name = 'tpkg-1.2~rc1-4.dl4.x86_64.rpm';
    assert.equal(sha(join(a, 'out', name)), sha(join(b, 'out', name)), `same bytes (${sign.length ? 'signed' : 'unsigned'})`);
  }
});

test('rpm build --json reports the package; SOURCE_DATE_EPOCH sets the build time', (t) => {
  const d = tempDir(t);
  const def = writeFixture(d);
  const r = runCli(['--json', 'rpm', 'build', def, '-o', join(d, 'o')], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { name: string; evr: string; path: string; sha256: string; signedBy: null };
  assert.equal(j.name, 'tpkg');
  assert.equal(j.evr, '3:1.2~rc1-4.dl4');
  assert.equal(j.signedBy, null);
  assert.deepEqual(readdirSync(join(d, 'o')), ['tpkg-1.2~rc1-4.dl4.x86_64.rpm']);
  assert.equal(sha(j.path), j.sha256);
  if (requireTool(t, 'rpm')) assert.equal(run('rpm', ['-qp', '--qf', '%{BUILDTIME}', j.path]).stdout, '1700000000');
});

test('bad definitions fail with a coded error at line:column and write nothing (more cases in schema.test.ts)', (t) => {
  const d = tempDir(t);
  const cases: Array<[string, RegExp]> = [
    ['name: x\nversion: 1\nrelease: 1\nsummary: s\nlicense: MIT\nfiles:\n  - path: /a\n    mode: 755\n    content: x\n', /RPM_BUILD_DEFINITION: .*bad\.yaml:8:11: mode 755 is ambiguous/],
    ['name: x\nversion: 1\nrelease: 1\nsummary: s\nlicense: MIT\nbogus: 1\n', /RPM_BUILD_DEFINITION: .*:6:\d+: .*bogus/],
  ];
  for (const [text, re] of cases) {
    writeFileSync(join(d, 'bad.yaml'), text);
    const r = runCli(['rpm', 'build', join(d, 'bad.yaml'), '-o', join(d, 'out')]);
    assert.equal(r.status, 1, `${text}\n${r.stderr}`);
    assert.match(r.stderr, re);
  }
  mkdirSync(join(d, 'out'), { recursive: true });
  assert.deepEqual(readdirSync(join(d, 'out')), []);
  const k = runCli(['rpm', 'build', join(d, 'bad.yaml'), '-o', join(d, 'out'), '--sign', join(d, 'missing.asc')]);
  assert.equal(k.status, 1);
});
