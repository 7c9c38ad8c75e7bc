import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultyServer, startTestProxy, TEST_TLS_CERT, type FaultyServer } from '../../test/helpers/faulty-http.js';
import { tempDir } from '../../test/helpers/cli.js';
import { HttpRepoSource, backoffDelay, Semaphore, parseHttpLocation, type HttpSourceOptions } from './http-source.js';
import { openRepoSource, readAll } from './source.js';
import { fetchAll, fetchToStore, openCache, type Cache } from './fetch.js';
import { isDriftlessError } from '../core/errors.js';
import { CollectingReport } from '../core/report.js';
import type { TestContext } from 'node:test';

// Generous timeouts (a loaded CI machine must not trip them); timeout tests set their own.
const FAST: HttpSourceOptions = { retries: 2, backoffBaseMs: 2, backoffMaxMs: 10, connectTimeoutMs: 5000, idleTimeoutMs: 5000 };
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const PKG = randomBytes(200_000);
const PKG2 = randomBytes(50_000);
const files = (prefix: string) => ({ [`${prefix}/Packages/a.rpm`]: PKG, [`${prefix}/Packages/b.rpm`]: PKG2 });
const item = (rel = 'Packages/a.rpm', body: Uint8Array = PKG) => ({ relPath: rel, checksum: { type: 'sha256', value: sha256(body) }, size: body.length });

function cacheFor(t: TestContext): Cache {
  const c = openCache(tempDir(t, 'driftless-fetch-'));
  t.after(() => c.close());
  return c;
}

/** The store invariant: every object re-hashes to its name and no temp file is left. */
async function assertStoreClean(c: Cache) {
  for (const d of await c.store.list()) assert.ok(await c.store.verify(d), `object ${d} does not match its hash`);
  let tmp: string[] = [];
  try {
    tmp = readdirSync(join(c.root, 'tmp'));
  } catch {}
  assert.deepEqual(tmp, []);
}

async function source(t: TestContext, srv: FaultyServer, bases: string[], o: HttpSourceOptions = {}) {
  const s = new HttpRepoSource({ baseurls: bases.map((b) => `${srv.url}${b}`) }, { ...FAST, ...o });
  t.after(() => s.close());
  return s;
}

