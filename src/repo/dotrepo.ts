/**
 * dnf `.repo` files (the INI format of /etc/yum.repos.d) as repository definitions, so users
 * can reuse their existing configuration:
 *
 *   [baseos]
 *   name=CentOS Stream $releasever - BaseOS
 *   metalink=https://mirrors.centos.org/metalink?repo=centos-baseos-$stream&arch=$basearch
 *   gpgcheck=1
 *   repo_gpgcheck=1
 *   gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial
 *
 * Values may continue on indented lines (several baseurls/gpgkeys); `$var` and `${var}` are
 * replaced from `vars` (releasever, basearch, arch and /etc/dnf/vars-style files), with dnf's
 * `${var:-default}` / `${var:+alternate}` forms. Unlike dnf, gpgcheck and repo_gpgcheck default
 * to on: a repository is unauthenticated only when its file says so.
 *
 *   const defs = parseDotRepo(text, { vars: { releasever: '9', basearch: 'x86_64' }, path })
 *   const src = openDotRepoSource(defs[0])      // http(s) with mirrors, or a local directory
 *   const keys = await loadDotRepoKeys(defs[0])  // file:// and http(s) gpgkey= entries
 *   const loaded = await loadDotRepos(defs, { cacheDir })  // enabled repos, keys, filters applied
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arch as hostArch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DriftlessError } from '../core/errors.js';
import { Keyring } from '../core/pgp.js';
import { silentReport, type Report } from '../core/report.js';
import { openRepoSource, readAll, type RepoSource } from './source.js';
import { HttpRepoSource, type HttpSourceOptions } from './http-source.js';
import { loadRepo, type LoadedRepo, type LoadRepoOptions } from './load.js';
import type { PackageMeta } from '../rpm/metadata.js';

export interface RepoDefinition {
  id: string;
  name: string;
  baseurls: string[];
  mirrorlist?: string;
  metalink?: string;
  enabled: boolean;
  gpgcheck: boolean;
  repoGpgcheck: boolean;
  gpgkeys: string[];
  /** Lower wins (dnf default 99). */
  priority: number;
  /** Lower is preferred among equal priorities (dnf default 1000). */
  cost: number;
  exclude: string[];
  includepkgs: string[];
  skipIfUnavailable: boolean;
  /** TLS: verify server certificates (sslverify, default true), extra CA and client certificate files. */
  sslverify: boolean;
  sslcacert?: string;
  sslclientcert?: string;
  sslclientkey?: string;
  /** proxy= (with proxy_username/proxy_password folded into the URL); '_none_' disables proxies. */
  proxy?: string;
  /** Every other key, after variable substitution. */
  extra: Record<string, string>;
  /** Where the definition was read from (for messages). */
  source: string;
  line: number;
}

export interface DotRepoOptions {
  /** Variables without the `$` (releasever, basearch, arch, custom ones). */
  vars?: Record<string, string>;
  /** Label for messages (the file path). */
  path?: string;
  report?: Report;
}

const LIST_SPLIT = /[\s,]+/;

/** dnf's base architecture for a machine architecture (x86_64 → x86_64, i686 → i386, ...). */
export function baseArch(arch: string): string {
  if (/^i[3-6]86$|^athlon$|^geode$/.test(arch)) return 'i386';
  if (/^armv[67]/.test(arch)) return 'armhfp';
  if (arch === 'amd64') return 'x86_64';
  if (arch === 'arm64') return 'aarch64';
  return arch;
}

/** Default variables for this host: arch and basearch (releasever must come from the caller). */
export function hostVars(): Record<string, string> {
  const a = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', ppc64: 'ppc64le', s390x: 's390x' }[hostArch()] ?? hostArch();
  return { arch: a, basearch: baseArch(a) };
}

/** Replace `$name`, `${name}`, `${name:-default}` and `${name:+alt}`; unknown names stay as written. */
export function substituteVars(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)(?::([-+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z0-9_]+)/g, (whole, braced?: string, op?: string, word?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    const v = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
    if (op === '-') return v !== undefined && v !== '' ? v : substituteVars(word ?? '', vars);
    if (op === '+') return v !== undefined && v !== '' ? substituteVars(word ?? '', vars) : '';
    return v ?? whole;
  });
}

function parseBool(v: string, key: string, where: string): boolean {
  const s = v.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(s)) return true;
  if (['0', 'no', 'false', 'off'].includes(s)) return false;
  throw new DriftlessError('REPO_DOTREPO_INVALID', `${where}: ${key}=${v} is not a boolean`, { hint: 'use 1/0, yes/no, true/false or on/off' });
}

