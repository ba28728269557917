import { sql } from 'kysely';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import type { Order } from './orders.js';

/**
 * The two writes a cancel makes, each one guarded UPDATE: no row back means
 * the order was not (or no longer) in a state that allows it.
 */

/**
 * pending -> cancelled, only while nobody holds a live lease on the order: a
 * worker's claim is itself a guarded UPDATE of the same row, so whichever
 * commits first wins, and the other matches nothing. The lease version is
 * bumped, so a worker whose lease ran out meanwhile cannot write the order
 * any more. `refundedSun` is what goes back (null: nothing).
 */
export function cancelPendingOrder(db: DbHandle, orderId: string, refundedSun: bigint | null): Promise<Order | undefined> {
  const now = dbNow(db.dialect);
  return db.kysely
    .updateTable('orders')
    .set((eb) => ({
      status: 'cancelled',
      cancelled_at: now,
      refunded_sun: refundedSun,
      lease_owner: null,
      lease_until: null,
      lease_version: eb('lease_version', '+', 1n),
      next_attempt_at: null,
      wait_reason: null,
      updated_at: now,
    }))
    .where('id', '=', orderId)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .returningAll()
    .executeTakeFirst();
}

/** A cancelled order's refund, once known (a flash-rent refund is the payment minus its fee). */
export async function setCancelRefund(db: DbHandle, orderId: string, refundedSun: bigint | null): Promise<void> {
  await db.kysely.updateTable('orders').set({ refunded_sun: refundedSun }).where('id', '=', orderId).where('status', '=', 'cancelled').execute();
}

/**
 * Asks for an active rental to end early: records when, and makes it due
 * now. Only while it is active, not asked before, not over yet, and its
 * delegation unlocked or its lock run out by the clock (delegated_at +
 * lock_blocks × 3 s). The engine's active step sees the request and
 * reclaims through the journal; no chain call is made here. Leases are left
 * alone: a worker holding the order writes it fenced on its status and
 * version, which this does not change, and an active order with a request
 * is due whatever its retry time says (order-leases.ts).
 */
export function requestEarlyCancel(db: DbHandle, orderId: string): Promise<Order | undefined> {
  const now = dbNow(db.dialect);
  return db.kysely
    .updateTable('orders')
    .set({ cancel_requested_at: now, next_attempt_at: now, updated_at: now })
    .where('id', '=', orderId)
    .where('status', '=', 'active')
    .where('cancel_requested_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('lock_blocks', 'is', null), eb(sql<bigint>`delegated_at + lock_blocks * 3000`, '<=', now)]))
    .returningAll()
    .executeTakeFirst();
}
