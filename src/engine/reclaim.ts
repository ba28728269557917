import type { DbHandle } from '../db/connect.js';
import type { Order } from '../db/orders.js';
import { refundToBalance } from '../db/users.js';
import { earlyCancelRefund, type EarlyCancelRefund } from '../domain/cancel.js';
import { refusedWith, type TransitionReason } from '../domain/order-reasons.js';
import { metrics } from '../observability/metrics.js';
import type { EngineContext } from './context.js';
import { oweFlashRefund } from '../use-cases/flash-payment.js';
import { journaledStep, type Landed } from './journaled-step.js';
import { claimedAt } from './lease.js';
import { done, next, retryAfterFailure, wait, type Step, type StepFn } from './step.js';
import { wakeCapacityWaiters } from '../db/order-leases.js';
import { isCannotPay, poolCanPayNow, poolFellShort } from './pool-fee-check.js';
import { landedPoolSnapshot, ourStakeMove } from './pool-stake.js';
import { onlyWriteMovingEnergy, transition, transitionMovingEnergy } from './transition.js';

/** Longest single wait for a lock to run out; the order is looked at again after it. */
const MAX_LOCK_WAIT_MS = 60_000;
/** How long a refused reclaim first waits, in poll intervals; repeated failures back off from there. */
const REFUSED_RECLAIM_RETRY_POLLS = 5;
/**
 * How long, in polls, a reclaim waits before it looks again at a delegation
 * a node said is gone (a minute at mainnet's pace: longer than the solidified
 * view trails the head).
 */
const DELEGATION_GONE_RECHECK_POLLS = 20;
/** How long a reclaim waits for its pool's key to be configured again. */
const MISSING_KEY_RETRY_MS = 60_000;

/**
 * Where the aggregate delegation from this pool to this receiver stands on
 * chain, and how much of this order's stake may be undelegated now. The
 * head's time is read (shared for a block) only when a lock is in the way.
 */
async function reclaimable(ctx: EngineContext, order: Order) {
  const record = await ctx.chain.delegation(order.pool_address!, order.receive_address);
  let lockRemainingMs = 0;
  if (record.lockedSun > 0n && record.unlockedSun < order.delegated_sun! && record.lockExpiresAt !== null) {
    const head = await ctx.chain.headBlock();
    // java-tron lets a lock go only once its end is strictly before the head block's time
    // (UnDelegateResourceActuator): at equality it still holds, for one more block.
    if (record.lockExpiresAt >= head.timestamp) lockRemainingMs = Number(record.lockExpiresAt - head.timestamp) + 1;
  }
  const total = record.unlockedSun + record.lockedSun;
  const available = record.unlockedSun + (lockRemainingMs > 0 ? 0n : record.lockedSun);
  return { total, available, lockRemainingMs };
}

/**
 * active: once the rental has expired, or once an early cancel was asked for
 * (the API checked the lock allows it), the reclaim starts (the chain is
 * asked in the next step, through the same journal).
 */
export const stepActive: StepFn = async (ctx, held) => {
  if (held.cancel_requested_at !== null) {
    const detail = { requested_at: new Date(Number(held.cancel_requested_at)).toISOString() };
    return next(await transition(ctx.db, held, 'reclaiming', { reason: 'cancel_requested', actor: ctx.workerId, detail }, { wait_reason: null }, ctx.settings.leaseMs));
  }
  const now = claimedAt(held, ctx.settings.leaseMs);
  if (held.expires_at! > now) return wait(Number(held.expires_at! - now), null);
  return next(await transition(ctx.db, held, 'reclaiming', { reason: 'rental_expired', actor: ctx.workerId }, { wait_reason: null }, ctx.settings.leaseMs));
};

