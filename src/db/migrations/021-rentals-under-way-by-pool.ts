import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Our rentals under way, by pool. Before a rental is planned on a pool, the
 * pool must be able to pay, besides its own delegation and reclaim, every
 * transaction our orders on it still owe: the delegation and reclaim of each
 * one delegating, the reclaim of each one active or reclaiming (db/orders.ts,
 * RESERVED_BY_POOL and ROOM_ON_POOL). Counting them through orders_status
 * would read every rental under way, on every pool, for each order planned.
 *
 * Partial, as orders_locked_receiver (017): finished orders cost it
 * nothing. The queries repeat the predicate word for word, as literals;
 * `status` and `delegated_sun` are in the index, so the counts and the
 * reserved sum are read from it alone.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('orders_under_way_by_pool')
    .on('orders')
    .columns(['pool_address', 'status', 'delegated_sun'])
    .where(sql<boolean>`status in ('delegating', 'active', 'reclaiming')`)
    .execute();
}