async function rejectsCode(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isDriftlessError(e), `not a DriftlessError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test('clean download into the store, second fetch is a cache hit', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r') });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  const r1 = await fetchToStore(s, item(), c);
  assert.equal(r1.sha256, sha256(PKG));
  assert.equal(r1.cached, false);
  const r2 = await fetchToStore(s, item(), c);
  assert.equal(r2.cached, true);
  assert.equal(srv.hits('/r/Packages/a.rpm'), 1);
  assert.equal(c.index.origins(r1.sha256)[0]!.url, `${srv.url}/r/Packages/a.rpm`);
  await assertStoreClean(c);
});

test('dropped connection mid-body resumes with a Range request', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), faults: [{ path: '/r/Packages/a.rpm', kind: 'drop', afterBytes: 70_000, times: 2 }] });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  const r = await fetchToStore(s, item(), c);
  assert.equal(r.sha256, sha256(PKG));
  const reqs = srv.log.filter((e) => e.path === '/r/Packages/a.rpm');
  assert.equal(reqs.length, 3);
  assert.match(reqs[1]!.range ?? '', /^bytes=\d+-$/);
  assert.equal(reqs[2]!.status, 206);
  await assertStoreClean(c);
});

test('a connection that keeps breaking still completes while each attempt makes progress', async (t) => {
  const big = randomBytes(5 * 1024 * 1024 + 123);
  const srv = await startFaultyServer(t, { files: { '/r/big.rpm': big }, faults: [{ path: '/r/big.rpm', kind: 'drop', afterBytes: 1536 * 1024 }] });
  const s = await source(t, srv, ['/r/'], { retries: 1 });
  const c = cacheFor(t);
  assert.equal((await fetchToStore(s, item('big.rpm', big), c)).sha256, sha256(big));
  assert.ok(srv.hits('/r/big.rpm') >= 4);
  // without progress the retry budget still ends it
  const s2 = await source(t, srv, ['/r/'], { retries: 1 });
  srv.fault({ path: '/r/Packages/a.rpm', kind: 'drop', afterBytes: 0 });
  srv.setFile('/r/Packages/a.rpm', PKG);
  await rejectsCode(fetchToStore(s2, item(), c), 'REPO_DOWNLOAD_FAILED');
  await assertStoreClean(c);
});

test('without Range support the restart skips the bytes already received', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), ranges: false, faults: [{ path: '/r/Packages/a.rpm', kind: 'drop', afterBytes: 100_000, times: 1 }] });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  assert.equal((await fetchToStore(s, item(), c)).sha256, sha256(PKG));
  await assertStoreClean(c);
});

test('5xx is retried with backoff; persistent 5xx fails REPO_DOWNLOAD_FAILED', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), faults: [{ path: '/r/Packages/a.rpm', kind: 'status', status: 503, times: 2 }] });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  assert.equal((await fetchToStore(s, item(), c)).size, PKG.length);
  srv.fault({ path: '/r/Packages/b.rpm', kind: 'status', status: 500 });
  await rejectsCode(fetchToStore(s, item('Packages/b.rpm', PKG2), c), 'REPO_DOWNLOAD_FAILED');
  assert.equal(srv.hits('/r/Packages/b.rpm'), 3); // 1 + retries
  await assertStoreClean(c);
});

test('404 moves to the next baseurl; 404 everywhere is REPO_FILE_NOT_FOUND', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/good') });
  const s = await source(t, srv, ['/gone1/', '/gone2/', '/good/']);
  const c = cacheFor(t);
  assert.equal((await fetchToStore(s, item(), c)).sha256, sha256(PKG));
  assert.equal(srv.hits('/gone1/Packages/a.rpm'), 1); // no retries on 404
  const s2 = await source(t, srv, ['/gone1/', '/gone2/']);
  await rejectsCode(fetchToStore(s2, item('Packages/b.rpm', PKG2), c), 'REPO_FILE_NOT_FOUND');
  await rejectsCode(s2.open('Packages/a.rpm'), 'REPO_FILE_NOT_FOUND');
  await assertStoreClean(c);
});

test('wrong checksum: the next mirror is tried, all-bad fails REPO_CHECKSUM_MISMATCH', async (t) => {
  const srv = await startFaultyServer(t, { files: { ...files('/m1'), ...files('/m2') }, faults: [{ path: '/m1/Packages/a.rpm', kind: 'corrupt' }] });
  const s = await source(t, srv, ['/m1/', '/m2/']);
  const c = cacheFor(t);
  assert.equal((await fetchToStore(s, item(), c)).sha256, sha256(PKG));
  srv.fault({ path: /\/Packages\/b\.rpm$/, kind: 'corrupt' });
  await assert.rejects(fetchToStore(s, item('Packages/b.rpm', PKG2), c), (e: unknown) => {
    assert.ok(isDriftlessError(e, 'REPO_CHECKSUM_MISMATCH'));
    assert.equal(e.details?.expected, sha256(PKG2));
    assert.match(String(e.details?.actual), /^[0-9a-f]{64}$/);
    return true;
  });
  assert.deepEqual(await c.store.list(), [sha256(PKG)]);
  await assertStoreClean(c);
});

test('sha1 metadata checksums are verified too and unverified bytes never stay', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), faults: [{ path: '/r/Packages/b.rpm', kind: 'corrupt' }] });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  const sha1 = createHash('sha1').update(PKG).digest('hex');
  const r = await fetchToStore(s, { relPath: 'Packages/a.rpm', checksum: { type: 'sha', value: sha1 }, size: PKG.length }, c);
  assert.equal(c.index.findByDigest('sha1', sha1), r.sha256);
  const bad = { relPath: 'Packages/b.rpm', checksum: { type: 'sha1', value: createHash('sha1').update(PKG2).digest('hex') }, size: PKG2.length };
  await rejectsCode(fetchToStore(s, bad, c, { attempts: 2 }), 'REPO_CHECKSUM_MISMATCH');
  assert.deepEqual(await c.store.list(), [r.sha256]);
  await assertStoreClean(c);
});

test('wrong Content-Length / oversized body: REPO_SIZE_MISMATCH, next mirror recovers', async (t) => {
  const srv = await startFaultyServer(t, {
    files: { ...files('/m1'), ...files('/m2') },
    faults: [{ path: '/m1/Packages/a.rpm', kind: 'wrong-length', contentLength: PKG.length + 500 }],
  });
  const s = await source(t, srv, ['/m1/', '/m2/']);
  const c = cacheFor(t);
  assert.equal((await fetchToStore(s, item(), c)).sha256, sha256(PKG));
  // every mirror serves a bigger file than the metadata says
  srv.fault({ path: /b\.rpm$/, kind: 'replace', body: Buffer.concat([PKG2, Buffer.from('extra')]) });
  await rejectsCode(fetchToStore(s, item('Packages/b.rpm', PKG2), c), 'REPO_SIZE_MISMATCH');
  await assertStoreClean(c);
});

test('a short body that keeps breaking resumes, then succeeds when the server recovers', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), faults: [{ path: '/r/Packages/a.rpm', kind: 'wrong-length', contentLength: PKG.length - 10, times: 1 }] });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  // First answer announces fewer bytes than the metadata: size mismatch on the only mirror.
  await rejectsCode(fetchToStore(s, item(), c, { attempts: 1 }), 'REPO_SIZE_MISMATCH');
  assert.equal((await fetchToStore(s, item(), c)).sha256, sha256(PKG));
  await assertStoreClean(c);
});

test('slow headers time out (REPO_TIMEOUT); a mid-body stall resumes', async (t) => {
  const srv = await startFaultyServer(t, {
    files: files('/r'),
    faults: [
      { path: '/r/Packages/b.rpm', kind: 'slow-headers', delayMs: 2000 },
      { path: '/r/Packages/a.rpm', kind: 'stall', afterBytes: 60_000, delayMs: 2000, times: 1 },
    ],
  });
  // the server answers b.rpm after 2 s, the client waits 150 ms for headers
  const s = await source(t, srv, ['/r/'], { retries: 1, connectTimeoutMs: 150 });
  const c = cacheFor(t);
  await rejectsCode(fetchToStore(s, item('Packages/b.rpm', PKG2), c), 'REPO_TIMEOUT');
  assert.equal(srv.hits('/r/Packages/b.rpm'), 2);
  // a.rpm stalls for 2 s mid-body, the client gives up after 300 ms without data and resumes
  const s2 = await source(t, srv, ['/r/'], { idleTimeoutMs: 300 });
  assert.equal((await fetchToStore(s2, item(), c)).sha256, sha256(PKG));
  const a = srv.log.filter((e) => e.path === '/r/Packages/a.rpm');
  assert.ok(a.length >= 2);
  assert.match(a[1]!.range ?? '', /^bytes=[1-9]\d*-$/);
  await assertStoreClean(c);
});

test('an interrupted download resumes in a later fetch from CACHE/partial', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), faults: [{ path: '/r/Packages/a.rpm', kind: 'drop', afterBytes: 80_000, times: 2 }] });
  const s = await source(t, srv, ['/r/'], { retries: 0 });
  const c = cacheFor(t);
  await rejectsCode(fetchToStore(s, item(), c), 'REPO_DOWNLOAD_FAILED');
  const partial = join(c.root, 'partial', `sha256-${sha256(PKG)}`);
  // how much arrived before the reset depends on the kernel; at most what the server sent
  const n1 = readFileSync(partial).length;
  assert.ok(n1 > 0 && n1 <= 80_000, `partial holds ${n1} bytes`);
  assert.deepEqual(readFileSync(partial), PKG.subarray(0, n1));
  await rejectsCode(fetchToStore(s, item(), c), 'REPO_DOWNLOAD_FAILED');
  assert.equal(srv.log.at(-1)!.range, `bytes=${n1}-`);
  const n2 = readFileSync(partial).length;
  assert.ok(n2 > n1);
  const r = await fetchToStore(s, item(), c);
  assert.equal(r.sha256, sha256(PKG));
  assert.equal(srv.log.at(-1)!.range, `bytes=${n2}-`);
  assert.throws(() => readFileSync(partial));
  // a corrupt partial file is caught by the digest check and thrown away
  srv.fault({ path: '/r/Packages/b.rpm', kind: 'drop', afterBytes: 10_000, times: 1 });
  await rejectsCode(fetchToStore(s, item('Packages/b.rpm', PKG2), c), 'REPO_DOWNLOAD_FAILED');
  const p2 = join(c.root, 'partial', `sha256-${sha256(PKG2)}`);
  writeFileSync(p2, Buffer.alloc(10_000, 7));
  assert.equal((await fetchToStore(s, item('Packages/b.rpm', PKG2), c, { attempts: 2 })).sha256, sha256(PKG2));
  assert.throws(() => readFileSync(p2));
  await assertStoreClean(c);
});

test('maxSize bounds downloads without a known size', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r') });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  await rejectsCode(fetchToStore(s, { relPath: 'Packages/a.rpm', checksum: item().checksum }, c, { maxSize: 1000 }), 'REPO_FILE_TOO_LARGE');
  await rejectsCode((async () => readAll(await s.open('Packages/a.rpm', { maxSize: 10 })))(), 'REPO_FILE_TOO_LARGE');
  await rejectsCode(fetchToStore(s, { relPath: 'Packages/a.rpm' }, c), 'REPO_NO_CHECKSUM');
  await assertStoreClean(c);
});

test('mirrorlist: dead first mirrors are skipped', async (t) => {
  const srv = await startFaultyServer(t, { files: { ...files('/m3'), '/mirrors.txt': '' } });
  srv.setFile('/mirrors.txt', `# mirrors\n${srv.url}/m1/\n${srv.url}/m2\n\n${srv.url}/m3/\n`);
  const s = openRepoSource(`mirrorlist+${srv.url}/mirrors.txt`, FAST as Record<string, unknown>) as HttpRepoSource;
  t.after(() => s.close());
  assert.deepEqual(await s.mirrors(), [`${srv.url}/m1/`, `${srv.url}/m2/`, `${srv.url}/m3/`]);
  const c = cacheFor(t);
  assert.equal((await fetchAll(s, [item(), item('Packages/b.rpm', PKG2)], c, { concurrency: 2 })).length, 2);
  assert.equal(srv.hits('/mirrors.txt'), 1);
  await assertStoreClean(c);
});

