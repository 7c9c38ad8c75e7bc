/**
 * Small helpers of the http(s) source: a counting semaphore, bounded exponential backoff with
 * jitter, an abortable sleep, and a response-body reader that keeps every byte that arrived.
 */
import type { IncomingMessage } from 'node:http';

/** Counting semaphore bounding requests in flight. */
export class Semaphore {
  private waiting: (() => void)[] = [];
  private used = 0;
  constructor(readonly size: number) {}
  async acquire(): Promise<() => void> {
    if (this.used >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    else this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    };
  }
}

/** Backoff before retry `n` (0-based): min(max, base·2ⁿ), with jitter in its upper half. */
export function backoffDelay(n: number, baseMs: number, maxMs: number, random = Math.random): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(n, 30));
  return Math.floor(full / 2 + (random() * full) / 2);
}

/** Resolve after `ms` (rejects with the abort reason when `signal` fires first). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const h = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(h);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const QUEUE_HIGH = 1 << 20;
const QUEUE_LOW = 256 << 10;

/**
 * A response body as chunks, keeping every byte that arrived even when the connection then
 * breaks (a plain async iterator drops the stream's buffer on error, and resume would then
 * re-download bytes that had already been received). Backpressure pauses the socket.
 */
export function bodyChunks(res: IncomingMessage): AsyncIterable<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let done = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  res.on('data', (c: Buffer) => {
    queue.push(c);
    queued += c.length;
    if (queued > QUEUE_HIGH) res.pause();
    notify();
  });
  res.on('end', () => {
    done = true;
    notify();
  });
  res.on('error', (e) => {
    error ??= e;
    done = true;
    notify();
  });
  res.on('close', () => {
    if (!res.complete && error === undefined) error = new Error('connection closed before the end of the body');
    done = true;
    notify();
  });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const c = queue.shift();
        if (c) {
          queued -= c.length;
          if (queued < QUEUE_LOW && res.isPaused() && !done) res.resume();
          yield c;
          continue;
        }
        if (done) {
          if (error !== undefined) throw error;
          return;
        }
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}
