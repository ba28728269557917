import type { PoolAccount } from '../chain/gateway.js';
import type { Order } from '../db/orders.js';
import { backoffMs } from '../domain/backoff.js';
import { refusedWith, type FailureCode, type WaitReason } from '../domain/order-reasons.js';
import { metrics } from '../observability/metrics.js';
import { activated, activationOf } from './activation.js';
import type { EngineContext } from './context.js';
import { failAndRefund } from './fail-order.js';
import { journaledStep, type Landed } from './journaled-step.js';
import { networkTotals } from './network-totals.js';
import { isCannotPay, poolFellShort } from './pool-fee-check.js';
import { landedPoolSnapshot, ourStakeMove } from './pool-stake.js';
import { claimedAt } from './lease.js';
import { choosePool } from './plan-delegation.js';
import { reserveRoom } from './pool-reservations.js';
import { done, MAX_BACKOFF_MS, next, released, retryAfterFailure, wait, type Step, type StepFn, type Unsent } from './step.js';
import { onlyWriteMovingEnergy, transition } from './transition.js';

/** How often an order waiting for pool capacity looks again. */
const CAPACITY_RETRY_MS = 2000;

interface Failure {
  code: FailureCode;
  message: string;
}

/**
 * A receiver the chain will certainly refuse: not activated, a contract.
 * Checked before anything is signed, so failing here is certain.
 */
async function receiverProblem(ctx: EngineContext, order: Order): Promise<Failure | undefined> {
  const account = await ctx.receiverAccount(order.receive_address);
  if (!account.exists) {
    return { code: 'receiver_not_activated', message: 'the receive address is not activated on chain (it has never received TRX)' };
  }
  if (account.isContract) {
    return { code: 'receiver_is_contract', message: 'the receive address is a smart contract; the chain does not delegate resources to contracts' };
  }
  return undefined;
}

const fail = async (ctx: EngineContext, held: Order, failure: Failure): Promise<Step> =>
  done(await failAndRefund(ctx, held, failure.code, failure.message));

/**
 * Waits for a pool to have room (or for the node to accept the delegation),
 * up to POOL_WAIT_TIMEOUT_MS after the order was placed; then fails it with a
 * refund. Only called when nothing of ours can still land.
 */
function waitOrGiveUp(ctx: EngineContext, held: Order, reason: WaitReason, failure: Failure, refused = false): Promise<Step> | Step {
  const waited = claimedAt(held, ctx.settings.leaseMs) - held.created_at;
  if (waited >= BigInt(ctx.settings.poolWaitTimeoutMs)) return fail(ctx, held, failure);
  // A refusal for a reason that will not change in seconds (validation) is not signed again on
  // a 2 s loop: each one counts, and the next try backs off further.
  return refused ? retryAfterFailure(CAPACITY_RETRY_MS, reason) : wait(CAPACITY_RETRY_MS, reason);
}

const noCapacity = (ctx: EngineContext): Failure => ({
  code: 'no_pool_capacity',
  message: `no pool account could delegate this much energy within ${ctx.settings.poolWaitTimeoutMs} ms`,
});

/**
 * pending: check the receiver (once: an order waiting for capacity has
 * passed it, and an account never stops existing or becomes a contract),
 * choose a pool, reserve its stake. Waiting for capacity costs no request:
 * the pools' snapshots and our reservations are in the database.
 */
export const stepPending: StepFn = async (ctx, held, claimed) => {
  if (held.wait_reason !== 'waiting_for_pool_capacity') {
    const problem = await receiverProblem(ctx, held);
    if (problem) return fail(ctx, held, problem);
  }
  // On PostgreSQL the claim read the pools' standings with the order: the choice needs no read of its own.
  const choice = await choosePool(ctx, held, claimedAt(held, ctx.settings.leaseMs), claimed?.order === held ? claimed.standings : undefined);
  if (!choice) {
    // The snapshots may be behind the chain (a reclaim by hand, stake added): ask the node, at its own pace.
    ctx.hooks?.poolsWaitedOn?.(undefined);
    return waitOrGiveUp(ctx, held, 'waiting_for_pool_capacity', noCapacity(ctx));
  }
  // Signed before the reservation, which journals it in its own write: the delegation exists exactly
  // when its room is spent, a write and a round trip fewer an order. Had the room gone meanwhile,
  // nothing is written, and the signature, never sent, is dropped.
  const delegation = await signDelegation(ctx, held, choice.pool, choice.sun, choice.lockBlocks);
  const reserved = await reserveRoom(ctx, held, choice, delegation);
  return reserved ? next(reserved, delegation) : wait(0, 'waiting_for_pool_capacity');
};

/**
 * delegating -> pending, the reservation given back: the node says the pool
 * cannot delegate the reserved stake any more (it went elsewhere, outside
 * Joule, after the pool's snapshot was read), or cannot pay for the
 * delegation (`fee`), and nothing of ours can land. Waiting on this pool
 * would let the order fail though another has room; the order chooses
 * again, with the pool's snapshot lowered to what the node said and the
 * pool read again (poolFellShort). The same write gives it back, the wait
 * backed off from its failed attempts so far and counted as one more (a
 * status change would clear them), so the pool's read comes first.
 */
