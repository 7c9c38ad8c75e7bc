/**
 * The declarative replacements for package scriptlets and first-boot tools: tmpfiles.d
 * directories and symlinks, systemd presets ("disable *" unless enabled) with their .wants
 * links, an empty /etc/machine-id, os-release, the CA trust bundle, sysctl and kernel command
 * line from the definition. Each change is returned for report.json.
 *
 *   const changes = await applySystemConfig(rootfs, def, { epoch })
 */
import { Rootfs, entryBytes, type EntryInput } from './rootfs.js';
import { DriftlessError } from '../core/errors.js';
import { idMaps } from './accounts.js';
import type { ImageDefinition } from './definition.js';

export interface ConfigChange {
  kind: 'tmpfiles' | 'service' | 'machine-id' | 'os-release' | 'ca-trust' | 'sysctl' | 'kernel-cmdline' | 'ldconfig' | 'file';
  path: string;
  detail: string;
}

const UNIT_DIRS = ['/usr/lib/systemd/system', '/etc/systemd/system'];
/** tmpfiles paths that are runtime-only: created at boot, never baked into the image. */
const VOLATILE = ['/run', '/tmp', '/var/run', '/var/tmp', '/dev', '/proc', '/sys'];

async function text(fs: Rootfs, path: string): Promise<string | undefined> {
  const e = fs.get(fs.resolveParents(path));
  if (!e || e.type !== 'file') return undefined;
  return (await entryBytes(e)).toString('utf8');
}

function fileEntry(path: string, content: string | Uint8Array, epoch: number, mode = 0o644): EntryInput {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return { path, type: 'file', mode, uid: 0, gid: 0, user: 'root', group: 'root', mtime: epoch, size: bytes.length, content: { bytes } };
}

