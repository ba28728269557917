import type { DbHandle } from '../db/connect.js';
import { findPoolSnapshot, type PoolSnapshot, type StakeMove } from '../db/pool-snapshots.js';
import { energyForSun } from '../domain/energy.js';
import type { Landed } from './journaled-step.js';

/**
 * The snapshot of the pool our landed transaction moved stake on, for
 * ourStakeMove just before the status change: as the claim read it with the
 * transaction's journal row (Landed.poolSnapshot: a round trip before, as a
 * read of its own would be), or read now. `fromClaim` false when something
 * slower than a round trip (a node's answer) came between the claim and
 * the status change: then it is read now.
 */
export async function landedPoolSnapshot(db: DbHandle, landed: Landed, fromClaim = true): Promise<PoolSnapshot | undefined> {
  if (fromClaim && landed.poolSnapshot !== undefined) return landed.poolSnapshot ?? undefined;
  return findPoolSnapshot(db, landed.tx.pool_address);
}

/**
 * Keeps a pool's snapshot in step with our own confirmed delegations and
 * reclaims, from what we know instead of a read from the node: what the
 * order's move to active or completed writes to the pool's snapshot beside
 * it (moveHeldOrder's stake), given the snapshot as it read just before
 * (landedPoolSnapshot). A stake is counted as reserved while its order delegates,
 * then here, once.
 *
 * The snapshot records the head block it was read at. Our transaction's
 * block is known: at or below that head, the read already shows it and
 * nothing changes; two or more blocks above, it does not, and the stake
 * moves. In the one block between, the read may or may not have seen it: a
 * delegation is taken off all the same (room counted twice is room unused,
 * never a refused delegation), a reclaim is not added back, and the caller
 * asks the node for that pool again (`refresh`).
 */
export function ourStakeMove(snapshot: PoolSnapshot | undefined, landed: Landed, direction: 'delegated' | 'reclaimed'): { move?: StakeMove; refresh: boolean } {
  const journaled = landed.tx;
  if (snapshot === undefined || snapshot.observed_at === null) return { refresh: true };
  const block = landed.block.number;
  const seenUpTo = snapshot.observed_block;
  let seen: 'yes' | 'no' | 'maybe';
  if (block === null || seenUpTo === null) seen = snapshot.observed_at < journaled.created_at ? 'no' : 'maybe';
  else seen = block <= seenUpTo ? 'yes' : block > seenUpTo + 1n ? 'no' : 'maybe';
  if (seen === 'yes') return { refresh: false };
  const sun = journaled.amount_sun;
  const energy = energyForSun(sun, snapshot.total_energy_weight, snapshot.total_energy_limit);
  const pool = journaled.pool_address;
  const refresh = seen === 'maybe';
  if (direction === 'delegated') return { move: { pool, sun, energy }, refresh };
  return seen === 'no' ? { move: { pool, sun: -sun, energy: -energy }, refresh } : { refresh };
}
