/**
 * Oracle tests: inspect output equals what `rpm -qp` prints, for every fixture package and for
 * packages rpmbuild makes here (every payload compression, rich/weak deps, hardlinks, symlinks,
 * config/doc/ghost, caps, setuid, scriptlets, triggers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, requireTool, run, runCli, tempDir } from '../../test/helpers/cli.js';
import { inspectPackage, formatTriggerScripts, type PackageInfo } from './inspect.js';
import { openPackage } from './package.js';
import { readPayload } from './payload.js';
import { isDriftlessError } from '../core/errors.js';

const KINDS = ['requires', 'provides', 'conflicts', 'obsoletes', 'recommends', 'suggests', 'supplements', 'enhances'] as const;
const KIND_TAG: Record<(typeof KINDS)[number], string> = {
  requires: 'REQUIRENEVRS', provides: 'PROVIDENEVRS', conflicts: 'CONFLICTNEVRS', obsoletes: 'OBSOLETENEVRS',
  recommends: 'RECOMMENDNEVRS', suggests: 'SUGGESTNEVRS', supplements: 'SUPPLEMENTNEVRS', enhances: 'ENHANCENEVRS',
};
const FIELDS = ['NAME', 'EPOCH', 'VERSION', 'RELEASE', 'ARCH', 'LICENSE', 'SUMMARY', 'SOURCERPM', 'BUILDTIME', 'PAYLOADCOMPRESSOR'];

/** Everything we compare, from one rpm invocation. */
function rpmQuery(path: string): { ok: boolean; fields: string[]; deps: Record<string, string[]>; raw: Record<string, string>; files: string[][]; list: string[] } {
  const qf =
    FIELDS.map((f) => `%{${f}}`).join('\\x1f') + '\\n' +
    KINDS.map((k) => `@@${k}\\n[%{${KIND_TAG[k]}}\\n]`).join('') +
    '@@reqv\\n[%{REQUIREFLAGS:deptype}: %{REQUIRENEVRS}\\n]' +
    '@@chlog\\n[%{CHANGELOGTIME}\\x1f%{CHANGELOGNAME}\\x1f%{CHANGELOGTEXT}\\x1e]' +
    '@@trig\\n[trigger%{TRIGGERTYPE} scriptlet (using %{TRIGGERSCRIPTPROG}) -- %{TRIGGERCONDS}\\n%{TRIGGERSCRIPTS}\\n]' +
    '@@ftrig\\n[filetrigger%{FILETRIGGERTYPE} scriptlet (using %{FILETRIGGERSCRIPTPROG}) -- %{FILETRIGGERCONDS}\\n%{FILETRIGGERSCRIPTS}\\n]' +
    '[transfiletrigger%{TRANSFILETRIGGERTYPE} scriptlet (using %{TRANSFILETRIGGERSCRIPTPROG}) -- %{TRANSFILETRIGGERCONDS}\\n%{TRANSFILETRIGGERSCRIPTS}\\n]' +
    '@@files\\n[%{FILENAMES}\\x1f%{FILEMODES}\\x1f%{LONGFILESIZES}\\x1f%{FILEUSERNAME}\\x1f%{FILEGROUPNAME}\\x1f%{FILEDIGESTS}\\x1f%{FILELINKTOS}\\x1f%{FILEFLAGS}\\x1f%{FILECAPS}\\n]';
  const r = run('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', qf.replace(/\\x1f/g, '\x1f').replace(/\\x1e/g, '\x1e'), path]);
  const l = run('rpm', ['-qpl', '--nosignature', '--nodigest', path]);
  if (r.status !== 0) return { ok: false, fields: [], deps: {}, raw: {}, files: [], list: [] };
  const [head, ...sections] = r.stdout.split('@@');
  const deps: Record<string, string[]> = {};
  const raw: Record<string, string> = {};
  let files: string[][] = [];
  for (const s of sections) {
    const [name, ...lines] = s.split('\n');
    raw[name!] = lines.join('\n');
    const items = lines.filter((x) => x !== '');
    if (name === 'files') files = items.map((x) => x.split('\x1f'));
    else deps[name!] = items;
  }
  return { ok: true, fields: head!.replace(/\n$/, '').split('\x1f'), deps, raw, files, list: l.stdout.split('\n').filter(Boolean) };
}

