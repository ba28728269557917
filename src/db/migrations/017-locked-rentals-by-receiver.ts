import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Our locked rentals to a receiver, found among the rentals under way only.
 * Choosing a pool asks, for every order, which pools already hold a locked
 * rental to its receiver (db/orders.ts, listPoolStandings). Through
 * orders_receiver that read every order the receiver was ever sent and
 * looked each one up: 65 ms an order for a receiver with 50,000 finished
 * orders, growing with its history, on the loop that plans every order.
 *
 * Partial: an order has an entry only while it is delegating, active or
 * reclaiming with a lock, so the index holds the rentals under way and
 * finished orders cost it nothing. The query repeats this predicate word for
 * word, as literals: that is how SQLite (and PostgreSQL's generic plans)
 * know the index answers it.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('orders_locked_receiver')
    .on('orders')
    .columns(['receive_address', 'pool_address'])
    .where(sql<boolean>`status in ('delegating', 'active', 'reclaiming') and lock_blocks is not null`)
    .execute();
}
