/**
 * A loopback-only HTTP server for tests that serves files from memory and injects faults:
 * error statuses, dropped connections mid-body, lying Content-Length, corrupted bytes, slow
 * responses and stalls, with or without Range support. It binds 127.0.0.1 on an ephemeral port,
 * refuses to serve more than `maxRequests` requests (so a retry loop cannot spin forever) and is
 * closed by `t.after` when created through `startFaultyServer(t, ...)`.
 *
 *   const srv = await startFaultyServer(t, { files: { '/repo/repodata/repomd.xml': bytes } })
 *   srv.fault({ path: '/repo/a.rpm', kind: 'drop', afterBytes: 100, times: 1 })
 *   await download(`${srv.url}/repo/a.rpm`)
 *   srv.log  // every request: method, path, range, status
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';

export type FaultKind =
  /** Answer with `status` (404, 500, 503...) and a short body. */
  | 'status'
  /** Send headers and `afterBytes` bytes of the body, then destroy the socket. */
  | 'drop'
  /** Declare `contentLength` but send the real body (connection closed after the body). */
  | 'wrong-length'
  /** Serve the body with one byte flipped at `offset` (default: the middle). */
  | 'corrupt'
  /** Serve `body` instead of the real content (size and digest differ). */
  | 'replace'
  /** Answer 302 with `location`. */
  | 'redirect'
  /** Wait `delayMs` before sending headers. */
  | 'slow-headers'
  /** Send headers and `afterBytes` bytes, then stall for `delayMs` (then finish normally). */
  | 'stall';

export interface Fault {
  /** Exact request path, or a pattern. */
  path: string | RegExp;
  kind: FaultKind;
  /** Apply to the first N matching requests only (default: every one). */
  times?: number;
  status?: number;
  afterBytes?: number;
  contentLength?: number;
  offset?: number;
  delayMs?: number;
  body?: Uint8Array | string;
  location?: string;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  range?: string;
  status: number;
  fault?: FaultKind;
}

export interface FaultyServerOptions {
  /** Path → content. Paths start with '/'. */
  files?: Record<string, Uint8Array | string>;
  faults?: Fault[];
  /** Honour `Range: bytes=N-` / `bytes=N-M` (default true). */
  ranges?: boolean;
  /** Hard bound on requests served; later ones get 429 and the socket closed (default 200). */
  maxRequests?: number;
  /** Serve https with the test certificate (TEST_TLS_CERT, for 127.0.0.1/localhost). */
  tls?: boolean;
}

/**
 * Self-signed test certificate (P-256, SAN IP:127.0.0.1 + DNS:localhost, valid 2000–2100).
 * Test-only: the private key is public. Clients trust it with `ca: TEST_TLS_CERT`.
 */
export const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBcTCCARegAwIBAgIBATAKBggqhkjOPQQDAjAZMRcwFQYDVQQDDA5kcmlmdGxl
c3MgdGVzdDAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowGTEXMBUG
A1UEAwwOZHJpZnRsZXNzIHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQg
beifPQAzF6sV8oLVBqnLtKVrV163DXT4iT2wNQT7F/sJjEmlpjgaR6nUbS/f9u2G
AhB81di03EU89AiWkrVso04wTDAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3Qw
DwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUmjx2Jv7sTA5OIlAeDba4odRWAsIw
CgYIKoZIzj0EAwIDSAAwRQIgMQBLJS7NMhWwruz093ONqiOhbAl5RCMg+rl9D3co
ws0CIQCmALbcGIadRsLnR6Uw+hJhoYuf5XENMOJglbFrB1MlFQ==
-----END CERTIFICATE-----
`;
const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzp4+7CFuzFL1Pn09
Qc8tSqMVzxC94xSRNGekGI59hr+hRANCAAQgbeifPQAzF6sV8oLVBqnLtKVrV163
DXT4iT2wNQT7F/sJjEmlpjgaR6nUbS/f9u2GAhB81di03EU89AiWkrVs
-----END PRIVATE KEY-----
`;

export interface FaultyServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  log: RequestLogEntry[];
  setFile(path: string, content: Uint8Array | string): void;
  fault(f: Fault): void;
  clearFaults(): void;
  /** Requests seen for a path. */
  hits(path: string): number;
  close(): Promise<void>;
}

interface ActiveFault extends Fault {
  used: number;
}

