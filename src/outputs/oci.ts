/**
 * `oci` output: an OCI image layout in `oci/` (oci-layout, index.json, blobs/sha256/…) with one
 * layer (the rootfs tar of src/outputs/tar.ts, gzip or zstd), a config and a manifest. index.json
 * names the image `latest` (org.opencontainers.image.ref.name). `writeOciLayout` with several
 * images writes a multi-arch layout: index.json → one image index (per-arch manifests with
 * `platform`) named `latest`.
 *
 *   await writeOciLayout(join(out, 'oci'), [{ rootfs, image }], { epoch, compression: 'gzip' })
 *
 * Reproducible: gzip through node:zlib has a fixed header (mtime 0); zstd bytes depend only on
 * input and level; JSON is written with a fixed key order; every `created` is the epoch.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zc } from 'node:zlib';
import { publishDirAtomic } from '../core/atomic.js';
import { zstdCompress } from '../core/compression.js';
import { DriftlessError } from '../core/errors.js';
import { isoFromEpoch } from '../core/time.js';
import type { Rootfs } from '../compose/rootfs.js';
import { rootfsTarStream } from './tar.js';
import { registerEmitter, describeFile, type EmitContext, type EmittedFile, type ImageInfo } from './emitter.js';

export const MT = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export type LayerCompression = 'gzip' | 'zstd';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** rpm arch → OCI platform. */
export function ociPlatform(rpmArch: string): Platform {
  const m: Record<string, Platform> = {
    x86_64: { architecture: 'amd64', os: 'linux' },
    aarch64: { architecture: 'arm64', os: 'linux', variant: 'v8' },
    i686: { architecture: '386', os: 'linux' },
    armv7hl: { architecture: 'arm', os: 'linux', variant: 'v7' },
    ppc64le: { architecture: 'ppc64le', os: 'linux' },
    s390x: { architecture: 's390x', os: 'linux' },
    riscv64: { architecture: 'riscv64', os: 'linux' },
  };
  const p = m[rpmArch];
  if (!p) throw new DriftlessError('OUTPUT_OCI_ARCH', `no OCI platform for arch ${rpmArch}`, { hint: `known: ${Object.keys(m).join(', ')}` });
  return p;
}

/** Writes content-addressed blobs into `<layout>/blobs/sha256/`. */
class BlobWriter {
  constructor(readonly layout: string) {}
  private dir() {
    return join(this.layout, 'blobs', 'sha256');
  }
  async json(mediaType: string, value: unknown, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
    return this.bytes(mediaType, Buffer.from(JSON.stringify(value)), extra);
  }
  async bytes(mediaType: string, data: Uint8Array, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
    const hex = createHash('sha256').update(data).digest('hex');
    await fsp.mkdir(this.dir(), { recursive: true });
    await fsp.writeFile(join(this.dir(), hex), data, { mode: 0o644 });
    return { mediaType, digest: `sha256:${hex}`, size: data.length, ...extra };
  }
  /** Stream a layer: returns its descriptor and the diff_id (digest of the uncompressed tar). */
  async layer(tar: AsyncIterable<Uint8Array>, compression: LayerCompression): Promise<{ desc: Descriptor; diffId: string }> {
    const diff = createHash('sha256');
    async function* tap(src: AsyncIterable<Uint8Array>) {
      for await (const c of src) {
        diff.update(c);
        yield c;
      }
    }
    if (compression === 'zstd') {
      const parts: Uint8Array[] = [];
      for await (const c of tap(tar)) parts.push(c);
      const desc = await this.bytes(MT.layerZstd, await zstdCompress(Buffer.concat(parts), 19));
      return { desc, diffId: `sha256:${diff.digest('hex')}` };
    }
    await fsp.mkdir(this.dir(), { recursive: true });
    const tmp = join(this.dir(), `.layer-${process.pid}`);
    const comp = createHash('sha256');
    let size = 0;
    await pipeline(
      Readable.from(tap(tar)),
      createGzip({ level: 9, strategy: zc.Z_DEFAULT_STRATEGY }),
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          comp.update(c);
          size += c.length;
          yield c;
        }
      },
      createWriteStream(tmp, { mode: 0o644 }),
    );
    const hex = comp.digest('hex');
    await fsp.rename(tmp, join(this.dir(), hex));
    return { desc: { mediaType: MT.layerGzip, digest: `sha256:${hex}`, size }, diffId: `sha256:${diff.digest('hex')}` };
  }
}

export interface OciImageInput {
  rootfs: Rootfs;
  image: ImageInfo;
}

export interface OciLayoutOptions {
  epoch: number;
  compression?: LayerCompression;
  /** Tag written as org.opencontainers.image.ref.name (default 'latest'). */
  tag?: string;
}

