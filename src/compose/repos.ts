/**
 * The definition's `repositories`, opened: each becomes a RepoSource, a keyring of the keys it
 * trusts, and its loaded metadata (repomd signature checked unless `repoGpgcheck: false`, which
 * is reported loudly). A `repoFile` entry expands to every enabled section of a dnf .repo file.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Keyring } from '../core/pgp.js';
import type { Report } from '../core/report.js';
import { openRepoSource, type RepoSource } from '../repo/source.js';
import '../repo/http-source.js';
import { loadRepo, type LoadedRepo, type RepoPart } from '../repo/load.js';
import { loadDotRepoFiles, openDotRepoSource, loadDotRepoKeys } from '../repo/dotrepo.js';
import type { LoadedDefinition } from './definition.js';

export interface OpenedRepo {
  name: string;
  /** Location as written in the definition (portable; goes into the lockfile). */
  declared: string;
  source: RepoSource;
  keyring: Keyring;
  gpgcheck: boolean;
  repoGpgcheck: boolean;
  priority: number;
  loaded: LoadedRepo;
}

export interface OpenReposOptions {
  cacheDir?: string | null;
  report: Report;
  parts?: RepoPart[];
}

export async function openDefinitionRepos(def: LoadedDefinition, opts: OpenReposOptions): Promise<OpenedRepo[]> {
  const out: OpenedRepo[] = [];
  for (const r of def.definition.repositories) {
    const keyFiles = r.gpgkey.map((k) => resolve(def.baseDir, k));
    if (r.repoFile) {
      const sections = await loadDotRepoFiles([resolve(def.baseDir, r.repoFile)]);
      for (const s of sections.filter((x) => x.enabled)) {
        const keyring = (await Keyring.fromFiles(keyFiles)).merge(await loadDotRepoKeys(s));
        const source = openDotRepoSource(s, { report: opts.report });
        const gpgcheck = r.gpgcheck && s.gpgcheck;
        const repoGpgcheck = r.repoGpgcheck && s.repoGpgcheck;
        out.push(await load(`${r.name}-${s.id}`, `${r.repoFile}#${s.id}`, source, keyring, gpgcheck, repoGpgcheck, s.priority, opts));
      }
      continue;
    }
    const location = r.path ? pathToFileURL(resolve(def.baseDir, r.path)).href : r.url!;
    const keyring = await Keyring.fromFiles(keyFiles);
    const source = openRepoSource(location, { report: opts.report });
    out.push(await load(r.name, r.path ?? r.url!, source, keyring, r.gpgcheck, r.repoGpgcheck, r.priority, opts));
  }
  return out;
}

async function load(name: string, declared: string, source: RepoSource, keyring: Keyring, gpgcheck: boolean, repoGpgcheck: boolean, priority: number, opts: OpenReposOptions): Promise<OpenedRepo> {
  if (!repoGpgcheck) opts.report.warn('REPO_GPGCHECK_DISABLED', `repository ${name}: repomd.xml signature check disabled by the definition (repoGpgcheck: false)`);
  if (!gpgcheck) opts.report.warn('RPM_UNSIGNED_ALLOWED', `repository ${name}: package signatures not required by the definition (gpgcheck: false)`);
  const loaded = await loadRepo(source, { gpgcheck: repoGpgcheck, keyring, cacheDir: opts.cacheDir, report: opts.report, parts: opts.parts });
  return { name, declared, source, keyring, gpgcheck, repoGpgcheck, priority, loaded };
}
