import type { DbHandle } from '../db/connect.js';
import { findChainTx } from '../db/chain-transactions.js';
import { findPoolSnapshot, moveOurStake } from '../db/pool-snapshots.js';
import { energyForSun } from '../domain/energy.js';

/**
 * Keeps a pool's snapshot in step with our own confirmed delegations and
 * reclaims, from what we know instead of a read from the node, in the
 * caller's transaction (the order's move to active or completed): a stake
 * is counted as reserved while its order delegates, then here, never twice
 * on the generous side.
 *
 * A snapshot read from the node after our transaction was journaled may
 * already show it (or not): then a delegation is taken off all the same
 * (the safe side: room counted twice is room unused, not a refused
 * delegation), a reclaim is not added back, and the caller asks the node for
 * that pool again. Returns whether such a read is wanted.
 */
export async function followOurStake(db: DbHandle, txid: string, direction: 'delegated' | 'reclaimed'): Promise<{ refresh: boolean }> {
  const journaled = await findChainTx(db, txid);
  if (journaled === undefined) return { refresh: true };
  const pool = journaled.pool_address;
  const sun = journaled.amount_sun;
  const snapshot = await findPoolSnapshot(db, pool);
  if (snapshot === undefined || snapshot.observed_at === null) return { refresh: true };
  const readBefore = snapshot.observed_at < journaled.created_at;
  const energy = energyForSun(sun, snapshot.total_energy_weight, snapshot.total_energy_limit);
  if (direction === 'delegated') {
    await moveOurStake(db, pool, sun, energy);
    return { refresh: !readBefore };
  }
  if (readBefore) await moveOurStake(db, pool, -sun, -energy);
  return { refresh: !readBefore };
}
