import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDriftlessError } from '../../core/errors.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/cli.js';
import { parseDefinition } from './schema.js';
import { buildRpm } from './package.js';
import { parseDepSpec, packageDependencies, sysusersProvides } from './deps.js';

const head = 'name: x\nversion: 1\nrelease: 1\nsummary: s\nlicense: MIT\n';

function fails(text: string, code: string, msg?: RegExp) {
  assert.throws(() => parseDefinition(text, 'def.yaml'), (e) => {
    assert.ok(isDriftlessError(e, code), String(e));
    if (msg) assert.match((e as Error).message, msg);
    return true;
  });
}

test('octal modes: 0755, 0o755 and "0755" are accepted; a bare 755 is refused', () => {
  for (const m of ['0755', '0o755', '"0755"', '"755"']) {
    const d = parseDefinition(`${head}files:\n  - { path: /a, content: x, mode: ${m} }\n`);
    assert.equal(d.files[0]!.mode, 0o755, m);
  }
  assert.equal(parseDefinition(`${head}files:\n  - { path: /t, type: dir, mode: 01777 }\n`).files[0]!.mode, 0o1777);
  fails(`${head}files:\n  - path: /a\n    mode: 755\n    content: x\n`, 'RPM_BUILD_DEFINITION', /def\.yaml:8:11: mode 755 is ambiguous/);
});

test('numeric-looking versions keep their text (1.10 is not 1.1)', () => {
  const d = parseDefinition('name: x\nversion: 1.10\nrelease: 01\nsummary: s\nlicense: MIT\n');
  assert.equal(d.version, '1.10');
  assert.equal(d.release, '01');
});

test('schema errors name the field with line and column', () => {
  fails(`${head}bogus: 1\n`, 'RPM_BUILD_DEFINITION', /def\.yaml:6:\d+: .*bogus/);
  fails('name: x\nversion: 1-2\nrelease: 1\nsummary: s\nlicense: MIT\n', 'RPM_BUILD_DEFINITION', /def\.yaml:2:10: version: no "-"/);
  fails(`${head}files:\n  - { path: relative, content: x }\n`, 'RPM_BUILD_DEFINITION', /def\.yaml:7:\d+: files\.0\.path/);
  fails(`${head}files:\n  - { path: /a, content: x, symlink: y }\n`, 'RPM_BUILD_DEFINITION', /only one of/);
  fails(`${head}files:\n  - { path: /a, content: x, caps: "cap_net_raw" }\n`, 'RPM_BUILD_DEFINITION', /caps/);
  fails('name: x\nversion: 1\n  release: 1\n', 'RPM_BUILD_DEFINITION', /def\.yaml:\d+:\d+: /);
  fails('name: [\n', 'RPM_BUILD_DEFINITION', /def\.yaml:\d+:\d+: /);
  fails('name: a\nname: b\n', 'RPM_BUILD_DEFINITION', /def\.yaml:2:\d+: /);
});

test('dependency specs parse into rpm header triples', () => {
  assert.deepEqual(parseDepSpec('requires', 'foo'), { name: 'foo', flags: 0, version: '', rich: false });
  assert.deepEqual(parseDepSpec('requires', 'foo >= 1:2.0-1'), { name: 'foo', flags: 12, version: '1:2.0-1', rich: false });
  assert.deepEqual(parseDepSpec('requires', 'libfoo.so.1()(64bit)'), { name: 'libfoo.so.1()(64bit)', flags: 0, version: '', rich: false });
  assert.deepEqual(parseDepSpec('requires', { dep: '/bin/sh', pre: true }), { name: '/bin/sh', flags: 1 << 9, version: '', rich: false });
  assert.deepEqual(parseDepSpec('requires', '(a or b >= 2)'), { name: '(a or b >= 2)', flags: 0, version: '', rich: true });
  for (const bad of ['foo>=1', 'foo >= ', 'foo >= 1 2', '(a or', 'a b']) {
    assert.throws(() => parseDepSpec('requires', bad), (e) => isDriftlessError(e, 'RPM_BUILD_DEPENDENCY'), bad);
  }
  assert.throws(() => parseDepSpec('provides', '(a or b)'), (e) => isDriftlessError(e, 'RPM_BUILD_DEPENDENCY'));
  assert.throws(() => parseDepSpec('conflicts', { dep: 'x', pre: true }), (e) => isDriftlessError(e, 'RPM_BUILD_DEPENDENCY'));
  assert.deepEqual(sysusersProvides('# c\nu sshd 74 "SSH"\ng wheel 10\nm sshd wheel\n'), ['user(sshd)', 'group(sshd)', 'group(wheel)']);
  assert.throws(() => sysusersProvides('x foo'), (e) => isDriftlessError(e, 'RPM_BUILD_DEFINITION'));
});

