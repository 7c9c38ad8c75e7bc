/**
 * http(s) repositories: a RepoSource over one or more base URLs, a mirrorlist or a metalink.
 *
 * Every file is streamed with bounded retries: a dropped connection resumes with a Range request
 * from the last byte received (or skips the prefix when the server ignores Range); 5xx/429 and
 * timeouts are retried with exponential backoff (jitter bounded by `backoffMaxMs`); 404/403 move
 * on to the next mirror at once. A size that disagrees with the metadata fails with
 * REPO_SIZE_MISMATCH, a file above `maxSize` with REPO_FILE_TOO_LARGE. With a metalink,
 * repodata/repomd.xml is only accepted when it matches a hash the metalink advertises.
 *
 *   const src = new HttpRepoSource({ baseurls: ['https://m1/os/', 'https://m2/os/'] }, { retries: 3 })
 *   const body = await src.open('repodata/repomd.xml', { maxSize: 1 << 20 })
 *   // or, through the registry: openRepoSource('metalink+https://mirrors.example/metalink?repo=x')
 *
 * Callers that verify digests (src/repo/fetch.ts) pass `attempt` to start at another mirror
 * after a checksum mismatch.
 */
import { request as httpRequest, Agent as HttpAgent, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { DriftlessError } from '../core/errors.js';
import { silentReport, type Report } from '../core/report.js';
import { checkRelPath, readAll, registerRepoSource, type RepoOpenOptions, type RepoSource, type RepoSourceOptions } from './source.js';
import { metalinkMatch, parseMetalink, parseMirrorlist, type Metalink } from './metalink.js';
import { proxyAuthorization, proxyFor, TunnelingAgent, type ProxySettings } from './http-proxy.js';
import { backoffDelay, bodyChunks, Semaphore, sleep } from './http-util.js';

export { backoffDelay, Semaphore } from './http-util.js';

export interface HttpSourceOptions {
  /** Time allowed until response headers arrive (ms). Default 30 s. */
  connectTimeoutMs?: number;
  /** Time allowed without a byte on an open response (ms). Default 30 s. */
  idleTimeoutMs?: number;
  /** Extra attempts per mirror for retryable failures. Default 3. */
  retries?: number;
  /** First backoff delay (ms); doubles each retry. Default 200. */
  backoffBaseMs?: number;
  /** Upper bound of one backoff delay (ms), jitter included. Default 5000. */
  backoffMaxMs?: number;
  /** Requests in flight at once for this source. Default 6. */
  maxConcurrency?: number;
  maxRedirects?: number;
  /** Upper bound for mirrorlist/metalink/repomd documents. Default 16 MiB. */
  maxListBytes?: number;
  userAgent?: string;
  report?: Report;
  /** Extra CA certificates (PEM) trusted for https, like dnf's sslcacert. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Skip TLS certificate verification (dnf's sslverify=0). Loud and unsafe. */
  insecure?: boolean;
  /** Client certificate and key (PEM) for https (dnf's sslclientcert / sslclientkey). */
  clientCert?: string | Buffer;
  clientKey?: string | Buffer;
  /** http proxy URL ('' or '_none_': none; default from $https_proxy / $http_proxy), as dnf's proxy=. */
  proxy?: string;
  /** Hosts reached without the proxy (default $no_proxy). */
  noProxy?: string;
}

export interface HttpLocation {
  baseurls?: string[];
  mirrorlist?: string;
  metalink?: string;
}

export interface HttpOpenOptions extends RepoOpenOptions {
  /** Start with the mirror at this index (mod mirror count): callers retry after a bad digest. */
  attempt?: number;
  /** Resume: yield the file from this byte on (the caller already holds the bytes before it). */
  startOffset?: number;
}

const DEFAULTS = {
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  retries: 3,
  backoffBaseMs: 200,
  backoffMaxMs: 5_000,
  maxConcurrency: 6,
  maxRedirects: 5,
  maxListBytes: 16 * 1024 * 1024,
  userAgent: 'driftless/0.1',
};

/** Bytes an interrupted attempt must have received to reset the retry count of its mirror. */
const PROGRESS_RESETS_RETRIES = 1024 * 1024;
/** Hard bound on attempts for one file, whatever the progress. */
const MAX_ATTEMPTS = 1000;

type FailKind = 'not-found' | 'status' | 'network' | 'timeout' | 'size' | 'too-large' | 'tls';

/** One failed attempt; `retryable` says whether the same mirror may be asked again. */
class AttemptError extends Error {
  constructor(
    readonly kind: FailKind,
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.kind === 'network' || this.kind === 'timeout' || (this.kind === 'status' && (this.status! >= 500 || this.status === 429 || this.status === 408));
  }
}

/** An http(s) repository with mirrors, retries and resume. */
export class HttpRepoSource implements RepoSource {
  readonly location: string;
  /** open() honours `startOffset` (fetch.ts keeps partial downloads for such sources). */
  readonly resumable = true;
  private readonly o: typeof DEFAULTS & { report: Report };
  private readonly sem: Semaphore;
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  private readonly tlsOptions: HttpsAgentOptions;
  private readonly proxy: ProxySettings;
  private tunnel?: TunnelingAgent;
  private mirrorsP?: Promise<{ baseurls: string[]; metalink?: Metalink }>;
  /** Mirrors whose repomd.xml did not match the metalink: tried last for every file. */
  private readonly stale = new Set<string>();
  /** The mirror that served the verified repomd.xml: tried first for the files it lists. */
  private preferred?: string;

  constructor(
    readonly where: HttpLocation,
    opts: HttpSourceOptions = {},
  ) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.o = { ...DEFAULTS, report: silentReport, ...defined } as typeof DEFAULTS & { report: Report };
    this.sem = new Semaphore(Math.max(1, this.o.maxConcurrency));
    this.tlsOptions = {
      keepAlive: true,
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(opts.clientCert !== undefined ? { cert: opts.clientCert, key: opts.clientKey } : {}),
      rejectUnauthorized: !opts.insecure,
    };
    this.agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent(this.tlsOptions) };
    this.proxy = { proxy: opts.proxy, noProxy: opts.noProxy };
    if (opts.insecure) this.o.report.warn('REPO_TLS_INSECURE', `${where.metalink ?? where.mirrorlist ?? where.baseurls?.[0]}: TLS certificates are NOT verified (sslverify=0)`);
    this.location = where.metalink ?? where.mirrorlist ?? where.baseurls?.[0] ?? '(no url)';
    for (const u of [...(where.baseurls ?? []), where.mirrorlist, where.metalink]) {
      if (u !== undefined && !/^https?:\/\//i.test(u)) {
        throw new DriftlessError('REPO_UNSUPPORTED_LOCATION', `not an http(s) URL: ${u}`, { path: u });
      }
    }
    if (!where.baseurls?.length && !where.mirrorlist && !where.metalink) {
      throw new DriftlessError('REPO_NO_URL', 'an http repository needs a baseurl, mirrorlist or metalink');
    }
  }

  /** Close idle keep-alive connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
    this.tunnel?.destroy();
  }

  /** The https agent: direct, or tunnelling through `proxy` (created once, same TLS settings). */
  private httpsAgent(proxy: URL | undefined): HttpsAgent {
    if (!proxy) return this.agents.https;
    if (this.tunnel?.proxy.href !== proxy.href) {
      this.tunnel?.destroy();
      this.tunnel = new TunnelingAgent(proxy, this.tlsOptions);
    }
    return this.tunnel;
  }

  /** Base URLs to try, in order (resolved from the mirrorlist/metalink once). */
  async mirrors(signal?: AbortSignal): Promise<string[]> {
    return (await this.resolveMirrors(signal)).baseurls;
  }

  private resolveMirrors(signal?: AbortSignal): Promise<{ baseurls: string[]; metalink?: Metalink }> {
    this.mirrorsP ??= (async () => {
      const direct = (this.where.baseurls ?? []).map((u) => (u.endsWith('/') ? u : `${u}/`));
      let listed: string[] = [];
      let metalink: Metalink | undefined;
      const listUrl = this.where.metalink ?? this.where.mirrorlist;
      if (listUrl) {
        try {
          const text = (await readAll(await this.download([listUrl], { maxSize: this.o.maxListBytes, signal }))).toString('utf8');
          if (this.where.metalink) {
            metalink = parseMetalink(text, listUrl);
            listed = metalink.baseurls;
          } else {
            ({ baseurls: listed, metalink } = parseMirrorlist(text, listUrl));
          }
          this.o.report.info('repo.mirrors', `${listUrl}: ${listed.length} mirrors`, { url: listUrl, mirrors: listed.length });
        } catch (e) {
          if (direct.length === 0) throw e;
          this.o.report.warn('REPO_MIRRORLIST_FAILED', `${listUrl}: ${(e as Error).message}; using baseurl`, { url: listUrl });
        }
      }
      return { baseurls: [...new Set([...direct, ...listed])], metalink };
    })();
    this.mirrorsP.catch(() => {
      this.mirrorsP = undefined;
    });
    return this.mirrorsP;
  }

  async open(relPath: string, opts: HttpOpenOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const rel = checkRelPath(relPath, this.location);
    const { baseurls, metalink } = await this.resolveMirrors(opts.signal);
    const ranked = [
      ...(this.preferred && baseurls.includes(this.preferred) ? [this.preferred] : []),
      ...baseurls.filter((b) => b !== this.preferred && !this.stale.has(b)),
      ...baseurls.filter((b) => b !== this.preferred && this.stale.has(b)),
    ];
    const start = (opts.attempt ?? 0) % ranked.length;
    const ordered = [...ranked.slice(start), ...ranked.slice(0, start)];
    const urls = ordered.map((b) => new URL(rel.split('/').map(encodeURIComponent).join('/'), b).toString());
    if (metalink && rel === 'repodata/repomd.xml') {
      const bytes = await this.verifiedRepomd(urls, ordered, metalink, opts);
      return (async function* () {
        yield bytes;
      })();
    }
    return this.download(urls, opts);
  }

  /** Fetch repomd.xml from the first mirror whose copy matches the metalink's hashes. */
  private async verifiedRepomd(urls: string[], bases: string[], ml: Metalink, opts: HttpOpenOptions): Promise<Uint8Array> {
    const bad: string[] = [];
    let lastErr: unknown;
    for (const [i, url] of urls.entries()) {
      let bytes: Buffer;
      try {
        bytes = await readAll(await this.download([url], { ...opts, startOffset: undefined, maxSize: Math.min(opts.maxSize ?? Infinity, this.o.maxListBytes) }));
      } catch (e) {
        lastErr = e;
        continue;
      }
      if (metalinkMatch(ml, bytes) >= 0) {
        this.preferred = bases[i];
        this.stale.delete(bases[i]!);
        return bytes;
      }
      bad.push(url);
      this.stale.add(bases[i]!);
      this.o.report.warn('REPO_METALINK_MISMATCH', `${url} does not match the metalink's repomd.xml hash; trying the next mirror`, { url });
    }
    if (bad.length === 0 && lastErr) throw lastErr;
    throw new DriftlessError('REPO_METALINK_MISMATCH', `no mirror serves a repomd.xml matching the metalink (${bad.length} mismatched)`, {
      path: this.location,
      details: { mismatched: bad, expected: ml.repomd[0] },
      hint: 'the mirrors are out of date or tampered with; retry later',
    });
  }

  /**
   * Stream one file, trying `urls` in order. Resolves once a response is under way (so a
   * missing file rejects here), then yields the body; failures after that resume or move on.
   */
  async download(urls: string[], opts: HttpOpenOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const o = this.o;
    const st = { mirror: 0, tries: 0, offset: Math.max(0, opts.startOffset ?? 0), errors: [] as AttemptError[], attemptStart: 0 };
    const label = urls[0] ?? '';
    const release = await this.sem.acquire();
    const next = async (): Promise<{ res: IncomingMessage; skip: number; total?: number }> => {
      while (st.mirror < urls.length && st.errors.length < MAX_ATTEMPTS) {
        if (st.tries > 0) {
          try {
            await sleep(backoffDelay(st.tries - 1, o.backoffBaseMs, o.backoffMaxMs), opts.signal);
          } catch (e) {
            throw new DriftlessError('REPO_ABORTED', `${label}: download aborted`, { path: label, cause: e });
          }
        }
        st.attemptStart = st.offset;
        const url = urls[st.mirror]!;
        try {
          return await this.request(url, st.offset, opts);
        } catch (e) {
          if (!(e instanceof AttemptError)) throw e;
          this.fail(st, e);
        }
      }
      throw finalError(st.errors, label, opts);
    };
    let cur: Awaited<ReturnType<typeof next>>;
    try {
      cur = await next();
    } catch (e) {
      release();
      throw e;
    }
    const self = this;
    return (async function* body() {
      try {
        for (;;) {
          try {
            let skip = cur.skip;
            for await (const raw of bodyChunks(cur.res)) {
              let chunk = raw;
              if (skip > 0) {
                const n = Math.min(skip, chunk.length);
                skip -= n;
                chunk = chunk.subarray(n);
                if (chunk.length === 0) continue;
              }
              st.offset += chunk.length;
              checkLimits(st.offset, urls[st.mirror]!, opts);
              yield chunk;
            }
            const want = opts.expectedSize ?? cur.total;
            if (want !== undefined && st.offset < want) {
              throw new AttemptError('network', `connection ended after ${st.offset} of ${want} bytes`, urls[st.mirror]!);
            }
            return;
          } catch (e) {
            cur.res.destroy();
            const ae = classify(e, urls[st.mirror]!, opts.signal);
            if (!(ae instanceof AttemptError)) throw ae;
            // an attempt that moved the download forward substantially earns a fresh retry budget
            if (st.offset - st.attemptStart >= PROGRESS_RESETS_RETRIES) st.tries = 0;
            self.fail(st, ae);
            cur = await next();
          }
        }
      } finally {
        cur.res.destroy();
        release();
      }
    })();
  }

  private fail(st: { mirror: number; tries: number; errors: AttemptError[] }, e: AttemptError): void {
    st.errors.push(e);
    this.o.report.info('repo.retry', `${e.url}: ${e.message}`, { url: e.url, kind: e.kind, status: e.status });
    if (e.retryable && st.tries < this.o.retries) st.tries++;
    else {
      st.mirror++;
      st.tries = 0;
    }
  }

  /** One GET (following redirects) with a Range from `offset`; validates status and sizes. */
  private async request(url: string, offset: number, opts: RepoOpenOptions, redirects = 0): Promise<{ res: IncomingMessage; skip: number; total?: number }> {
    const res = await this.get(url, offset > 0 ? { range: `bytes=${offset}-` } : {}, opts.signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (redirects >= this.o.maxRedirects) throw new AttemptError('status', `too many redirects`, url, status);
      const target = new URL(res.headers.location, url);
      if (url.startsWith('https:') && target.protocol !== 'https:') {
        throw new AttemptError('status', `refusing a redirect from https to ${target.protocol}`, url, status);
      }
      return this.request(target.toString(), offset, opts, redirects + 1);
    }
    const reject = (e: AttemptError) => {
      res.destroy();
      throw e;
    };
    if (status === 404 || status === 410 || status === 403) reject(new AttemptError('not-found', `HTTP ${status}`, url, status));
    let skip = 0;
    let total: number | undefined;
    if (status === 206 && offset > 0) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
      if (!m || Number(m[1]) !== offset) reject(new AttemptError('network', `bad Content-Range "${res.headers['content-range']}"`, url, status));
      if (m![3] !== '*') total = Number(m![3]);
    } else if (status === 416 && offset > 0) {
      const m = /^bytes \*\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
      if (m && Number(m[1]) === offset && (opts.expectedSize === undefined || opts.expectedSize === offset)) {
        // nothing left to read: an empty response completes the file
        total = offset;
        return { res, skip: 0, total };
      }
      reject(new AttemptError('size', `HTTP 416 at offset ${offset}`, url, status));
    } else if (status === 200) {
      skip = offset;
      const len = res.headers['content-length'];
      if (len !== undefined && /^\d+$/.test(len)) total = Number(len);
    } else {
      reject(new AttemptError('status', `HTTP ${status}`, url, status));
    }
    if (total !== undefined) {
      if (opts.expectedSize !== undefined && total !== opts.expectedSize) {
        reject(new AttemptError('size', `server announces ${total} bytes, metadata says ${opts.expectedSize}`, url, status));
      }
      if (opts.maxSize !== undefined && total > opts.maxSize) reject(new AttemptError('too-large', `server announces ${total} bytes, limit ${opts.maxSize}`, url, status));
    }
    return { res, skip, total };
  }

  /** Raw GET with connect (headers) and idle timeouts; rejects with AttemptError. */
  private get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
    const u = new URL(url);
    const isHttps = u.protocol === 'https:';
    if (!isHttps && u.protocol !== 'http:') return Promise.reject(new AttemptError('status', `unsupported redirect to ${u.protocol}`, url));
    signal?.throwIfAborted();
    const proxy = proxyFor(u, { proxy: this.proxy.proxy, noProxy: this.proxy.noProxy });
    const common = { 'user-agent': this.o.userAgent, 'accept-encoding': 'identity', ...headers };
    return new Promise((resolve, reject) => {
      let req: ClientRequest;
      if (proxy && !isHttps) {
        // plain http through a proxy: ask the proxy for the absolute URL
        const auth = proxyAuthorization(proxy);
        req = httpRequest({
          host: proxy.hostname,
          port: Number(proxy.port || 80),
          method: 'GET',
          path: u.href,
          agent: this.agents.http,
          headers: { ...common, host: u.host, ...(auth ? { 'proxy-authorization': auth } : {}) },
          signal,
        });
      } else {
        req = (isHttps ? httpsRequest : httpRequest)(u, { method: 'GET', agent: isHttps ? this.httpsAgent(proxy) : this.agents.http, headers: common, signal });
      }
      const connectTimer = setTimeout(() => {
        req.destroy(new AttemptError('timeout', `no response within ${this.o.connectTimeoutMs} ms`, url));
      }, this.o.connectTimeoutMs);
      let response: IncomingMessage | undefined;
      req.setTimeout(this.o.idleTimeoutMs, () => {
        const err = new AttemptError('timeout', `no data for ${this.o.idleTimeoutMs} ms`, url);
        response?.destroy(err);
        req.destroy(err);
      });
      req.once('response', (res) => {
        clearTimeout(connectTimer);
        response = res;
        res.once('error', () => {}); // surfaced through iteration
        resolve(res);
      });
      req.once('error', (e) => {
        clearTimeout(connectTimer);
        reject(e instanceof AttemptError ? e : classify(e, url, signal));
      });
      req.end();
    });
  }
}

