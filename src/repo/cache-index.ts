/**
 * The download index: a SQLite database (`CACHE/index.sqlite`, WAL mode) beside the
 * content-addressed store that records, for each object, its size, when it was added and last
 * used, where it came from (URL, NEVRA, kind) and its other digests (sha1/sha512/... as repo
 * metadata names packages), plus pins that keep objects alive through `cache gc`.
 *
 *   const idx = CacheIndex.open('/var/cache/driftless')
 *   idx.record({ sha256, size, url, nevra: 'bash-0:5.1-1.x86_64', kind: 'package' })
 *   idx.findByDigest('sha1', 'ab12…')   // → sha256 of a cached object, if any
 *   idx.close()
 *
 * Every write is one transaction; readers never see half an update.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DriftlessError } from '../core/errors.js';

export interface ObjectRow {
  sha256: string;
  size: number;
  /** Unix seconds. */
  added: number;
  lastUsed: number;
}

export interface OriginRow {
  sha256: string;
  url: string;
  nevra: string | null;
  kind: string | null;
}

export interface RecordInput {
  sha256: string;
  size: number;
  url?: string;
  nevra?: string;
  kind?: 'package' | 'metadata' | string;
  /** Other digests of the same bytes: algorithm → hex. */
  digests?: Record<string, string>;
  /** Unix seconds (default: now). */
  now?: number;
}

const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  sha256 TEXT PRIMARY KEY NOT NULL,
  size INTEGER NOT NULL,
  added INTEGER NOT NULL,
  last_used INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS origins (
  sha256 TEXT NOT NULL REFERENCES objects(sha256) ON DELETE CASCADE,
  url TEXT NOT NULL,
  nevra TEXT,
  kind TEXT,
  PRIMARY KEY (sha256, url)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS origins_url ON origins(url);
CREATE INDEX IF NOT EXISTS origins_nevra ON origins(nevra);
CREATE TABLE IF NOT EXISTS digests (
  algo TEXT NOT NULL,
  hex TEXT NOT NULL,
  sha256 TEXT NOT NULL REFERENCES objects(sha256) ON DELETE CASCADE,
  PRIMARY KEY (algo, hex)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS digests_sha256 ON digests(sha256);
CREATE TABLE IF NOT EXISTS pins (
  sha256 TEXT NOT NULL,
  holder TEXT NOT NULL,
  PRIMARY KEY (sha256, holder)
) WITHOUT ROWID;
`;

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export class CacheIndex {
  private constructor(readonly db: Database.Database) {}

  /** Open (creating if needed) `ROOT/index.sqlite`. */
  static open(root: string): CacheIndex {
    mkdirSync(root, { recursive: true });
    const file = join(root, 'index.sqlite');
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
      const v = db.pragma('user_version', { simple: true }) as number;
      if (v > SCHEMA_VERSION) {
        throw new DriftlessError('CACHE_INDEX_VERSION', `${file} was written by a newer driftless (schema ${v})`, {
          path: file,
          hint: 'upgrade driftless or use another --cache-dir',
        });
      }
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (e) {
      if (e instanceof DriftlessError) throw e;
      throw new DriftlessError('CACHE_INDEX_FAILED', `cannot open the cache index ${file}: ${(e as Error).message}`, {
        path: file,
        cause: e,
        hint: 'delete the file to rebuild an empty index (objects stay in the store)',
      });
    }
    return new CacheIndex(db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Add or refresh an object with its origin and digests (one transaction). */
  record(r: RecordInput): void {
    const now = r.now ?? nowSeconds();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO objects(sha256, size, added, last_used) VALUES (?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET last_used = excluded.last_used, size = excluded.size')
        .run(r.sha256, r.size, now, now);
      if (r.url) {
        this.db
          .prepare('INSERT INTO origins(sha256, url, nevra, kind) VALUES (?, ?, ?, ?) ON CONFLICT(sha256, url) DO UPDATE SET nevra = coalesce(excluded.nevra, nevra), kind = coalesce(excluded.kind, kind)')
          .run(r.sha256, r.url, r.nevra ?? null, r.kind ?? null);
      }
      for (const [algo, hex] of Object.entries(r.digests ?? {})) {
        this.db.prepare('INSERT OR REPLACE INTO digests(algo, hex, sha256) VALUES (?, ?, ?)').run(algo.toLowerCase(), hex.toLowerCase(), r.sha256);
      }
    })();
  }

  /** Mark an object used now (keeps it through age-based gc). */
  touch(sha256: string, now = nowSeconds()): void {
    this.db.prepare('UPDATE objects SET last_used = ? WHERE sha256 = ?').run(now, sha256);
  }

  get(sha256: string): ObjectRow | undefined {
    const r = this.db.prepare('SELECT sha256, size, added, last_used AS lastUsed FROM objects WHERE sha256 = ?').get(sha256) as ObjectRow | undefined;
    return r;
  }

  /** sha256 of a cached object known under another digest (sha256 itself maps to itself). */
  findByDigest(algo: string, hex: string): string | undefined {
    const a = algo.toLowerCase();
    const h = hex.toLowerCase();
    if (a === 'sha256') return this.get(h)?.sha256;
    const r = this.db.prepare('SELECT sha256 FROM digests WHERE algo = ? AND hex = ?').get(a, h) as { sha256: string } | undefined;
    return r?.sha256;
  }

  origins(sha256: string): OriginRow[] {
    return this.db.prepare('SELECT sha256, url, nevra, kind FROM origins WHERE sha256 = ? ORDER BY url').all(sha256) as OriginRow[];
  }

  findByNevra(nevra: string): string[] {
    return (this.db.prepare('SELECT DISTINCT sha256 FROM origins WHERE nevra = ? ORDER BY sha256').all(nevra) as { sha256: string }[]).map((r) => r.sha256);
  }

  /** All objects, least recently used first. */
  objects(): ObjectRow[] {
    return this.db.prepare('SELECT sha256, size, added, last_used AS lastUsed FROM objects ORDER BY last_used, sha256').all() as ObjectRow[];
  }

  /** Keep `sha256` through gc on behalf of `holder` (a lockfile, a deployment...). */
  pin(sha256: string, holder: string): void {
    this.db.prepare('INSERT OR IGNORE INTO pins(sha256, holder) VALUES (?, ?)').run(sha256, holder);
  }

  unpin(holder: string, sha256?: string): void {
    if (sha256) this.db.prepare('DELETE FROM pins WHERE holder = ? AND sha256 = ?').run(holder, sha256);
    else this.db.prepare('DELETE FROM pins WHERE holder = ?').run(holder);
  }

  pinned(): Set<string> {
    return new Set((this.db.prepare('SELECT DISTINCT sha256 FROM pins').all() as { sha256: string }[]).map((r) => r.sha256));
  }

  /** Forget objects (their origins and digests go with them). */
  remove(sha256s: string[]): void {
    const del = this.db.prepare('DELETE FROM objects WHERE sha256 = ?');
    this.db.transaction(() => {
      for (const s of sha256s) del.run(s);
    })();
  }
}
