/**
 * Benchmark of the RPM reader against the C tools, measured in the same run:
 *  - header-only parse of many packages vs one `rpm -qp --qf '%{NAME}\n'` invocation over the same files;
 *  - full payload read (decompress + cpio walk + SHA-256 of every file) vs `rpm2cpio | cpio -t`
 *    and vs the raw bound "decompress + SHA-256 of the whole stream" with the same decoder.
 * Ratios > 1 mean driftless is slower.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decompress } from '../src/core/compression.js';
import { openPackage } from '../src/rpm/package.js';
import { readPayload } from '../src/rpm/payload.js';
import { Tag } from '../src/rpm/tags.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const has = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** Best of `n` runs (less noise on a shared machine). */
async function best<T>(n: number, fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  let b: { ms: number; value: T } | undefined;
  for (let i = 0; i < n; i++) {
    const r = await time(fn);
    if (!b || r.ms < b.ms) b = r;
  }
  return b!;
}

function buildBig(dir: string, mb: number, codec: string): string | undefined {
  const spec = `Name: benchpkg
Version: 1
Release: 1
Summary: bench
License: MIT
BuildArch: noarch
%description
bench
%install
mkdir -p %{buildroot}/data
for i in $(seq 1 ${Math.max(1, Math.floor(mb / 2))}); do
  head -c 1048576 /dev/urandom > %{buildroot}/data/rand$i
  seq 1 150000 > %{buildroot}/data/text$i
done
for i in $(seq 1 200); do echo small $i > %{buildroot}/data/s$i; done
%files
/data
`;
  writeFileSync(join(dir, 'b.spec'), spec);
  const top = join(dir, `top-${codec}`);
  mkdirSync(top, { recursive: true });
  const r = spawnSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, '--define', `_binary_payload ${codec}`, '--define', '__os_install_post %{nil}', '--define', 'debug_package %{nil}', join(dir, 'b.spec')], { env: { ...process.env, HOME: dir }, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return join(top, 'RPMS', 'noarch', 'benchpkg-1-1.noarch.rpm');
}

export async function benchRpmRead(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const runs = opts.quick ? 2 : 5;
  // 1. header-only parse
  const fixtureFiles = ['RPMS', 'SRPMS'].flatMap((d) => readdirSync(join(root, 'test/fixtures/rpm', d)).filter((f) => !f.includes('corrupted')).map((f) => join(root, 'test/fixtures/rpm', d, f)));
  const reps = opts.quick ? 10 : 50;
  const files = Array.from({ length: reps }, () => fixtureFiles).flat();
  const ours = await best(runs, async () => {
    let n = 0;
    for (const f of files) n += (await openPackage(f)).header.getString(Tag.NAME) ? 1 : 0;
    return n;
  });
  const header: Record<string, unknown> = { packages: files.length, driftlessMs: round(ours.ms) };
  if (has('rpm')) {
    const rpm = await best(runs, () => spawnSync('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', '%{NAME}\\n', ...files], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    header.rpmMs = round(rpm.ms);
    header.ratioVsRpm = round(ours.ms / rpm.ms);
  }
  out.headerParse = header;
  // 2. full payload read
  if (!has('rpmbuild')) return { ...out, payloadRead: 'skipped: rpmbuild missing' };
  const dir = mkdtempSync(join(tmpdir(), 'driftless-bench-'));
  try {
    const mb = opts.quick ? 8 : 64;
    const payload: Record<string, unknown> = { approxMiB: mb };
    for (const codec of ['w3.zstdio', 'w6.gzdio', 'w2.xzdio']) {
      const pkgPath = buildBig(dir, mb, codec);
      if (!pkgPath) {
        payload[codec] = 'skipped: rpmbuild failed';
        continue;
      }
      const read = await best(runs, async () => {
        const pkg = await openPackage(pkgPath);
        let bytes = 0;
        for await (const e of readPayload(pkg)) {
          const h = createHash('sha256');
          for await (const c of e.data()) {
            h.update(c);
            bytes += c.length;
          }
          h.digest();
        }
        return bytes;
      });
      const bound = await best(runs, async () => {
        const pkg = await openPackage(pkgPath);
        const h = createHash('sha256');
        let bytes = 0;
        for await (const c of decompress(pkg.payloadCompression, pkg.rawPayload())) {
          h.update(c);
          bytes += c.length;
        }
        h.digest();
        return bytes;
      });
      const r: Record<string, unknown> = { fileBytes: read.value, driftlessMs: round(read.ms), decompressSha256BoundMs: round(bound.ms), ratioVsBound: round(read.ms / bound.ms) };
      if (has('rpm2cpio') && has('cpio')) {
        const c = await best(runs, () => spawnSync('sh', ['-c', 'rpm2cpio "$1" | cpio -t --quiet > /dev/null', 'sh', pkgPath]));
        r.rpm2cpioMs = round(c.ms);
        r.ratioVsRpm2cpio = round(read.ms / c.ms);
      }
      payload[codec] = r;
    }
    out.payloadRead = payload;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
