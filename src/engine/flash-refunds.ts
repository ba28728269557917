import type { FlashRentConfig } from '../config.js';
import { findChainTx } from '../db/chain-transactions.js';
import { claimDueRefunds, releasePayment, updateHeldPayment, type FlashPayment } from '../db/flash-payments.js';
import { findOrderByPaymentTxid } from '../db/orders.js';
import { refusedWith, type WaitReason } from '../domain/order-reasons.js';
import { backoffMs } from '../domain/backoff.js';
import { metrics } from '../observability/metrics.js';
import { TurnLoop } from '../turn-loop.js';
import type { EngineContext } from './context.js';
import { LeaseLostError } from './errors.js';
import { isCannotPay, poolCanPayNow, poolFellShort } from './pool-fee-check.js';
import { followInTransaction, journalAndBroadcast, settle, type JournalHolder } from './journaled-transaction.js';

/** Refunds claimed per turn. */
const BATCH = 20;
/** How long a refund waits for FLASH_RENT_ADDRESS's key to be configured again. */
const MISSING_KEY_RETRY_MS = 60_000;
/** Longest wait between attempts of a refund that keeps failing. */
const MAX_BACKOFF_MS = 10 * 60_000;

/** A flash payment as the holder of its refund: its own refund_txid and refund_tx_status follow the journal. */
function paymentHolder(ctx: EngineContext, held: FlashPayment, orderId: string | null): JournalHolder<FlashPayment> {
  const follow: JournalHolder<FlashPayment>['follow'] = async (db, { txid, status }) => {
    const row = await updateHeldPayment(db, held, { ...(txid === undefined ? {} : { refund_txid: txid }), refund_tx_status: status });
    if (row === undefined) throw new LeaseLostError(held.txid);
    return paymentHolder(ctx, row, orderId);
  };
  return {
    row: held,
    kind: 'refund',
    logKey: { paymentTxid: held.txid },
    claimedAt: held.lease_until! - BigInt(ctx.settings.leaseMs),
    txStatus: held.refund_tx_status,
    link: { orderId, paymentTxid: held.txid },
    follow,
    ...followInTransaction(follow),
  };
}

type RefundStep = { refunded: true } | { retryInMs: number; reason: WaitReason; failed: boolean };

/**
 * Gives flash-rent payments back to their payers: a TRX transfer from
 * FLASH_RENT_ADDRESS of the amount paid minus FLASH_RENT_REFUND_FEE_SUN,
 * through the same journal as delegations, so a refund is never sent twice:
 * a second transfer is signed only once the first can certainly never land.
 * Payments owed back are leased as orders are, so any number of workers
 * share them; the block follower makes a payment due again when its refund
 * settles.
 */
export class FlashRefunds {
  private readonly loop: TurnLoop;

