import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpioWriter, encodeCpioHeader } from './cpio-write.js';
import { isDriftlessError } from '../core/errors.js';
import { requireTool, run, tempDir } from '../../test/helpers/cli.js';

const enc = new TextEncoder();

function archive(entries: Array<{ name: string; mode: number; data?: string; ino?: number; nlink?: number; mtime?: number }>): Buffer {
  const w = new CpioWriter();
  const chunks: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.data !== undefined ? enc.encode(e.data) : undefined;
    for (const c of w.entry({ name: e.name, mode: e.mode, ino: e.ino, nlink: e.nlink, mtime: e.mtime ?? 1704067200, size: data?.length ?? 0 }, data)) chunks.push(c);
  }
  for (const c of w.trailer()) chunks.push(c);
  const b = Buffer.concat(chunks);
  assert.equal(b.length, w.size);
  return b;
}

test('newc header layout: magic, 13 hex fields, NUL-terminated name padded to 4', () => {
  const h = encodeCpioHeader({ name: './a', mode: 0o100644, ino: 7, nlink: 1, mtime: 0x65920080, size: 3 });
  const s = Buffer.from(h).toString('latin1');
  assert.equal(s.slice(0, 6), '070701');
  assert.equal(s.slice(6, 14), '00000007');
  assert.equal(s.slice(14, 22), '000081a4');
  assert.equal(s.slice(46, 54), '65920080');
  assert.equal(s.slice(54, 62), '00000003');
  assert.equal(s.slice(94, 102), '00000004'); // namesize includes the NUL
  assert.equal(h.length % 4, 0);
  assert.equal(h.length, 116); // 110 + "./a\0" = 114, padded to 116
});

test('every data length is padded to a 4-byte boundary', () => {
  for (let n = 0; n < 9; n++) {
    const b = archive([{ name: `./f${n}`, mode: 0o100644, data: 'x'.repeat(n) }]);
    assert.equal(b.length % 4, 0, `length ${n}`);
  }
});

test('refuses fields that do not fit in 32 bits and data that does not match the size', () => {
  const w = new CpioWriter();
  assert.throws(() => [...w.entry({ name: './big', mode: 0o100644, size: 2 ** 32 }, new Uint8Array(0))], (e) => isDriftlessError(e, 'CPIO_SIZE_MISMATCH'));
  assert.throws(() => encodeCpioHeader({ name: './big', mode: 0o100644, size: 2 ** 32 }), (e) => isDriftlessError(e, 'CPIO_FILE_TOO_LARGE'));
  assert.throws(() => [...w.entry({ name: './x', mode: 0o100644, size: 2 }, enc.encode('abc'))], (e) => isDriftlessError(e, 'CPIO_SIZE_MISMATCH'));
  assert.throws(() => encodeCpioHeader({ name: './x', mode: -1, size: 0 }), (e) => isDriftlessError(e, 'CPIO_FIELD_RANGE'));
});

test('GNU cpio extracts files, directories, symlinks and hardlinks exactly', (t) => {
  if (!requireTool(t, 'cpio')) return;
  const dir = tempDir(t);
  const names = ['./d', './d/a', './d/bb', './d/ccc', './d/dddd', './d/link', './d/h1', './d/h2'];
  const b = archive([
    { name: names[0]!, mode: 0o040755, ino: 1 },
    { name: names[1]!, mode: 0o100644, data: '', ino: 2 },
    { name: names[2]!, mode: 0o100600, data: 'b\n', ino: 3 },
    { name: names[3]!, mode: 0o100755, data: 'ccc\n\0\u00ff', ino: 4 },
    { name: names[4]!, mode: 0o100644, data: 'dddd'.repeat(1000), ino: 5 },
    { name: names[5]!, mode: 0o120777, data: 'bb', ino: 6 },
    // hardlink set as rpm writes it: content on the last member
    { name: names[6]!, mode: 0o100644, ino: 7, nlink: 2 },
    { name: names[7]!, mode: 0o100644, data: 'shared\n', ino: 7, nlink: 2 },
  ]);
  const file = join(dir, 'a.cpio');
  writeFileSync(file, b);
  const list = run('cpio', ['-it', '--quiet', '-F', file]);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual(list.stdout.trim().split('\n'), names);
  const out = join(dir, 'x');
  run('mkdir', [out]);
  const r = run('cpio', ['-idm', '--quiet', '--no-absolute-filenames', '-F', file], { cwd: out });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(out, 'd/bb'), 'utf8'), 'b\n');
  assert.deepEqual(readFileSync(join(out, 'd/ccc')), Buffer.from('ccc\n\0\u00ff'));
  assert.equal(readFileSync(join(out, 'd/dddd'), 'utf8').length, 4000);
  assert.equal(statSync(join(out, 'd/ccc')).mode & 0o7777, 0o755);
  assert.equal(statSync(join(out, 'd/bb')).mode & 0o7777, 0o600);
  assert.equal(statSync(join(out, 'd/a')).size, 0);
  assert.equal(readlinkSync(join(out, 'd/link')), 'bb');
  assert.equal(readFileSync(join(out, 'd/h1'), 'utf8'), 'shared\n');
  assert.equal(statSync(join(out, 'd/h1')).ino, statSync(join(out, 'd/h2')).ino);
  assert.equal(statSync(join(out, 'd/bb')).mtimeMs, 1704067200 * 1000);
});

test('entryStream streams data and refuses sources that are shorter or longer than declared', async () => {
  async function* src(parts: string[]) {
    for (const p of parts) yield enc.encode(p);
  }
  const collect = async (w: CpioWriter, size: number, parts: string[]) => {
    const out: Uint8Array[] = [];
    for await (const c of w.entryStream({ name: './s', mode: 0o100644, mtime: 1704067200, size }, src(parts))) out.push(c);
    return Buffer.concat(out);
  };
  const w = new CpioWriter();
  const streamed = await collect(w, 5, ['ab', 'cde']);
  assert.deepEqual(streamed, archive([{ name: './s', mode: 0o100644, data: 'abcde' }]).subarray(0, streamed.length));
  assert.equal(w.size, streamed.length);
  await assert.rejects(collect(new CpioWriter(), 5, ['ab']), (e) => isDriftlessError(e, 'CPIO_SIZE_MISMATCH'));
  await assert.rejects(collect(new CpioWriter(), 2, ['ab', 'c']), (e) => isDriftlessError(e, 'CPIO_SIZE_MISMATCH'));
});