/** reclaiming -> completed: the energy is back on the pool (an early cancel: refunded too). `landed`: our reclaim, when it is what brought it back. */
async function complete(ctx: EngineContext, held: Order, reason: TransitionReason, detail: Record<string, unknown>, landed?: Landed): Promise<Step> {
  const now = claimedAt(held, ctx.settings.leaseMs);
  const cancel = held.cancel_requested_at === null ? undefined : await cancelTerms(ctx, held, now, landed);
  // Without a refund, the move is the transaction's only write: on PostgreSQL its COMMIT goes with it.
  const { completed, receiverSaved, refresh } = await onlyWriteMovingEnergy(ctx.db, async (tx, moveEnergy) => {
    const refund = cancel === undefined ? undefined : await refundCancelled(ctx, tx, held, cancel.refund.refund);
    // The stake is back on the pool: delegatable again (someone else's reclaim: ask the node).
    // (An early cancel asked the node for the reclaim's fee since the claim: the snapshot is read again.)
    const stake = landed === undefined ? { refresh: true } : ourStakeMove(await landedPoolSnapshot(tx, landed, cancel === undefined), landed, 'reclaimed');
    const moved = await (refund === undefined ? moveEnergy : transitionMovingEnergy)(
      tx,
      held,
      'completed',
      cancel === undefined || refund === undefined
        ? { reason, actor: ctx.workerId, detail }
        : { reason: 'cancelled', actor: ctx.workerId, detail: { ...detail, reclaim: reason, ...cancelDetail(cancel.refund), ...refund.detail } },
      {
        ...(landed !== undefined ? { reclaim_tx_status: 'confirmed' as const } : {}),
        reclaimed_at: cancel?.reclaimedAt ?? now,
        completed_at: now,
        ...(refund === undefined ? {} : { cancelled_at: now, refunded_sun: refund.refundedSun }),
        wait_reason: null,
        lease_owner: null,
        lease_until: null,
        next_attempt_at: null,
      },
      { stake: stake.move },
    );
    return moved === 'hooked' ? moved : { completed: moved.order, receiverSaved: moved.receiverSaved, refresh: stake.refresh };
  });
  if (refresh) ctx.hooks?.poolsNeedReading?.(held.pool_address!);
  if (receiverSaved) ctx.hooks?.receiverEnergyMoved?.();
  // The stake is back: orders waiting for room look again now instead of at their next retry.
  await wakeCapacityWaiters(ctx.db);
  if (cancel === undefined) ctx.log.info({ orderId: held.id, reason, ...detail }, 'energy reclaimed, order completed');
  else ctx.log.info({ orderId: held.id, reason, ...detail, refunded: completed.refunded_sun?.toString() ?? null, currency: held.pay_currency }, 'cancelled early: energy reclaimed and refunded');
  if (cancel !== undefined && held.payment_txid !== null && (completed.refunded_sun ?? 0n) > 0n) ctx.hooks?.flashRefundOwed?.();
  return done(completed);
}

/**
 * What an early cancel gets back (domain/cancel.ts). The rental ended with
 * the block that holds our reclaim (never later than we saw it solidified,
 * as activate counts its start); found reclaimed by someone else, when we
 * saw that. The TRX the pool burnt for the reclaim comes off a TRX refund:
 * the node's receipt says how much.
 */
async function cancelTerms(ctx: EngineContext, held: Order, now: bigint, landed: Landed | undefined) {
  const blockTime = landed?.block.time ?? null;
  const reclaimedAt = blockTime !== null && blockTime < now ? blockTime : now;
  let reclaimFeeSun = 0n;
  if (landed !== undefined && held.pay_currency === 'TRX' && ctx.settings.cancelRefundPolicy !== 'none') {
    const receipt = await ctx.chain.transactionStatus(landed.tx.txid);
    if (receipt.state === 'confirmed') reclaimFeeSun = receipt.netFeeSun;
  }
  const refund = earlyCancelRefund({
    policy: ctx.settings.cancelRefundPolicy,
    price: held.price_sun,
    paidInTrx: held.pay_currency === 'TRX',
    durationSeconds: held.duration_seconds,
    expiresAt: held.expires_at!,
    reclaimedAt,
    reclaimFeeSun,
  });
  return { reclaimedAt, refund };
}

const cancelDetail = (r: EarlyCancelRefund) => ({
  policy: r.policy,
  unused_ms: r.unusedMs.toString(),
  prorata: r.prorata.toString(),
  fee_sun: r.feeSun.toString(),
});

