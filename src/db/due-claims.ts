import { preparedPerDialect, type PreparedStatement } from './prepared.js';

/** A claim's assignments to a row it leases (its `?`: the owner, the lease's length on the database clock). */
export const TAKE_LEASE = 'lease_owner = ?, lease_until = $now + ?, lease_version = lease_version + 1';

/**
 * A claim of due rows (orders for the sweeper, deliveries, refunds, receivers
 * to read) as one statement written once: `pick` selects the candidates'
 * keys (its WHERE, ORDER BY and LIMIT), and `claim` updates the rows among
 * them still due, naming the candidates `due`.
 *
 * The candidates are picked once, in a materialized CTE. Written as
 * `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`, PostgreSQL may plan a
 * nested loop that runs the subquery again for every row it looks at; each
 * run skips the rows the statement has just taken and returns the next
 * ones, so the statement took every due row, whatever the limit. On
 * PostgreSQL the candidates are locked with FOR UPDATE SKIP LOCKED, so
 * claimers running at once take different rows instead of waiting on each
 * other; SQLite has one writer, so there the statement is atomic as it
 * stands.
 *
 * Prepared, not built by Kysely at each call: these run on a timer whether
 * or not anything is due, and PostgreSQL plans a statement Kysely sends at
 * every call. A sweeper's pass over nothing due was planned for 1 ms to run
 * for 0.02 (docs/BENCHMARKS.md, "Polls planned once"); under a name, each
 * connection plans it once.
 */
export function preparedClaim<Row>(pick: string, claim: string): PreparedStatement<Row> {
  return preparedPerDialect<Row>({
    postgres: `with due as materialized (${pick} for update skip locked) ${claim}`,
    sqlite: `with due as materialized (${pick}) ${claim}`,
  });
}
