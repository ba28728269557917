import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * A user's open orders, found among the orders under way only. Crediting a
 * deposit checks the balance plus what the user's open orders may still
 * refund against the ceiling (db/users.ts, creditDeposit). Through
 * orders_user that summed over every order the user ever placed, in the
 * UPDATE that holds SQLite's one writer: 134 ms for a user with 50,000
 * finished orders, with every order placement waiting behind it.
 *
 * Partial: an order has an entry only while it is pending, delegating,
 * active or reclaiming. The query repeats this predicate word for word, as
 * literals, so the database knows the index answers it.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('orders_user_open')
    .on('orders')
    .columns(['user_id', 'pay_currency'])
    .where(sql<boolean>`status in ('pending', 'delegating', 'active', 'reclaiming')`)
    .execute();
}
