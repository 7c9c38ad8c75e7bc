/**
 * The package definition (nfpm-like YAML) for `driftless rpm build`, validated with zod.
 * YAML errors and schema violations are reported with line and column (RPM_BUILD_DEFINITION).
 *
 *   name: hello
 *   version: "1.0"
 *   release: "1"
 *   arch: x86_64
 *   summary: Says hello
 *   license: MIT
 *   files:
 *     - { path: /usr/bin/hello, content: "#!/bin/sh\necho hello\n", mode: 0755 }
 *     - { path: /usr/share/hello, from: ./tree }          # a directory tree
 *     - { path: /etc/hello.conf, content: "x=1\n", config: noreplace }
 *     - { path: /usr/bin/hi, symlink: hello }
 *     - { path: /usr/lib/hello, type: dir }
 *   requires: ["/bin/sh", "libfoo.so.1()(64bit)", "(bash or zsh)", { dep: "setup", pre: true }]
 *   sysusers: 'u hello - "Hello daemon" /var/lib/hello'
 *
 * Modes are octal: write `0755`, `0o755` or `"0755"`; a bare `755` is rejected as ambiguous.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, visit, isScalar, type Document } from 'yaml';
import { z } from 'zod';
import { DriftlessError } from '../../core/errors.js';

const NAME_RE = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;
/** rpm forbids '-' in version and release, and whitespace anywhere in an EVR. */
const VERSION_RE = /^[A-Za-z0-9._+~^]+$/;

const octalMode = z.union([
  z.number().int().min(0).max(0o7777),
  z.string().regex(/^0?o?[0-7]{1,4}$/, 'an octal mode such as "0755"').transform((s) => parseInt(s.replace(/^0?o?/, ''), 8)),
]);

const dependency = z.union([
  z.string().min(1),
  z.strictObject({
    dep: z.string().min(1),
    /** Requires(pre): needed before installation (rpm's RPMSENSE_SCRIPT_PRE). */
    pre: z.boolean().optional(),
    /** Requires(post). */
    post: z.boolean().optional(),
  }),
]);
export type DependencySpec = z.infer<typeof dependency>;

const fileEntry = z
  .strictObject({
    /** Absolute path in the installed system. */
    path: z.string().regex(/^\/[^\0]*$/, 'an absolute path'),
    /** Text content. */
    content: z.string().optional(),
    /** Base64 content (binary files). */
    base64: z.string().optional(),
    /** A file or a directory tree, relative to the definition file. Trees are added under `path`. */
    from: z.string().optional(),
    /** Symlink target (stored as written). */
    symlink: z.string().min(1).optional(),
    /** Absolute path of another file in this package to hardlink to. */
    hardlink: z.string().regex(/^\//, 'an absolute path').optional(),
    /** `dir` declares an owned (empty) directory; `file` is the default for content/from. */
    type: z.enum(['file', 'dir']).optional(),
    mode: octalMode.optional(),
    owner: z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/i).optional(),
    group: z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/i).optional(),
    /** Seconds since the epoch; defaults to the build's SOURCE_DATE_EPOCH (and is clamped to it). */
    mtime: z.number().int().min(0).optional(),
    /** File capabilities in cap_to_text form, e.g. `cap_net_raw=ep`. */
    caps: z.string().regex(/^[a-z0-9_,]+[=+-][eip]+(\s+[a-z0-9_,]+[=+-][eip]+)*$/, 'cap_to_text form such as cap_net_raw=ep').optional(),
    /** `true` (%config) or `noreplace` (%config(noreplace)). */
    config: z.union([z.boolean(), z.literal('noreplace')]).optional(),
    ghost: z.boolean().optional(),
    doc: z.boolean().optional(),
    license: z.boolean().optional(),
    missingok: z.boolean().optional(),
  })
  .refine((f) => [f.content, f.base64, f.from, f.symlink, f.hardlink].filter((x) => x !== undefined).length <= 1, {
    message: 'use only one of content, base64, from, symlink, hardlink',
  })
  .refine((f) => f.type !== 'dir' || [f.content, f.base64, f.symlink, f.hardlink].every((x) => x === undefined), {
    message: 'a dir entry has no content',
  });
export type FileSpec = z.infer<typeof fileEntry>;

const deps = z.array(dependency).default([]);