function parseInt10(v: string, key: string, where: string): number {
  if (!/^\s*-?\d+\s*$/.test(v)) throw new DriftlessError('REPO_DOTREPO_INVALID', `${where}: ${key}=${v} is not a whole number`);
  return Number(v);
}

/** Parse one .repo file's text into repository definitions (in file order). */
export function parseDotRepo(text: string, opts: DotRepoOptions = {}): RepoDefinition[] {
  const label = opts.path ?? '.repo';
  const report = opts.report ?? silentReport;
  const vars = opts.vars ?? {};
  const sections: { id: string; line: number; kv: Map<string, string> }[] = [];
  let cur: (typeof sections)[number] | undefined;
  let lastKey: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const where = `${label}:${i + 1}`;
    if (/^\s*([#;].*)?$/.test(raw)) {
      if (raw.trim() === '') lastKey = undefined;
      continue;
    }
    const sec = /^\s*\[([^\]]*)\]\s*$/.exec(raw);
    if (sec) {
      const id = substituteVars(sec[1]!.trim(), vars);
      if (!id || /[\s/]/.test(id)) throw new DriftlessError('REPO_DOTREPO_INVALID', `${where}: bad repository id "[${sec[1]}]"`);
      if (sections.some((s) => s.id === id)) throw new DriftlessError('REPO_DOTREPO_DUPLICATE', `${where}: repository "${id}" is defined twice`);
      cur = { id, line: i + 1, kv: new Map() };
      sections.push(cur);
      lastKey = undefined;
      continue;
    }
    if (/^\s/.test(raw) && cur && lastKey) {
      // continuation line: appended to the previous value (several baseurls / gpgkeys)
      cur.kv.set(lastKey, `${cur.kv.get(lastKey)}\n${raw.trim()}`);
      continue;
    }
    const kv = /^\s*([^=\s]+)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!kv) throw new DriftlessError('REPO_DOTREPO_INVALID', `${where}: expected "key=value" or "[section]", got ${JSON.stringify(raw)}`);
    if (!cur) throw new DriftlessError('REPO_DOTREPO_INVALID', `${where}: "${kv[1]}" appears before any [section]`);
    lastKey = kv[1]!.toLowerCase();
    cur.kv.set(lastKey, kv[2]!);
  }
  const out: RepoDefinition[] = [];
  for (const s of sections) {
    const where = `${label}:${s.line} [${s.id}]`;
    if (s.id === 'main') {
      report.warn('REPO_DOTREPO_MAIN_IGNORED', `${where}: [main] belongs in dnf.conf; ignored`);
      continue;
    }
    const get = (k: string) => (s.kv.has(k) ? substituteVars(s.kv.get(k)!, vars) : undefined);
    const list = (k: string) => (get(k) ?? '').split(LIST_SPLIT).filter(Boolean);
    const known = new Set(['name', 'baseurl', 'mirrorlist', 'metalink', 'enabled', 'gpgcheck', 'pkg_gpgcheck', 'repo_gpgcheck', 'gpgkey', 'priority', 'cost', 'exclude', 'excludepkgs', 'includepkgs', 'skip_if_unavailable', 'sslverify', 'sslcacert', 'sslclientcert', 'sslclientkey', 'proxy', 'proxy_username', 'proxy_password']);
    const extra: Record<string, string> = {};
    for (const k of [...s.kv.keys()].sort()) if (!known.has(k)) extra[k] = get(k)!;
    const def: RepoDefinition = {
      id: s.id,
      name: get('name') ?? s.id,
      baseurls: list('baseurl'),
      ...(get('mirrorlist') ? { mirrorlist: get('mirrorlist')!.trim() } : {}),
      ...(get('metalink') ? { metalink: get('metalink')!.trim() } : {}),
      enabled: get('enabled') !== undefined ? parseBool(get('enabled')!, 'enabled', where) : true,
      gpgcheck: (get('pkg_gpgcheck') ?? get('gpgcheck')) !== undefined ? parseBool((get('pkg_gpgcheck') ?? get('gpgcheck'))!, 'gpgcheck', where) : true,
      repoGpgcheck: get('repo_gpgcheck') !== undefined ? parseBool(get('repo_gpgcheck')!, 'repo_gpgcheck', where) : true,
      gpgkeys: list('gpgkey'),
      priority: get('priority') !== undefined ? parseInt10(get('priority')!, 'priority', where) : 99,
      cost: get('cost') !== undefined ? parseInt10(get('cost')!, 'cost', where) : 1000,
      exclude: [...list('exclude'), ...list('excludepkgs')],
      includepkgs: list('includepkgs'),
      skipIfUnavailable: get('skip_if_unavailable') !== undefined ? parseBool(get('skip_if_unavailable')!, 'skip_if_unavailable', where) : false,
      sslverify: get('sslverify') !== undefined ? parseBool(get('sslverify')!, 'sslverify', where) : true,
      ...(get('sslcacert') ? { sslcacert: get('sslcacert')!.trim() } : {}),
      ...(get('sslclientcert') ? { sslclientcert: get('sslclientcert')!.trim() } : {}),
      ...(get('sslclientkey') ? { sslclientkey: get('sslclientkey')!.trim() } : {}),
      ...(get('proxy') !== undefined ? { proxy: withProxyCredentials(get('proxy')!.trim(), get('proxy_username'), get('proxy_password')) } : {}),
      extra,
      source: label,
      line: s.line,
    };
    if (def.baseurls.length === 0 && !def.mirrorlist && !def.metalink) {
      throw new DriftlessError('REPO_DOTREPO_INVALID', `${where}: no baseurl, mirrorlist or metalink`, { path: label });
    }
    const unresolved = [...def.baseurls, def.mirrorlist ?? '', def.metalink ?? ''].find((u) => /\$[{A-Za-z]/.test(u));
    if (unresolved) report.warn('REPO_DOTREPO_UNRESOLVED_VAR', `${where}: unresolved variable in ${unresolved}`, { repo: s.id });
    out.push(def);
  }
  return out;
}