/** Start the server; when `t` is given it is closed in `t.after`. */
export async function startFaultyServer(t: TestContext | undefined, opts: FaultyServerOptions = {}): Promise<FaultyServer> {
  const files = new Map<string, Buffer>();
  for (const [p, c] of Object.entries(opts.files ?? {})) files.set(p, Buffer.from(c));
  let faults: ActiveFault[] = (opts.faults ?? []).map((f) => ({ ...f, used: 0 }));
  const ranges = opts.ranges ?? true;
  const maxRequests = opts.maxRequests ?? 200;
  const log: RequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const h = setTimeout(() => {
      timers.delete(h);
      fn();
    }, ms);
    timers.add(h);
  };

  const pickFault = (path: string): ActiveFault | undefined => {
    for (const f of faults) {
      const match = typeof f.path === 'string' ? f.path === path : f.path.test(path);
      if (!match) continue;
      if (f.times !== undefined && f.used >= f.times) continue;
      f.used++;
      return f;
    }
    return undefined;
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path, range: req.headers.range, status: 0 };
    log.push(entry);
    if (log.length > maxRequests) {
      entry.status = 429;
      res.writeHead(429, { connection: 'close' }).end('request budget exhausted');
      return;
    }
    const f = pickFault(path);
    if (f) entry.fault = f.kind;
    if (f?.kind === 'status') {
      entry.status = f.status ?? 500;
      res.writeHead(entry.status, { 'content-type': 'text/plain', connection: 'close' }).end(`injected ${entry.status}`);
      return;
    }
    if (f?.kind === 'redirect') {
      entry.status = 302;
      res.writeHead(302, { location: f.location ?? '/' }).end();
      return;
    }
    let body = files.get(path);
    if (f?.kind === 'replace') body = Buffer.from(f.body ?? '');
    if (!body) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (f?.kind === 'corrupt') {
      body = Buffer.from(body);
      const at = Math.min(body.length - 1, f.offset ?? body.length >> 1);
      body[at] = body[at]! ^ 0xff;
    }
    let status = 200;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'accept-ranges': ranges ? 'bytes' : 'none' };
    let part = body;
    const m = ranges && req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
    if (m) {
      const start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
      if (start >= body.length || start > end) {
        entry.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      part = body.subarray(start, end + 1);
      headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
    }
    headers['content-length'] = f?.kind === 'wrong-length' ? (f.contentLength ?? part.length + 10) : part.length;
    entry.status = status;
    const send = () => {
      res.writeHead(status, headers);
      if (f?.kind === 'drop') {
        res.write(part.subarray(0, f.afterBytes ?? 0), () => later(20, () => res.socket?.destroy()));
        return;
      }
      if (f?.kind === 'wrong-length') {
        // Write the real bytes, then close: the client sees a short or overlong body.
        res.write(part, () => later(20, () => res.socket?.destroy()));
        return;
      }
      if (f?.kind === 'stall') {
        const n = f.afterBytes ?? 0;
        res.write(part.subarray(0, n));
        later(f.delayMs ?? 1000, () => {
          if (!res.destroyed) res.end(part.subarray(n));
        });
        return;
      }
      res.end(part);
    };
    if (f?.kind === 'slow-headers') later(f.delayMs ?? 1000, () => !res.destroyed && send());
    else send();
  };

  const server: Server = opts.tls ? createTlsServer({ key: TEST_TLS_KEY, cert: TEST_TLS_CERT }, handler) : createServer(handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const h of timers) clearTimeout(h);
    timers.clear();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t?.after(close);
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    log,
    setFile(p, c) {
      files.set(p, Buffer.from(c));
    },
    fault(f) {
      faults.push({ ...f, used: 0 });
    },
    clearFaults() {
      faults = [];
    },
    hits(p) {
      return log.filter((e) => e.path === p).length;
    },
    close,
  };
}

/**
 * Run `driftless ARGS` in a child process without blocking this one (runCli uses spawnSync,
 * which would freeze an in-process server while the CLI talks to it).
 */
export async function runCliAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  const { repoRoot } = await import('./cli.js');
  const { join } = await import('node:path');
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('error', reject);
    c.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

export interface TestProxy {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** What went through: `GET http://…` for proxied requests, `CONNECT host:port` for tunnels. */
  log: string[];
  close(): Promise<void>;
}

/**
 * A loopback-only forward proxy for tests: absolute-URL GETs are forwarded, CONNECT opens a
 * tunnel to 127.0.0.1 targets only. With `auth` ("user:pass") requests without the matching
 * Proxy-Authorization get 407.
 */
export async function startTestProxy(t: TestContext | undefined, opts: { auth?: string } = {}): Promise<TestProxy> {
  const { request } = await import('node:http');
  const net = await import('node:net');
  const log: string[] = [];
  const sockets = new Set<Socket>();
  const authorized = (h: string | undefined) => !opts.auth || h === `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  const server = createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    if (!authorized(req.headers['proxy-authorization'])) {
      res.writeHead(407).end();
      return;
    }
    const target = new URL(req.url ?? '');
    if (target.hostname !== '127.0.0.1') {
      res.writeHead(403).end('loopback only');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const up = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
      ur.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    log.push(`CONNECT ${req.url}`);
    if (!authorized(req.headers['proxy-authorization'])) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t?.after(close);
  return { url: `http://127.0.0.1:${port}`, log, close };
}
