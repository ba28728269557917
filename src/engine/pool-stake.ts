import type { DbHandle } from '../db/connect.js';
import { findPoolSnapshot, moveOurStake } from '../db/pool-snapshots.js';
import { energyForSun } from '../domain/energy.js';
import type { Landed } from './journaled-step.js';

/**
 * Keeps a pool's snapshot in step with our own confirmed delegations and
 * reclaims, from what we know instead of a read from the node, in the
 * caller's transaction (the order's move to active or completed): a stake
 * is counted as reserved while its order delegates, then here, once.
 *
 * The snapshot records the head block it was read at. Our transaction's
 * block is known: at or below that head, the read already shows it and
 * nothing changes; two or more blocks above, it does not, and the stake
 * moves. In the one block between, the read may or may not have seen it: a
 * delegation is taken off all the same (room counted twice is room unused,
 * never a refused delegation), a reclaim is not added back, and the caller
 * asks the node for that pool again. Returns whether such a read is wanted.
 */
export async function followOurStake(db: DbHandle, landed: Landed, direction: 'delegated' | 'reclaimed'): Promise<{ refresh: boolean }> {
  const journaled = landed.tx;
  const snapshot = await findPoolSnapshot(db, journaled.pool_address);
  if (snapshot === undefined || snapshot.observed_at === null) return { refresh: true };
  const block = landed.block.number;
  const seenUpTo = snapshot.observed_block;
  let seen: 'yes' | 'no' | 'maybe';
  if (block === null || seenUpTo === null) seen = snapshot.observed_at < journaled.created_at ? 'no' : 'maybe';
  else seen = block <= seenUpTo ? 'yes' : block > seenUpTo + 1n ? 'no' : 'maybe';
  if (seen === 'yes') return { refresh: false };
  const sun = journaled.amount_sun;
  const energy = energyForSun(sun, snapshot.total_energy_weight, snapshot.total_energy_limit);
  if (direction === 'delegated') await moveOurStake(db, journaled.pool_address, sun, energy);
  else if (seen === 'no') await moveOurStake(db, journaled.pool_address, -sun, -energy);
  return { refresh: seen === 'maybe' };
}
