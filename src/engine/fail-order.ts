import { dbNow } from '../db/clock.js';
import type { DbHandle } from '../db/connect.js';
import type { Order } from '../db/orders.js';
import { refundToBalance } from '../db/users.js';
import type { FailureCode } from '../domain/order-reasons.js';
import { oweFlashRefund } from '../use-cases/flash-payment.js';
import type { EngineContext } from './context.js';
import { transition } from './transition.js';

/**
 * Fails an order and refunds its price, in one transaction: the status
 * change, the balance credit and the refund ledger entry commit together or
 * not at all. Only called when it is certain that no delegation for this
 * order has landed or can still land. An order paid by a flash-rent
 * transfer is refunded on chain instead: its payment becomes owed back (in
 * the same transaction), and the refunds worker sends it.
 */
/** What failing an order needs of the engine. */
export type FailContext = Pick<EngineContext, 'db' | 'log' | 'workerId' | 'flashRent' | 'hooks'>;

export async function failAndRefund(ctx: FailContext, held: Order, code: FailureCode, message: string): Promise<Order> {
  const { db, log } = ctx;
  const actor = ctx.workerId;
  if (held.payment_txid !== null) return failFlashOrder(ctx, held, held.payment_txid, code, message);
  return db.transaction(async (tx) => {
    const failed = await transition(
      tx,
      held,
      'failed',
      { reason: code, actor, detail: { message } },
      failedFields(tx, code, message, held.price_sun),
    );
    // Back in the currency the order was paid in: price_sun is in its smallest unit.
    await refundToBalance(tx, held, held.price_sun);
    return failed;
  }).then((failed) => {
    log.warn({ orderId: held.id, code, refunded: held.price_sun.toString(), currency: held.pay_currency }, 'order failed and refunded');
    return failed;
  });
}

function failedFields(db: DbHandle, code: FailureCode, message: string, refundedSun: bigint | null) {
  return {
    error_code: code,
    error_message: message,
    refunded_sun: refundedSun,
    failed_at: dbNow(db.dialect),
    wait_reason: null,
    lease_owner: null,
    lease_until: null,
    next_attempt_at: null,
  };
}

/**
 * A flash-rent order fails: what goes back on chain (the price minus
 * FLASH_RENT_REFUND_FEE_SUN; nothing when the price is at most the fee) is
 * written on the order as its refund, and its payment is owed back.
 */
async function failFlashOrder(ctx: FailContext, held: Order, paymentTxid: string, code: FailureCode, message: string): Promise<Order> {
  const fee = ctx.flashRent?.refundFeeSun ?? 0n;
  const { failed, refundSun } = await ctx.db.transaction(async (tx) => {
    const refundSun = await oweFlashRefund(tx, paymentTxid, held.price_sun, code, fee);
    const failed = await transition(tx, held, 'failed', { reason: code, actor: ctx.workerId, detail: { message, refund: 'on_chain' } }, failedFields(tx, code, message, refundSun));
    return { failed, refundSun };
  });
  ctx.log.warn({ orderId: held.id, code, paymentTxid, refundSun: refundSun?.toString() ?? null }, 'flash-rent order failed; its payment is owed back on chain');
  ctx.hooks?.flashRefundOwed?.();
  return failed;
}