function metalinkXml(urls: string[], repomd: Buffer, alt?: Buffer): string {
  const h = (b: Buffer) => `<size>${b.length}</size><verification><hash type="md5">${createHash('md5').update(b).digest('hex')}</hash><hash type="sha256">${sha256(b)}</hash></verification>`;
  return `<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/" xmlns:mm0="http://fedorahosted.org/mirrormanager">
 <files>
  <file name="repomd.xml">
   ${alt ? `<mm0:alternates><mm0:alternate><mm0:timestamp>1</mm0:timestamp>${h(alt)}</mm0:alternate></mm0:alternates>` : ''}
   <mm0:timestamp>2</mm0:timestamp>
   ${h(repomd)}
   <resources maxconnections="1">
${urls.map((u, i) => `    <url protocol="http" type="http" location="XX" preference="${100 - i}">${u}</url>`).join('\n')}
    <url protocol="rsync" type="rsync" location="XX" preference="1">rsync://example/x/repodata/repomd.xml</url>
   </resources>
  </file>
 </files>
</metalink>`;
}

test('metalink: 404 and tampered mirrors are skipped, repomd must match the metalink hash', async (t) => {
  const repomd = Buffer.from('<repomd>current</repomd>');
  const old = Buffer.from('<repomd>previous</repomd>');
  const srv = await startFaultyServer(t, {
    files: { '/m2/repodata/repomd.xml': '<repomd>tampered</repomd>', '/m3/repodata/repomd.xml': repomd, '/m4/repodata/repomd.xml': old, ...files('/m3') },
  });
  const ml = (ms: string[]) => metalinkXml(ms.map((m) => `${srv.url}/${m}/repodata/repomd.xml`), repomd, old);
  srv.setFile('/metalink', ml(['m1', 'm2', 'm3']));
  const s = new HttpRepoSource({ metalink: `${srv.url}/metalink` }, FAST);
  t.after(() => s.close());
  assert.deepEqual((await readAll(await s.open('repodata/repomd.xml'))).toString(), repomd.toString());
  assert.equal(srv.hits('/m1/repodata/repomd.xml'), 1);
  // packages come from the mirrors too (m1 404, m2 404 for packages, m3 serves)
  const c = cacheFor(t);
  assert.equal((await fetchToStore(s, item(), c)).sha256, sha256(PKG));
  // an alternate (previous) repomd is accepted as dnf does
  srv.setFile('/metalink2', ml(['m4']));
  const s2 = new HttpRepoSource({ metalink: `${srv.url}/metalink2` }, FAST);
  t.after(() => s2.close());
  assert.equal((await readAll(await s2.open('repodata/repomd.xml'))).toString(), old.toString());
  // only tampered copies: refused
  srv.setFile('/metalink3', ml(['m1', 'm2']));
  const s3 = new HttpRepoSource({ metalink: `${srv.url}/metalink3` }, FAST);
  t.after(() => s3.close());
  await rejectsCode(s3.open('repodata/repomd.xml'), 'REPO_METALINK_MISMATCH');
  // a broken metalink document
  srv.setFile('/metalink4', '<metalink><files></files></metalink>');
  await rejectsCode(new HttpRepoSource({ metalink: `${srv.url}/metalink4` }, FAST).open('repodata/repomd.xml'), 'REPO_METALINK_INVALID');
  await assertStoreClean(c);
});

