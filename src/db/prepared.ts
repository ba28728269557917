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

/**
 * PostgreSQL: the texts of the statements that only take a lock for the rest
 * of the transaction (preparedLock), which a transaction sends with its next
 * statement (postgres-client.ts).
 */
export const POSTGRES_SENT_WITH_NEXT = new Set<string>();

/** The PostgreSQL texts of statements that end their transaction (`endsTransaction`). */
export const POSTGRES_ENDS_TRANSACTION = new Set<string>();

export interface PreparedOptions {
  /**
   * PostgreSQL: inside a transaction, this statement is its last, and the
   * transaction's COMMIT goes out with it, in the same write (postgres-client.ts):
   * a round trip fewer, and the transaction's locks let go a round trip sooner.
   * The COMMIT runs only if the statement succeeded. Only for a statement
   * after which its transaction writes nothing and throws nothing that would
   * need it undone: the caller's COMMIT or ROLLBACK then sends nothing, and a
   * statement after it in the same transaction is refused. SQLite, which
   * commits in-process, is unchanged.
   */
  endsTransaction?: boolean;
  /**
   * The one dialect the text is written for (SQLite's `json_each`, say): it
   * is registered and prepared for that dialect only, and run on the other
   * it throws.
   */
  only?: Dialect;
}

/**
 * A `*` standing for a row's columns (`select *`, `returning *`, `o.*`),
 * except over unnest's columns, which the statement itself names.
 */
const ROW_STAR = /(?:\bselect\s+(?:distinct\s+)?|\breturning\s+|,\s*)(?:\w+\.)?\*(?!\s*from\s+unnest\()/i;

/**
 * Names a PostgreSQL text once, for every connection to prepare it under.
 * Refuses one that says `*` for a row: a column another Joule's migration
 * adds would fail its cached plan on every connection (columns.ts). Every
 * statement is made as its module loads or on its first use, so a test that
 * runs it finds out.
 */
function nameOnPostgres(text: string): void {
  if (POSTGRES_STATEMENT_NAMES.has(text)) return;
  const star = ROW_STAR.exec(text);
  if (star !== null) throw new Error(`a prepared statement names its columns (columns.ts), not "${star[0].trim()}": ${text.replace(/\s+/g, ' ').slice(0, 120)}`);
  POSTGRES_STATEMENT_NAMES.set(text, `joule_${POSTGRES_STATEMENT_NAMES.size + 1}`);
}

/**
 * PostgreSQL only: a statement that takes a lock until its transaction ends
 * (`select pg_advisory_xact_lock(…)`) and answers nothing anyone reads.
 * Inside a transaction it is not sent on its own: it goes out with the
 * transaction's next statement, ahead of it, in the same write and the same
 * answer (postgres-client.ts), a round trip fewer while the lock is held.
 * The server still runs the two one after the other: the next statement
 * starts once the lock is held, and its snapshot (READ COMMITTED: taken as
 * it starts) sees all that was committed under the lock before. Its text
 * must be one that cannot fail to parse (a built-in function's call), and
 * one no other statement uses: the text is what marks it. So the caller
 * holds the lock from its next statement: only what that statement and
 * those after it do is guarded.
 */
export function preparedLock(text: string): { take(db: DbHandle, params: readonly (string | number | bigint)[]): Promise<void> } {
  const postgres = textFor(text, 'postgres');
  nameOnPostgres(postgres);
  POSTGRES_SENT_WITH_NEXT.add(postgres);
  return {
    async take(db, params) {
      if (db.dialect !== 'postgres') throw new Error('a lock statement is for PostgreSQL only');
      await db.kysely.executeQuery(CompiledQuery.raw(postgres, [...params]));
    },
  };
}

export function prepared<Row = Record<string, unknown>>(text: string, options: PreparedOptions = {}): PreparedStatement<Row> {
  const texts: Record<Dialect, string> = { sqlite: textFor(text, 'sqlite'), postgres: textFor(text, 'postgres') };
  const ends = options.endsTransaction === true;
  const only = options.only;
  if (only !== 'sqlite') {
    if (POSTGRES_STATEMENT_NAMES.has(texts.postgres) && POSTGRES_ENDS_TRANSACTION.has(texts.postgres) !== ends) {
      throw new Error(`one text made twice, ending its transaction once and not the other time: ${texts.postgres.replace(/\s+/g, ' ').slice(0, 120)}`);
    }
    nameOnPostgres(texts.postgres);
    if (ends) POSTGRES_ENDS_TRANSACTION.add(texts.postgres);
  }
  if (only !== 'postgres') SQLITE_STATEMENT_TEXTS.add(texts.sqlite);
  const check = (db: DbHandle) => {
    if (only !== undefined && db.dialect !== only) throw new Error(`a statement written for ${only} only, run on ${db.dialect}: ${text.replace(/\s+/g, ' ').slice(0, 120)}`);
  };
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
      check(db);
      if (db.sqlite === undefined) return (await viaKysely(db, params))[0];
      return onConnection(db.sqlite).get(...params) as Row | undefined;
    },
    async all(db, params) {
      check(db);
      if (db.sqlite === undefined) return viaKysely(db, params);
      return onConnection(db.sqlite).all(...params) as Row[];
    },
    async run(db, params) {
      check(db);
      if (db.sqlite === undefined) await viaKysely(db, params);
      else onConnection(db.sqlite).run(...params);
    },
  };
}

