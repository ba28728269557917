import type { Kysely, UpdateObject } from 'kysely';
import { dbNow } from '../db/clock.js';
import type { Dialect } from '../db/connect.js';
import { insertOrderEvent, type Order } from '../db/orders.js';
import type { Database } from '../db/schema.js';
import { canTransition, type OrderStatus } from '../domain/order-status.js';
import { LeaseLostError } from './errors.js';

export type OrderFields = Omit<UpdateObject<Database, 'orders'>, 'id' | 'status' | 'lease_version'>;

/** UPDATE … WHERE id, status and lease_version are still what we hold; LeaseLostError otherwise. */
async function fencedUpdate(db: Kysely<Database>, dialect: Dialect, held: Order, set: UpdateObject<Database, 'orders'>): Promise<Order> {
  const row = await db
    .updateTable('orders')
    .set({ ...set, updated_at: dbNow(dialect) })
    .where('id', '=', held.id)
    .where('status', '=', held.status)
    .where('lease_version', '=', held.lease_version)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new LeaseLostError(held.id);
  return row;
}

/**
 * Writes fields of an order we hold, fenced on our lease: only if the order is
 * still in the status we read and nobody has claimed it since. Throws
 * LeaseLostError otherwise (and the surrounding transaction rolls back).
 */
export function updateHeld(db: Kysely<Database>, dialect: Dialect, held: Order, fields: OrderFields): Promise<Order> {
  return fencedUpdate(db, dialect, held, fields);
}

/**
 * The only way an order changes status: one fenced UPDATE from the status we
 * hold to the next one the lifecycle allows, plus its event row, in the
 * caller's transaction.
 */
export async function transition(
  db: Kysely<Database>,
  dialect: Dialect,
  held: Order,
  to: OrderStatus,
  event: { reason: string; actor: string; detail?: Record<string, unknown> },
  fields: OrderFields = {},
): Promise<Order> {
  if (!canTransition(held.status, to)) throw new Error(`illegal transition ${held.status} -> ${to}`);
  const row = await fencedUpdate(db, dialect, held, { ...fields, status: to });
  await insertOrderEvent(db, {
    order_id: held.id,
    from_status: held.status,
    to_status: to,
    reason: event.reason,
    actor: event.actor,
    detail: event.detail === undefined ? null : JSON.stringify(event.detail),
    at: dbNow(dialect),
  });
  return row;
}