function compare(path: string, info: PackageInfo, q: ReturnType<typeof rpmQuery>) {
  const none = (v: unknown) => (v === null || v === undefined ? '(none)' : String(v));
  const mine = [info.name, none(info.epoch), info.version, info.release, info.arch, none(info.license), none(info.summary), none(info.sourcerpm), none(info.buildtime)];
  assert.deepEqual(mine, q.fields.slice(0, 9), `${path}: header fields`);
  const comp = q.fields[9] === '(none)' ? undefined : q.fields[9];
  if (comp !== undefined) assert.equal(info.payloadCompressor, comp, `${path}: payloadCompressor`);
  for (const k of KINDS) assert.deepEqual(info[k], q.deps[k] ?? [], `${path}: ${k}`);
  assert.deepEqual(info.requiresDetail.map((d) => `${d.type}: ${d.text}`), q.deps.reqv ?? [], `${path}: requires deptype`);
  assert.equal(info.changelog.map((c) => `${c.time}\x1f${c.name}\x1f${c.text}\x1e`).join(''), q.raw.chlog ?? '', `${path}: changelog`);
  assert.equal(formatTriggerScripts(info.triggers, 'trigger'), q.raw.trig ?? '', `${path}: rpm --triggers`);
  assert.equal(formatTriggerScripts(info.fileTriggers, 'filetrigger') + formatTriggerScripts(info.transFileTriggers, 'transfiletrigger'), q.raw.ftrig ?? '', `${path}: rpm --filetriggers`);
  assert.deepEqual(info.files.length ? info.files.map((f) => f.path) : ['(contains no files)'], q.list, `${path}: rpm -qpl`);
  assert.equal(info.files.length, q.files.length, `${path}: file count`);
  info.files.forEach((f, i) => {
    const o = q.files[i]!;
    assert.equal(f.fileFlags, flagsOf(f.flags), `${path}: ${f.path} flag names`);
    const got = [f.path, String(f.mode), String(f.size), f.user, f.group, f.digest, f.linkto, String(f.fileFlags), f.caps ?? ''];
    assert.deepEqual(got, o.map((x, j) => (j === 8 && x === '(none)' ? '' : x)), `${path}: file ${f.path}`);
  });
}

const SCRIPT_TAGS: Array<[string, string]> = [
  ['pretrans', 'PRETRANS'], ['prein', 'PREIN'], ['postin', 'POSTIN'], ['preun', 'PREUN'],
  ['postun', 'POSTUN'], ['posttrans', 'POSTTRANS'], ['verify', 'VERIFYSCRIPT'],
];

/** Scriptlet bodies and interpreters as rpm reads them, in SCRIPT_TAGS order. */
function rpmScripts(path: string): string[] {
  const prog = (t: string) => (t === 'VERIFYSCRIPT' ? 'VERIFYSCRIPTPROG' : `${t}PROG`);
  const qf = SCRIPT_TAGS.map(([, t]) => `%|${t}?{%{${t}}}:{}|\x1f%|${prog(t)}?{[%{${prog(t)}}\x1e]}:{}|\x1f`).join('');
  const r = run('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', qf, path]);
  return r.stdout.split('\x1f').slice(0, SCRIPT_TAGS.length * 2);
}

function compareScripts(path: string, info: PackageInfo) {
  const mine = SCRIPT_TAGS.flatMap(([k]) => {
    const sc = info.scriptlets[k];
    return [sc?.body ?? '', sc ? sc.prog.map((x) => x + '\x1e').join('') : ''];
  });
  assert.deepEqual(mine, rpmScripts(path), `${path}: scriptlets`);
}

