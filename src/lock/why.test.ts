import { test } from 'node:test';
import assert from 'node:assert/strict';
import { whyChains, formatChain } from './why.js';
import { parseLockfile, serializeLockfile, requestDigest, assertLockMatches, diffLockfiles, formatLockDiff, type Lockfile, type LockedPackage } from './lockfile.js';
import { isDriftlessError } from '../core/errors.js';

function pkg(name: string, reason: LockedPackage['reason'], requires: Array<[string, string]>, requestedAs?: string[]): LockedPackage {
  return {
    nevra: `${name}-1.0-1.x86_64`,
    name,
    epoch: 0,
    version: '1.0',
    release: '1',
    arch: 'x86_64',
    repo: 'sample',
    location: `Packages/${name}-1.0-1.x86_64.rpm`,
    size: 100,
    sha256: 'a'.repeat(64),
    signingKey: '0123456789abcdef',
    reason,
    ...(requestedAs ? { requestedAs } : {}),
    requires: requires.map(([dep, to]) => ({ dep, to: `${to}-1.0-1.x86_64` })),
  };
}

const request = { install: ['coreutils', 'openssl'], exclude: [], groups: [], weakDeps: false, arch: ['x86_64'] };
const repos = [{ name: 'sample', location: '/repo' }];
const lock: Lockfile = {
  lockfileVersion: 1,
  requestDigest: requestDigest(request, repos),
  request,
  sourceDateEpoch: 1704067200,
  repositories: [{ name: 'sample', location: '/repo', repomdSha256: 'b'.repeat(64) }],
  arches: {
    x86_64: {
      packages: [
        pkg('coreutils', 'requested', [['/bin/sh', 'bash'], ['libc.so.6()(64bit)', 'glibc']], ['coreutils']),
        pkg('openssl', 'requested', [['libcrypto.so.3()(64bit)', 'openssl-libs']], ['openssl']),
        pkg('openssl-libs', 'dependency', [['/bin/sh', 'bash'], ['libc.so.6()(64bit)', 'glibc']]),
        pkg('bash', 'dependency', [['libc.so.6()(64bit)', 'glibc']]),
        pkg('glibc', 'dependency', []),
      ],
    },
  },
};

test('why finds every shortest chain from the request, target last', () => {
  const chains = whyChains(lock, 'bash');
  assert.deepEqual(chains.map(formatChain), [
    'bash-1.0-1.x86_64 ← requires /bin/sh ← coreutils-1.0-1.x86_64 (requested: coreutils)',
  ]);
  const glibc = whyChains(lock, 'glibc').map(formatChain);
  assert.deepEqual(glibc, ['glibc-1.0-1.x86_64 ← requires libc.so.6()(64bit) ← coreutils-1.0-1.x86_64 (requested: coreutils)']);
  assert.deepEqual(whyChains(lock, 'coreutils').map(formatChain), ['coreutils-1.0-1.x86_64 (requested: coreutils)']);
});

test('why on a package that is not in the image is a coded error', () => {
  assert.throws(() => whyChains(lock, 'python3'), (e) => isDriftlessError(e, 'WHY_NOT_INSTALLED'));
});

test('lockfiles round-trip canonically and refuse a different request', () => {
  const text = serializeLockfile(lock);
  assert.equal(serializeLockfile(parseLockfile(text)), text);
  assert.match(text, /^\{\n  "arches"/);
  assertLockMatches(lock, requestDigest({ ...request, install: ['openssl', 'coreutils'] }, repos));
  assert.throws(() => assertLockMatches(lock, requestDigest({ ...request, install: ['coreutils'] }, repos)), (e) => isDriftlessError(e, 'LOCK_MISMATCH'));
  assert.throws(() => parseLockfile('{"lockfileVersion": 2}'), (e) => isDriftlessError(e, 'LOCK_INVALID'));
});

test('lock diffs list added, removed and changed packages', () => {
  const after = structuredClone(lock);
  const pkgs = after.arches.x86_64!.packages;
  pkgs.splice(pkgs.findIndex((p) => p.name === 'glibc'), 1);
  const b = pkgs.find((p) => p.name === 'bash')!;
  b.nevra = 'bash-1.1-1.x86_64';
  pkgs.push(pkg('zlib', 'dependency', []));
  assert.equal(formatLockDiff(diffLockfiles(lock, after)), '+ zlib-1.0-1.x86_64\n- glibc-1.0-1.x86_64\n~ bash-1.0-1.x86_64 -> bash-1.1-1.x86_64');
});
