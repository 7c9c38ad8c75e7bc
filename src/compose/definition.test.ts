import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDefinition, definitionJsonSchema } from './definition.js';
import { isDriftlessError, type DriftlessError } from '../core/errors.js';

const minimal = `name: base
repositories:
  - name: sample
    path: ../repo
packages:
  install: [bash]
`;

test('a minimal definition gets hardened, scriptlet-free defaults', () => {
  const d = parseDefinition(minimal);
  assert.deepEqual(d.arch, ['x86_64']);
  assert.equal(d.weakDeps, false);
  assert.equal(d.hardening.profile, 'baseline');
  assert.equal(d.repositories[0]!.gpgcheck, true);
  assert.equal(d.repositories[0]!.repoGpgcheck, true);
  assert.deepEqual(d.services, { enable: [], disable: [] });
});

function expectError(text: string, code: string, re: RegExp) {
  assert.throws(() => parseDefinition(text, 'img.yaml'), (e) => {
    assert.ok(isDriftlessError(e, code), String(e));
    assert.match((e as DriftlessError).message, re);
    return true;
  });
}

test('unknown keys are errors with line and column', () => {
  expectError(minimal + 'paackages: {}\n', 'DEF_INVALID', /^img\.yaml:7:1: .*"paackages"/);
  expectError(minimal.replace('    path: ../repo', '    path: ../repo\n    gpgkeys: [a]'), 'DEF_INVALID', /^img\.yaml:5:5: repositories\.0: .*"gpgkeys"/);
});

test('wrong types point at the offending value', () => {
  expectError(minimal + 'weakDeps: "yes"\n', 'DEF_INVALID', /^img\.yaml:7:11: weakDeps: /);
  expectError(minimal.replace('install: [bash]', 'install: bash'), 'DEF_INVALID', /^img\.yaml:6:12: packages\.install/);
});

test('YAML syntax errors and duplicate keys are reported with a position', () => {
  expectError('name: [unclosed\n', 'DEF_YAML', /^img\.yaml:\d+:\d+: /);
  expectError('name: a\nname: b\n', 'DEF_YAML', /^img\.yaml:2:1: /);
});

test('the published JSON Schema is generated from the same schema', () => {
  const published = JSON.parse(readFileSync(new URL('../../docs/image-definition.schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(published, JSON.parse(JSON.stringify(definitionJsonSchema())), 'run `npm run schema` to regenerate docs/image-definition.schema.json');
});
