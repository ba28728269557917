import { sql, type RawBuilder } from 'kysely';
import type { DbHandle, Dialect } from './connect.js';

/**
 * Now, in epoch milliseconds, read from the database's own clock. Leases and
 * timestamps use it so that workers on machines with skewed clocks agree.
 *
 * One statement reads one now, however many times it writes it: an order's
 * created_at and updated_at, a lease's `until < now` and `until = now + ms`,
 * an event's creation and its deadline a retry window later. SQLite's clock
 * is the same for every read within one step of a statement; PostgreSQL's
 * statement_timestamp() is the time the statement's message was taken up
 * (its Execute, for the extended protocol), the same for the whole
 * statement, and a new one for each statement of a transaction, where
 * now() would be the transaction's start. clock_timestamp() is read anew
 * at each place, and two reads in one statement could fall in two
 * milliseconds. A statement waiting on a row lock keeps the now it started
 * with: a lease it writes is short by the wait, never long.
 */
export function dbNow(dialect: Dialect): RawBuilder<bigint> {
  return sql<bigint>`${sql.raw(DB_NOW_SQL[dialect])}`;
}

/** The same as SQL text, for statements written by hand (prepared.ts). */
export const DB_NOW_SQL: Readonly<Record<Dialect, string>> = {
  sqlite: "cast(unixepoch('subsec') * 1000 as integer)",
  postgres: 'cast(extract(epoch from statement_timestamp()) * 1000 as bigint)',
};

/** The database clock's now, read once (for explaining a refusal; writes use dbNow inside their statement). */
export async function readDbNow(db: DbHandle): Promise<bigint> {
  const { rows } = await sql<{ now: bigint | string }>`select ${dbNow(db.dialect)} as now`.execute(db.kysely);
  return BigInt(rows[0]!.now);
}
