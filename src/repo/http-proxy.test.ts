import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDriftlessError } from '../core/errors.js';
import { bypassesProxy, proxyAuthorization, proxyFor } from './http-proxy.js';

test('proxy selection: explicit, environment, _none_, no_proxy, loopback', (t) => {
  const saved = { ...process.env };
  t.after(() => {
    for (const k of ['https_proxy', 'http_proxy', 'no_proxy', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  for (const k of ['https_proxy', 'http_proxy', 'no_proxy', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']) delete process.env[k];
  const https = new URL('https://mirror.example.org/os/');
  const http = new URL('http://mirror.example.org/os/');
  assert.equal(proxyFor(https), undefined);
  process.env.https_proxy = 'proxy.corp:3128';
  process.env.HTTP_PROXY = 'http://p2:8080';
  assert.equal(proxyFor(https)?.href, 'http://proxy.corp:3128/');
  assert.equal(proxyFor(http)?.href, 'http://p2:8080/');
  assert.equal(proxyFor(new URL('https://127.0.0.1:8443/')), undefined);
  assert.equal(proxyFor(https, { proxy: '_none_' }), undefined);
  assert.equal(proxyFor(https, { proxy: '' }), undefined);
  assert.equal(proxyFor(new URL('https://127.0.0.1/'), { proxy: 'http://x:1' })?.host, 'x:1');
  process.env.no_proxy = '.example.org';
  assert.equal(proxyFor(https), undefined);
  assert.ok(bypassesProxy('a.b.example.org', 'example.org'));
  assert.ok(bypassesProxy('example.org', '*.example.org'));
  assert.ok(bypassesProxy('anything', '*'));
  assert.ok(!bypassesProxy('badexample.org', 'example.org'));
  assert.throws(() => proxyFor(https, { proxy: 'socks5://x:1' }), (e: unknown) => isDriftlessError(e, 'REPO_BAD_PROXY'));
  assert.equal(proxyAuthorization(new URL('http://a%40b:p%3Aw@h:1')), `Basic ${Buffer.from('a@b:p:w').toString('base64')}`);
});