async function chooseAgain(ctx: EngineContext, held: Order, short: { delegatable: bigint } | 'fee'): Promise<Step> {
  // The snapshot first: had the pool's read been held up, the next choice would pick it again, and its
  // delegation be refused again, until the order timed out.
  await poolFellShort(ctx, held.pool_address!, short);
  const attempts = held.attempts + 1n;
  const retryInMs = backoffMs(Number(attempts), CAPACITY_RETRY_MS, MAX_BACKOFF_MS);
  const event = {
    reason: 'pool_short',
    actor: ctx.workerId,
    detail: {
      pool: held.pool_address,
      delegated_sun: held.delegated_sun!.toString(),
      ...(short === 'fee' ? { cannot_pay_fee: true } : { delegatable_sun: short.delegatable.toString() }),
    },
  };
  const pending = await transition(ctx.db, held, 'pending', event, {
    pool_address: null,
    delegated_sun: null,
    lock_blocks: null,
    delegate_txid: null,
    delegate_tx_status: null,
    wait_reason: 'waiting_for_pool_capacity',
    attempts,
    lease_owner: null,
    lease_until: null,
    next_attempt_at: claimedAt(held, ctx.settings.leaseMs) + BigInt(retryInMs),
  });
  ctx.log.warn(
    { orderId: held.id, ...event.detail, retryInMs },
    short === 'fee' ? 'the pool cannot pay for the delegation (BANDWITH_ERROR); choosing again' : 'the pool cannot delegate the reserved stake any more; choosing again',
  );
  return released(pending, retryInMs);
}

/** The delegation of `sun` from `pool` to the order's receiver, signed, and what the journal records beside it. */
async function signDelegation(ctx: EngineContext, held: Order, pool: PoolAccount, sun: bigint, lockBlocks: bigint | null): Promise<Unsent> {
  const signed = await ctx.chain.buildDelegate(pool, held.receive_address, sun, lockBlocks);
  return { signed, meta: { pool: pool.address, receiver: held.receive_address, amountSun: sun, lockBlocks } };
}

/**
 * delegating -> active, by the order's holder (activationOf decides what the
 * move writes). The block follower makes most of these moves itself, for the
 * delegations of a block it settles (landed-delegations.ts); this is the way
 * for an order it found held, or whose landing it did not see.
 */
async function activate(ctx: EngineContext, held: Order, landed: Landed): Promise<Step> {
  const now = claimedAt(held, ctx.settings.leaseMs);
  const activation = activationOf(ctx, held, landed, now, await networkTotals(ctx, now));
  // Nothing needs the order before its expiry (a cancel request makes it due at once, whoever holds
  // it): the same UPDATE gives it back, due then, instead of a release of its own.
  const { giveBack, expiresAt } = activation;
  // The move is the transaction's only write: on PostgreSQL its COMMIT goes with it.
  const { active, receiverSaved, refreshPool } = await onlyWriteMovingEnergy(ctx.db, async (tx, moveEnergy) => {
    // No longer reserved by a delegating order: the pool's snapshot takes the stake off now.
    const stake = ourStakeMove(await landedPoolSnapshot(tx, landed), landed, 'delegated');
    // A saved address's energy is read again, whatever happens to this process after the commit.
    const moved = await moveEnergy(
      tx,
      held,
      'active',
      activation.event,
      { ...activation.fields, ...(giveBack ? { lease_owner: null, lease_until: null, next_attempt_at: expiresAt } : {}) },
      { stake: stake.move },
      giveBack ? undefined : ctx.settings.leaseMs,
    );
    return moved === 'hooked' ? moved : { active: moved.order, receiverSaved: moved.receiverSaved, refreshPool: stake.refresh };
  });
  activated(ctx, active, landed.tx.txid, { receiverSaved, refreshPool });
  return giveBack ? released(active, Number(expiresAt - now)) : next(active);
}

/**
 * delegating: the delegation of the reserved stake, through the journal.
 * (The receiver was checked before the pool was chosen; an account never
 * stops existing or becomes a contract.)
 */
export const stepDelegating: StepFn = journaledStep({
  kind: 'delegate',
  awaiting: 'awaiting_confirmation',
  confirmed: activate,
  async nextTransaction(ctx, held, afterDead) {
    const pool = ctx.pools.find((p) => p.address === held.pool_address);
    if (!pool) return fail(ctx, held, { code: 'pool_removed', message: `pool ${held.pool_address} is no longer configured` });
    const sun = held.delegated_sun!;
    // The first signature went with the reservation (stepPending), which had just checked the
    // room. Here a transaction died (or an order was reserved without one, by an earlier
    // version): the room may have gone meanwhile.
    if (afterDead) {
      const delegatable = await ctx.chain.delegatableSun(pool.address);
      if (delegatable < sun) return chooseAgain(ctx, held, { delegatable });
    }
    return { build: await signDelegation(ctx, held, pool, sun, held.lock_blocks) };
  },
  refused: (ctx, held, refusal) => {
    metrics.broadcastRefusals.inc({ kind: 'delegate', code: refusal.code, pool: held.pool_address ?? '' });
    // The pool cannot pay for it (its snapshot was read before its TRX or bandwidth went): another may.
    if (isCannotPay(refusal.code)) return chooseAgain(ctx, held, 'fee');
    return Promise.resolve(
      waitOrGiveUp(
        ctx,
        held,
        refusedWith('delegation_refused', refusal.code),
        { code: 'delegation_refused', message: `the node refused the delegation (${refusal.code}: ${refusal.message})` },
        true,
      ),
    );
  },
});
