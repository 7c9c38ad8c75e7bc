/**
 * rpm's version comparison (rpmvercmp) and EVR handling, with rpm's exact semantics:
 * alphanumeric segments, numeric segments compare numerically (leading zeros ignored) and beat
 * alpha ones, `~` sorts before anything (pre-releases), `^` sorts after the base but before
 * any further segment (post-release snapshots).
 *
 *   rpmvercmp('1.0~rc1', '1.0') === -1
 *   compareEVR(parseEVR('1:2.0-1'), parseEVR('2.1-1')) === 1
 */

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const TILDE = 126;
const CARET = 94;

/** Compare two version (or release) strings. Returns -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  const at = (s: string, k: number, l: number) => (k < l ? s.charCodeAt(k) : 0);
  while (i < la || j < lb) {
    while (i < la && !isDigit(a.charCodeAt(i)) && !isAlpha(a.charCodeAt(i)) && a.charCodeAt(i) !== TILDE && a.charCodeAt(i) !== CARET) i++;
    while (j < lb && !isDigit(b.charCodeAt(j)) && !isAlpha(b.charCodeAt(j)) && b.charCodeAt(j) !== TILDE && b.charCodeAt(j) !== CARET) j++;
    const ca = at(a, i, la);
    const cb = at(b, j, lb);
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (i >= la) return -1;
      if (j >= lb) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < la && j < lb)) break;
    const si = i;
    const sj = j;
    let isNum: boolean;
    if (isDigit(ca)) {
      while (i < la && isDigit(a.charCodeAt(i))) i++;
      while (j < lb && isDigit(b.charCodeAt(j))) j++;
      isNum = true;
    } else {
      while (i < la && isAlpha(a.charCodeAt(i))) i++;
      while (j < lb && isAlpha(b.charCodeAt(j))) j++;
      isNum = false;
    }
    if (i === si) return -1; // cannot happen: separators were skipped
    if (j === sj) return isNum ? 1 : -1;
    let sa = a.slice(si, i);
    let sb = b.slice(sj, j);
    if (isNum) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length > sb.length) return 1;
      if (sb.length > sa.length) return -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
  }
  if (i >= la && j >= lb) return 0;
  return i >= la ? -1 : 1;
}

/** Epoch/version/release. `epoch` is undefined when the string had none. */
export interface EVR {
  epoch?: string;
  version: string;
  release?: string;
}

/** Parse `[epoch:]version[-release]` as rpm does (release after the last '-'). */
export function parseEVR(evr: string): EVR {
  let p = 0;
  while (p < evr.length && isDigit(evr.charCodeAt(p))) p++;
  let epoch: string | undefined;
  let rest = evr;
  if (evr[p] === ':') {
    epoch = p === 0 ? '0' : evr.slice(0, p);
    rest = evr.slice(p + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
  return { epoch, version: rest };
}

/** Numeric epoch (missing = 0). */
export function epochNumber(e: EVR): number {
  return e.epoch ? Number(e.epoch) : 0;
}

/**
 * Full EVR comparison as used for ordering packages: epoch, then version, then release.
 * A missing release compares equal to any release (rpm's rpmvercmp on NULL release).
 */
export function compareEVR(a: EVR, b: EVR): -1 | 0 | 1 {
  const ea = epochNumber(a);
  const eb = epochNumber(b);
  if (ea !== eb) return ea < eb ? -1 : 1;
  const v = rpmvercmp(a.version, b.version);
  if (v !== 0) return v;
  if (a.release === undefined || b.release === undefined) return 0;
  return rpmvercmp(a.release, b.release);
}

/** Format an EVR like rpm does (`epoch:` only when present). */
export function formatEVR(e: EVR): string {
  return `${e.epoch !== undefined ? `${e.epoch}:` : ''}${e.version}${e.release !== undefined ? `-${e.release}` : ''}`;
}
