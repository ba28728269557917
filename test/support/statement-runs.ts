import { sql } from 'kysely';
import type { Db } from '../../src/db/connect.js';

/**
 * PostgreSQL with pg_stat_statements loaded: how many times the statements of
 * this database whose text is `like` the pattern ran, and how many times they
 * were planned (counted only with pg_stat_statements.track_planning on).
 */
export async function statementRuns(db: Db, like: string): Promise<{ calls: number; plans: number }> {
  const { rows } = await sql<{ calls: string; plans: string }>`
    select coalesce(sum(calls), 0)::text as calls, coalesce(sum(plans), 0)::text as plans from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database()) and query like ${like}`.execute(db.kysely);
  return { calls: Number(rows[0]!.calls), plans: Number(rows[0]!.plans) };
}
