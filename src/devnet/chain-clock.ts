// Chain time between blocks. Every block is 3 s of chain time, however often
// blocks come in wall time, so anything the devnet measures "per second" on
// the chain's behalf (TronGrid's request limits) has to read this clock, not
// the wall clock, to speed up with an accelerated devnet.
import { BLOCK_INTERVAL_MS } from './constants.js';

/**
 * The head block's timestamp plus the share of a 3 s slot the wall clock has
 * run through since that block was produced: at a block it equals the block's
 * timestamp, and it never passes the next block's (stamped at least 3 s later),
 * so it agrees with every timestamp the node reports. With blocks only on
 * request (interval 0) it stands still between them.
 */
export function chainTimeNow(headTimestamp: number, headProducedAt: number, blockIntervalMs: number, now = Date.now()): number {
  if (blockIntervalMs <= 0) return headTimestamp;
  const share = Math.min(1, Math.max(0, (now - headProducedAt) / blockIntervalMs));
  return headTimestamp + Math.floor(share * BLOCK_INTERVAL_MS);
}
