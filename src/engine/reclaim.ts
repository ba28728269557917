import type { Order } from '../db/orders.js';
import { findPoolSnapshot, snapshotCanPayFee } from '../db/pool-snapshots.js';
import { refusedWith, type TransitionReason } from '../domain/order-reasons.js';
import { metrics } from '../observability/metrics.js';
import type { EngineContext } from './context.js';
import { journaledStep } from './journaled-step.js';
import { claimedAt } from './lease.js';
import { done, next, retryAfterFailure, wait, type Step, type StepFn } from './step.js';
import { wakeCapacityWaiters } from '../db/order-leases.js';
import { followOurStake } from './pool-stake.js';
import { transition } from './transition.js';

/** Longest single wait for a lock to run out; the order is looked at again after it. */
const MAX_LOCK_WAIT_MS = 60_000;
/** How long a refused reclaim first waits, in poll intervals; repeated failures back off from there. */
const REFUSED_RECLAIM_RETRY_POLLS = 5;
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

/** active: once the rental has expired, the reclaim starts (the chain is asked in the next step). */
export const stepActive: StepFn = async (ctx, held) => {
  const now = claimedAt(held, ctx.settings.leaseMs);
  if (held.expires_at! > now) return wait(Number(held.expires_at! - now), null);
  return next(await transition(ctx.db, held, 'reclaiming', { reason: 'rental_expired', actor: ctx.workerId }, { wait_reason: null }));
};

/** reclaiming -> completed: the energy is back on the pool. */
async function complete(ctx: EngineContext, held: Order, reason: TransitionReason, detail: Record<string, unknown>): Promise<Step> {
  const now = claimedAt(held, ctx.settings.leaseMs);
  const confirmed = held.reclaim_txid !== null && reason === 'reclaim_confirmed';
  const { completed, refresh } = await ctx.db.transaction(async (tx) => {
    const completed = await transition(
      tx,
      held,
      'completed',
      { reason, actor: ctx.workerId, detail },
      {
        ...(confirmed ? { reclaim_tx_status: 'confirmed' as const } : {}),
        reclaimed_at: now,
        completed_at: now,
        wait_reason: null,
        lease_owner: null,
        lease_until: null,
        next_attempt_at: null,
      },
    );
    // The stake is back on the pool: delegatable again (someone else's reclaim: ask the node).
    return { completed, ...(confirmed ? await followOurStake(tx, held.reclaim_txid!, 'reclaimed') : { refresh: true }) };
  });
  if (refresh) ctx.hooks?.poolsNeedReading?.(held.pool_address!);
  // The stake is back: orders waiting for room look again now instead of at their next retry.
  await wakeCapacityWaiters(ctx.db);
  ctx.log.info({ orderId: held.id, reason, ...detail }, 'energy reclaimed, order completed');
  ctx.hooks?.orderCompleted?.(completed);
  return done(completed);
}

/**
 * reclaiming: undelegate exactly what this order delegated (or what is left
 * of it, if someone reclaimed by hand), through the journal. Transient
 * errors are retried by the caller forever, with backoff.
 */
export const stepReclaiming: StepFn = journaledStep({
  kind: 'reclaim',
  awaiting: 'awaiting_reclaim_confirmation',
  confirmed: (ctx, held, txid, block) => complete(ctx, held, 'reclaim_confirmed', block.number === null ? { txid } : { txid, block: block.number.toString() }),
  async nextTransaction(ctx, held) {
    const r = await reclaimable(ctx, held);
    if (r.total === 0n) return complete(ctx, held, 'already_reclaimed', { note: 'the delegation was no longer on chain' });
    if (r.lockRemainingMs > 0 && r.available < held.delegated_sun!) return wait(Math.min(r.lockRemainingMs, MAX_LOCK_WAIT_MS), 'lock_not_expired');
    const pool = ctx.pools.find((p) => p.address === held.pool_address);
    if (!pool) return wait(MISSING_KEY_RETRY_MS, 'reclaim_pool_key_missing');
    // Nothing is signed for a transaction the pool cannot pay for: the node would refuse it.
    if (!snapshotCanPayFee(await findPoolSnapshot(ctx.db, pool.address))) return retryAfterFailure(REFUSED_RECLAIM_RETRY_POLLS * ctx.settings.confirmPollMs, 'pool_cannot_pay_fee');
    const amount = r.available < held.delegated_sun! ? r.available : held.delegated_sun!;
    const signed = await ctx.chain.buildUndelegate(pool, held.receive_address, amount);
    return { build: { signed, meta: { pool: pool.address, receiver: held.receive_address, amountSun: amount, lockBlocks: null } } };
  },
  refused: async (ctx, held, refusal) => {
    metrics.broadcastRefusals.inc({ kind: 'reclaim', code: refusal.code, pool: held.pool_address ?? '' });
    const reason = refusal.code === 'BANDWITH_ERROR' ? 'pool_cannot_pay_fee' : refusedWith('reclaim_refused', refusal.code);
    return retryAfterFailure(REFUSED_RECLAIM_RETRY_POLLS * ctx.settings.confirmPollMs, reason);
  },
});
