import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openPackage } from '../rpm/package.js';
import { ContentStore } from '../core/cas.js';
import { Rootfs, entryBytes } from './rootfs.js';
import { installPackage, resolveOwners } from './install.js';
import { fixtures, requireTool, run, tempDir } from '../../test/helpers/cli.js';

const RPMS = join(fixtures, 'rpm/RPMS');
const PKGS = ['hlinktest-1.0-1.noarch.rpm', 'hello-2.0-1.x86_64.rpm', 'capstest-1.0-1.noarch.rpm', 'foo-1.0-1.noarch.rpm'];

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(dir, rel)).sort()) {
    const p = `${rel}/${n}`;
    out.push(p);
    if (lstatSync(join(dir, p)).isDirectory()) out.push(...walk(dir, p));
  }
  return out;
}

test('installed rootfs matches what rpm2cpio | cpio extracts (content, modes, links)', async (t) => {
  if (!requireTool(t, 'rpm2cpio', 'cpio')) return;
  const cas = new ContentStore(tempDir(t));
  const fs = new Rootfs();
  const ref = tempDir(t);
  const scriptlets: Record<string, string[]> = {};
  for (const f of PKGS) {
    const r = await installPackage(fs, await openPackage(join(RPMS, f)), { cas });
    scriptlets[r.name] = r.skippedScriptlets;
    const x = run('sh', ['-c', `rpm2cpio '${join(RPMS, f)}' | cpio -idm --quiet --no-absolute-filenames`], { cwd: ref });
    assert.equal(x.status, 0, x.stderr);
  }
  resolveOwners(fs, { uid: new Map([['root', 0]]), gid: new Map([['root', 0]]) });
  for (const p of walk(ref)) {
    const st = lstatSync(join(ref, p));
    const e = fs.get(p);
    assert.ok(e, `${p} missing from the rootfs`);
    if (st.isSymbolicLink()) assert.equal(e.linkTarget, readlinkSync(join(ref, p)), p);
    else if (st.isFile()) {
      const target = e.type === 'hardlink' ? fs.get(e.linkTarget!)! : e;
      assert.equal(target.type, 'file', p);
      const ours = createHash('sha256').update(await entryBytes(target)).digest('hex');
      const theirs = createHash('sha256').update(readFileSync(join(ref, p))).digest('hex');
      assert.equal(ours, theirs, p);
      assert.equal(target.mode, st.mode & 0o7777, `${p} mode`);
    } else if (st.isDirectory() && !e.implicit) assert.equal(e.mode, st.mode & 0o7777, `${p} mode`);
  }
  // hardlink groups become one file plus hardlinks to it
  const links = [...fs.hardlinkGroups().entries()];
  assert.ok(links.length >= 1, 'hlinktest has hardlinks');
  // empty capability sets ("=") write no xattr
  assert.deepEqual(fs.get('/a/emptyCaps1')!.xattrs, {});
  assert.ok(Array.isArray(scriptlets.hello));
});
