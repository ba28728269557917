import { sql, type RawBuilder } from 'kysely';
import type { DbHandle, Dialect } from './connect.js';

/**
 * Now, in epoch milliseconds, read from the database's own clock. Leases and
 * timestamps use it so that workers on machines with skewed clocks agree.
 */
export function dbNow(dialect: Dialect): RawBuilder<bigint> {
  return sql<bigint>`${sql.raw(DB_NOW_SQL[dialect])}`;
}

/** The same as SQL text, for statements written by hand (prepared.ts). */
export const DB_NOW_SQL: Readonly<Record<Dialect, string>> = {
  sqlite: "cast(unixepoch('subsec') * 1000 as integer)",
  postgres: 'cast(extract(epoch from clock_timestamp()) * 1000 as bigint)',
};

/** The database clock's now, read once (for explaining a refusal; writes use dbNow inside their statement). */
export async function readDbNow(db: DbHandle): Promise<bigint> {
  const { rows } = await sql<{ now: bigint | string }>`select ${dbNow(db.dialect)} as now`.execute(db.kysely);
  return BigInt(rows[0]!.now);
}
