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

/** Whether the pool can pay for one more transaction of TX_BYTES now. */
export function canPayFee(m: FeeMeans, transactionFeeSun: bigint): boolean {
  return bandwidthPayer(m, TX_BYTES) !== 'burn' || m.balanceSun >= TX_BYTES * transactionFeeSun;
}

/** About how many more transactions the pool can pay for before bandwidth recovers (none of it counted back). */
export function transactionsPayable(m: FeeMeans, transactionFeeSun: bigint): bigint {
  const { free, staked } = bandwidthLeft(m);
  const burnable = transactionFeeSun > 0n ? m.balanceSun / (TX_BYTES * transactionFeeSun) : 0n;
  return staked / TX_BYTES + free / TX_BYTES + burnable;
}
