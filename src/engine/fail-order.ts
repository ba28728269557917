import { dbNow } from '../db/clock.js';
import type { Db } from '../db/connect.js';
import type { Order } from '../db/orders.js';
import { creditRefund, recordLedgerEntry } from '../db/users.js';
import type { FailureCode } from '../domain/order-reasons.js';
import type { Logger } from '../observability/logger.js';
import { transition } from './transition.js';

/**
 * Fails an order and refunds its price, in one transaction: the status
 * change, the balance credit and the refund ledger entry commit together or
 * not at all. Only called when it is certain that no delegation for this
 * order has landed or can still land.
 */
export async function failAndRefund(db: Db, log: Logger, held: Order, code: FailureCode, message: string, actor: string): Promise<Order> {
  return db.transaction(async (tx) => {
    const failed = await transition(
      tx,
      held,
      'failed',
      { reason: code, actor, detail: { message } },
      {
        error_code: code,
        error_message: message,
        refunded_sun: held.price_sun,
        failed_at: dbNow(db.dialect),
        wait_reason: null,
        lease_owner: null,
        lease_until: null,
        next_attempt_at: null,
      },
    );
    // Back in the currency the order was paid in: price_sun is in its smallest unit.
    const balance = await creditRefund(tx, held.user_id, held.pay_currency, held.price_sun);
    if (balance === undefined) throw new Error(`refund of order ${held.id}: user ${held.user_id} does not exist`);
    await recordLedgerEntry(tx, {
      userId: held.user_id,
      kind: 'refund',
      currency: held.pay_currency,
      amountSun: held.price_sun,
      balanceAfterSun: balance,
      orderId: held.id,
    });
    return failed;
  }).then((failed) => {
    log.warn({ orderId: held.id, code, refunded: held.price_sun.toString(), currency: held.pay_currency }, 'order failed and refunded');
    return failed;
  });
}
