/**
 * HTTP proxies for http(s) repository sources, as dnf's `proxy=` and the usual environment
 * variables describe them: http targets are requested from the proxy with their absolute URL,
 * https targets go through a CONNECT tunnel (TLS stays end to end, certificates are checked
 * against the real host).
 *
 *   const proxy = proxyFor(new URL('https://mirror/x'), { proxy: 'http://user:pw@proxy:3128' })
 *   const agent = new TunnelingAgent(proxy, { keepAlive: true, ca })   // for https targets
 *
 * `proxy: '_none_'` (dnf's spelling) or '' turns proxies off; otherwise the explicit proxy wins
 * over `https_proxy`/`http_proxy` (and upper-case), and `no_proxy` lists hosts to reach directly.
 * Proxies from the environment are not used for loopback addresses.
 */
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { DriftlessError } from '../core/errors.js';

export interface ProxySettings {
  /** Proxy URL (http://[user:pass@]host:port), '' or '_none_' for none; undefined → environment. */
  proxy?: string;
  /** Comma-separated hosts/domains reached directly (default: $no_proxy). */
  noProxy?: string;
}

function env(name: string): string | undefined {
  return process.env[name] ?? process.env[name.toUpperCase()];
}

/** Is `host` matched by a no_proxy list ("*", "example.com", ".example.com", "10.0.0.1")? */
export function bypassesProxy(host: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      const e = entry.toLowerCase().replace(/:\d+$/, '');
      if (e === '*') return true;
      const bare = e.replace(/^\*?\./, '');
      return h === bare || h.endsWith(`.${bare}`);
    });
}

/** The proxy to use for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, s: ProxySettings = {}): URL | undefined {
  const fromEnv = s.proxy === undefined;
  const raw = !fromEnv ? s.proxy : target.protocol === 'https:' ? env('https_proxy') : env('http_proxy');
  if (!raw || raw === '_none_') return undefined;
  // an environment proxy is never used for loopback addresses (only an explicit one is)
  if (fromEnv && /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/i.test(target.hostname)) return undefined;
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new DriftlessError('REPO_BAD_PROXY', `not a proxy URL: ${raw}`, { hint: 'use http://[user:password@]host:port' });
  }
  if (u.protocol !== 'http:') throw new DriftlessError('REPO_BAD_PROXY', `unsupported proxy scheme ${u.protocol} (${raw})`, { hint: 'only http:// proxies are supported' });
  return bypassesProxy(target.hostname, s.noProxy ?? env('no_proxy')) ? undefined : u;
}

/** `Proxy-Authorization` header value for a proxy URL with credentials. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username) return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/** An https Agent whose connections are CONNECT tunnels through an http proxy. */
export class TunnelingAgent extends HttpsAgent {
  constructor(
    readonly proxy: URL,
    opts: AgentOptions = {},
  ) {
    super(opts);
  }

  override createConnection(options: ConnectionOptions & { host?: string; port?: number; servername?: string }, cb: (err: Error | null, socket?: Duplex) => void): undefined {
    const host = options.host ?? 'localhost';
    const port = options.port ?? 443;
    const auth = proxyAuthorization(this.proxy);
    const req = httpRequest({
      host: this.proxy.hostname,
      port: Number(this.proxy.port || 80),
      method: 'CONNECT',
      path: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      headers: { host: `${host}:${port}`, ...(auth ? { 'proxy-authorization': auth } : {}) },
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        cb(Object.assign(new Error(`proxy refused CONNECT ${host}:${port}: HTTP ${res.statusCode}`), { code: 'EPROXY' }));
        return;
      }
      const tls = tlsConnect({ ...options, socket, servername: options.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host) });
      let done = false;
      tls.once('secureConnect', () => {
        done = true;
        cb(null, tls);
      });
      tls.once('error', (e) => {
        if (!done) cb(e);
      });
    });
    req.once('error', (e) => cb(e));
    req.end();
    return undefined;
  }
}