const FLAG_BITS: Record<string, number> = { config: 1, doc: 2, icon: 4, missingok: 8, noreplace: 16, specfile: 32, ghost: 64, license: 128, readme: 256, pubkey: 2048, artifact: 4096 };
const flagsOf = (names: string[]) => names.reduce((n, x) => n | (FLAG_BITS[x] ?? 0), 0);

/** Entry names as `rpm2cpio | cpio -t` lists them, or undefined when cpio cannot (stripped archives). */
function cpioNames(path: string): string[] | undefined {
  const r = run('sh', ['-c', `rpm2cpio "$1" | cpio -t --quiet 2>/dev/null`, 'sh', path]);
  if (r.status !== 0) return undefined;
  return r.stdout.split('\n').filter(Boolean);
}

async function checkPayload(path: string) {
  const pkg = await openPackage(path);
  const names: string[] = [];
  let stripped = false;
  for await (const e of readPayload(pkg, { verifyDigests: true })) {
    for await (const _ of e.data()) void _;
    names.push(e.entry.name);
    stripped ||= e.entry.stripped;
  }
  if (!stripped) {
    const want = cpioNames(path);
    if (want) assert.deepEqual(names, want, `${path}: payload entries vs rpm2cpio | cpio -t`);
  }
}

const packages = ['RPMS', 'SRPMS'].flatMap((d) => readdirSync(join(fixtures, 'rpm', d)).map((f) => join(fixtures, 'rpm', d, f)));

test('inspect equals rpm -qp for every fixture package (or both fail)', async (t) => {
  if (!requireTool(t, 'rpm', 'rpm2cpio', 'cpio')) return;
  let compared = 0;
  for (const p of packages) {
    const q = rpmQuery(p);
    let info: PackageInfo;
    try {
      info = await inspectPackage(p);
    } catch (e) {
      assert.ok(isDriftlessError(e), `${p}: ${String(e)}`);
      assert.equal(q.ok, false, `${p}: rpm reads it but we fail with ${(e as Error).message}`);
      continue;
    }
    assert.ok(q.ok, `${p}: we read it but rpm fails`);
    compare(p, info, q);
    compareScripts(p, info);
    compared++;
  }
  assert.ok(compared >= packages.length - 2, `compared ${compared} of ${packages.length}`);
});

test('payload of every fixture: entries equal rpm2cpio | cpio -t, file digests match the header', async (t) => {
  if (!requireTool(t, 'rpm2cpio', 'cpio')) return;
  for (const p of packages) {
    if (p.includes('corrupted')) {
      await assert.rejects(checkPayload(p), (e) => isDriftlessError(e), p);
      continue;
    }
    await checkPayload(p);
  }
});

const SPEC = `Name: drifttest
Version: 1.2
Release: 3
Epoch: 2
Summary: driftless reader test
License: MIT
BuildArch: noarch
Requires: (a or b)
Requires(pre): /bin/sh
Requires(post): coreutils >= 8
Requires: libfoo.so.1()(64bit)
Recommends: rec1 >= 1
Suggests: sug
Supplements: (foo and bar)
Enhances: enh
Conflicts: conf < 2
Obsoletes: old <= 1.0
Provides: virt = 5
OrderWithRequires: ord

%description
test package

%install
mkdir -p %{buildroot}/usr/share/dt %{buildroot}/etc %{buildroot}/usr/bin %{buildroot}/var/log
echo hello > %{buildroot}/usr/share/dt/a
ln %{buildroot}/usr/share/dt/a %{buildroot}/usr/share/dt/b
ln -s a %{buildroot}/usr/share/dt/link
echo conf > %{buildroot}/etc/dt.conf
echo doc > %{buildroot}/usr/share/dt/README
seq 1 100000 > %{buildroot}/usr/share/dt/big
printf '#!/bin/sh\\necho hi\\n' > %{buildroot}/usr/bin/dt
chmod 755 %{buildroot}/usr/bin/dt
cp %{buildroot}/usr/bin/dt %{buildroot}/usr/bin/suid
touch %{buildroot}/usr/share/dt/empty

%files
%dir /usr/share/dt
/usr/share/dt/a
/usr/share/dt/b
/usr/share/dt/link
/usr/share/dt/big
/usr/share/dt/empty
%config(noreplace) /etc/dt.conf
%doc /usr/share/dt/README
%ghost /var/log/dt.log
%caps(cap_net_raw=p) /usr/bin/dt
%attr(4755, root, root) /usr/bin/suid

%pre
echo pre

%post -p /bin/sh
echo post

%triggerin -- trig
echo t

%triggerun -- other < 2
echo un

%filetriggerin -p /bin/sh -P 1000 -- /usr/lib /usr/lib64
echo ft

%transfiletriggerpostun -- /usr/share
echo tft

%changelog
* Mon Jan 01 2024 A <a@b> - 1
- first
`;

