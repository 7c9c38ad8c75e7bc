/**
 * comps.xml (the "group" metadata): groups, environments, categories and langpacks, with
 * translated names/descriptions kept per language.
 *
 *   const comps = await parseComps(chunks, 'comps.xml');
 *   comps.groups.find((g) => g.id === 'core')?.packages  // [{ name: 'bash', type: 'mandatory' }, ...]
 */
import { DriftlessError } from '../core/errors.js';
import { parseXmlStream } from './xmlstream.js';

export type PackageReqType = 'mandatory' | 'default' | 'optional' | 'conditional';

export interface CompsText {
  name: string;
  description?: string;
  /** Translations by xml:lang. */
  nameByLang?: Record<string, string>;
  descriptionByLang?: Record<string, string>;
}

export interface CompsGroup extends CompsText {
  id: string;
  default: boolean;
  uservisible: boolean;
  langonly?: string;
  displayOrder?: number;
  packages: { name: string; type: PackageReqType; requires?: string; basearchonly?: boolean }[];
}

export interface CompsEnvironment extends CompsText {
  id: string;
  displayOrder?: number;
  groups: string[];
  options: { id: string; default: boolean }[];
}

export interface CompsCategory extends CompsText {
  id: string;
  displayOrder?: number;
  groups: string[];
}

export interface Comps {
  groups: CompsGroup[];
  environments: CompsEnvironment[];
  categories: CompsCategory[];
  /** langpacks: `<match name="foo" install="foo-%s"/>`. */
  langpacks: { name: string; install: string }[];
}

const bool = (s: string) => s.trim().toLowerCase() === 'true';

/** Stream-parse comps.xml. */
export async function parseComps(chunks: AsyncIterable<Uint8Array>, label: string): Promise<Comps> {
  const out: Comps = { groups: [], environments: [], categories: [], langpacks: [] };
  type Item = { kind: 'group'; v: CompsGroup } | { kind: 'environment'; v: CompsEnvironment } | { kind: 'category'; v: CompsCategory };
  let item: Item | undefined;
  let list: 'grouplist' | 'optionlist' | 'packagelist' | undefined;
  let lang: string | undefined;
  let attrs: Record<string, string> = {};
  let sawRoot = false;
  let inLangpacks = false;
  await parseXmlStream(chunks, label, {
    open(name, a) {
      attrs = a;
      lang = a['xml:lang'];
      if (name === 'comps') sawRoot = true;
      else if (name === 'langpacks') inLangpacks = true;
      else if (inLangpacks && name === 'match') out.langpacks.push({ name: a.name ?? '', install: a.install ?? '' });
      else if (!item) {
        if (name === 'group') item = { kind: 'group', v: { id: '', name: '', default: false, uservisible: true, packages: [] } };
        else if (name === 'environment') item = { kind: 'environment', v: { id: '', name: '', groups: [], options: [] } };
        else if (name === 'category') item = { kind: 'category', v: { id: '', name: '', groups: [] } };
      } else if (name === 'grouplist' || name === 'optionlist' || name === 'packagelist') list = name;
    },
    close(name, text) {
      if (name === 'langpacks') inLangpacks = false;
      if (!item) return;
      const v = item.v;
      if (name === item.kind) {
        if (item.kind === 'group') out.groups.push(item.v);
        else if (item.kind === 'environment') out.environments.push(item.v);
        else out.categories.push(item.v);
        item = undefined;
        return;
      }
      if (name === 'grouplist' || name === 'optionlist' || name === 'packagelist') {
        list = undefined;
        return;
      }
      const t = text.trim();
      if (list) {
        if (name === 'packagereq' && item.kind === 'group') {
          const type = (attrs.type ?? 'mandatory') as PackageReqType;
          item.v.packages.push({ name: t, type, ...(attrs.requires ? { requires: attrs.requires } : {}), ...(attrs.basearchonly === 'true' ? { basearchonly: true } : {}) });
        } else if (name === 'groupid') {
          if (list === 'optionlist' && item.kind === 'environment') item.v.options.push({ id: t, default: attrs.default === 'true' });
          else if (item.kind !== 'group') item.v.groups.push(t);
        }
        return;
      }
      switch (name) {
        case 'id': v.id = t; break;
        case 'name':
          if (lang) (v.nameByLang ??= {})[lang] = t;
          else v.name = t;
          break;
        case 'description':
          if (lang) (v.descriptionByLang ??= {})[lang] = t;
          else v.description = t;
          break;
        case 'display_order': v.displayOrder = Number(t); break;
        case 'default': if (item.kind === 'group') item.v.default = bool(t); break;
        case 'uservisible': if (item.kind === 'group') item.v.uservisible = bool(t); break;
        case 'langonly': if (item.kind === 'group') item.v.langonly = t; break;
      }
    },
  });
  if (!sawRoot) throw new DriftlessError('REPO_BAD_METADATA', `${label}: no <comps> root element`, { path: label });
  return out;
}
