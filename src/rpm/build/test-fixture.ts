/**
 * Test fixture shared by the writer's tests: a definition that uses every writer feature
 * (all dependency kinds, rich deps, caps, hardlinks, symlinks, ghost/config/doc/license files,
 * a directory tree, sysusers/tmpfiles). Not used at runtime.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const EPOCH = 1704067200;

export const DEFINITION = `
name: tpkg
epoch: 3
version: "1.2~rc1"
release: "4.dl4"
arch: x86_64
summary: writer test package
description: |
  Exercises every feature of the writer.
license: MIT AND Apache-2.0
url: https://example.invalid/tpkg
vendor: driftless tests
packager: tests <tests@example.invalid>
group: System/Test
files:
  - { path: /usr/bin/tping, content: "#!/bin/sh\\necho ping\\n", mode: 0755, caps: cap_net_raw=ep }
  - { path: /usr/bin/tping-hl, hardlink: /usr/bin/tping }
  - { path: /usr/bin/tpong, symlink: tping }
  - { path: /usr/bin/tsuid, content: "suid\\n", mode: 04755 }
  - { path: /etc/tpkg.conf, content: "a=1\\n", config: noreplace }
  - { path: /etc/tpkg.d/plain.conf, content: "b=2\\n", config: true, mode: 0600, owner: bin, group: daemon }
  - { path: /var/log/tpkg.log, ghost: true, mode: 0640 }
  - { path: /var/lib/tpkg, type: dir, mode: 0750 }
  - { path: /usr/share/tpkg, from: ./tree }
  - { path: /usr/share/tpkg/sub/run.sh, mode: 0700 }
  - { path: /usr/share/doc/tpkg/README, content: "readme\\n", doc: true }
  - { path: /usr/share/licenses/tpkg/LICENSE, content: "MIT\\n", license: true }
  - { path: /usr/lib/tpkg/blob.bin, base64: "AAEC/wD+", mtime: 1000 }
requires:
  - "/bin/sh"
  - { dep: "setup", pre: true }
  - { dep: "systemd", post: true }
  - "libfoo.so.1()(64bit)"
  - "bar >= 1:2.0-1"
  - "(baz or qux >= 2)"
  - "(pkgA if pkgB)"
provides: ["tpkg-virtual = 9", "libtpkg.so.0()(64bit)"]
conflicts: ["oldthing < 2"]
obsoletes: ["tpkg-legacy <= 1.0"]
recommends: ["tpkg-extras"]
suggests: ["(tpkg-doc and tpkg-man)"]
supplements: ["(kernel and tpkg-hw)"]
enhances: ["bash"]
sysusers: |
  u tpkgd - "tpkg daemon" /var/lib/tpkg
  g tpkgadm -
tmpfiles: 'd /run/tpkg 0755 root root -'
`;

/** Write the definition and its tree into `dir`; returns the definition path. */
export function writeFixture(dir: string): string {
  mkdirSync(join(dir, 'tree/sub'), { recursive: true });
  writeFileSync(join(dir, 'tree/data.txt'), 'data\n');
  writeFileSync(join(dir, 'tree/sub/run.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'tree/sub/run.sh'), 0o755);
  symlinkSync('data.txt', join(dir, 'tree/alias'));
  const p = join(dir, 'tpkg.yaml');
  writeFileSync(p, DEFINITION);
  return p;
}
