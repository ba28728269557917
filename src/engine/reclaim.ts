import { latestChainTx } from '../db/chain-transactions.js';
import { findOrder, type Order } from '../db/orders.js';
import type { EngineContext } from './context.js';
import { journalAndBroadcast, settle } from './journaled-transaction.js';
import { claimedAt } from './lease.js';
import { done, next, wait, type Step } from './step.js';
import { transition } from './transition.js';

/** Longest single wait for a lock to run out; the order is looked at again after it. */
const MAX_LOCK_WAIT_MS = 60_000;

/**
 * Where the aggregate delegation from this pool to this receiver stands on
 * chain, and how much of it may be undelegated now.
 */
async function reclaimable(ctx: EngineContext, order: Order) {
  const [record, head] = await Promise.all([ctx.chain.delegation(order.pool_address!, order.receive_address), ctx.chain.headBlock()]);
  const lockRemainingMs = record.lockExpiresAt !== null && record.lockExpiresAt > head.timestamp ? Number(record.lockExpiresAt - head.timestamp) : 0;
  const total = record.unlockedSun + record.lockedSun;
  const available = record.unlockedSun + (lockRemainingMs > 0 ? 0n : record.lockedSun);
  return { total, available, lockRemainingMs };
}

/** active, once expired: start the reclaim (after the lock, if any, has run out). */
export async function stepActive(ctx: EngineContext, held: Order): Promise<Step> {
  const now = claimedAt(held, ctx.settings.leaseMs);
  if (held.expires_at! > now) return wait(Number(held.expires_at! - now), null);
  const r = await reclaimable(ctx, held);
  if (r.total > 0n && r.available < held.delegated_sun! && r.lockRemainingMs > 0) {
    return wait(Math.min(r.lockRemainingMs, MAX_LOCK_WAIT_MS), 'lock_not_expired');
  }
  return next(await transition(ctx.db.kysely, ctx.db.dialect, held, 'reclaiming', { reason: 'rental_expired', actor: ctx.workerId }, { wait_reason: null }));
}

async function complete(ctx: EngineContext, held: Order, reason: string, detail: Record<string, unknown>): Promise<Step> {
  const now = claimedAt(held, ctx.settings.leaseMs);
  const completed = await transition(
    ctx.db.kysely,
    ctx.db.dialect,
    held,
    'completed',
    { reason, actor: ctx.workerId, detail },
    {
      ...(held.reclaim_txid !== null && reason === 'reclaim_confirmed' ? { reclaim_tx_status: 'confirmed' as const } : {}),
      reclaimed_at: now,
      completed_at: now,
      wait_reason: null,
      lease_owner: null,
      lease_until: null,
      next_attempt_at: null,
    },
  );
  ctx.log.info({ orderId: held.id, reason, ...detail }, 'energy reclaimed, order completed');
  ctx.hooks?.orderCompleted?.(completed);
  return done(completed);
}

/**
 * reclaiming: settle the journaled undelegation if in doubt; otherwise
 * reconcile with the chain and undelegate exactly what this order delegated
 * (or what is left of it, if someone reclaimed by hand). Transient errors are
 * retried by the caller forever, with backoff.
 */
export async function stepReclaiming(ctx: EngineContext, held: Order): Promise<Step> {
  const journaled = await latestChainTx(ctx.db.kysely, held.id, 'reclaim');
  if (journaled?.status === 'confirmed') return complete(ctx, held, 'reclaim_confirmed', { txid: journaled.txid });
  if (journaled && (journaled.status === 'signed' || journaled.status === 'broadcast')) {
    const s = await settle(ctx, held, journaled);
    if (s.kind === 'confirmed') return complete(ctx, held, 'reclaim_confirmed', { txid: journaled.txid, block: s.blockNumber.toString() });
    if (s.kind === 'pending') return wait(ctx.settings.confirmPollMs, 'awaiting_reclaim_confirmation');
    held = (await findOrder(ctx.db.kysely, held.id))!;
  }
  const r = await reclaimable(ctx, held);
  if (r.total === 0n) {
    return complete(ctx, held, 'already_reclaimed', { note: 'the delegation was no longer on chain' });
  }
  if (r.available === 0n) return wait(Math.min(Math.max(r.lockRemainingMs, 1000), MAX_LOCK_WAIT_MS), 'lock_not_expired');
  const pool = ctx.pools.find((p) => p.address === held.pool_address);
  if (!pool) return wait(60_000, 'reclaim_pool_key_missing');
  const amount = r.available < held.delegated_sun! ? r.available : held.delegated_sun!;
  const signed = await ctx.chain.buildUndelegate(pool, held.receive_address, amount);
  const { refused } = await journalAndBroadcast(ctx, held, 'reclaim', signed, {
    pool: pool.address,
    receiver: held.receive_address,
    amountSun: amount,
    lockBlocks: null,
  });
  if (refused) return wait(5000, `reclaim_refused:${refused.code}`);
  return wait(ctx.settings.confirmPollMs, 'awaiting_reclaim_confirmation');
}
