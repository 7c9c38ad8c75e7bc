/**
 * Every failure driftless reports on purpose is a DriftlessError with a stable code.
 * Codes are UPPER_SNAKE strings grouped by area (`RPM_*`, `REPO_*`, `SOLVER_*`, ...);
 * they are listed in docs/errors.md and never renamed once released.
 *
 *   throw new DriftlessError('RPM_BAD_MAGIC', 'not an RPM: lead magic mismatch', { offset: 0, hint: 'is this a .deb?' })
 */
export interface DriftlessErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  /** Underlying error, kept for --json output and debugging. */
  cause?: unknown;
  /** Byte offset in the input where the problem was found, if known. */
  offset?: number;
  /** File or URL the error is about. */
  path?: string;
  /** Extra machine-readable details (expected/actual digests, ...). */
  details?: Record<string, unknown>;
}

export class DriftlessError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly offset?: number;
  readonly path?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: DriftlessErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'DriftlessError';
    this.code = code;
    this.hint = options.hint;
    this.offset = options.offset;
    this.path = options.path;
    this.details = options.details;
  }

  /** Plain object for `--json` output. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.offset !== undefined ? { offset: this.offset } : {}),
      ...(this.path ? { path: this.path } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isDriftlessError(e: unknown, code?: string): e is DriftlessError {
  return e instanceof DriftlessError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into a DriftlessError, keeping coded errors as they are. */
export function toDriftlessError(e: unknown, code = 'INTERNAL'): DriftlessError {
  if (e instanceof DriftlessError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new DriftlessError(code, message, { cause: e });
}
