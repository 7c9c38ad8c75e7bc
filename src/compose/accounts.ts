/**
 * Users and groups without scriptlets: what `systemd-sysusers` would create at first boot is
 * created at compose time, from the sysusers.d fragments packages ship and the definition's
 * `users`/`groups`, into /etc/passwd, /etc/group, /etc/shadow and /etc/gshadow. Allocation is
 * deterministic (fragments by file name, lines in order; dynamic system ids from 999 down,
 * regular users from 1000 up). Passwords are always locked ("!*"): root included.
 *
 *   const changes = applyAccounts(rootfs, { users: def.users, groups: def.groups, epoch })
 */
import { Rootfs, entryBytes } from './rootfs.js';
import { DriftlessError } from '../core/errors.js';

export interface AccountUser {
  name: string;
  uid?: number;
  gid?: number;
  groups?: string[];
  home?: string;
  shell?: string;
  system?: boolean;
  description?: string;
}
export interface AccountGroup {
  name: string;
  gid?: number;
  system?: boolean;
}

interface PasswdEntry { name: string; uid: number; gid: number; gecos: string; home: string; shell: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export interface AccountChange {
  kind: 'user' | 'group' | 'membership';
  name: string;
  id?: number;
  source: string;
}

const SYSUSERS_DIRS = ['/usr/lib/sysusers.d', '/etc/sysusers.d'];

/** Split a sysusers.d line into fields, honouring double quotes. */
function fields(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2]!);
  return out;
}

async function readText(fs: Rootfs, path: string): Promise<string | undefined> {
  const e = fs.get(path);
  if (!e || e.type !== 'file') return undefined;
  return (await entryBytes(e)).toString('utf8');
}

