import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixtures, runCli } from '../../../test/helpers/cli.js';

const baseos = join(fixtures, 'repos/cs9-baseos');
const appstream = join(fixtures, 'repos/cs9-appstream');

test('driftless resolve prints the sorted install set with epochs', () => {
  const r = runCli(['resolve', '--repo', baseos, '--nogpgcheck', '--cache-dir', '', '--arch', 'x86_64', '--format', 'nevra', 'bash']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.includes('bash-0:5.1.8-2.el9.x86_64'), r.stdout);
  assert.deepEqual(lines, [...lines].sort());
  assert.match(r.stderr, /REPO_GPGCHECK_DISABLED/);
});

test('driftless resolve exits 1 and names the missing dependency when unsolvable', () => {
  const r = runCli(['resolve', '--repo', baseos, '--repo', appstream, '--nogpgcheck', '--cache-dir', '', '--arch', 'x86_64', 'gcc']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /nothing provides libgcc >= 11\.5\.0-2\.el9 needed by gcc-11\.5\.0-2\.el9\.x86_64/);
});

test('driftless resolve refuses unsigned metadata unless --nogpgcheck', () => {
  const r = runCli(['resolve', '--repo', baseos, '--cache-dir', '', '--arch', 'x86_64', 'bash']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /REPO_SIGNATURE_MISSING/);
});