function checkLimits(n: number, url: string, opts: RepoOpenOptions): void {
  if (opts.maxSize !== undefined && n > opts.maxSize) {
    throw new DriftlessError('REPO_FILE_TOO_LARGE', `${url}: more than ${opts.maxSize} bytes`, { path: url, details: { limit: opts.maxSize } });
  }
  if (opts.expectedSize !== undefined && n > opts.expectedSize) {
    throw new DriftlessError('REPO_SIZE_MISMATCH', `${url}: more than the expected ${opts.expectedSize} bytes`, {
      path: url,
      details: { expected: opts.expectedSize },
      hint: 'the file is larger than the metadata says; the mirror is out of date or tampered with',
    });
  }
}

/** Map a low-level error to an AttemptError (or rethrow an abort as-is). */
function classify(e: unknown, url: string, signal?: AbortSignal): AttemptError | DriftlessError {
  if (e instanceof AttemptError || e instanceof DriftlessError) return e;
  if (signal?.aborted) return new DriftlessError('REPO_ABORTED', `${url}: download aborted`, { path: url, cause: e });
  const err = e as NodeJS.ErrnoException;
  if (err?.cause instanceof AttemptError) return err.cause;
  if (typeof err?.code === 'string' && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME/.test(err.code)) {
    return new AttemptError('tls', `TLS: ${err.code} ${err.message}`, url);
  }
  return new AttemptError('network', err?.code ? `${err.code} ${err.message}` : String(err?.message ?? e), url);
}

