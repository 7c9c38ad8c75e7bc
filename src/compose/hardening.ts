/**
 * Hardened defaults, on unless the definition says `hardening.profile: none`. Every change is
 * returned for report.json so nothing happens silently:
 * - a sysctl baseline (kptr/dmesg restrict, rp_filter, ptrace scope, BPF JIT hardening, ...);
 * - setuid/setgid bits stripped from every file not in `hardening.allowSetuid`;
 * - world-writable files, and world-writable directories without the sticky bit, refused;
 * - SSH server: no root password login, no password authentication (drop-in);
 * - a tight default umask for login shells.
 * Root's password is always locked by the accounts step.
 */
import { Rootfs, type EntryInput } from './rootfs.js';
import { DriftlessError } from '../core/errors.js';
import type { ImageDefinition } from './definition.js';

export interface HardeningChange {
  kind: 'sysctl' | 'setuid-stripped' | 'setuid-kept' | 'ssh' | 'umask';
  path: string;
  detail: string;
}

/** The baseline written to /usr/lib/sysctl.d/50-driftless-hardening.conf. */
export const SYSCTL_BASELINE: Array<[string, string]> = [
  ['kernel.kptr_restrict', '2'],
  ['kernel.dmesg_restrict', '1'],
  ['kernel.yama.ptrace_scope', '1'],
  ['kernel.unprivileged_bpf_disabled', '1'],
  ['net.core.bpf_jit_harden', '2'],
  ['kernel.randomize_va_space', '2'],
  ['kernel.kexec_load_disabled', '1'],
  ['kernel.sysrq', '0'],
  ['fs.protected_hardlinks', '1'],
  ['fs.protected_symlinks', '1'],
  ['fs.protected_fifos', '2'],
  ['fs.protected_regular', '2'],
  ['fs.suid_dumpable', '0'],
  ['net.ipv4.conf.all.rp_filter', '1'],
  ['net.ipv4.conf.default.rp_filter', '1'],
  ['net.ipv4.conf.all.accept_redirects', '0'],
  ['net.ipv4.conf.default.accept_redirects', '0'],
  ['net.ipv4.conf.all.send_redirects', '0'],
  ['net.ipv4.conf.all.accept_source_route', '0'],
  ['net.ipv6.conf.all.accept_redirects', '0'],
  ['net.ipv6.conf.default.accept_redirects', '0'],
  ['net.ipv4.tcp_syncookies', '1'],
];

const SSHD_DROPIN = `# written by driftless hardening
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
X11Forwarding no
`;

function file(path: string, text: string, epoch: number, mode = 0o644): EntryInput {
  const bytes = Buffer.from(text);
  return { path, type: 'file', mode, uid: 0, gid: 0, user: 'root', group: 'root', mtime: epoch, size: bytes.length, content: { bytes }, owner: 'hardening' };
}

export function applyHardening(fs: Rootfs, def: ImageDefinition, opts: { epoch: number }): HardeningChange[] {
  const changes: HardeningChange[] = [];
  const h = def.hardening;
  // world-writable check runs for every profile: such files are a vulnerability, not a preference
  const bad = fs.sorted().filter((e) => e.type !== 'symlink' && e.type !== 'hardlink' && (e.mode & 0o002) !== 0 && !(e.type === 'dir' && (e.mode & 0o1000) !== 0));
  if (bad.length) {
    throw new DriftlessError('COMPOSE_WORLD_WRITABLE', `world-writable ${bad.length === 1 ? 'entry' : 'entries'} without the sticky bit: ${bad.slice(0, 5).map((e) => `${e.path} (${e.owner ?? 'unknown owner'}, ${e.mode.toString(8)})`).join(', ')}${bad.length > 5 ? ', …' : ''}`, {
      hint: 'fix the package or override the file with a safe mode in the definition',
      details: { paths: bad.map((e) => e.path) },
    });
  }
  if (h.profile === 'none') return changes;

  const sysctl = '# driftless hardening baseline (override in /etc/sysctl.d/)\n' + SYSCTL_BASELINE.map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
  fs.add(file('/usr/lib/sysctl.d/50-driftless-hardening.conf', sysctl, opts.epoch), { replace: true });
  changes.push({ kind: 'sysctl', path: '/usr/lib/sysctl.d/50-driftless-hardening.conf', detail: `${SYSCTL_BASELINE.length} settings` });

  const allow = new Set(h.allowSetuid);
  for (const e of fs.sorted()) {
    if (e.type !== 'file' || (e.mode & 0o6000) === 0) continue;
    if (allow.has(e.path)) {
      changes.push({ kind: 'setuid-kept', path: e.path, detail: `mode ${e.mode.toString(8)} allowed by hardening.allowSetuid` });
      continue;
    }
    const before = e.mode;
    fs.update(e.path, { mode: e.mode & ~0o6000 });
    changes.push({ kind: 'setuid-stripped', path: e.path, detail: `${before.toString(8)} -> ${(before & ~0o6000).toString(8)} (${e.owner ?? 'unknown owner'})` });
  }

  if (fs.get(fs.resolveParents('/etc/ssh/sshd_config'))?.type === 'file' || fs.has('/usr/sbin/sshd')) {
    fs.add(file('/etc/ssh/sshd_config.d/00-driftless-hardening.conf', SSHD_DROPIN, opts.epoch, 0o600), { replace: true });
    changes.push({ kind: 'ssh', path: '/etc/ssh/sshd_config.d/00-driftless-hardening.conf', detail: 'no root password login, no password authentication' });
  }

  fs.add(file('/etc/profile.d/00-driftless-umask.sh', `umask ${h.umask}\n`, opts.epoch), { replace: true });
  changes.push({ kind: 'umask', path: '/etc/profile.d/00-driftless-umask.sh', detail: `umask ${h.umask}` });
  return changes;
}
