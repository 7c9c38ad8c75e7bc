/**
 * Software bills of materials for a composed image: SPDX 2.3 JSON and CycloneDX 1.6 JSON.
 * Both list every locked RPM with its purl (`pkg:rpm/<distro>/<name>@<version>-<release>?arch=…`),
 * declared license, SHA-256 of the .rpm, signing key id and the dependency edges the solver
 * chose, plus the image itself with its digest. Output is reproducible: the only timestamp is
 * the build epoch, identifiers are derived from content, and lists are sorted.
 *
 *   const { spdx, cyclonedx } = buildSboms({ image, epoch, distro, packages: lock.arches.x86_64.packages })
 */
import { createHash } from 'node:crypto';
import type * as CDXTypes from '@cyclonedx/cyclonedx-library';
import { isoFromEpoch } from '../core/time.js';
import type { LockedPackage } from '../lock/lockfile.js';

export const TOOL_NAME = 'driftless';
export const TOOL_VERSION = '0.1.0';

export interface SbomInput {
  image: {
    name: string;
    version: string;
    arch: string;
    /** Digest of the image, e.g. `sha256:<hex>` of the OCI manifest or of rootfs.tar. */
    digest: string;
  };
  epoch: number;
  /** purl namespace and `distro` qualifier, e.g. { id: 'azurelinux', versionId: '4.0' }. */
  distro: { id: string; versionId?: string };
  packages: LockedPackage[];
}

/** Package URL of an RPM (purl spec, type rpm). */
export function rpmPurl(p: Pick<LockedPackage, 'name' | 'epoch' | 'version' | 'release' | 'arch'>, distro: SbomInput['distro']): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%2B/gi, '%2B');
  const q = [`arch=${enc(p.arch)}`];
  if (distro.versionId) q.push(`distro=${enc(`${distro.id}-${distro.versionId}`)}`);
  if (p.epoch) q.push(`epoch=${p.epoch}`);
  q.sort();
  return `pkg:rpm/${enc(distro.id.toLowerCase())}/${enc(p.name)}@${enc(`${p.version}-${p.release}`)}?${q.join('&')}`;
}

const SIMPLE_LICENSE = /^[A-Za-z0-9.+\-]+(?:\s+(?:AND|OR|WITH)\s+[A-Za-z0-9.+\-]+)*$/;

/** A declared license usable as an SPDX expression, or NOASSERTION (RPM license strings vary). */
export function spdxLicense(license: string | undefined): string {
  if (!license) return 'NOASSERTION';
  const l = license.trim().replace(/^\((.*)\)$/, '$1');
  return SIMPLE_LICENSE.test(l) ? l : 'NOASSERTION';
}

function spdxId(p: LockedPackage): string {
  const h = createHash('sha256').update(p.nevra).digest('hex').slice(0, 8);
  return `SPDXRef-Package-rpm-${p.name.replace(/[^A-Za-z0-9.-]/g, '-')}-${p.arch}-${h}`;
}

function sortedPackages(pkgs: LockedPackage[]): LockedPackage[] {
  return [...pkgs].sort((a, b) => (a.nevra < b.nevra ? -1 : a.nevra > b.nevra ? 1 : 0));
}