export const packageDefinitionSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'letters, digits and ._+-'),
  epoch: z.number().int().min(0).max(0xffffffff).optional(),
  version: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(VERSION_RE, 'no "-" or spaces in a version')),
  release: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(VERSION_RE, 'no "-" or spaces in a release')),
  arch: z.string().regex(/^[a-z0-9_]+$/).default('noarch'),
  summary: z.string().min(1),
  description: z.string().optional(),
  license: z.string().min(1),
  url: z.string().optional(),
  vendor: z.string().optional(),
  packager: z.string().optional(),
  group: z.string().optional(),
  /** Marks the package install-only (kernels): recorded as a `installonlypkg(NAME)` provide. */
  installonly: z.union([z.boolean(), z.string()]).optional(),
  files: z.array(fileEntry).default([]),
  requires: deps,
  provides: deps,
  conflicts: deps,
  obsoletes: deps,
  recommends: deps,
  suggests: deps,
  supplements: deps,
  enhances: deps,
  /** sysusers.d lines, installed as /usr/lib/sysusers.d/NAME.conf (adds user()/group() provides). */
  sysusers: z.string().optional(),
  /** tmpfiles.d lines, installed as /usr/lib/tmpfiles.d/NAME.conf. */
  tmpfiles: z.string().optional(),
});

export type PackageDefinition = z.infer<typeof packageDefinitionSchema>;

/** A parsed definition plus the directory relative `from:` paths resolve against. */
export interface LoadedDefinition {
  def: PackageDefinition;
  baseDir: string;
  /** The definition file, for error messages. */
  path?: string;
}

function where(doc: Document, lc: LineCounter, path: PropertyKey[]): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const parent = path.slice(0, n) as unknown[];
    const node = doc.getIn(parent, true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]);
    // A key that has no value node of its own (e.g. an unknown key): point at the key.
    if (n > 0) {
      const map = doc.getIn(parent.slice(0, -1), true) as { items?: Array<{ key?: { value?: unknown; range?: [number, number, number] } }> } | undefined;
      const pair = map?.items?.find((p) => p.key?.value === parent[parent.length - 1]);
      if (pair?.key?.range) return lc.linePos(pair.key.range[0]);
    }
  }
  return undefined;
}

/** Parse and validate definition text. `label` names the source in errors. */
export function parseDefinition(text: string, label = 'definition'): PackageDefinition {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    throw new DriftlessError('RPM_BUILD_DEFINITION', `${label}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`, { path: label, details: pos });
  }
  // YAML 1.2 reads `0755` as decimal 755: take octal-looking mode scalars from their source text.
  let modeError: { line: number; col: number; src: string } | undefined;
  visit(doc, {
    Pair(_k, pair) {
      if (!isScalar(pair.key) || !isScalar(pair.value)) return;
      const v = pair.value;
      const src = (v as { source?: string }).source ?? String(v.value);
      if (typeof v.value !== 'number') return;
      // `version: 1.10` must stay "1.10", not become the number 1.1.
      if (pair.key.value === 'version' || pair.key.value === 'release') {
        v.value = src;
        return;
      }
      if (pair.key.value !== 'mode') return;
      if (/^0[0-7]+$/.test(src)) v.value = parseInt(src, 8);
      else if (!/^0o[0-7]+$/i.test(src) && !modeError) modeError = { ...lc.linePos(v.range?.[0] ?? 0), src };
    },
  });
  if (modeError) {
    throw new DriftlessError('RPM_BUILD_DEFINITION', `${label}:${modeError.line}:${modeError.col}: mode ${modeError.src} is ambiguous`, {
      path: label,
      hint: 'write octal modes with a leading zero: 0755',
    });
  }
  const raw = doc.toJS() as unknown;
  const r = packageDefinitionSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys ?? [] : [];
    const pos = where(doc, lc, keys.length ? [...issue.path, keys[0]!] : issue.path);
    const at = pos ? `${pos.line}:${pos.col}` : '1:1';
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new DriftlessError('RPM_BUILD_DEFINITION', `${label}:${at}: ${field}: ${issue.message}`, {
      path: label,
      details: { ...(pos ?? {}), field, issues: r.error.issues.length },
      hint: issue.code === 'unrecognized_keys' ? 'see the field list in src/rpm/build/schema.ts' : undefined,
    });
  }
  return r.data;
}

/** Read and validate a definition file; `from:` paths resolve against its directory. */
export async function loadDefinition(file: string): Promise<LoadedDefinition> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DriftlessError('RPM_BUILD_DEFINITION', `cannot read ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
  return { def: parseDefinition(text, file), baseDir: dirname(resolve(file)), path: file };
}