test('bounded concurrency: never more requests in flight than maxConcurrency', async (t) => {
  const many: Record<string, Buffer> = {};
  for (let i = 0; i < 8; i++) many[`/r/p${i}.rpm`] = randomBytes(1000 + i);
  const srv = await startFaultyServer(t, { files: many, faults: [{ path: /p\d\.rpm$/, kind: 'stall', afterBytes: 10, delayMs: 40 }] });
  const s = await source(t, srv, ['/r/'], { maxConcurrency: 2 });
  const c = cacheFor(t);
  let inFlight = 0;
  let peak = 0;
  const origOpen = s.open.bind(s);
  // count open bodies from the source's point of view
  s.open = async (rel, o) => {
    const body = await origOpen(rel, o);
    inFlight++;
    peak = Math.max(peak, inFlight);
    return (async function* () {
      try {
        yield* body;
      } finally {
        inFlight--;
      }
    })();
  };
  const items = Object.entries(many).map(([p, b]) => item(p.slice(3), b));
  const res = await fetchAll(s, items, c, { concurrency: 8 });
  assert.equal(res.length, 8);
  assert.ok(peak <= 2, `peak ${peak}`);
  await assertStoreClean(c);
});

test('https: trusted CA works (with resume), unknown CA fails REPO_TLS_FAILED without retries', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), tls: true, faults: [{ path: '/r/Packages/a.rpm', kind: 'drop', afterBytes: 50_000, times: 1 }] });
  assert.match(srv.url, /^https:/);
  const good = new HttpRepoSource({ baseurls: [`${srv.url}/r/`] }, { ...FAST, ca: TEST_TLS_CERT });
  t.after(() => good.close());
  const c = cacheFor(t);
  assert.equal((await fetchToStore(good, item(), c)).sha256, sha256(PKG));
  const bad = new HttpRepoSource({ baseurls: [`${srv.url}/r/`] }, FAST);
  t.after(() => bad.close());
  const before = srv.log.length;
  await rejectsCode(bad.open('Packages/b.rpm'), 'REPO_TLS_FAILED');
  assert.equal(srv.log.length, before); // the handshake failed: no request was served
  const report = new CollectingReport();
  const insecure = new HttpRepoSource({ baseurls: [`${srv.url}/r/`] }, { ...FAST, insecure: true, report });
  t.after(() => insecure.close());
  assert.equal((await readAll(await insecure.open('Packages/b.rpm'))).length, PKG2.length);
  assert.deepEqual(report.warnings.map((w) => w.code), ['REPO_TLS_INSECURE']);
  await assertStoreClean(c);
});