/**
 * Words of the code's own (statuses) as a list of SQL string literals, for a
 * statement written once: `'a', 'b'`. A partial index's predicate must be
 * repeated as literals for the database to know the index answers it.
 */
export function literalList(words: readonly string[]): string {
  const wrong = words.find((w) => !/^[a-z_]+$/.test(w));
  if (wrong !== undefined) throw new Error(`not a plain word: ${wrong}`);
  return words.map((w) => `'${w}'`).join(', ');
}

/**
 * PostgreSQL: `unnest` over array parameters, one `?` per array, of the
 * element types given: `unnestArrays('text', 'bigint')`.
 *
 * Each array is a scalar subquery, not the bare parameter. PostgreSQL plans a
 * named statement for its parameters' values during a connection's first
 * five calls, then keeps one generic plan unless the plans made for the
 * values looked cheaper. Shown an array's value, the planner knows how many
 * rows unnest gives: one, for an order placed alone. A generic plan guesses
 * ten. So a statement fed small arrays looked dearer generic and was planned
 * again at every call: for an order placed alone, 0.6–1.0 ms of the server's
 * planning beside 0.2–0.4 ms of execution (docs/BENCHMARKS.md, "The batch's
 * statement planned once"). Behind a subquery the value is hidden from both
 * kinds of plan alike, so the generic one is kept.
 */
export const unnestArrays = (...types: string[]): string => `unnest(${types.map((type) => `(select ?::${type}[])`).join(', ')})`;

/**
 * One statement written for each dialect (PostgreSQL's arrays, SQLite's
 * `json_each`), each prepared for its own only, run as the database asks.
 */
export function preparedPerDialect<Row = Record<string, unknown>>(texts: Record<Dialect, string>): PreparedStatement<Row> {
  const of: Record<Dialect, PreparedStatement<Row>> = {
    postgres: prepared<Row>(texts.postgres, { only: 'postgres' }),
    sqlite: prepared<Row>(texts.sqlite, { only: 'sqlite' }),
  };
  return {
    first: (db, params) => of[db.dialect].first(db, params),
    all: (db, params) => of[db.dialect].all(db, params),
    run: (db, params) => of[db.dialect].run(db, params),
  };
}

/** A list of words as one parameter of a preparedPerDialect statement: an array on PostgreSQL (unnestArrays), JSON text on SQLite (`json_each(?)`). */
export const wordsParameter = (db: DbHandle, words: readonly string[]): readonly string[] | string =>
  db.dialect === 'postgres' ? words : JSON.stringify(words);

