/**
 * Extended attributes of checkouts (file capabilities, user.* attributes) through the `attr`
 * tools: Node has no xattr API. Only the namespaces driftless manages are applied and compared
 * (`security.capability`, `user.*`, `trusted.*`), so labels a host adds on its own (SELinux)
 * are not drift. Values are base64, as stored in tree objects.
 *
 *   const err = setXattrs('/sysroot/repo/co/..', { 'security.capability': 'AQAAAg...' })
 *   const all = readXattrsTree('/sysroot/deploy/abc.1')   // '/usr/bin/ping' → { ... }
 */
import { spawnSync } from 'node:child_process';

export const MANAGED_XATTR = /^(security\.capability|user\..+|trusted\..+)$/;
const MANAGED_PATTERN = '^(security\\.capability|user\\..+|trusted\\..+)$';

/** Only the managed attributes of a set (base64 values), or undefined when none. */
export function managed(x: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!x) return undefined;
  const keys = Object.keys(x).filter((k) => MANAGED_XATTR.test(k)).sort();
  return keys.length ? Object.fromEntries(keys.map((k) => [k, x[k]!])) : undefined;
}

export function sameXattrs(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  return JSON.stringify(managed(a) ?? {}) === JSON.stringify(managed(b) ?? {});
}

/** Set attributes on a file (symlinks are not touched). Returns an error message, or undefined. */
export function setXattrs(path: string, xattrs: Record<string, string>, current: Record<string, string> = {}): string | undefined {
  for (const k of Object.keys(current)) {
    if (MANAGED_XATTR.test(k) && !(k in xattrs)) {
      const r = spawnSync('setfattr', ['-h', '-x', k, path], { encoding: 'utf8' });
      if (r.status !== 0) return `setfattr -x ${k}: ${r.error?.message ?? r.stderr.trim()}`;
    }
  }
  for (const [k, v] of Object.entries(xattrs)) {
    if (!MANAGED_XATTR.test(k)) continue;
    const r = spawnSync('setfattr', ['-h', '-n', k, '-v', `0s${v}`, path], { encoding: 'utf8' });
    if (r.status !== 0) return `setfattr ${k}: ${r.error?.message ?? r.stderr.trim()}`;
  }
  return undefined;
}

/** getfattr escapes unusual bytes in names as \ooo. */
function unescape(s: string): string {
  return Buffer.from(s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1').toString('utf8');
}

/**
 * Managed attributes of everything under `root` (one `getfattr -R` run, symlinks not followed),
 * keyed by path relative to root with a leading '/'. Undefined when getfattr is unavailable.
 */
export function readXattrsTree(root: string): Map<string, Record<string, string>> | undefined {
  const r = spawnSync('getfattr', ['-R', '-P', '-d', '-m', MANAGED_PATTERN, '-e', 'base64', '--absolute-names', root], {
    encoding: 'latin1',
    maxBuffer: 1024 ** 3,
  });
  if (r.error || (r.status !== 0 && !r.stdout)) return undefined;
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      let p = unescape(line.slice(8));
      p = p === root ? '/' : p.startsWith(root + '/') ? p.slice(root.length) : p;
      current = {};
      out.set(p, current);
    } else if (current && line.includes('=')) {
      const i = line.indexOf('=');
      const v = line.slice(i + 1);
      current[unescape(line.slice(0, i))] = v.startsWith('0s') ? v.slice(2) : Buffer.from(v.replace(/^"|"$/g, ''), 'latin1').toString('base64');
    }
  }
  return out;
}