test('redirects are followed (bounded); https never redirects to http', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/m'), faults: [{ path: /^\/r\//, kind: 'redirect', location: '/m/Packages/a.rpm' }] });
  srv.fault({ path: '/loop', kind: 'redirect', location: '/loop' });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  assert.equal((await fetchToStore(s, item(), c)).sha256, sha256(PKG));
  const loop = new HttpRepoSource({ baseurls: [`${srv.url}/`] }, FAST);
  t.after(() => loop.close());
  await rejectsCode(loop.open('loop'), 'REPO_DOWNLOAD_FAILED');
  assert.equal(srv.hits('/loop'), 6); // the first request + maxRedirects (5)
  const tls = await startFaultyServer(t, { files: {}, tls: true, faults: [{ path: /./, kind: 'redirect', location: `${srv.url}/m/Packages/a.rpm` }] });
  const down = new HttpRepoSource({ baseurls: [`${tls.url}/x/`] }, { ...FAST, ca: TEST_TLS_CERT });
  t.after(() => down.close());
  await assert.rejects(down.open('Packages/a.rpm'), (e: unknown) => isDriftlessError(e) && /https to http/.test(e.message));
  await assertStoreClean(c);
});

test('proxies: http via absolute URL, https via CONNECT tunnel, credentials, no_proxy', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), faults: [{ path: '/r/Packages/a.rpm', kind: 'drop', afterBytes: 30_000, times: 1 }] });
  const tls = await startFaultyServer(t, { files: files('/s'), tls: true });
  const proxy = await startTestProxy(t, { auth: 'u:p w' });
  const authed = `http://u:p%20w@${proxy.url.slice('http://'.length)}`;
  const c = cacheFor(t);
  const viaHttp = new HttpRepoSource({ baseurls: [`${srv.url}/r/`] }, { ...FAST, proxy: authed });
  t.after(() => viaHttp.close());
  assert.equal((await fetchToStore(viaHttp, item(), c)).sha256, sha256(PKG));
  assert.ok(proxy.log.includes(`GET ${srv.url}/r/Packages/a.rpm`));
  const viaTunnel = new HttpRepoSource({ baseurls: [`${tls.url}/s/`] }, { ...FAST, proxy: authed, ca: TEST_TLS_CERT });
  t.after(() => viaTunnel.close());
  assert.equal((await fetchToStore(viaTunnel, item('Packages/b.rpm', PKG2), c)).sha256, sha256(PKG2));
  assert.ok(proxy.log.includes(`CONNECT 127.0.0.1:${new URL(tls.url).port}`));
  // wrong credentials: the proxy's 407 / refused tunnel is a coded failure
  const bad = new HttpRepoSource({ baseurls: [`${tls.url}/s/`] }, { ...FAST, retries: 0, proxy: proxy.url, ca: TEST_TLS_CERT });
  t.after(() => bad.close());
  await rejectsCode(bad.open('Packages/a.rpm'), 'REPO_DOWNLOAD_FAILED');
  // no_proxy: direct
  const n = proxy.log.length;
  const direct = new HttpRepoSource({ baseurls: [`${srv.url}/r/`] }, { ...FAST, proxy: authed, noProxy: 'example.com,127.0.0.1' });
  t.after(() => direct.close());
  assert.equal((await readAll(await direct.open('Packages/b.rpm'))).length, PKG2.length);
  assert.equal(proxy.log.length, n);
  await assertStoreClean(c);
});