test('automatic provides and rpmlib requires follow the features used', () => {
  const plain = packageDependencies(parseDefinition(`${head}arch: noarch\nfiles:\n  - { path: /a, content: x }\n`), []);
  assert.deepEqual(plain.provides.map((d) => d.name), ['x']);
  assert.deepEqual(plain.requires.map((d) => d.name), ['rpmlib(CompressedFileNames)', 'rpmlib(PayloadFilesHavePrefix)', 'rpmlib(PayloadIsZstd)']);
  const k = packageDependencies(parseDefinition(`${head}arch: x86_64\ninstallonly: kernel\n`), []);
  assert.deepEqual(k.provides.map((d) => d.name), ['installonlypkg(kernel)', 'x', 'x(x86-64)']);
});

test('file problems are RPM_BUILD_FILE errors', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'f'), 'f');
  const cases = [
    `${head}files:\n  - { path: /a/../etc/passwd, content: x }\n`,
    `${head}files:\n  - { path: /b, hardlink: /missing }\n`,
    `${head}files:\n  - { path: /b, from: ./nope }\n`,
    `${head}files:\n  - { path: /a, content: x }\n  - { path: /a, content: y }\n`,
    `${head}files:\n  - { path: /l, symlink: x, caps: cap_net_raw=ep }\n`,
    `${head}files:\n  - { path: /only-attrs, mode: 0644 }\n`,
    `${head}files:\n  - { path: /a, content: x }\n  - { path: /a/b, content: y }\n`,
    `${head}files:\n  - { path: /a, content: x }\n  - { path: /a, from: ./f }\n`,
    `${head}files:\n  - { path: /l, symlink: /usr }\n  - { path: /l/b, content: y }\n`,
  ];
  for (const text of cases) {
    await assert.rejects(buildRpm({ def: parseDefinition(text), baseDir: dir }, { epoch: 1704067200 }), (e) => isDriftlessError(e, 'RPM_BUILD_FILE'), text);
  }
});

test('mutated definitions (fixed seed) either build or fail with a coded error, never crash', async (t) => {
  const { DEFINITION, writeFixture } = await import('./test-fixture.js');
  const dir = tempDir(t);
  writeFixture(dir);
  let seed = 0x5eed;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const pieces = ['', ' ', ':', '- ', '"', '{', '}', '[', ']', '0755', '\n', '/..', '(', ' or ', '>=', '\t', '#', '~', 'caps: x', 'ghost: true'];
  let built = 0;
  let coded = 0;
  for (let i = 0; i < 150; i++) {
    const at = rnd(DEFINITION.length);
    const cut = rnd(8);
    const text = DEFINITION.slice(0, at) + pieces[rnd(pieces.length)]! + DEFINITION.slice(at + cut);
    try {
      const def = parseDefinition(text, 'fuzz.yaml');
      await buildRpm({ def, baseDir: dir }, { epoch: 1704067200, compressionLevel: 1 });
      built++;
    } catch (e) {
      assert.ok(isDriftlessError(e) && /^(RPM_BUILD_|CPIO_)/.test(e.code), `mutation ${i} crashed: ${String(e)}\n${text}`);
      coded++;
    }
  }
  assert.equal(built + coded, 150);
  assert.ok(built > 10 && coded > 10, `built ${built}, refused ${coded}`);
});
