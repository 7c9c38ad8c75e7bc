/**
 * Output emitters: each turns a composed Rootfs into files under an output directory
 * (rootfs.tar, oci/, rootfs.squashfs, rootfs.erofs + verity...). Adding an output = one new file
 * that calls `registerEmitter` + one import line in `./index.ts`.
 *
 *   import { getEmitter } from './outputs/index.js'
 *   const files = await getEmitter('tar').emit(rootfs, { outDir, epoch, report, image: { name: 'base', arch: 'x86_64' } })
 *
 * Emitters are reproducible: the same rootfs and context give byte-identical files whatever the
 * cwd, TZ, umask or temp dir. They write atomically (src/core/atomic.ts) and never print.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { DriftlessError } from '../core/errors.js';
import { hashIterable } from '../core/hash.js';
import type { Report } from '../core/report.js';
import type { Rootfs } from '../compose/rootfs.js';

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** "KEY=value" strings, as in the OCI config. */
  env?: string[];
  labels?: Record<string, string>;
  workingDir?: string;
  user?: string;
}

export interface ImageInfo {
  name: string;
  /** rpm arch: x86_64, aarch64, noarch... */
  arch: string;
  /** Parsed /etc/os-release (VERSION_ID, ...), used for annotations. */
  osRelease?: Record<string, string>;
  config?: ImageConfig;
  /** Extra OCI manifest annotations. */
  annotations?: Record<string, string>;
  /** Version for org.opencontainers.image.version. */
  version?: string;
  /** Source revision for org.opencontainers.image.revision. */
  revision?: string;
}

export interface EmitContext {
  outDir: string;
  /** SOURCE_DATE_EPOCH: the only timestamp that lands in outputs. */
  epoch: number;
  report: Report;
  image: ImageInfo;
  /** Emitter-specific options (e.g. { compression: 'zstd' } for oci). */
  options?: Record<string, unknown>;
}

export interface EmittedFile {
  /** Relative to outDir, '/'-separated. */
  path: string;
  sha256: string;
  size: number;
}

export interface OutputEmitter {
  name: string;
  /** Other emitters whose files this one reads (e.g. verity needs erofs). */
  after?: string[];
  emit(rootfs: Rootfs, ctx: EmitContext): Promise<EmittedFile[]>;
}

const registry = new Map<string, OutputEmitter>();

export function registerEmitter(e: OutputEmitter): void {
  if (registry.has(e.name)) throw new DriftlessError('OUTPUT_DUPLICATE_EMITTER', `emitter ${e.name} is registered twice`);
  registry.set(e.name, e);
}

export function getEmitter(name: string): OutputEmitter {
  const e = registry.get(name);
  if (!e) {
    throw new DriftlessError('OUTPUT_UNKNOWN', `unknown output "${name}"`, { hint: `known outputs: ${emitterNames().join(', ')}` });
  }
  return e;
}

export function emitterNames(): string[] {
  return [...registry.keys()].sort();
}

/** Order output names so that every emitter runs after the ones it reads (`after`). */
export function orderOutputs(names: string[]): string[] {
  const want = new Set(names);
  for (const n of names) for (const a of getEmitter(n).after ?? []) want.add(a);
  const out: string[] = [];
  const visit = (n: string, stack: string[]) => {
    if (out.includes(n)) return;
    if (stack.includes(n)) throw new DriftlessError('OUTPUT_CYCLE', `output dependency cycle: ${[...stack, n].join(' -> ')}`);
    for (const a of getEmitter(n).after ?? []) visit(a, [...stack, n]);
    out.push(n);
  };
  for (const n of [...want].sort()) visit(n, []);
  return out;
}

/** Describe a written file (hash + size) for the EmittedFile list. */
export async function describeFile(outDir: string, rel: string): Promise<EmittedFile> {
  const { hex, size } = await hashIterable('sha256', createReadStream(join(outDir, rel)) as AsyncIterable<Uint8Array>);
  return { path: rel, sha256: hex, size };
}