test('an aborted download stops with REPO_ABORTED and leaves nothing in the store', async (t) => {
  const srv = await startFaultyServer(t, { files: files('/r'), faults: [{ path: '/r/Packages/a.rpm', kind: 'stall', afterBytes: 20_000, delayMs: 3000 }] });
  const s = await source(t, srv, ['/r/']);
  const c = cacheFor(t);
  const ac = new AbortController();
  const p = fetchToStore(s, item(), c, { signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await rejectsCode(p, 'REPO_ABORTED');
  assert.deepEqual(await c.store.list(), []);
  await assertStoreClean(c);
});

test('backoff is exponential and bounded; semaphore; locations', async () => {
  assert.equal(backoffDelay(0, 100, 1000, () => 0), 50);
  assert.equal(backoffDelay(3, 100, 1000, () => 1), 800);
  for (let n = 0; n < 40; n++) assert.ok(backoffDelay(n, 100, 1000) <= 1000);
  const sem = new Semaphore(1);
  const r1 = await sem.acquire();
  let got = false;
  const p = sem.acquire().then((r) => {
    got = true;
    return r;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(got, false);
  r1();
  (await p)();
  assert.deepEqual(parseHttpLocation('metalink+https://m/x?repo=a'), { metalink: 'https://m/x?repo=a' });
  assert.deepEqual(parseHttpLocation('https://a/ https://b/'), { baseurls: ['https://a/', 'https://b/'] });
});
