/**
 * One Report receives everything library code wants to tell the user: events, progress and
 * warnings. Library code never prints; the CLI renders a Report as progress bars on a TTY or
 * as JSON lines with `--json`. Tests use `CollectingReport` to assert on what was reported.
 *
 *   report.warn('REPO_GPGCHECK_DISABLED', 'gpgcheck disabled by --nogpgcheck')
 *   const p = report.progress('fetch', 'downloading', total); p.tick(n); p.done();
 */
export type ReportLevel = 'info' | 'warning' | 'error';

export interface ReportEvent {
  level: ReportLevel;
  /** Stable code for warnings/errors (e.g. `RPM_UNSIGNED_ALLOWED`), or an event name for info. */
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface ProgressHandle {
  /** Advance by `n` units (bytes, packages...). */
  tick(n?: number): void;
  /** Change the total once it becomes known. */
  setTotal(total: number): void;
  done(): void;
}

export interface Report {
  info(code: string, message: string, data?: Record<string, unknown>): void;
  warn(code: string, message: string, data?: Record<string, unknown>): void;
  error(code: string, message: string, data?: Record<string, unknown>): void;
  progress(id: string, label: string, total?: number): ProgressHandle;
}

const noopProgress: ProgressHandle = { tick() {}, setTotal() {}, done() {} };

/** A Report that drops everything; the default when a caller passes none. */
export const silentReport: Report = {
  info() {},
  warn() {},
  error() {},
  progress() {
    return noopProgress;
  },
};

/** Records events in memory; used by tests and by commands that summarise at the end. */
export class CollectingReport implements Report {
  readonly events: ReportEvent[] = [];
  info(code: string, message: string, data?: Record<string, unknown>) {
    this.events.push({ level: 'info', code, message, data });
  }
  warn(code: string, message: string, data?: Record<string, unknown>) {
    this.events.push({ level: 'warning', code, message, data });
  }
  error(code: string, message: string, data?: Record<string, unknown>) {
    this.events.push({ level: 'error', code, message, data });
  }
  progress(): ProgressHandle {
    return noopProgress;
  }
  get warnings(): ReportEvent[] {
    return this.events.filter((e) => e.level === 'warning');
  }
}