/** SPDX 2.3 JSON document (string, two-space indented, trailing newline). */
export function buildSpdx(input: SbomInput): string {
  const pkgs = sortedPackages(input.packages);
  const ids = new Map(pkgs.map((p) => [p.nevra, spdxId(p)]));
  const imageHex = input.image.digest.replace(/^sha256:/, '');
  const imageId = 'SPDXRef-Image';
  const relationships: Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }> = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
  ];
  for (const p of pkgs) relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: ids.get(p.nevra)! });
  for (const p of pkgs) {
    const targets = [...new Set(p.requires.map((e) => e.to))].filter((t) => t !== p.nevra && ids.has(t)).sort();
    for (const t of targets) relationships.push({ spdxElementId: ids.get(p.nevra)!, relationshipType: 'DEPENDS_ON', relatedSpdxElement: ids.get(t)! });
  }
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${input.image.name}-${input.image.version}-${input.image.arch}`,
    documentNamespace: `https://driftless.invalid/spdx/${encodeURIComponent(input.image.name)}/${input.image.version}/${input.image.arch}/${imageHex}`,
    creationInfo: { created: isoFromEpoch(input.epoch), creators: [`Tool: ${TOOL_NAME}-${TOOL_VERSION}`] },
    documentDescribes: [imageId],
    packages: [
      {
        SPDXID: imageId,
        name: input.image.name,
        versionInfo: input.image.version,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'OPERATING_SYSTEM',
        checksums: [{ algorithm: 'SHA256', checksumValue: imageHex }],
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: 'NOASSERTION',
        copyrightText: 'NOASSERTION',
      },
      ...pkgs.map((p) => ({
        SPDXID: ids.get(p.nevra)!,
        name: p.name,
        versionInfo: `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`,
        supplier: `Organization: ${input.distro.id}`,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'LIBRARY',
        checksums: [{ algorithm: 'SHA256', checksumValue: p.sha256 }],
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: spdxLicense(p.license),
        copyrightText: 'NOASSERTION',
        ...(p.sourcerpm ? { sourceInfo: `built from ${p.sourcerpm}` } : {}),
        comment: p.signingKey ? `signed by OpenPGP key ${p.signingKey}; repository ${p.repo}` : `UNSIGNED (allowed explicitly); repository ${p.repo}`,
        externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: rpmPurl(p, input.distro) }],
      })),
    ],
    relationships,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Deterministic RFC 4122 v5-style UUID from the content (for the CycloneDX serialNumber). */
function contentUuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** CycloneDX 1.6 JSON document (string, two-space indented, trailing newline). */
/** The CycloneDX library loads only when a CycloneDX SBOM is built (~65 ms of start-up otherwise). */
export async function buildCycloneDx(input: SbomInput): Promise<string> {
  const CDX = await import('@cyclonedx/cyclonedx-library');
  const pkgs = sortedPackages(input.packages);
  const bom = new CDX.Models.Bom();
  bom.serialNumber = `urn:uuid:${contentUuid(`${input.image.name}|${input.image.version}|${input.image.arch}|${input.image.digest}`)}`;
  bom.metadata.timestamp = new Date(input.epoch * 1000);
  const tool = new CDX.Models.Component(CDX.Enums.ComponentType.Application, TOOL_NAME, { version: TOOL_VERSION });
  bom.metadata.tools.components.add(tool);
  const image = new CDX.Models.Component(CDX.Enums.ComponentType.OperatingSystem, input.image.name, {
    version: input.image.version,
    bomRef: `image:${input.image.name}`,
  });
  image.hashes.set(CDX.Enums.HashAlgorithm['SHA-256'], input.image.digest.replace(/^sha256:/, ''));
  image.properties.add(new CDX.Models.Property('driftless:arch', input.image.arch));
  bom.metadata.component = image;
  const comps = new Map<string, CDXTypes.Models.Component>();
  for (const p of pkgs) {
    const c = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, {
      version: `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`,
      bomRef: rpmPurl(p, input.distro),
    });
    c.purl = rpmPurl(p, input.distro) as unknown as CDXTypes.Models.Component['purl'];
    c.hashes.set(CDX.Enums.HashAlgorithm['SHA-256'], p.sha256);
    const lic = spdxLicense(p.license);
    if (lic !== 'NOASSERTION') c.licenses.add(new CDX.Models.LicenseExpression(lic));
    else if (p.license) c.licenses.add(new CDX.Models.NamedLicense(p.license));
    c.properties.add(new CDX.Models.Property('driftless:signing-key', p.signingKey ?? 'unsigned'));
    c.properties.add(new CDX.Models.Property('driftless:repository', p.repo));
    c.properties.add(new CDX.Models.Property('driftless:reason', p.reason));
    if (p.sourcerpm) c.properties.add(new CDX.Models.Property('driftless:sourcerpm', p.sourcerpm));
    comps.set(p.nevra, c);
    bom.components.add(c);
    image.dependencies.add(c.bomRef);
  }
  for (const p of pkgs) {
    const c = comps.get(p.nevra)!;
    for (const e of p.requires) {
      const t = comps.get(e.to);
      if (t && t !== c) c.dependencies.add(t.bomRef);
    }
  }
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 }) + '\n';
}

export async function buildSboms(input: SbomInput): Promise<{ spdx: string; cyclonedx: string }> {
  return { spdx: buildSpdx(input), cyclonedx: await buildCycloneDx(input) };
}
