import { latestChainTx } from '../db/chain-transactions.js';
import { findOrder, type Order } from '../db/orders.js';
import { metrics, secondsSince } from '../observability/metrics.js';
import type { EngineContext } from './context.js';
import { failAndRefund } from './fail-order.js';
import { journalAndBroadcast, settle } from './journaled-transaction.js';
import { claimedAt } from './lease.js';
import { choosePool, reservePool } from './plan-delegation.js';
import { done, next, wait, type Step } from './step.js';
import { transition } from './transition.js';

/** How often an order waiting for pool capacity looks again. */
const CAPACITY_RETRY_MS = 2000;


/**
 * A receiver the chain will certainly refuse: not activated, a contract.
 * Checked before anything is signed, so failing here is certain.
 */
async function receiverProblem(ctx: EngineContext, order: Order): Promise<{ code: string; message: string } | undefined> {
  const account = await ctx.chain.account(order.receive_address);
  if (!account.exists) {
    return { code: 'receiver_not_activated', message: 'the receive address is not activated on chain (it has never received TRX)' };
  }
  if (account.isContract) {
    return { code: 'receiver_is_contract', message: 'the receive address is a smart contract; the chain does not delegate resources to contracts' };
  }
  return undefined;
}

/**
 * Waits for a pool to have room (or for the node to accept the delegation),
 * up to POOL_WAIT_TIMEOUT_MS after the order was placed; then fails it with a
 * refund. Only called when nothing of ours can still land.
 */
async function waitOrGiveUp(ctx: EngineContext, held: Order, reason: string, failure: { code: string; message: string }): Promise<Step> {
  const waited = claimedAt(held, ctx.settings.leaseMs) - held.created_at;
  if (waited >= BigInt(ctx.settings.poolWaitTimeoutMs)) {
    return done(await failAndRefund(ctx.db, ctx.log, held, failure.code, failure.message, ctx.workerId));
  }
  return wait(CAPACITY_RETRY_MS, reason);
}

const noCapacity = (ctx: EngineContext) => ({
  code: 'no_pool_capacity',
  message: `no pool account could delegate this much energy within ${ctx.settings.poolWaitTimeoutMs} ms`,
});

/** pending: check the receiver, choose a pool, reserve its stake. */
export async function stepPending(ctx: EngineContext, held: Order): Promise<Step> {
  const problem = await receiverProblem(ctx, held);
  if (problem) return done(await failAndRefund(ctx.db, ctx.log, held, problem.code, problem.message, ctx.workerId));
  const choice = await choosePool(ctx, held);
  if (!choice) return waitOrGiveUp(ctx, held, 'waiting_for_pool_capacity', noCapacity(ctx));
  const reserved = await reservePool(ctx, held, choice);
  return reserved ? next(reserved) : wait(0, 'waiting_for_pool_capacity');
}

async function activate(ctx: EngineContext, held: Order, txid: string, blockNumber: bigint | null): Promise<Step> {
  const now = claimedAt(held, ctx.settings.leaseMs);
  const active = await transition(
    ctx.db.kysely,
    ctx.db.dialect,
    held,
    'active',
    { reason: 'delegation_confirmed', actor: ctx.workerId, detail: { txid, block: blockNumber?.toString() ?? null } },
    {
      delegate_tx_status: 'confirmed',
      delegated_at: now,
      expires_at: now + held.duration_seconds * 1000n,
      wait_reason: null,
      error_code: null,
      error_message: null,
    },
  );
  ctx.log.info({ orderId: held.id, txid, expiresAt: new Date(Number(active.expires_at)).toISOString() }, 'energy delegated');
  metrics.activeDelay.observe(secondsSince(active.created_at));
  ctx.hooks?.orderActive?.(active);
  return next(active);
}

/**
 * delegating: settle the journaled delegation if its outcome is in doubt;
 * otherwise sign and broadcast a new one. Never signs a second delegation
 * while the first could still land.
 */
export async function stepDelegating(ctx: EngineContext, held: Order): Promise<Step> {
  const { chain, settings } = ctx;
  const journaled = await latestChainTx(ctx.db.kysely, held.id, 'delegate');
  if (journaled?.status === 'confirmed') return activate(ctx, held, journaled.txid, journaled.block_number);
  if (journaled && (journaled.status === 'signed' || journaled.status === 'broadcast')) {
    const s = await settle(ctx, held, journaled);
    if (s.kind === 'confirmed') return activate(ctx, held, journaled.txid, s.blockNumber);
    if (s.kind === 'pending') return wait(settings.confirmPollMs, 'awaiting_confirmation');
    held = (await findOrder(ctx.db.kysely, held.id))!;
  }
  // Nothing of ours can land any more: it is safe to fail, or to sign anew. (The receiver was
  // checked before the pool was chosen; an account never stops existing or becomes a contract.)
  const pool = ctx.pools.find((p) => p.address === held.pool_address);
  if (!pool) {
    return done(await failAndRefund(ctx.db, ctx.log, held, 'pool_removed', `pool ${held.pool_address} is no longer configured`, ctx.workerId));
  }
  const sun = held.delegated_sun!;
  // The first signature follows the reservation, which has just checked the room; after a
  // transaction died, the room may have gone meanwhile.
  if (journaled && (await chain.delegatableSun(pool.address)) < sun) {
    return waitOrGiveUp(ctx, held, 'waiting_for_pool_capacity', noCapacity(ctx));
  }
  const signed = await chain.buildDelegate(pool, held.receive_address, sun, held.lock_blocks);
  const { refused } = await journalAndBroadcast(ctx, held, 'delegate', signed, {
    pool: pool.address,
    receiver: held.receive_address,
    amountSun: sun,
    lockBlocks: held.lock_blocks,
  });
  if (refused) {
    return waitOrGiveUp(ctx, held, `delegation_refused:${refused.code}`, {
      code: 'delegation_refused',
      message: `the node refused the delegation (${refused.code}: ${refused.message})`,
    });
  }
  return wait(settings.confirmPollMs, 'awaiting_confirmation');
}
