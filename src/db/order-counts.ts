import { sql } from 'kysely';
import type { OrderStatus } from '../domain/order-status.js';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';

/** Age of the oldest pending order on the database clock, or null: reads only the pending orders. */
export async function oldestPendingAgeMs(db: DbHandle): Promise<number | null> {
  const oldest = await sql<{ age: bigint | null }>`select cast(${dbNow(db.dialect)} - min(created_at) as bigint) as age from orders where status = 'pending'`.execute(
    db.kysely,
  );
  const age = oldest.rows[0]?.age;
  return age === null || age === undefined ? null : Math.max(0, Number(age));
}

/** One GROUP BY over the whole table: it grows with the table (completed orders stay). */
export async function countOrdersByStatus(db: DbHandle): Promise<Array<{ status: OrderStatus; n: bigint }>> {
  return db.kysely.selectFrom('orders').select(['status', sql<bigint>`count(*)`.as('n')]).groupBy('status').execute();
}
