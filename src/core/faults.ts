/**
 * Fault points for crash-injection tests. Every write step of a host operation calls
 * `faultPoint(op, step)`. With `DRIFTLESS_FAULT=<op>:<n>` the process SIGKILLs itself at the
 * n-th step of that operation (1-based); `<op>:<step>` kills at the first step of that name and
 * `<op>:<step>:<k>` at its k-th occurrence. `DRIFTLESS_FAULT_TRACE=FILE` appends "op step" lines
 * (how tests learn the number of steps). Without these variables a fault point costs nothing.
 *
 *   DRIFTLESS_FAULT=deploy:7 driftless host deploy x86_64/stable --sysroot S   # dies at step 7
 */
import { appendFileSync } from 'node:fs';

const counts = new Map<string, number>();

/**
 * Whether host writes are fsynced (default yes). `DRIFTLESS_UNSAFE_NO_FSYNC=1` turns fsync off:
 * only for crash-injection tests, where SIGKILL (unlike power loss) keeps the page cache, so
 * the ordering of renames alone decides what survives.
 */
export function fsyncEnabled(): boolean {
  return process.env.DRIFTLESS_UNSAFE_NO_FSYNC !== '1';
}
/** Options for core/atomic writes honouring `fsyncEnabled()`. */
export const syncOpts = () => ({ noSync: !fsyncEnabled() });

export function faultPoint(op: string, step: string): void {
  const spec = process.env.DRIFTLESS_FAULT;
  const trace = process.env.DRIFTLESS_FAULT_TRACE;
  if (!spec && !trace) return;
  const n = (counts.get(op) ?? 0) + 1;
  counts.set(op, n);
  const key = `${op}\0${step}`;
  const k = (counts.get(key) ?? 0) + 1;
  counts.set(key, k);
  if (trace) appendFileSync(trace, `${op} ${step}\n`);
  if (!spec) return;
  const [fop, at, nth] = spec.split(':');
  if (fop !== op || at === undefined) return;
  const hit = /^\d+$/.test(at) ? Number(at) === n : at === step && (nth === undefined ? k === 1 : Number(nth) === k);
  if (hit) process.kill(process.pid, 'SIGKILL');
}