function imageAnnotations(image: ImageInfo, epoch: number): Record<string, string> {
  const a: Record<string, string> = { 'org.opencontainers.image.created': isoFromEpoch(epoch), 'org.opencontainers.image.title': image.name };
  const version = image.version ?? image.osRelease?.VERSION_ID;
  if (version) a['org.opencontainers.image.version'] = version;
  if (image.revision) a['org.opencontainers.image.revision'] = image.revision;
  for (const k of Object.keys(image.annotations ?? {}).sort()) a[k] = image.annotations![k]!;
  return a;
}

/** Write one image (layer, config, manifest) into the layout's blobs; returns the manifest descriptor. */
async function writeImage(blobs: BlobWriter, input: OciImageInput, opts: OciLayoutOptions): Promise<Descriptor> {
  const { image } = input;
  const platform = ociPlatform(image.arch);
  const created = isoFromEpoch(opts.epoch);
  const { desc: layer, diffId } = await blobs.layer(rootfsTarStream(input.rootfs, opts.epoch), opts.compression ?? 'gzip');
  const c = image.config ?? {};
  const cfg: Record<string, unknown> = {};
  if (c.user) cfg.User = c.user;
  if (c.env?.length) cfg.Env = c.env;
  if (c.entrypoint?.length) cfg.Entrypoint = c.entrypoint;
  if (c.cmd?.length) cfg.Cmd = c.cmd;
  if (c.workingDir) cfg.WorkingDir = c.workingDir;
  if (c.labels && Object.keys(c.labels).length) cfg.Labels = Object.fromEntries(Object.keys(c.labels).sort().map((k) => [k, c.labels![k]!]));
  const config = {
    created,
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: cfg,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: `driftless compose ${image.name}`, comment: 'rootfs composed from signed RPMs' }],
  };
  const configDesc = await blobs.json(MT.config, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.manifest,
    config: configDesc,
    layers: [layer],
    annotations: imageAnnotations(image, opts.epoch),
  };
  return blobs.json(MT.manifest, manifest, { platform });
}

/** Fill `dir` (which must be empty) with an OCI image layout of one or several (per-arch) images. */
export async function fillOciLayout(dir: string, images: OciImageInput[], opts: OciLayoutOptions): Promise<void> {
  if (images.length === 0) throw new DriftlessError('OUTPUT_OCI_EMPTY', 'an OCI layout needs at least one image');
  const arches = images.map((i) => i.image.arch);
  if (new Set(arches).size !== arches.length) throw new DriftlessError('OUTPUT_OCI_ARCH', `duplicate arch in multi-arch image: ${arches.join(', ')}`);
  const blobs = new BlobWriter(dir);
  const tag = opts.tag ?? 'latest';
  const manifests: Descriptor[] = [];
  for (const img of [...images].sort((a, b) => (a.image.arch < b.image.arch ? -1 : 1))) manifests.push(await writeImage(blobs, img, opts));
  let top: Descriptor;
  if (manifests.length === 1) {
    top = { ...manifests[0]!, annotations: { 'org.opencontainers.image.ref.name': tag } };
  } else {
    const inner = { schemaVersion: 2, mediaType: MT.index, manifests, annotations: imageAnnotations(images[0]!.image, opts.epoch) };
    top = { ...(await blobs.json(MT.index, inner)), annotations: { 'org.opencontainers.image.ref.name': tag } };
  }
  await fsp.writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }), { mode: 0o644 });
  await fsp.writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MT.index, manifests: [top] }), { mode: 0o644 });
}

/** Write (atomically replace) an OCI layout directory. */
export async function writeOciLayout(target: string, images: OciImageInput[], opts: OciLayoutOptions): Promise<void> {
  await publishDirAtomic(target, async (tmp) => {
    await fsp.chmod(tmp, 0o755); // mkdtemp makes it 0700
    await fillOciLayout(tmp, images, opts);
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out.sort();
}

/** Files of an emitted directory as EmittedFile entries relative to outDir. */
export async function describeTree(outDir: string, sub: string): Promise<EmittedFile[]> {
  const files = await listFiles(join(outDir, sub));
  const out: EmittedFile[] = [];
  for (const f of files) out.push(await describeFile(outDir, relative(outDir, f).split(sep).join('/')));
  return out;
}

export const ociEmitter = {
  name: 'oci',
  async emit(rootfs: Rootfs, ctx: EmitContext): Promise<EmittedFile[]> {
    const compression = (ctx.options?.compression as LayerCompression | undefined) ?? 'gzip';
    if (compression !== 'gzip' && compression !== 'zstd') {
      throw new DriftlessError('OUTPUT_OCI_COMPRESSION', `unsupported layer compression ${String(compression)}`, { hint: 'gzip or zstd' });
    }
    await writeOciLayout(join(ctx.outDir, 'oci'), [{ rootfs, image: ctx.image }], { epoch: ctx.epoch, compression });
    return describeTree(ctx.outDir, 'oci');
  },
};
registerEmitter(ociEmitter);
