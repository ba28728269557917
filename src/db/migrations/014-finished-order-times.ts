import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * When orders finished, indexed, so the status counts (GET /api/status,
 * /metrics) read only the orders that finished since they last looked
 * instead of the whole table, which keeps every finished order
 * (db/order-counts.ts). failed_at has had its index since 003.
 *
 * Partial, like orders_failed_at: an order gets an entry when it finishes,
 * so placing one pays nothing. cancelled_at is also set on an active order
 * cancelled early, which ends `completed` (completed_at set in the same
 * update): orders_cancelled_at holds only orders cancelled while pending,
 * those without a completed_at. (Its predicate names no status: SQLite,
 * without statistics, would rather read orders_status for an equality on
 * status than this index for a range.)
 *
 * Building them reads the orders table once (under the migration's lock).
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('orders_completed_at')
    .on('orders')
    .column('completed_at')
    .where(sql.ref('completed_at'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('orders_cancelled_at')
    .on('orders')
    .column('cancelled_at')
    .where(sql<boolean>`${sql.ref('cancelled_at')} is not null and ${sql.ref('completed_at')} is null`)
    .execute();
}
