import { chmodSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely';
import type pgModule from 'pg';
import { startBackgroundCheckpoints } from './background-checkpoints.js';
import { createGroupCommit } from './group-commit.js';
import { WalSync } from './wal-sync.js';
import { adaptPostgresClient } from './postgres-client.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export type TransactionWork<T> = (tx: DbHandle) => Promise<T>;

/**
 * What every repository function takes: a query builder — the database
 * itself or an open transaction — and its dialect, so the dialect choices
 * stay inside db/.
 */
export interface DbHandle {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * Inside a SQLite transaction only: the connection that transaction holds,
   * for statements prepared once (prepared.ts). Never set on the database
   * itself, where a statement must wait its turn for the connection.
   */
  readonly sqlite?: BetterSqlite3.Database;
  /**
   * Inside a transaction only: runs `fn` once the transaction has committed
   * (never if it rolls back). For news that others may act on only once it
   * is visible; see afterCommit().
   */
  readonly afterCommit?: (fn: () => void) => void;
}

/** Runs `fn` once what `db` wrote is committed: at its transaction's commit, or now when `db` is the database itself. */
export function afterCommit(db: DbHandle, fn: () => void): void {
  if (db.afterCommit) db.afterCommit(fn);
  else fn();
}

/**
 * Runs a transaction (`run`, given the handle's afterCommit) and then what
 * it asked to run once committed; nothing of that when it fails.
 */
async function withCommitHooks<T>(run: (afterCommit: (fn: () => void) => void) => Promise<T>): Promise<T> {
  const hooks: Array<() => void> = [];
  const value = await run((fn) => void hooks.push(fn));
  for (const fn of hooks) fn();
  return value;
}

export interface Db extends DbHandle {
  /**
   * Runs `work` in a transaction: all of it commits, or none of it. On SQLite
   * concurrent callers share one commit (see group-commit.ts).
   */
  transaction<T>(work: TransactionWork<T>): Promise<T>;
  /**
   * Resolves once every commit made before the call survives a crash of the
   * machine, not only of the process: called before a journaled transaction
   * is first broadcast. PostgreSQL's commit is that already (its default
   * synchronous_commit); SQLite's WAL is flushed (wal-sync.ts).
   */
  durable(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** Caches prepared statements: Kysely's SQLite driver prepares on every call. */
function withStatementCache(db: BetterSqlite3.Database, size = 256) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt === undefined) {
        stmt = db.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/** What the database tells the process as it goes. */
export interface DbObservers {
  /** SQLite: the WAL was flushed to disk (Db.durable). */
  onWalFlush?: () => void;
}

function openSqlite(url: string, observers: DbObservers): Db {
  const path = url.slice('sqlite:'.length);
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true, mode: 0o700 });
  const raw = new BetterSqlite3(memory ? ':memory:' : path);
  // Balances and orders are nobody else's business. SQLite gives the -wal and
  // -shm files the database file's mode, so this covers them too.
  if (!memory) chmodSync(path, 0o600);
  raw.defaultSafeIntegers(true);
  raw.pragma('journal_mode = WAL');
  // WAL + NORMAL: a commit survives a process crash; only an OS crash may lose the last commits,
  // unless made durable() first (wal-sync.ts): what is about to be broadcast is.
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  // Savepoint journals (group commit) stay in memory instead of temporary files.
  raw.pragma('temp_store = MEMORY');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  const groupCommit = createGroupCommit(kysely, (text) => raw.exec(text));
  // Checkpoints on a thread of their own: the commits on the event loop only append to the WAL.
  const checkpoints = memory ? undefined : startBackgroundCheckpoints(path, raw);
  const walSync = memory ? undefined : new WalSync(`${path}-wal`, observers.onWalFlush);
  return {
    kysely,
    dialect: 'sqlite',
    durable: () => walSync?.sync() ?? Promise.resolve(),
    transaction: (work) => withCommitHooks((afterCommit) => groupCommit((trx) => work({ kysely: trx, dialect: 'sqlite', sqlite: raw, afterCommit }))),
    // The worker's connection first: the last one to close checkpoints the rest and removes the WAL.
    close: async () => {
      await walSync?.close();
      await checkpoints?.stop();
      await kysely.destroy();
    },
  };
}

function openPostgres(url: string): Db {
  // Loaded here, not at the top: a process on SQLite never holds the driver.
  const pg = createRequire(import.meta.url)('pg') as typeof pgModule;
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Connections are kept, not closed after pg's default 10 s idle: a new one costs the server a
    // backend to start and warm, and every prepared statement parsed and planned again (PostgreSQL
    // plans each afresh for its first five runs on a connection), which a burst of orders after a
    // quiet spell would pay each time (docs/BENCHMARKS.md). Ten per process at most, as before.
    idleTimeoutMillis: 0,
    // Idle connections alone do not keep the process alive: it ends when its work does, as before.
    allowExitOnIdle: true,
    types: postgresTypes(pg),
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => adaptPostgresClient(pg, client));
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    dialect: 'postgres',
    transaction: (work) => withCommitHooks((afterCommit) => kysely.transaction().execute((trx) => work({ kysely: trx, dialect: 'postgres', afterCommit }))),
    durable: () => Promise.resolve(),
    close: () => kysely.destroy(),
  };
}

/** How the pool's connections read values: int8 as bigint, exact; every other type as pg parses it by default. */
export function postgresTypes(pg: typeof pgModule): { getTypeParser: typeof pgModule.types.getTypeParser } {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
}

/** Opens the database named by DATABASE_URL: `sqlite:<path>` or `postgres://…`. */
export function connect(url: string, observers: DbObservers = {}): Db {
  return url.startsWith('sqlite:') ? openSqlite(url, observers) : openPostgres(url);
}

/** Readiness: the database answers a trivial query (throws otherwise). */
export async function pingDatabase(db: DbHandle): Promise<void> {
  await sql`select 1`.execute(db.kysely);
}
