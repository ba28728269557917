import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import { DB_NOW_SQL } from './clock.js';
import type { DbHandle, Dialect } from './connect.js';

/**
 * A statement of the order path, written once as SQL and run without
 * Kysely's per-call query building (which cost more CPU than SQLite itself
 * on that path: see docs/BENCHMARKS.md). The text uses `?` for parameters
 * and `$now` for the database clock (clock.ts); PostgreSQL gets `$1`, `$2`…
 *
 * Inside a SQLite transaction the statement runs on the connection that
 * transaction holds, prepared once per connection, synchronously. Anywhere
 * else (the database itself, PostgreSQL) it goes through Kysely's driver as a
 * compiled query, so Kysely's connection handling still decides which
 * connection runs it and when.
 */
export interface PreparedStatement<Row> {
  /** The first row, or undefined. */
  first(db: DbHandle, params: readonly unknown[]): Promise<Row | undefined>;
  /** Every row. */
  all(db: DbHandle, params: readonly unknown[]): Promise<Row[]>;
  /** Runs it, for its effect only. */
  run(db: DbHandle, params: readonly unknown[]): Promise<void>;
}

/**
 * The PostgreSQL text of every prepared() statement, with the name each
 * connection prepares it under (connect.ts): PostgreSQL then parses and plans
 * it once per connection, not on every call (for the order's one statement,
 * that planning was most of the server's work per order).
 */
export const POSTGRES_STATEMENT_NAMES = new Map<string, string>();

/** The SQLite text of every prepared() statement, so their plans can be checked as PostgreSQL's are. */
export const SQLITE_STATEMENT_TEXTS = new Set<string>();

function textFor(text: string, dialect: Dialect): string {
  const withNow = text.replaceAll('$now', DB_NOW_SQL[dialect]);
  if (dialect === 'sqlite') return withNow;
  let n = 0;
  return withNow.replace(/\?/g, () => `$${++n}`);
}

export function prepared<Row = Record<string, unknown>>(text: string): PreparedStatement<Row> {
  const texts: Record<Dialect, string> = { sqlite: textFor(text, 'sqlite'), postgres: textFor(text, 'postgres') };
  if (!POSTGRES_STATEMENT_NAMES.has(texts.postgres)) POSTGRES_STATEMENT_NAMES.set(texts.postgres, `joule_${POSTGRES_STATEMENT_NAMES.size + 1}`);
  SQLITE_STATEMENT_TEXTS.add(texts.sqlite);
  const statements = new WeakMap<BetterSqlite3.Database, BetterSqlite3.Statement>();
  const onConnection = (conn: BetterSqlite3.Database) => {
    let stmt = statements.get(conn);
    if (stmt === undefined) {
      stmt = conn.prepare(texts.sqlite);
      statements.set(conn, stmt);
    }
    return stmt;
  };
  const viaKysely = async (db: DbHandle, params: readonly unknown[]) =>
    (await db.kysely.executeQuery<Row>(CompiledQuery.raw(texts[db.dialect], [...params]))).rows;

  return {
    async first(db, params) {
      if (db.sqlite === undefined) return (await viaKysely(db, params))[0];
      return onConnection(db.sqlite).get(...params) as Row | undefined;
    },
    async all(db, params) {
      if (db.sqlite === undefined) return viaKysely(db, params);
      return onConnection(db.sqlite).all(...params) as Row[];
    },
    async run(db, params) {
      if (db.sqlite === undefined) await viaKysely(db, params);
      else onConnection(db.sqlite).run(...params);
    },
  };
}