/** Build the test spec once per payload codec; returns the .rpm paths. */
export function buildVariants(dir: string, codecs = ['w9.gzdio', 'w6.xzdio', 'w19.zstdio', 'w9.bzdio', 'w0.ufdio', 'w6.lzdio']): string[] {
  writeFileSync(join(dir, 't.spec'), SPEC);
  const out: string[] = [];
  for (const c of codecs) {
    const top = join(dir, `top-${c}`);
    mkdirSync(top, { recursive: true });
    const r = run('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, '--define', `_binary_payload ${c}`, '--define', '__os_install_post %{nil}', '--define', 'debug_package %{nil}', '--define', '_build_id_links none', join(dir, 't.spec')], { env: { HOME: dir } });
    if (r.status !== 0) throw new Error(`rpmbuild ${c} failed: ${r.stderr}`);
    out.push(join(top, 'RPMS', 'noarch', 'drifttest-1.2-3.noarch.rpm'));
  }
  return out;
}

test('rpmbuild-made packages (gzip, xz, zstd, bzip2, none, legacy lzma): inspect and payload equal rpm', async (t) => {
  if (!requireTool(t, 'rpm', 'rpmbuild', 'rpm2cpio', 'cpio')) return;
  const dir = tempDir(t);
  const built = buildVariants(dir);
  for (const p of built) {
    const info = await inspectPackage(p);
    compare(p, info, rpmQuery(p));
    compareScripts(p, info);
    await checkPayload(p);
    assert.equal(info.epoch, 2);
    assert.ok(info.requires.includes('(a or b)'));
    assert.deepEqual(info.scriptlets.postin?.prog, ['/bin/sh']);
    assert.deepEqual(info.triggers.map((x) => [x.type, x.conditions]), [['in', ['trig']], ['un', ['other < 2']]]);
    assert.deepEqual(info.fileTriggers.map((x) => [x.type, x.conditions, x.priority]), [['in', ['/usr/lib', '/usr/lib64'], 1000]]);
    assert.equal(info.changelog.length, 1);
    const ghost = info.files.find((f) => f.path === '/var/log/dt.log')!;
    assert.deepEqual(ghost.flags, ['ghost']);
    assert.equal(info.files.find((f) => f.path === '/usr/share/dt/a')!.nlink, 2);
  }
  const codecs = await Promise.all(built.map(async (p) => (await inspectPackage(p)).payloadCompressor));
  assert.deepEqual(codecs, ['gzip', 'xz', 'zstd', 'bzip2', 'none', 'lzma']);
  // CLI contract: one JSON object
  const r = runCli(['rpm', 'inspect', built[2]!, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['name', 'epoch', 'version', 'release', 'arch', 'license', 'summary', 'sourcerpm', 'buildtime', 'payloadCompressor', ...KINDS, 'files']) assert.ok(k in j, k);
  assert.deepEqual(Object.keys(j.files[0]).slice(0, 8), ['path', 'size', 'mode', 'user', 'group', 'digest', 'linkto', 'flags']);

});

test('rpm inspect on a non-RPM fails with a coded error', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'x.rpm');
  writeFileSync(f, 'not an rpm at all, just text that is long enough to hold a lead.......................................');
  const r = runCli(['rpm', 'inspect', f, '--json']);
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).error.code, 'RPM_BAD_MAGIC');
});