/**
 * Variables from /etc/dnf/vars-style directories: each file's name is a variable, its first
 * line the value. Later directories override earlier ones. Missing directories are skipped.
 */
export async function loadVarsDirs(dirs: string[]): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  for (const d of dirs) {
    let names: string[];
    try {
      names = (await fsp.readdir(d)).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      if (!/^[A-Za-z0-9_]+$/.test(n)) continue;
      const st = await fsp.stat(join(d, n)).catch(() => undefined);
      if (!st?.isFile() || st.size > 65536) continue;
      vars[n] = (await fsp.readFile(join(d, n), 'utf8')).split(/\r?\n/)[0]!.trim();
    }
  }
  return vars;
}

/** Read .repo files (paths to files, or directories whose *.repo files are read in name order). */
export async function loadDotRepoFiles(paths: string[], opts: DotRepoOptions = {}): Promise<RepoDefinition[]> {
  const files: string[] = [];
  for (const p of paths) {
    const st = await fsp.stat(p).catch(() => undefined);
    if (!st) throw new DriftlessError('REPO_DOTREPO_INVALID', `no such .repo file or directory: ${p}`, { path: p });
    if (st.isDirectory()) for (const n of (await fsp.readdir(p)).filter((n) => n.endsWith('.repo')).sort()) files.push(join(p, n));
    else files.push(p);
  }
  const out: RepoDefinition[] = [];
  for (const f of files) {
    const text = await fsp.readFile(f, 'utf8');
    for (const d of parseDotRepo(text, { ...opts, path: f })) {
      const dup = out.find((o) => o.id === d.id);
      if (dup) throw new DriftlessError('REPO_DOTREPO_DUPLICATE', `repository "${d.id}" is defined in ${dup.source} and ${f}`, { path: f });
      out.push(d);
    }
  }
  return out;
}

