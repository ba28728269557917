import { sql, type SelectQueryBuilder } from 'kysely';
import type { Dialect } from './connect.js';

/** A column and the value a list asks it to hold. */
export type Match = readonly [column: string, value: string | bigint];

/**
 * A page of the rows whose `by` column holds its value, newest first, read
 * from the table's (column, id) index whatever the planner guesses; `also`
 * are further matches, checked on the rows that index gives.
 *
 * Written plainly (`column = value order by id desc limit n`), PostgreSQL
 * may walk the primary key backwards and keep the rows that match. It picks
 * that walk when the value is common (a user with one order in twenty, a
 * tenant, a status), on the guess that such rows are spread evenly through
 * the table. They need not be. A user whose rows are all older than everyone
 * else's, a tenant that paused, or a status last seen a month ago costs a walk
 * through every newer row: with a million finished orders behind it, one
 * ledger page took 23 times the CPU (docs/BENCHMARKS.md, "Flat on
 * PostgreSQL").
 *
 * So on PostgreSQL the page is ordered by the index's own columns, and only
 * that index gives the order. The match is written as a range of one value:
 * an equality would let the planner drop the column from the order (it is
 * constant), and the primary key would qualify again.
 *
 * SQLite already reads an equality and `order by id` from the (column, id)
 * index. But without statistics it takes any equality's index as good as
 * another's: a tenant's status filter walked the tenant's whole index. So
 * there `also` is written `+column`, which SQLite reads from no index.
 */
export function newestFirst<DB, TB extends keyof DB, O>(
  dialect: Dialect,
  q: SelectQueryBuilder<DB, TB, O>,
  by: Match,
  also: readonly Match[] = [],
): SelectQueryBuilder<DB, TB, O> {
  const [column, value] = by;
  const ref = sql.ref(column);
  const id = sql.ref('id');
  if (dialect === 'sqlite') {
    for (const [other, wanted] of also) q = q.where(sql`+${sql.ref(other)}`, '=', wanted);
    return q.where(ref, '=', value).orderBy(id, 'desc');
  }
  for (const [other, wanted] of also) q = q.where(sql.ref(other), '=', wanted);
  return q.where(ref, '>=', value).where(ref, '<=', value).orderBy(ref, 'desc').orderBy(id, 'desc');
}