export async function applySystemConfig(fs: Rootfs, def: ImageDefinition, opts: { epoch: number; baseDir: string; readSource: (p: string) => Promise<Uint8Array> }): Promise<ConfigChange[]> {
  const changes: ConfigChange[] = [];
  const { epoch } = opts;
  const ids = await idMaps(fs);

  // definition files (override package files; owners resolved against the composed accounts)
  for (const f of def.files) {
    const bytes = f.content !== undefined ? Buffer.from(f.content) : await opts.readSource(f.source!);
    const mode = typeof f.mode === 'number' ? f.mode : parseInt(f.mode, 8);
    const uid = ids.uid.get(f.owner);
    const gid = ids.gid.get(f.group);
    if (uid === undefined || gid === undefined) {
      throw new DriftlessError('COMPOSE_UNKNOWN_OWNER', `files: ${f.path}: unknown ${uid === undefined ? `user ${f.owner}` : `group ${f.group}`}`, { hint: 'add it under users/groups or install the package that creates it' });
    }
    fs.add({ ...fileEntry(f.path, bytes, epoch, mode), uid, gid, user: f.owner, group: f.group, owner: 'definition' }, { replace: true });
    changes.push({ kind: 'file', path: f.path, detail: `from definition (${bytes.length} bytes)` });
  }

  // tmpfiles.d: directories and symlinks that belong to the image; the rest is left to boot
  const tmpfiles = new Map<string, string>();
  for (const dir of ['/usr/lib/tmpfiles.d', '/etc/tmpfiles.d']) for (const n of fs.childNames(dir)) if (n.endsWith('.conf')) tmpfiles.set(n, `${dir}/${n}`);
  for (const n of [...tmpfiles.keys()].sort()) {
    const path = tmpfiles.get(n)!;
    for (const raw of ((await text(fs, path)) ?? '').split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const [type, p, mode, user, group, , arg] = line.split(/\s+/);
      if (!type || !p || VOLATILE.some((v) => p === v || p.startsWith(v + '/'))) continue;
      const base = type.replace(/[!+\-=~^]/g, '');
      if ((base === 'd' || base === 'D') && !fs.has(p)) {
        const uid = user && user !== '-' ? ids.uid.get(user) : 0;
        const gid = group && group !== '-' ? ids.gid.get(group) : 0;
        fs.add({ path: p, type: 'dir', mode: mode && mode !== '-' ? parseInt(mode, 8) : 0o755, uid: uid ?? 0, gid: gid ?? 0, user: user && user !== '-' ? user : 'root', group: group && group !== '-' ? group : 'root', mtime: epoch, owner: `tmpfiles:${n}` });
        changes.push({ kind: 'tmpfiles', path: p, detail: `directory from ${path}` });
      } else if (base === 'L' && arg && !fs.has(p)) {
        fs.add({ path: p, type: 'symlink', mode: 0o777, linkTarget: arg, mtime: epoch, owner: `tmpfiles:${n}` });
        changes.push({ kind: 'tmpfiles', path: p, detail: `symlink to ${arg} from ${path}` });
      }
    }
  }

  // systemd presets: everything disabled unless the definition enables it
  const enable = [...def.services.enable].sort();
  const preset = ['# written by driftless: services are disabled unless the image definition enables them', ...enable.map((u) => `enable ${u}`), 'disable *', ''].join('\n');
  fs.add(fileEntry('/usr/lib/systemd/system-preset/00-driftless.preset', preset, epoch), { replace: true });
  changes.push({ kind: 'service', path: '/usr/lib/systemd/system-preset/00-driftless.preset', detail: `enable ${enable.length}, disable *` });
  for (const unit of enable) {
    const unitPath = UNIT_DIRS.map((d) => `${d}/${unit}`).find((p) => fs.get(fs.resolveParents(p))?.type === 'file');
    if (!unitPath) throw new DriftlessError('COMPOSE_SERVICE_MISSING', `services.enable: ${unit} is not shipped by any installed package`, { hint: 'install the package that provides the unit, or remove it from services.enable' });
    const install = parseInstallSection((await text(fs, unitPath)) ?? '');
    if (install.wantedBy.length + install.requiredBy.length === 0) {
      changes.push({ kind: 'service', path: unitPath, detail: `${unit} has no [Install] WantedBy=/RequiredBy=: nothing to link` });
    }
    for (const [kind, targets] of [['wants', install.wantedBy], ['requires', install.requiredBy]] as const) {
      for (const t of targets) {
        const link = `/etc/systemd/system/${t}.${kind}/${unit}`;
        fs.add({ path: link, type: 'symlink', mode: 0o777, linkTarget: unitPath, mtime: epoch, owner: 'preset' }, { replace: true });
        changes.push({ kind: 'service', path: link, detail: `enabled ${unit}` });
      }
    }
    for (const a of install.alias) {
      fs.add({ path: `/etc/systemd/system/${a}`, type: 'symlink', mode: 0o777, linkTarget: unitPath, mtime: epoch, owner: 'preset' }, { replace: true });
    }
  }
  for (const unit of def.services.disable) {
    for (const wants of fs.childNames('/etc/systemd/system')) {
      const p = `/etc/systemd/system/${wants}/${unit}`;
      if ((wants.endsWith('.wants') || wants.endsWith('.requires')) && fs.has(p)) {
        fs.remove(p);
        changes.push({ kind: 'service', path: p, detail: `disabled ${unit}` });
      }
    }
  }

  // machine-id: empty, so every booted instance gets its own (systemd first-boot semantics)
  fs.add(fileEntry('/etc/machine-id', '', epoch, 0o444), { replace: true });
  changes.push({ kind: 'machine-id', path: '/etc/machine-id', detail: 'empty (generated at first boot)' });

  // os-release: the release package's, overridden by the definition, plus the image identity
  const base = parseOsRelease((await text(fs, '/usr/lib/os-release')) ?? (await text(fs, '/etc/os-release')) ?? '');
  const osr: Record<string, string> = { ...base, ...def.osRelease, IMAGE_ID: def.name, IMAGE_VERSION: def.version };
  const osText = Object.keys(osr).map((k) => `${k}=${quoteOs(osr[k]!)}`).join('\n') + '\n';
  const osPath = fs.get('/usr/lib/os-release')?.type === 'file' || !fs.has('/etc/os-release') ? '/usr/lib/os-release' : '/etc/os-release';
  fs.add(fileEntry(osPath, osText, epoch), { replace: true });
  if (osPath === '/usr/lib/os-release' && !fs.has('/etc/os-release')) fs.add({ path: '/etc/os-release', type: 'symlink', mode: 0o777, linkTarget: '../usr/lib/os-release', mtime: epoch });
  changes.push({ kind: 'os-release', path: osPath, detail: `IMAGE_ID=${def.name} IMAGE_VERSION=${def.version}` });

  // CA trust bundle (what update-ca-trust extract does): every anchor, sorted, concatenated
  const anchors: string[] = [];
  for (const dir of ['/usr/share/pki/ca-trust-source/anchors', '/etc/pki/ca-trust/source/anchors']) {
    for (const n of fs.childNames(dir).sort()) if (/\.(pem|crt)$/.test(n)) anchors.push(`${dir}/${n}`);
  }
  if (anchors.length) {
    const parts: Buffer[] = [];
    for (const a of anchors) {
      const t = (await text(fs, a)) ?? '';
      parts.push(Buffer.from(t.endsWith('\n') ? t : t + '\n'));
    }
    const bundle = '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem';
    fs.add(fileEntry(bundle, Buffer.concat(parts), epoch), { replace: true });
    if (!fs.has('/etc/pki/tls/certs/ca-bundle.crt')) fs.add({ path: '/etc/pki/tls/certs/ca-bundle.crt', type: 'symlink', mode: 0o777, linkTarget: '../../ca-trust/extracted/pem/tls-ca-bundle.pem', mtime: epoch });
    changes.push({ kind: 'ca-trust', path: bundle, detail: `${anchors.length} anchors` });
  }

  // ld.so.cache is not generated (it would need ldconfig from the target); say what that means
  const ldDirs = fs.childNames('/etc/ld.so.conf.d').filter((n) => n.endsWith('.conf')).sort();
  changes.push({ kind: 'ldconfig', path: '/etc/ld.so.cache', detail: ldDirs.length ? `not generated: libraries only in dirs from /etc/ld.so.conf.d (${ldDirs.join(', ')}) need ldconfig at first boot` : 'not generated: the dynamic linker searches the default paths' });

  const sysctlKeys = Object.keys(def.sysctl).sort();
  if (sysctlKeys.length) {
    fs.add(fileEntry('/etc/sysctl.d/90-image.conf', sysctlKeys.map((k) => `${k} = ${def.sysctl[k]}`).join('\n') + '\n', epoch), { replace: true });
    changes.push({ kind: 'sysctl', path: '/etc/sysctl.d/90-image.conf', detail: `${sysctlKeys.length} settings from the definition` });
  }
  if (def.kernelCommandLine.length) {
    fs.add(fileEntry('/etc/kernel/cmdline', def.kernelCommandLine.join(' ') + '\n', epoch), { replace: true });
    changes.push({ kind: 'kernel-cmdline', path: '/etc/kernel/cmdline', detail: def.kernelCommandLine.join(' ') });
  }
  return changes;
}

export function parseInstallSection(unit: string): { wantedBy: string[]; requiredBy: string[]; alias: string[] } {
  const out = { wantedBy: [] as string[], requiredBy: [] as string[], alias: [] as string[] };
  let inInstall = false;
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inInstall = line === '[Install]';
    else if (inInstall) {
      const m = /^(WantedBy|RequiredBy|Alias)\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      const vals = m[2]!.split(/\s+/).filter(Boolean);
      (m[1] === 'WantedBy' ? out.wantedBy : m[1] === 'RequiredBy' ? out.requiredBy : out.alias).push(...vals);
    }
  }
  return out;
}

export function parseOsRelease(t: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of t.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return out;
}

function quoteOs(v: string): string {
  return /^[A-Za-z0-9._-]+$/.test(v) ? v : `"${v.replace(/(["\\$`])/g, '\\$1')}"`;
}
