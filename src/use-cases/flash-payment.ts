import { createHash } from 'node:crypto';
import type { DbHandle } from '../db/connect.js';
import { insertFlashPayment, markRefundDue, refundFeeOf } from '../db/flash-payments.js';
import { uuidv7 } from '../db/ids.js';
import { insertOrder, insertOrderEvent } from '../db/orders.js';
import { ensureUser } from '../db/users.js';
import { decideFlashPayment, FLASH_RENT_USER_ID, type FlashDecision, type FlashRentTerms } from '../domain/flash-rent.js';
import { billedDays } from '../domain/pricing.js';
import { DEFAULT_TENANT } from '../domain/tenant.js';

/** A solidified TRX transfer to the flash-rent address, as the block watcher found it. */
export interface FlashTransfer {
  txid: string;
  sender: string;
  memo: string | undefined;
  amountSun: bigint;
  blockNumber: bigint;
  blockTime: bigint;
}

export type FlashOutcome = { kind: 'duplicate' } | ({ orderId?: string } & FlashDecision);

/**
 * The idempotency key of the order a transfer pays for: one order per
 * transfer, whoever sees it. It holds a space, which no client's key may
 * (printable ASCII without spaces): a client that saw the transfer in the
 * pool cannot take its key first and leave the follower unable to record it.
 */
export const flashIdempotencyKey = (txid: string) => `flash ${txid}`;

/**
 * Serves a transfer once, in the caller's transaction (the follower's, with
 * its cursor's move): records the payment by its txid, then either places
 * the order it buys (paid by the transfer, not by a balance: no ledger
 * entry) or leaves the payment owed back. A transfer recorded before
 * changes nothing.
 */
export async function serveFlashTransfer(tx: DbHandle, flash: FlashRentTerms, t: FlashTransfer): Promise<FlashOutcome> {
  const decision = decideFlashPayment(flash.offers, flash.refundFeeSun, { amountSun: t.amountSun, sender: t.sender, memo: t.memo });
  const recorded = await insertFlashPayment(tx, {
    txid: t.txid,
    sender: t.sender,
    memo: t.memo ?? null,
    amountSun: t.amountSun,
    blockNumber: t.blockNumber,
    blockTime: t.blockTime,
    reason: decision.kind === 'order' ? null : decision.reason,
    refundSun: decision.kind === 'refund' ? decision.refundSun : null,
    refundFeeSun: flash.refundFeeSun,
  });
  if (!recorded) return { kind: 'duplicate' };
  if (decision.kind !== 'order') return decision;

  const { offer, receiver } = decision;
  const id = uuidv7();
  await ensureUser(tx, FLASH_RENT_USER_ID);
  await insertOrder(tx, {
    id,
    user_id: FLASH_RENT_USER_ID,
    tenant_id: DEFAULT_TENANT,
    status: 'pending',
    energy_amount: offer.energyAmount,
    duration: offer.duration.text,
    duration_seconds: offer.duration.seconds,
    receive_address: receiver,
    pay_currency: 'TRX',
    price_sun: t.amountSun,
    rate_sun_per_energy_day: t.amountSun / (offer.energyAmount * billedDays(offer.duration.seconds)),
    idempotency_key: flashIdempotencyKey(t.txid),
    request_hash: createHash('sha256').update(`flash|${t.txid}`).digest('hex'),
    payment_txid: t.txid,
  });
  await insertOrderEvent(tx, {
    order_id: id,
    from_status: null,
    to_status: 'pending',
    reason: 'created',
    actor: 'flash-rent',
    detail: JSON.stringify({ payment_txid: t.txid, sender: t.sender, block: t.blockNumber.toString() }),
  });
  return { ...decision, orderId: id };
}

/**
 * An order paid by a transfer could not be delivered, or was cancelled:
 * `amountSun` of its payment is owed back, minus the refund fee it was taken
 * under (in the transaction that fails or cancels the order), whichever
 * process owes it and whatever its own settings say now. `feeIfUnrecorded`
 * (the caller's FLASH_RENT_REFUND_FEE_SUN) applies to payments served before
 * the fee was kept with them. Returns what will be sent back (null: the
 * amount is at most the fee).
 */
export async function oweFlashRefund(tx: DbHandle, paymentTxid: string, amountSun: bigint, reason: string, feeIfUnrecorded: bigint): Promise<bigint | null> {
  const refundSun = amountSun - ((await refundFeeOf(tx, paymentTxid)) ?? feeIfUnrecorded);
  if (refundSun <= 0n) return null;
  await markRefundDue(tx, paymentTxid, reason, refundSun);
  return refundSun;
}