/** The coded error after every mirror failed, chosen from what went wrong most recently. */
function finalError(errors: AttemptError[], label: string, opts: RepoOpenOptions): DriftlessError {
  const details = { attempts: errors.map((e) => ({ url: e.url, kind: e.kind, status: e.status, message: e.message })) };
  const last = errors[errors.length - 1];
  const summary = errors.map((e) => `${e.url}: ${e.message}`).slice(-4).join('; ');
  if (errors.length > 0 && errors.every((e) => e.kind === 'not-found')) {
    return new DriftlessError('REPO_FILE_NOT_FOUND', `${label}: not found on any mirror (${summary})`, { path: label, details });
  }
  if (errors.length > 0 && errors.every((e) => e.kind === 'tls' || e.kind === 'not-found')) {
    return new DriftlessError('REPO_TLS_FAILED', `${label}: TLS verification failed (${summary})`, {
      path: label,
      details,
      hint: 'trust the server\'s CA with sslcacert= (or --ca); sslverify=0 disables the check (unsafe)',
    });
  }
  if (errors.some((e) => e.kind === 'too-large')) {
    return new DriftlessError('REPO_FILE_TOO_LARGE', `${label}: larger than ${opts.maxSize} bytes (${summary})`, { path: label, details });
  }
  if (last?.kind === 'size' || (errors.some((e) => e.kind === 'size') && !errors.some((e) => e.kind === 'network'))) {
    return new DriftlessError('REPO_SIZE_MISMATCH', `${label}: size differs from the metadata on every mirror (${summary})`, {
      path: label,
      details,
      hint: 'the mirrors are out of date or the metadata is wrong',
    });
  }
  if (last?.kind === 'timeout') {
    return new DriftlessError('REPO_TIMEOUT', `${label}: timed out (${summary})`, { path: label, details, hint: 'the server is slow or unreachable; raise the timeout or retry later' });
  }
  return new DriftlessError('REPO_DOWNLOAD_FAILED', `${label}: download failed after ${errors.length} attempts (${summary})`, { path: label, details });
}

/**
 * Parse a source location: `https://…` (a base URL; several separated by whitespace or commas),
 * `mirrorlist+https://…` or `metalink+https://…`.
 */
export function parseHttpLocation(location: string): HttpLocation {
  const m = /^(mirrorlist|metalink)\+(https?:\/\/.*)$/i.exec(location.trim());
  if (m) return m[1]!.toLowerCase() === 'metalink' ? { metalink: m[2]! } : { mirrorlist: m[2]! };
  return { baseurls: location.split(/[\s,]+/).filter(Boolean) };
}

registerRepoSource({
  name: 'http',
  supports: (loc) => /^((mirrorlist|metalink)\+)?https?:\/\//i.test(loc.trim()),
  create: (loc: string, opts: RepoSourceOptions) => new HttpRepoSource(parseHttpLocation(loc), opts as HttpSourceOptions),
});
