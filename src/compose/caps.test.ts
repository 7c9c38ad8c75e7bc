import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capabilityXattr } from './caps.js';
import { hasTool, run, tempDir } from '../../test/helpers/cli.js';

test('capability text encodes as vfs_cap_data revision 2', () => {
  assert.equal(Buffer.from(capabilityXattr('cap_net_raw=ep')).toString('hex'), '010000020020000000000000' + '0000000000000000');
  assert.equal(Buffer.from(capabilityXattr('cap_net_admin,cap_net_raw+p')).toString('hex'), '000000020030000000000000' + '0000000000000000');
  assert.equal(Buffer.from(capabilityXattr('cap_bpf=eip')).readUInt32LE(12), 1 << (39 - 32));
  assert.throws(() => capabilityXattr('cap_nonsense=ep'), /unknown capability/);
});

test('setcap/getcap agree with the encoding (when run as root with libcap tools)', (t) => {
  if (!hasTool('setfattr') || !hasTool('getcap') || process.getuid?.() !== 0) return t.skip('needs root, setfattr and getcap');
  const d = tempDir(t);
  const f = join(d, 'x');
  writeFileSync(f, '');
  for (const text of ['cap_net_raw=ep', 'cap_net_admin,cap_net_raw=ep', 'cap_sys_admin=p']) {
    const hex = Buffer.from(capabilityXattr(text)).toString('hex');
    const r = run('setfattr', ['-n', 'security.capability', '-v', `0x${hex}`, f]);
    if (r.status !== 0) return t.skip(`filesystem refuses security.capability: ${r.stderr}`);
    assert.equal(run('getcap', [f]).stdout.trim().split(/\s+/).slice(1).join(' '), text);
  }
});