/** Create accounts from sysusers.d fragments and the definition; returns what was added. */
export async function applyAccounts(fs: Rootfs, opts: { users: AccountUser[]; groups: AccountGroup[]; epoch: number }): Promise<AccountChange[]> {
  const passwd = parsePasswd((await readText(fs, '/etc/passwd')) ?? '');
  const group = parseGroup((await readText(fs, '/etc/group')) ?? '');
  const changes: AccountChange[] = [];
  if (!passwd.some((u) => u.name === 'root')) passwd.unshift({ name: 'root', uid: 0, gid: 0, gecos: 'Super User', home: '/root', shell: '/bin/sh' });
  if (!group.some((g) => g.name === 'root')) group.unshift({ name: 'root', gid: 0, members: [] });
  const usedUids = new Set(passwd.map((u) => u.uid));
  const usedGids = new Set(group.map((g) => g.gid));
  const nextSystem = (used: Set<number>) => {
    for (let id = 999; id >= 1; id--) if (!used.has(id)) return id;
    throw new DriftlessError('COMPOSE_IDS_EXHAUSTED', 'no free system uid/gid below 1000');
  };
  const nextRegular = (used: Set<number>) => {
    for (let id = 1000; id < 60000; id++) if (!used.has(id)) return id;
    throw new DriftlessError('COMPOSE_IDS_EXHAUSTED', 'no free uid/gid from 1000 to 60000');
  };
  const addGroup = (name: string, gid: number | undefined, system: boolean, source: string): GroupEntry => {
    const existing = group.find((g) => g.name === name);
    if (existing) return existing;
    const id = gid !== undefined && !usedGids.has(gid) ? gid : system ? nextSystem(usedGids) : nextRegular(usedGids);
    usedGids.add(id);
    const g = { name, gid: id, members: [] };
    group.push(g);
    changes.push({ kind: 'group', name, id, source });
    return g;
  };
  const addUser = (u: AccountUser, source: string) => {
    if (passwd.some((p) => p.name === u.name)) return;
    let uid = u.uid;
    if (uid === undefined || usedUids.has(uid)) {
      // like sysusers: prefer the same number for user and group when it is free for both
      const g = group.find((x) => x.name === u.name);
      uid = g && !usedUids.has(g.gid) ? g.gid : u.system ? nextSystem(usedUids) : nextRegular(usedUids);
    }
    usedUids.add(uid);
    const g = u.gid !== undefined ? group.find((x) => x.gid === u.gid) ?? addGroup(u.name, u.gid, !!u.system, source) : addGroup(u.name, uid, !!u.system, source);
    passwd.push({
      name: u.name,
      uid,
      gid: g.gid,
      gecos: u.description ?? '',
      home: u.home ?? (u.system ? '/' : `/home/${u.name}`),
      shell: u.shell ?? (u.system ? '/usr/sbin/nologin' : '/bin/sh'),
    });
    changes.push({ kind: 'user', name: u.name, id: uid, source });
    for (const m of u.groups ?? []) addMember(u.name, m, source);
  };
  const addMember = (user: string, grp: string, source: string) => {
    const g = group.find((x) => x.name === grp) ?? addGroup(grp, undefined, true, source);
    if (!g.members.includes(user)) {
      g.members.push(user);
      changes.push({ kind: 'membership', name: `${user}:${grp}`, source });
    }
  };

  // sysusers.d fragments: /etc overrides /usr/lib by file name; files in name order
  const files = new Map<string, string>();
  for (const dir of SYSUSERS_DIRS) for (const n of fs.childNames(dir)) if (n.endsWith('.conf')) files.set(n, `${dir}/${n}`);
  for (const name of [...files.keys()].sort()) {
    const path = files.get(name)!;
    const text = (await readText(fs, path)) ?? '';
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const [type, n, id, gecos, home, shell] = fields(line);
      const src = `${path}:${i + 1}`;
      const num = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : undefined);
      if (type === 'g' && n) addGroup(n, num(id), true, src);
      else if (type === 'u' && n) {
        const [u, g] = (id ?? '-').split(':');
        const gid = num(g);
        if (gid !== undefined) addGroup(n, gid, true, src);
        addUser({ name: n, uid: num(u), gid, description: gecos && gecos !== '-' ? gecos : undefined, home: home && home !== '-' ? home : undefined, shell: shell && shell !== '-' ? shell : undefined, system: true }, src);
      } else if (type === 'm' && n && id) addMember(n, id, src);
      else if (type !== 'r') throw new DriftlessError('COMPOSE_SYSUSERS_SYNTAX', `${src}: unsupported sysusers line "${line}"`);
    });
  }
  for (const g of opts.groups) addGroup(g.name, g.gid, !!g.system, 'definition');
  for (const u of opts.users) addUser(u, 'definition');

  const days = Math.floor(opts.epoch / 86400);
  const write = (path: string, text: string, mode: number) =>
    fs.add({ path, type: 'file', mode, uid: 0, gid: 0, user: 'root', group: 'root', mtime: opts.epoch, size: Buffer.byteLength(text), content: { bytes: Buffer.from(text) } }, { replace: true });
  write('/etc/passwd', passwd.map((u) => `${u.name}:x:${u.uid}:${u.gid}:${u.gecos}:${u.home}:${u.shell}\n`).join(''), 0o644);
  write('/etc/group', group.map((g) => `${g.name}:x:${g.gid}:${g.members.join(',')}\n`).join(''), 0o644);
  write('/etc/shadow', passwd.map((u) => `${u.name}:!*:${days}::::::\n`).join(''), 0o000);
  write('/etc/gshadow', group.map((g) => `${g.name}:!*::${g.members.join(',')}\n`).join(''), 0o000);
  return changes;
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const [name, , uid, gid, gecos, home, shell] = l.split(':');
    return { name: name!, uid: Number(uid), gid: Number(gid), gecos: gecos ?? '', home: home ?? '/', shell: shell ?? '/bin/sh' };
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const [name, , gid, members] = l.split(':');
    return { name: name!, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [] };
  });
}

/** uid/gid for a user/group name from the composed /etc files (for file ownership). */
export async function idMaps(fs: Rootfs): Promise<{ uid: Map<string, number>; gid: Map<string, number> }> {
  const passwd = parsePasswd((await readText(fs, '/etc/passwd')) ?? 'root:x:0:0:::');
  const group = parseGroup((await readText(fs, '/etc/group')) ?? 'root:x:0:');
  return { uid: new Map(passwd.map((u) => [u.name, u.uid])), gid: new Map(group.map((g) => [g.name, g.gid])) };
}