  constructor(
    private readonly ctx: EngineContext,
    private readonly flash: FlashRentConfig,
    intervalMs: number,
  ) {
    this.loop = new TurnLoop(() => this.tick(), intervalMs, (message) =>
      ctx.log.warn({ err: message }, 'flash-rent refunds: turn failed; trying again next interval'),
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Something settled: look now rather than at the next interval. */
  wake(): void {
    this.loop.wake();
  }

  /** One turn: every refund due now is worked once; a full batch means more are waiting. */
  async tick(): Promise<number | undefined> {
    const { db, workerId, settings } = this.ctx;
    const due = await claimDueRefunds(db, workerId, settings.leaseMs, BATCH);
    for (const p of due) await this.work(p);
    return due.length === BATCH ? 0 : undefined;
  }

  private async work(p: FlashPayment): Promise<void> {
    const { db, log } = this.ctx;
    let step: RefundStep;
    try {
      step = await this.step(p);
    } catch (err) {
      if (err instanceof LeaseLostError) return;
      log.warn({ paymentTxid: p.txid, err: err instanceof Error ? err.message : String(err) }, 'flash-rent refund could not proceed; retried with backoff');
      step = { retryInMs: this.ctx.settings.confirmPollMs, reason: 'chain_unavailable', failed: true };
    }
    if ('refunded' in step) return;
    const attempts = step.failed ? p.attempts + 1n : 0n;
    const retry = step.failed ? backoffMs(Number(p.attempts), step.retryInMs, MAX_BACKOFF_MS) : step.retryInMs;
    await releasePayment(db, p, this.ctx.settings.leaseMs, retry, step.reason, attempts);
  }

  /** The journal algorithm for one refund (as journaledStep is for an order's delegation and reclaim). */
  private async step(p: FlashPayment): Promise<RefundStep> {
    const { ctx, flash } = this;
    const poll = ctx.settings.confirmPollMs;
    const orderId = (await findOrderByPaymentTxid(ctx.db, p.txid))?.id ?? null;
    let holder = paymentHolder(ctx, p, orderId);
    // The payment names its newest refund in the transaction that journals it (paymentHolder's follow): read by that name,
    // not as the row journaled last by the clock (journaledStep says why).
    const journaled = p.refund_txid === null ? undefined : await findChainTx(ctx.db, p.refund_txid);
    if (journaled?.status === 'confirmed') return this.refunded(holder, journaled.txid);
    if (journaled !== undefined) {
      const s = await settle(ctx, holder, journaled);
      if (s.kind === 'confirmed') return this.refunded(holder, journaled.txid);
      if (s.kind === 'pending') return { retryInMs: s.lookAgainInMs, reason: 'awaiting_refund_confirmation', failed: false };
      holder = s.holder;
    }
    const pool = ctx.pools.find((a) => a.address === flash.address);
    if (!pool) return { retryInMs: MISSING_KEY_RETRY_MS, reason: 'flash_key_missing', failed: false };
    // Nothing is signed for a transfer the address cannot pay the bandwidth of: the node would refuse it.
    // (Read again before the next try: funded meanwhile, the payer must not wait for its periodic read.)
    if (!(await poolCanPayNow(ctx, pool.address))) return { retryInMs: 5 * poll, reason: 'pool_cannot_pay_fee', failed: true };
    const signed = await ctx.chain.buildTransfer(pool, p.sender, p.refund_sun!);
    const sent = await journalAndBroadcast(ctx, holder, signed, { pool: pool.address, receiver: p.sender, amountSun: p.refund_sun!, lockBlocks: null });
    if ('refused' in sent) {
      const { code } = sent.refused;
      metrics.broadcastRefusals.inc({ kind: 'refund', code, pool: pool.address });
      if (!isCannotPay(code)) return { retryInMs: 5 * poll, reason: refusedWith('refund_refused', code), failed: true };
      // Its snapshot said it could pay (read before its TRX went): no further refund is signed, and no rental
      // planned on it (it may be a pool too), until a read says it can pay again.
      await poolFellShort(ctx, pool.address, 'fee');
      return { retryInMs: 5 * poll, reason: 'pool_cannot_pay_fee', failed: true };
    }
    return { retryInMs: sent.lookAgainInMs, reason: 'awaiting_refund_confirmation', failed: false };
  }

  private async refunded(holder: JournalHolder<FlashPayment>, txid: string): Promise<RefundStep> {
    const p = holder.row;
    const row = await updateHeldPayment(this.ctx.db, p, {
      refund_status: 'refunded',
      refund_txid: txid,
      refund_tx_status: 'confirmed',
      lease_owner: null,
      lease_until: null,
      next_attempt_at: null,
      wait_reason: null,
    });
    if (row === undefined) throw new LeaseLostError(p.txid);
    this.ctx.log.info({ paymentTxid: p.txid, txid, to: p.sender, refundSun: p.refund_sun!.toString(), reason: p.refund_reason }, 'flash-rent payment refunded on chain');
    // The address paid it: its balance and bandwidth are read again.
    this.ctx.hooks?.poolsNeedReading?.(this.flash.address);
    return { refunded: true };
  }

  close(): Promise<void> {
    return this.loop.close();
  }
}