/** A value a statement binds as it is: a Kysely expression is not one. */
export type Plain = string | number | bigint | null;
const isPlain = (v: unknown): v is Plain => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint';
const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A bigint as JSON can carry it exactly: a number up to 2^53, past that its
 * digits as a string. SQLite reads either back as the same 64-bit integer
 * (a string of digits by the column's INTEGER affinity, or by arithmetic).
 */
const exact = (v: Plain): Plain => (typeof v !== 'bigint' ? v : v <= SAFE && v >= -SAFE ? Number(v) : v.toString());

/**
 * Rows as one JSON text, for a SQLite statement that writes or reads many
 * rows at once through `json_each(?)` (`r.value ->> 0` is a row's first
 * value). Amounts stay exact (`exact`). Built by JSON.stringify over plain
 * arrays, V8's fast path: twice as fast as writing the text value by value.
 */
export function jsonRows(rows: ReadonlyArray<readonly Plain[]>): string {
  return JSON.stringify(rows.map((row) => row.map(exact)));
}

/** Rows one statement of preparedRows writes at most. */
const MAX_ROWS_A_STATEMENT = 256;

/**
 * SQLite only: an INSERT of many rows, their values bound as the parameters
 * of a multi-row VALUES list (`text` writes the statement around that list;
 * each row has `width` values). Bound parameters cost SQLite less than
 * reading the same values out of a JSON text (docs/BENCHMARKS.md). The rows
 * go in chunks whose sizes are powers of two (25 rows: 16, 8 and 1), so at
 * most nine statements per text are ever prepared, each once per connection.
 */
export function preparedRows(text: (values: string) => string, width: number): { run(db: DbHandle, rows: ReadonlyArray<readonly Plain[]>): Promise<void> } {
  const row = `(${Array(width).fill('?').join(', ')})`;
  const bySize: PreparedStatement<unknown>[] = [];
  for (let size = 1; size <= MAX_ROWS_A_STATEMENT; size *= 2) bySize.push(prepared(text(Array(size).fill(row).join(', ')), { only: 'sqlite' }));
  return {
    async run(db, rows) {
      const wrong = rows.find((r) => r.length !== width);
      if (wrong !== undefined) throw new Error(`a row of ${wrong.length} values for a statement of ${width}`);
      let at = 0;
      for (let k = bySize.length - 1; k >= 0; k--) {
        const size = 2 ** k;
        for (; rows.length - at >= size; at += size) await bySize[k]!.run(db, rows.slice(at, at + size).flat());
      }
    },
  };
}

/** A statement for the columns given, and their values in the order its `?` come. */
export interface PerColumns<Row> {
  statement: PreparedStatement<Row>;
  values: Plain[];
}

/**
 * For an UPDATE whose SET list depends on the call (the fields a step
 * writes): one prepared() statement per list of columns, made the first time
 * that list comes and reused after. `text` writes the statement from the
 * assignments (`column = ?`), or from the columns' names when it takes
 * their values otherwise; its own `?` follow the SET's. A field whose
 * value is undefined is not written (as Kysely leaves it out). Undefined
 * when a value is a SQL expression rather than a plain value: the caller
 * builds that statement with Kysely.
 */
export function preparedPerColumns<Row = Record<string, unknown>>(
  text: (assignments: string[], columns: string[]) => string,
  options: PreparedOptions = {},
): (set: Record<string, unknown>) => PerColumns<Row> | undefined {
  const byColumns = new Map<string, PreparedStatement<Row>>();
  return (set) => {
    const columns: string[] = [];
    const values: Plain[] = [];
    for (const [column, value] of Object.entries(set)) {
      if (value === undefined) continue;
      if (!isPlain(value)) return undefined;
      columns.push(column);
      values.push(value);
    }
    const key = columns.join(',');
    let statement = byColumns.get(key);
    if (statement === undefined) {
      // The names come from the code's own field lists, never from a request; checked all the same.
      const wrong = columns.find((c) => !COLUMN_NAME.test(c));
      if (wrong !== undefined) throw new Error(`not a column name: ${wrong}`);
      statement = prepared<Row>(text(columns.map((c) => `${c} = ?`), columns), options);
      byColumns.set(key, statement);
    }
    return { statement, values };
  };
}
