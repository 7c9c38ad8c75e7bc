import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../test/helpers/cli.js';

test('driftless vercmp prints -1/0/1', () => {
  assert.equal(runCli(['vercmp', '1.0~rc1', '1.0']).stdout, '-1\n');
  assert.equal(runCli(['vercmp', '1.0', '1.0']).stdout, '0\n');
  assert.equal(runCli(['vercmp', '1.10', '1.9']).stdout, '1\n');
});

test('driftless vercmp --stdin compares one pair per line', () => {
  const r = runCli(['vercmp', '--stdin'], { input: '1.0 2.0\n2.0 1.0\n1.0^ 1.0\n' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '-1\n1\n1\n');
});

test('driftless vercmp without arguments is a usage error with a code', () => {
  const r = runCli(['vercmp', 'only-one']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /CLI_USAGE/);
});
