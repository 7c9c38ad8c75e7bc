/**
 * Image definitions: the YAML a user writes to describe an image once (like apko, Image
 * Customizer or mkosi). Validated strictly — unknown keys and wrong types are errors that point
 * at the line and column in the file, with a hint. The JSON Schema published in
 * docs/image-definition.schema.json is generated from the same zod schema.
 *
 *   const def = await loadDefinition('examples/base.yaml')
 *   def.packages.install // ['bash', 'coreutils']
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseDocument, LineCounter, isMap, isSeq, isScalar, type Node } from 'yaml';
import { DriftlessError } from '../core/errors.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits and . _ + - only');
const octalMode = z.union([z.string().regex(/^0?[0-7]{3,4}$/, 'an octal mode like "0644"'), z.number().int().min(0).max(0o7777)]);

export const repositorySchema = z
  .strictObject({
    name: name.describe('repository id, used in the lockfile'),
    path: z.string().optional().describe('local directory holding repodata/ (relative to the definition)'),
    url: z.string().optional().describe('http(s):// or file:// base URL'),
    repoFile: z.string().optional().describe('a dnf .repo file; every enabled section becomes a repository'),
    gpgkey: z.array(z.string()).default([]).describe('armored public keys trusted for this repository'),
    gpgcheck: z.boolean().default(true).describe('require package signatures (default on)'),
    repoGpgcheck: z.boolean().default(true).describe('require a signed repomd.xml (default on)'),
    priority: z.number().int().min(1).max(99).default(99),
  })
  .refine((r) => [r.path, r.url, r.repoFile].filter(Boolean).length === 1, { message: 'exactly one of path, url or repoFile' });

export const userSchema = z.strictObject({
  name,
  uid: z.number().int().min(0).optional(),
  gid: z.number().int().min(0).optional(),
  groups: z.array(name).default([]),
  home: z.string().optional(),
  shell: z.string().optional(),
  system: z.boolean().default(false),
  description: z.string().optional(),
});

export const fileSchema = z
  .strictObject({
    path: z.string().startsWith('/', 'an absolute path in the image'),
    content: z.string().optional().describe('inline text content'),
    source: z.string().optional().describe('a file to copy, relative to the definition'),
    mode: octalMode.default('0644'),
    owner: z.string().default('root'),
    group: z.string().default('root'),
  })
  .refine((f) => (f.content === undefined) !== (f.source === undefined), { message: 'exactly one of content or source' });

export const OUTPUT_NAMES = ['oci', 'tar', 'erofs', 'verity', 'squashfs', 'sbom'] as const;

export const definitionSchema = z.strictObject({
  name: name.describe('image name (OCI ref name, report and SBOM subject)'),
  version: z.string().default('0').describe('image version'),
  description: z.string().optional(),
  arch: z
    .union([z.string(), z.array(z.string()).min(1)])
    .default('x86_64')
    .transform((a) => (Array.isArray(a) ? [...a] : [a]))
    .describe('one or several architectures: lock once, compose per arch'),
  repositories: z.array(repositorySchema).min(1),
  packages: z.strictObject({
    install: z.array(z.string().min(1)).default([]).describe('package names or capabilities'),
    exclude: z.array(z.string().min(1)).default([]).describe('never install these (names or globs)'),
    groups: z.array(z.string().min(1)).default([]).describe('comps groups to install'),
  }),
  weakDeps: z.boolean().default(false).describe('install Recommends/Supplements (off for minimal images)'),
  users: z.array(userSchema).default([]),
  groups: z.array(z.strictObject({ name, gid: z.number().int().min(0).optional(), system: z.boolean().default(false) })).default([]),
  files: z.array(fileSchema).default([]),
  services: z
    .strictObject({ enable: z.array(z.string()).default([]), disable: z.array(z.string()).default([]) })
    .default({ enable: [], disable: [] })
    .describe('systemd presets: everything is disabled unless enabled here'),
  sysctl: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  kernelCommandLine: z.array(z.string()).default([]),
  hardening: z
    .strictObject({
      profile: z.enum(['baseline', 'none']).default('baseline'),
      allowSetuid: z.array(z.string()).default([]).describe('setuid/setgid files kept; all others are stripped'),
      rootPassword: z.enum(['locked']).default('locked'),
      umask: z.string().regex(/^0[0-7]{3}$/).default('0027'),
    })
    .default({ profile: 'baseline', allowSetuid: [], rootPassword: 'locked', umask: '0027' }),
  osRelease: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
  oci: z
    .strictObject({
      entrypoint: z.array(z.string()).optional(),
      cmd: z.array(z.string()).optional(),
      env: z.record(z.string(), z.string()).default({}),
      labels: z.record(z.string(), z.string()).default({}),
      workingDir: z.string().optional(),
      user: z.string().optional(),
      layerCompression: z.enum(['gzip', 'zstd']).default('gzip'),
    })
    .default({ env: {}, labels: {}, layerCompression: 'gzip' }),
  outputs: z.array(z.enum(OUTPUT_NAMES)).default([...OUTPUT_NAMES]),
});

export type ImageDefinition = z.output<typeof definitionSchema>;

export interface LoadedDefinition {
  definition: ImageDefinition;
  /** Absolute path of the YAML file; relative paths inside resolve against its directory. */
  path: string;
  baseDir: string;
  /** The file's text, for hashing into the lockfile. */
  text: string;
}

