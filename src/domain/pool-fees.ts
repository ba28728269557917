/**
 * What a pool account pays a transaction's bandwidth with, as java-tron
 * charges it (BandwidthProcessor): all of it from staked bandwidth if that
 * is enough, else all from the free daily allowance, else TRX burnt at the
 * chain's getTransactionFee per byte; with none of those the node refuses
 * the transaction (BANDWITH_ERROR).
 */

/** A delegation or undelegation signed by TronWeb is about 282 bytes as charged; a margin on top. */
export const TX_BYTES = 300n;

/** Below this many transactions left to pay for, a pool is flagged as about to run dry. */
export const RUNNING_DRY_BELOW = 20n;

export interface FeeMeans {
  balanceSun: bigint;
  freeNetLimit: bigint;
  freeNetUsed: bigint;
  netLimit: bigint;
  netUsed: bigint;
}

const left = (limit: bigint, used: bigint) => (limit > used ? limit - used : 0n);

/** Bandwidth (bytes) left now: the free daily allowance and the staked. */
export const bandwidthLeft = (m: FeeMeans) => ({ free: left(m.freeNetLimit, m.freeNetUsed), staked: left(m.netLimit, m.netUsed) });

/** What pays for `bytes` of a transaction, as java-tron charges it: staked bandwidth, else the free allowance, else TRX burnt. */
export function bandwidthPayer(m: FeeMeans, bytes: bigint): 'staked' | 'free' | 'burn' {
  const { free, staked } = bandwidthLeft(m);
  return staked >= bytes ? 'staked' : free >= bytes ? 'free' : 'burn';
}

/** About how many more transactions the pool can pay for before bandwidth recovers (none of it counted back). */
export function transactionsPayable(m: FeeMeans, transactionFeeSun: bigint): bigint {
  const { free, staked } = bandwidthLeft(m);
  const burnable = transactionFeeSun > 0n ? m.balanceSun / (TX_BYTES * transactionFeeSun) : 0n;
  return staked / TX_BYTES + free / TX_BYTES + burnable;
}

/**
 * Whether the pool can pay for `count` more transactions of TX_BYTES now:
 * each is paid whole by staked bandwidth, else by the free allowance, else
 * by TRX burnt (transactionsPayable); a chain that burns nothing refuses none.
 */
export const canPayFor = (m: FeeMeans, transactionFeeSun: bigint, count: bigint): boolean =>
  transactionFeeSun === 0n || count <= transactionsPayable(m, transactionFeeSun);

/** Whether the pool can pay for one more transaction of TX_BYTES now. */
export const canPayFee = (m: FeeMeans, transactionFeeSun: bigint): boolean => canPayFor(m, transactionFeeSun, 1n);

/** The transactions a rental makes on its pool: its delegation, and at its end its reclaim. */
export const RENTAL_TRANSACTIONS = 2n;

/**
 * Whether a new rental may be planned on the pool: it can pay for the
 * rental's own transactions and still for the `owed` ones our orders on it
 * will make (the delegation and reclaim of each delegating, the reclaim of
 * each under way). A pool that spent its last TRX on new delegations could
 * not reclaim the earlier ones: their energy would stay with the receivers,
 * and the stake with it, until the pool's bandwidth recovered (the free
 * allowance pays two transactions a day).
 */
export const canTakeRental = (m: FeeMeans, transactionFeeSun: bigint, owed: bigint): boolean =>
  canPayFor(m, transactionFeeSun, owed + RENTAL_TRANSACTIONS);
