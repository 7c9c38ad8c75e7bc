/**
 * `driftless emit ROOTFS.tar -o OUTDIR [--outputs tar,oci,squashfs,erofs,verity]`: turn a rootfs
 * tar (e.g. one composed earlier, or any tar of a root filesystem) into image outputs with the
 * registered emitters. Prints the files written with their SHA-256.
 */
import type { Command } from 'commander';
import { createReadStream, promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { cliContext, output } from '../context.js';
import { DriftlessError } from '../../core/errors.js';
import { ContentStore } from '../../core/cas.js';
import { sourceDateEpoch } from '../../core/time.js';
import { rootfsFromTar } from '../../archive/tar-rootfs.js';
import { getEmitter, orderOutputs, emitterNames, type EmittedFile, type ImageConfig } from '../../outputs/index.js';

interface EmitOpts {
  output?: string;
  outputs: string;
  name: string;
  arch: string;
  sourceDateEpoch?: string;
  compression?: string;
  entrypoint?: string;
  cmd?: string;
  env: string[];
  label: string[];
  workdir?: string;
  user?: string;
  imageVersion?: string;
}

function jsonArray(v: string | undefined, what: string): string[] | undefined {
  if (v === undefined) return undefined;
  try {
    const a = JSON.parse(v) as unknown;
    if (Array.isArray(a) && a.every((x) => typeof x === 'string')) return a;
  } catch {
    // fall through
  }
  throw new DriftlessError('CLI_USAGE', `${what} must be a JSON array of strings, e.g. '["/bin/sh","-c"]'`);
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerEmit(program: Command): void {
  program
    .command('emit')
    .description('write image outputs (tar, oci, squashfs, erofs, verity) from a rootfs tar')
    .argument('<rootfs-tar>', 'tar archive of the root filesystem')
    .requiredOption('-o, --output <dir>', 'output directory')
    .option('--outputs <list>', 'comma-separated outputs', 'tar,oci,erofs,verity')
    .option('--name <name>', 'image name', 'image')
    .option('--arch <arch>', 'rpm arch of the image', 'x86_64')
    .option('--source-date-epoch <n>', 'timestamp for every output (default $SOURCE_DATE_EPOCH)')
    .option('--compression <c>', 'OCI layer compression (gzip|zstd) or squashfs compressor')
    .option('--entrypoint <json>', 'OCI entrypoint as a JSON array')
    .option('--cmd <json>', 'OCI cmd as a JSON array')
    .option('--env <K=V>', 'OCI environment variable (repeatable)', collect, [])
    .option('--label <K=V>', 'OCI label (repeatable)', collect, [])
    .option('--workdir <dir>', 'OCI working directory')
    .option('--user <user>', 'OCI user')
    .option('--image-version <v>', 'org.opencontainers.image.version')
    .action(async (input: string, opts: EmitOpts, cmd: Command) => {
      const ctx = cliContext(cmd);
      const names = opts.outputs.split(',').map((s) => s.trim()).filter(Boolean);
      for (const n of names) getEmitter(n); // unknown names fail before any work
      const epoch = sourceDateEpoch(opts.sourceDateEpoch);
      const outDir = resolve(opts.output!);
      const config: ImageConfig = {
        entrypoint: jsonArray(opts.entrypoint, '--entrypoint'),
        cmd: jsonArray(opts.cmd, '--cmd'),
        env: opts.env.length ? opts.env : undefined,
        labels: opts.label.length ? Object.fromEntries(opts.label.map((l) => [l.split('=')[0]!, l.slice(l.indexOf('=') + 1)])) : undefined,
        workingDir: opts.workdir,
        user: opts.user,
      };
      const scratch = await fsp.mkdtemp(join(tmpdir(), 'driftless-emit-'));
      try {
        try {
          await fsp.access(input);
        } catch {
          throw new DriftlessError('CLI_USAGE', `cannot read ${input}`);
        }
        const rootfs = await rootfsFromTar(createReadStream(input) as AsyncIterable<Uint8Array>, { store: new ContentStore(scratch), tar: { label: input } });
        await fsp.mkdir(outDir, { recursive: true });
        const files: EmittedFile[] = [];
        for (const n of orderOutputs(names)) {
          const options = opts.compression ? { compression: opts.compression } : undefined;
          files.push(...(await getEmitter(n).emit(rootfs, { outDir, epoch, report: ctx.report, image: { name: opts.name, arch: opts.arch, config, version: opts.imageVersion }, options })));
        }
        output(ctx, { outDir, files }, () => files.map((f) => `${f.sha256}  ${f.size}  ${f.path}`).join('\n'));
      } finally {
        await fsp.rm(scratch, { recursive: true, force: true });
      }
    })
    .addHelpText('after', () => `\nknown outputs: ${emitterNames().join(', ')}`);
}