/** Parse and validate a definition from YAML text. Errors carry `path:line:col`. */
export function parseDefinition(text: string, path = '<definition>'): ImageDefinition {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new DriftlessError('DEF_YAML', `${path}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`, {
      path,
      details: { line: pos.line, col: pos.col },
      hint: 'fix the YAML syntax at that position',
    });
  }
  const result = definitionSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const unknownKeys = issue.code === 'unrecognized_keys' ? ((issue as { keys?: string[] }).keys ?? []) : [];
  // point at the first unknown key itself rather than at the object holding it
  const target = [...(issue.path as Array<string | number>), ...unknownKeys.slice(0, 1)];
  const where = locate(doc.contents, target, lineCounter, unknownKeys.length > 0);
  const keyPath = issue.path.length ? issue.path.join('.') : '(top level)';
  throw new DriftlessError('DEF_INVALID', `${path}:${where.line}:${where.col}: ${keyPath}: ${issue.message}`, {
    path,
    details: { line: where.line, col: where.col, key: keyPath, issues: result.error.issues.length },
    hint: issue.code === 'unrecognized_keys' ? 'remove or rename the key; see docs/image-definition.schema.json' : 'see docs/image-definition.schema.json',
  });
}

/** Read a definition file. */
export async function loadDefinition(file: string): Promise<LoadedDefinition> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DriftlessError('DEF_NOT_FOUND', `cannot read image definition ${file}`, { cause: e, path });
  }
  return { definition: parseDefinition(text, file), path, baseDir: dirname(path), text };
}

/** Line/column of the deepest YAML node along `keys` (1-based). */
function locate(root: unknown, keys: Array<string | number>, lc: LineCounter, atKey = false): { line: number; col: number } {
  let node = root as Node | null | undefined;
  let best = node;
  for (const [i, k] of keys.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === k);
      if (!pair) break;
      best = pair.key as Node;
      if (atKey && i === keys.length - 1) break;
      node = pair.value as Node;
      if (node?.range) best = node;
    } else if (isSeq(node) && typeof k === 'number') {
      node = node.items[k] as Node;
      if (!node) break;
      best = node;
    } else break;
  }
  const offset = best?.range?.[0] ?? 0;
  return lc.linePos(offset);
}

/** The JSON Schema of image definitions (written to docs/ by `npm run schema`). */
export function definitionJsonSchema(): unknown {
  return z.toJSONSchema(definitionSchema, { io: 'input', unrepresentable: 'any' });
}
