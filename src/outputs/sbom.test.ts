import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { buildSpdx, buildCycloneDx, rpmPurl, spdxLicense } from './sbom.js';
import type { LockedPackage } from '../lock/lockfile.js';
import { fixtures } from '../../test/helpers/cli.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const require = createRequire(import.meta.url);
const cdxSchemas = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');

function pkg(name: string, requires: string[], extra: Partial<LockedPackage> = {}): LockedPackage {
  return {
    nevra: `${name}-1.0-1.x86_64`, name, epoch: 0, version: '1.0', release: '1', arch: 'x86_64', repo: 'sample',
    location: `Packages/${name}.rpm`, size: 10, sha256: createSha(name), signingKey: 'abcdef0123456789', license: 'MIT',
    reason: 'dependency', requires: requires.map((r) => ({ dep: r, to: `${r}-1.0-1.x86_64` })), ...extra,
  };
}
function createSha(s: string) {
  return Buffer.from(s.padEnd(32, '.')).toString('hex').slice(0, 64);
}

const input = {
  image: { name: 'base', version: '1.0', arch: 'x86_64', digest: 'sha256:' + 'c'.repeat(64) },
  epoch: 1704067200,
  distro: { id: 'driftless', versionId: '1' },
  packages: [
    pkg('bash', ['glibc'], { license: 'GPL-3.0-or-later' }),
    pkg('glibc', [], { license: 'LGPL-2.1-or-later AND GPL-2.0-or-later', epoch: 2, nevra: 'glibc-2:1.0-1.x86_64' }),
    pkg('coreutils', ['bash', 'glibc'], { reason: 'requested', license: 'GPLv3+ with exceptions (odd)' }),
  ],
};
input.packages[0]!.requires = [{ dep: 'libc.so.6()(64bit)', to: 'glibc-2:1.0-1.x86_64' }];
input.packages[2]!.requires = [{ dep: '/bin/sh', to: 'bash-1.0-1.x86_64' }, { dep: 'libc.so.6()(64bit)', to: 'glibc-2:1.0-1.x86_64' }];

test('SPDX 2.3 output validates against the official schema and carries purls, hashes and edges', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const schema = JSON.parse(readFileSync(join(fixtures, 'schemas/spdx-2.3.schema.json'), 'utf8'));
  const validate = ajv.compile(schema);
  const doc = JSON.parse(buildSpdx(input)) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(validate(doc), true, JSON.stringify(validate.errors, null, 2));
  assert.equal(doc.packages.length, 4);
  const glibc = doc.packages.find((p: { name: string }) => p.name === 'glibc');
  assert.equal(glibc.versionInfo, '2:1.0-1');
  assert.equal(glibc.externalRefs[0].referenceLocator, 'pkg:rpm/driftless/glibc@1.0-1?arch=x86_64&distro=driftless-1&epoch=2');
  assert.equal(glibc.licenseDeclared, 'LGPL-2.1-or-later AND GPL-2.0-or-later');
  const deps = doc.relationships.filter((r: { relationshipType: string }) => r.relationshipType === 'DEPENDS_ON');
  assert.equal(deps.length, 3);
  assert.equal(doc.creationInfo.created, '2024-01-01T00:00:00Z');
});

test('CycloneDX 1.6 output validates against the official schema', async () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json', 'cryptography-defs.SNAPSHOT.schema.json']) {
    const s = JSON.parse(readFileSync(join(cdxSchemas, f), 'utf8'));
    // the bundled files reference each other by their SNAPSHOT file names
    ajv.addSchema({ ...s, $id: `http://cyclonedx.org/schema/${f}` });
  }
  const validate = ajv.compile(JSON.parse(readFileSync(join(cdxSchemas, 'bom-1.6.SNAPSHOT.schema.json'), 'utf8')));
  const doc = JSON.parse(await buildCycloneDx(input)) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(validate(doc), true, JSON.stringify(validate.errors, null, 2));
  assert.equal(doc.specVersion, '1.6');
  assert.equal(doc.components.length, 3);
  assert.equal(doc.metadata.timestamp, '2024-01-01T00:00:00.000Z');
  const cu = doc.dependencies.find((d: { ref: string }) => d.ref.includes('/coreutils@'));
  assert.equal(cu.dependsOn.length, 2);
  assert.match(doc.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('SBOMs are reproducible and independent of input order', async () => {
  const reversed = { ...input, packages: [...input.packages].reverse() };
  assert.equal(buildSpdx(input), buildSpdx(reversed));
  assert.equal(await buildCycloneDx(input), await buildCycloneDx(reversed));
});

test('licenses that are not SPDX expressions become NOASSERTION; purls encode qualifiers', () => {
  assert.equal(spdxLicense('GPLv3+ with exceptions (odd)'), 'NOASSERTION');
  assert.equal(spdxLicense('MIT OR Apache-2.0'), 'MIT OR Apache-2.0');
  assert.equal(rpmPurl({ name: 'libstdc++', epoch: 0, version: '1.0', release: '1.el9', arch: 'x86_64' }, { id: 'centos' }), 'pkg:rpm/centos/libstdc%2B%2B@1.0-1.el9?arch=x86_64');
});
