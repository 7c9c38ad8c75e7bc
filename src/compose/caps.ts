/**
 * File capabilities: the text form rpm keeps in FILECAPS (as `getcap` prints it, e.g.
 * "cap_net_raw=ep" or "cap_net_admin,cap_net_raw+ep") encoded as the kernel's
 * `security.capability` xattr (struct vfs_cap_data, revision 2, little-endian).
 *
 *   capabilityXattr('cap_net_raw=ep') // 20 bytes: magic|effective, permitted, inheritable (lo, hi)
 */
import { DriftlessError } from '../core/errors.js';

/** Capability numbers from linux/capability.h. */
export const CAPABILITIES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
  'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
  'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
  'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
  'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
  'checkpoint_restore',
] as const;

const VFS_CAP_REVISION_2 = 0x02000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

/** Encode capability text into the security.capability xattr value. */
export function capabilityXattr(text: string): Uint8Array {
  let permitted = 0n;
  let inheritable = 0n;
  let effective = false;
  for (const clause of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([a-z_0-9,]*)([=+-])([eip]*)$/i.exec(clause);
    if (!m) throw new DriftlessError('COMPOSE_BAD_CAPS', `cannot parse file capabilities "${text}"`);
    const names = m[1] ? m[1].split(',') : [];
    let bits = 0n;
    for (const n of names) {
      const name = n.toLowerCase().replace(/^cap_/, '');
      if (name === 'all') bits = (1n << BigInt(CAPABILITIES.length)) - 1n;
      else {
        const i = CAPABILITIES.indexOf(name as (typeof CAPABILITIES)[number]);
        if (i < 0) throw new DriftlessError('COMPOSE_BAD_CAPS', `unknown capability "${n}" in "${text}"`);
        bits |= 1n << BigInt(i);
      }
    }
    const flags = m[3]!.toLowerCase();
    const op = m[2];
    const apply = (cur: bigint, on: boolean) => (op === '-' ? (on ? cur & ~bits : cur) : op === '=' ? (on ? cur | bits : cur & ~bits) : on ? cur | bits : cur);
    permitted = apply(permitted, flags.includes('p'));
    inheritable = apply(inheritable, flags.includes('i'));
    if (flags.includes('e')) effective = op !== '-';
    else if (op === '=') effective = effective && false;
  }
  const out = Buffer.alloc(20);
  out.writeUInt32LE((VFS_CAP_REVISION_2 | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0)) >>> 0, 0);
  out.writeUInt32LE(Number(permitted & 0xffffffffn), 4);
  out.writeUInt32LE(Number(inheritable & 0xffffffffn), 8);
  out.writeUInt32LE(Number(permitted >> 32n), 12);
  out.writeUInt32LE(Number(inheritable >> 32n), 16);
  return out;
}

/** True for an encoded set without any capability ("=" in text form): no xattr is written for it. */
export function isEmptyCapability(x: Uint8Array): boolean {
  return x.subarray(4).every((b) => b === 0) && (x[0]! & VFS_CAP_FLAGS_EFFECTIVE) === 0;
}