function withProxyCredentials(proxy: string, user?: string, pass?: string): string {
  if (!proxy || proxy === '_none_' || !user) return proxy;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`);
    u.username = encodeURIComponent(user.trim());
    u.password = encodeURIComponent((pass ?? '').trim());
    return u.toString();
  } catch {
    return proxy; // reported as REPO_BAD_PROXY when used
  }
}

/** http(s) options from a definition's TLS and proxy settings (reads the sslcacert/sslclient* files). */
export function dotRepoHttpOptions(def: RepoDefinition): HttpSourceOptions {
  const read = (what: string, p: string) => {
    try {
      return readFileSync(/^file:/i.test(p) ? fileURLToPath(p) : p);
    } catch (e) {
      throw new DriftlessError('REPO_DOTREPO_INVALID', `[${def.id}] cannot read ${what} ${p}: ${(e as Error).message}`, { path: p, cause: e });
    }
  };
  return {
    ...(def.proxy !== undefined ? { proxy: def.proxy } : {}),
    ...(def.sslverify ? {} : { insecure: true }),
    ...(def.sslcacert ? { ca: read('sslcacert', def.sslcacert) } : {}),
    ...(def.sslclientcert ? { clientCert: read('sslclientcert', def.sslclientcert), clientKey: def.sslclientkey ? read('sslclientkey', def.sslclientkey) : undefined } : {}),
  };
}

/** Open the source a definition describes: http(s) mirrors through HttpRepoSource, else the registry (file://, paths). */
export function openDotRepoSource(def: RepoDefinition, opts: HttpSourceOptions = {}): RepoSource {
  const http = def.baseurls.filter((u) => /^https?:\/\//i.test(u));
  if (def.mirrorlist || def.metalink || http.length > 0) {
    return new HttpRepoSource({ baseurls: http, mirrorlist: def.mirrorlist, metalink: def.metalink }, { ...dotRepoHttpOptions(def), ...opts });
  }
  return openRepoSource(def.baseurls[0]!, { report: opts.report });
}

/** The keys a definition's gpgkey= entries name (file:// paths and http(s) URLs). */
export async function loadDotRepoKeys(def: RepoDefinition, opts: HttpSourceOptions = {}): Promise<Keyring> {
  const texts: Uint8Array[] = [];
  for (const k of def.gpgkeys) {
    if (/^file:/i.test(k)) {
      const p = fileURLToPath(k);
      try {
        texts.push(await fsp.readFile(p));
      } catch (e) {
        throw new DriftlessError('PGP_BAD_KEY', `[${def.id}] cannot read gpgkey ${k}: ${(e as Error).message}`, { path: p, cause: e });
      }
    } else if (/^https?:\/\//i.test(k)) {
      const src = new HttpRepoSource({ baseurls: [k] }, { ...dotRepoHttpOptions(def), ...opts });
      try {
        texts.push(await readAll(await src.download([k], { maxSize: 1024 * 1024 })));
      } finally {
        src.close();
      }
    } else {
      throw new DriftlessError('REPO_DOTREPO_INVALID', `[${def.id}] unsupported gpgkey location ${k}`, { hint: 'use file:// or http(s)://' });
    }
  }
  return Keyring.fromArmored(texts, undefined, def.gpgkeys);
}

/** dnf-style glob (`*`, `?`, `[...]`) as a RegExp matching the whole string. */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Does a package match a dnf package spec (name, name.arch, name-version, NEVRA; globs allowed)? */
export function matchesPackageSpec(p: PackageMeta, spec: string): boolean {
  const re = globRegExp(spec);
  const vr = `${p.version}-${p.release}`;
  const forms = [p.name, `${p.name}.${p.arch}`, `${p.name}-${p.version}`, `${p.name}-${vr}`, `${p.name}-${vr}.${p.arch}`, `${p.name}-${p.epoch}:${vr}.${p.arch}`];
  return forms.some((f) => re.test(f));
}

/** Apply a definition's includepkgs / exclude(pkgs) to a package list (dnf semantics). */
export function filterPackages(def: Pick<RepoDefinition, 'includepkgs' | 'exclude'>, packages: PackageMeta[]): PackageMeta[] {
  return packages.filter(
    (p) => (def.includepkgs.length === 0 || def.includepkgs.some((s) => matchesPackageSpec(p, s))) && !def.exclude.some((s) => matchesPackageSpec(p, s)),
  );
}

export interface LoadDotReposOptions extends Omit<LoadRepoOptions, 'keyring' | 'gpgcheck'> {
  /** dnf's --nogpgcheck: ignore repo_gpgcheck (loadRepo warns REPO_GPGCHECK_DISABLED). */
  nogpgcheck?: boolean;
  /** Also load disabled repositories. */
  includeDisabled?: boolean;
  http?: HttpSourceOptions;
}

/**
 * Load the enabled repositories of .repo definitions: each with its own mirrors, TLS settings
 * and gpgkey= keys, repo_gpgcheck as configured, includepkgs/exclude applied. A repository with
 * skip_if_unavailable=1 that cannot be loaded is reported and skipped.
 */
export async function loadDotRepos(defs: RepoDefinition[], opts: LoadDotReposOptions = {}): Promise<{ def: RepoDefinition; repo: LoadedRepo }[]> {
  const report = opts.report ?? silentReport;
  const out: { def: RepoDefinition; repo: LoadedRepo }[] = [];
  for (const def of defs) {
    if (!def.enabled && !opts.includeDisabled) continue;
    const http = { report, ...opts.http };
    const source = openDotRepoSource(def, http);
    try {
      const gpgcheck = def.repoGpgcheck && !opts.nogpgcheck;
      const keyring = gpgcheck ? await loadDotRepoKeys(def, http) : undefined;
      const { nogpgcheck: _n, includeDisabled: _d, http: _h, ...rest } = opts;
      const repo = await loadRepo(source, { ...rest, report, gpgcheck, ...(keyring ? { keyring } : {}) });
      out.push({ def, repo: { ...repo, packages: filterPackages(def, repo.packages) } });
    } catch (e) {
      if (!def.skipIfUnavailable) throw e;
      report.warn('REPO_SKIPPED', `[${def.id}] skipped (skip_if_unavailable=1): ${(e as Error).message}`, { repo: def.id });
    } finally {
      (source as { close?: () => void }).close?.();
    }
  }
  return out;
}