/**
 * Gives an early-cancelled order its refund in the completing transaction:
 * credited to the balance it was paid from with a `refund` ledger entry, or,
 * paid by a flash-rent transfer, owed back on chain (minus the flash refund
 * fee). Nothing when the refund is 0.
 */
async function refundCancelled(ctx: EngineContext, tx: DbHandle, held: Order, amount: bigint) {
  if (amount <= 0n) return { refundedSun: 0n, detail: { refund: '0' } };
  if (held.payment_txid !== null) {
    const owed = await oweFlashRefund(tx, held.payment_txid, amount, 'cancelled', ctx.flashRent?.refundFeeSun ?? 0n);
    return { refundedSun: owed ?? 0n, detail: { refund: 'on_chain', refund_sun: (owed ?? 0n).toString() } };
  }
  await refundToBalance(tx, held, amount);
  return { refundedSun: amount, detail: { refund: amount.toString(), currency: held.pay_currency } };
}

/**
 * reclaiming: undelegate exactly what this order delegated (or what is left
 * of it, if someone reclaimed by hand), through the journal. Transient
 * errors are retried by the caller forever, with backoff.
 */
export const stepReclaiming: StepFn = journaledStep({
  kind: 'reclaim',
  awaiting: 'awaiting_reclaim_confirmation',
  confirmed: (ctx, held, landed) =>
    complete(ctx, held, 'reclaim_confirmed', landed.block.number === null ? { txid: landed.tx.txid } : { txid: landed.tx.txid, block: landed.block.number.toString() }, landed),
  async nextTransaction(ctx, held) {
    const r = await reclaimable(ctx, held);
    if (r.total === 0n) {
      // One node's word is not enough: completed, the order is never looked at again, and a node behind the
      // others (a load balancer's) that has not seen the delegation yet would leave the energy with the
      // receiver for good. Gone means gone again a minute later, and on the solidified view too.
      const recheck = wait(DELEGATION_GONE_RECHECK_POLLS * ctx.settings.confirmPollMs, 'delegation_not_seen');
      if (held.wait_reason !== 'delegation_not_seen') return recheck;
      const solid = await ctx.chain.delegation(held.pool_address!, held.receive_address, 'solidified');
      if (solid.unlockedSun + solid.lockedSun > 0n) return recheck;
      return complete(ctx, held, 'already_reclaimed', { note: 'the delegation was no longer on chain' });
    }
    if (r.lockRemainingMs > 0 && r.available < held.delegated_sun!) return wait(Math.min(r.lockRemainingMs, MAX_LOCK_WAIT_MS), 'lock_not_expired');
    const pool = ctx.pools.find((p) => p.address === held.pool_address);
    if (!pool) return wait(MISSING_KEY_RETRY_MS, 'reclaim_pool_key_missing');
    // Nothing is signed for a transaction the pool cannot pay for: the node would refuse it. (Read again before
    // the next try, at its backoff's pace.)
    if (!(await poolCanPayNow(ctx, pool.address))) return retryAfterFailure(REFUSED_RECLAIM_RETRY_POLLS * ctx.settings.confirmPollMs, 'pool_cannot_pay_fee');
    const amount = r.available < held.delegated_sun! ? r.available : held.delegated_sun!;
    const signed = await ctx.chain.buildUndelegate(pool, held.receive_address, amount);
    return { build: { signed, meta: { pool: pool.address, receiver: held.receive_address, amountSun: amount, lockBlocks: null } } };
  },
  refused: async (ctx, held, refusal) => {
    metrics.broadcastRefusals.inc({ kind: 'reclaim', code: refusal.code, pool: held.pool_address ?? '' });
    const cannotPay = isCannotPay(refusal.code);
    // Its snapshot said it could pay: no new rental is planned on it until it is read again.
    if (cannotPay) await poolFellShort(ctx, held.pool_address!, 'fee');
    const reason = cannotPay ? 'pool_cannot_pay_fee' : refusedWith('reclaim_refused', refusal.code);
    return retryAfterFailure(REFUSED_RECLAIM_RETRY_POLLS * ctx.settings.confirmPollMs, reason);
  },
});
