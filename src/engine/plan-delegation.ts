import type { PoolAccount } from '../chain/gateway.js';
import { lockPoolReservations, openRentalsOnPair, reservedOnPool, type Order } from '../db/orders.js';
import { lockBlocksFor, sunForEnergy, withMargin } from '../domain/energy.js';
import type { EngineContext } from './context.js';
import { transition } from './transition.js';

export interface PoolChoice {
  pool: PoolAccount;
  sun: bigint;
  lockBlocks: bigint | null;
  /** getcandelegatedmaxsize when chosen, for the reservation check. */
  delegatableSun: bigint;
}

/**
 * Picks the pool account to delegate from. The stake needed comes from the
 * live network totals; each pool's room is what the chain says it can
 * delegate minus what our unconfirmed delegations have already reserved.
 * With locks on, a pool that already has one of our rentals to this receiver
 * comes last: a new locked delegation would restart the lock of the whole
 * aggregate and hold up the earlier rental's reclaim.
 * Returns undefined when no pool has room now.
 */
export async function choosePool(ctx: EngineContext, order: Order): Promise<PoolChoice | undefined> {
  const { chain, db, pools, settings } = ctx;
  const candidates = pools.filter((p) => p.address !== order.receive_address);
  if (candidates.length === 0) return undefined;
  const energy = await chain.networkEnergy(candidates[0]!.address);
  // The chain rounds the receiver's energy down from live totals, and other stakers joining during the
  // rental make each TRX worth less energy: stake for the ordered energy plus the margin.
  const sun = sunForEnergy(withMargin(order.energy_amount, settings.energyMarginBps), energy.totalEnergyWeight, energy.totalEnergyLimit);
  const lockBlocks = settings.delegateLock ? lockBlocksFor(order.duration_seconds) : null;
  const rooms = await Promise.all(
    candidates.map(async (pool) => {
      const delegatable = await chain.delegatableSun(pool.address);
      const reserved = await reservedOnPool(db, pool.address);
      const overlapping = lockBlocks === null ? 0 : await openRentalsOnPair(db, pool.address, order.receive_address, order.id);
      return { pool, delegatable, free: delegatable - reserved, overlapping };
    }),
  );
  const fitting = rooms
    .filter((r) => r.free >= sun)
    .sort((a, b) => a.overlapping - b.overlapping || (b.free > a.free ? 1 : b.free < a.free ? -1 : 0));
  const best = fitting[0];
  return best && { pool: best.pool, sun, lockBlocks, delegatableSun: best.delegatable };
}

/**
 * pending -> delegating, reserving the stake on the chosen pool. The room is
 * checked again inside the transaction (under a per-pool lock on PostgreSQL;
 * SQLite has one writer), so two workers cannot both spend the same room.
 * Returns undefined when the room went to someone else meanwhile.
 */
export async function reservePool(ctx: EngineContext, held: Order, choice: PoolChoice): Promise<Order | undefined> {
  const { db } = ctx;
  return db.transaction(async (tx) => {
    await lockPoolReservations(tx, choice.pool.address);
    const reserved = await reservedOnPool(tx, choice.pool.address);
    if (reserved + choice.sun > choice.delegatableSun) return undefined;
    return transition(
      tx,
      held,
      'delegating',
      {
        reason: 'pool_selected',
        actor: ctx.workerId,
        detail: { pool: choice.pool.address, delegated_sun: choice.sun.toString(), lock_blocks: choice.lockBlocks?.toString() ?? null },
      },
      { pool_address: choice.pool.address, delegated_sun: choice.sun, lock_blocks: choice.lockBlocks, wait_reason: null },
    );
  });
}
