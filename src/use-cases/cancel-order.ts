import { readDbNow } from '../db/clock.js';
import type { Db } from '../db/connect.js';
import { cancelPendingOrder, requestEarlyCancel, setCancelRefund } from '../db/order-cancels.js';
import { findOrder, insertOrderEvent, type Order } from '../db/orders.js';
import { refundToBalance } from '../db/users.js';
import { lockEndsAt, type CancelRefusal } from '../domain/cancel.js';
import { conflict, notFound } from '../domain/errors.js';
import { canTransition } from '../domain/order-status.js';
import { oweFlashRefund } from './flash-payment.js';

export interface CancelOrderInput {
  orderId: string;
  /** Who asked: written as the event's actor (`api` for a client key, `admin` for the admin token). */
  actor: 'api' | 'admin';
  /** FLASH_RENT_REFUND_FEE_SUN here: kept from a flash-rent payment sent back when the payment does not say its own (served before it was kept). */
  flashRefundFeeSun: bigint;
}

export type CancelOutcome =
  /** It was pending: now cancelled, its price refunded (or its payment owed back on chain). */
  | { kind: 'cancelled'; order: Order }
  /** Cancelled before (as pending, or an early reclaim that has completed): nothing changed. */
  | { kind: 'already_cancelled'; order: Order }
  /** It is active: the engine reclaims it early and refunds it by CANCEL_REFUND_POLICY (asked now or before). */
  | { kind: 'reclaim_requested'; order: Order };

const iso = (ms: bigint) => new Date(Number(ms)).toISOString();

const refused = (reason: CancelRefusal, message: string, details: Record<string, unknown> = {}) =>
  conflict('cancel_not_allowed', message, { reason, ...details });

/** A status moved between our read and our write: we look again, a few times at most. */
const MAX_LOOKS = 3;

/**
 * Cancels an order, or asks for its rental to end early:
 *
 *   pending, nobody holding it  -> cancelled now, refunded in full, one transaction
 *   pending, a worker holds it  -> 409 being_processed (it may be signing the delegation)
 *   delegating                  -> 409: its delegation may land
 *   active, lock run out / none -> the request is recorded; the engine reclaims early and refunds
 *   active, locked              -> 409 locked, with possible_at
 *   cancelled (or an early reclaim, asked for or done) -> the order as it is
 *
 * Never talks to the chain. Race-safe: every write is one guarded UPDATE,
 * and a worker's claim is another on the same row; whichever commits first
 * wins, and the loser changes nothing.
 */
export async function cancelOrder(db: Db, input: CancelOrderInput): Promise<CancelOutcome> {
  for (let look = 0; look < MAX_LOOKS; look++) {
    const order = await findOrder(db, input.orderId);
    if (!order) throw notFound('order');
    switch (order.status) {
      case 'cancelled':
        return { kind: 'already_cancelled', order };
      case 'pending': {
        const cancelled = await cancelPending(db, order, input);
        if (cancelled) return { kind: 'cancelled', order: cancelled };
        const [now, again] = await Promise.all([readDbNow(db), findOrder(db, order.id)]);
        if (again?.status === 'pending' && again.lease_until !== null && again.lease_until >= now) {
          throw refused('being_processed', 'a worker is processing this order right now (it may be signing its delegation); ask again in a moment');
        }
        continue;
      }
      case 'delegating':
        throw refused('delegating', 'its delegation is on its way to the chain and may land; once the order is active it can be cancelled early (when its lock allows)');
      case 'active': {
        if (order.cancel_requested_at !== null) return { kind: 'reclaim_requested', order };
        const requested = await requestEarlyCancel(db, order.id);
        if (requested) return { kind: 'reclaim_requested', order: requested };
        const [now, again] = await Promise.all([readDbNow(db), findOrder(db, order.id)]);
        if (again === undefined || again.status !== 'active' || again.cancel_requested_at !== null) continue;
        const possibleAt = lockEndsAt(again.delegated_at, again.lock_blocks);
        if (possibleAt !== null && possibleAt > now) {
          throw refused('locked', `the delegation is locked on chain until about ${iso(possibleAt)}; it can be cancelled from then`, { possible_at: iso(possibleAt) });
        }
        if (again.expires_at !== null && again.expires_at <= now) {
          throw refused('rental_ended', 'the rental has already ended; its energy is being reclaimed');
        }
        continue;
      }
      case 'reclaiming':
        if (order.cancel_requested_at !== null) return { kind: 'reclaim_requested', order };
        throw refused('reclaiming', 'the rental has ended and its energy is being reclaimed');
      case 'completed':
        if (order.cancelled_at !== null) return { kind: 'already_cancelled', order };
        throw refused('completed', 'the order has completed');
      case 'failed':
        throw refused('failed', 'the order failed and was refunded');
    }
  }
  throw refused('being_processed', 'the order changed while it was being cancelled; ask again in a moment');
}

/**
 * pending -> cancelled with its refund, in one transaction: the guarded
 * status change, the event, and the balance credit with its ledger entry
 * (in the currency paid), or, for an order paid by a flash-rent transfer,
 * the payment owed back on chain (the refunds worker sends it). Undefined
 * when a worker holds the order or it is no longer pending.
 */
async function cancelPending(db: Db, order: Order, input: CancelOrderInput): Promise<Order | undefined> {
  if (!canTransition(order.status, 'cancelled')) return undefined;
  const flash = order.payment_txid;
  return db.transaction(async (tx) => {
    const cancelled = await cancelPendingOrder(tx, order.id, flash === null ? order.price_sun : null);
    if (!cancelled) return undefined;
    let detail: Record<string, unknown>;
    if (flash === null) {
      await refundToBalance(tx, order, order.price_sun);
      detail = { refund: order.price_sun.toString(), currency: order.pay_currency };
    } else {
      const refundSun = await oweFlashRefund(tx, flash, order.price_sun, 'cancelled', input.flashRefundFeeSun);
      if (refundSun !== null) await setCancelRefund(tx, order.id, refundSun);
      cancelled.refunded_sun = refundSun;
      detail = { refund: 'on_chain', payment_txid: flash, refund_sun: refundSun?.toString() ?? null };
    }
    await insertOrderEvent(tx, {
      order_id: order.id,
      from_status: 'pending',
      to_status: 'cancelled',
      reason: 'cancelled',
      actor: input.actor,
      detail: JSON.stringify(detail),
    });
    return cancelled;
  });
}
