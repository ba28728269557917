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
 * So the page is read with `holding` below, by the (column, id) index.
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
  for (const [other, wanted] of also) q = q.where(dialect === 'sqlite' ? sql`+${sql.ref(other)}` : sql.ref(other), '=', wanted);
  return holding(dialect, q, by, 'desc').orderBy(sql.ref('id'), 'desc');
}

/**
 * `q` kept to the rows whose column holds its value, and ordered first on
 * that column, so that an index starting with it is what PostgreSQL reads
 * them from; the caller orders on the index's next column after this.
 *
 * On PostgreSQL the match is written as a range of one value: an equality
 * would let the planner drop the column from the order (it is constant), and
 * an index that only gives the order of the next column (the primary key, a
 * user-id index) would qualify again. SQLite keeps the equality: it seeks the
 * index to the value and the next column's bound together (a page's cursor),
 * where a range would have it walk every row of the value up to the cursor.
 */
export function holding<DB, TB extends keyof DB, O>(
  dialect: Dialect,
  q: SelectQueryBuilder<DB, TB, O>,
  [column, value]: Match,
  direction: 'asc' | 'desc',
): SelectQueryBuilder<DB, TB, O> {
  const ref = sql.ref(column);
  if (dialect === 'sqlite') return q.where(ref, '=', value);
  return q.where(ref, '>=', value).where(ref, '<=', value).orderBy(ref, direction);
}
