import { SUN_PER_TRX } from './amounts.js';

/** The smallest delegation the chain accepts: 1 TRX. */
export const MIN_DELEGATION_SUN = SUN_PER_TRX;

/**
 * TRX (in sun) to stake-delegate so that the receiver gains at least `energy`.
 * A staked TRX yields TotalEnergyLimit / TotalEnergyWeight energy, so
 *   trx = ceil(energy * TotalEnergyWeight / TotalEnergyLimit), at least 1 TRX,
 * and one TRX more where the chain's own arithmetic would fall short of it:
 * java-tron multiplies the stake by that ratio as a double and truncates
 * (EnergyProcessor, calculateGlobalEnergyLimitV2), so where trx × ratio is
 * a whole number exactly, the double can land just below it, one energy
 * short (19,240,000,000 and 180,000,000,000: 6,734 TRX give 62,999 energy,
 * not 63,000).
 */
export function sunForEnergy(energy: bigint, totalEnergyWeight: bigint, totalEnergyLimit: bigint): bigint {
  if (energy <= 0n || totalEnergyWeight <= 0n || totalEnergyLimit <= 0n) {
    throw new RangeError('energy and the network totals must be positive');
  }
  let trx = (energy * totalEnergyWeight + totalEnergyLimit - 1n) / totalEnergyLimit;
  if (Math.trunc(Number(trx) * (Number(totalEnergyLimit) / Number(totalEnergyWeight))) < Number(energy)) trx += 1n;
  const sun = trx * SUN_PER_TRX;
  return sun < MIN_DELEGATION_SUN ? MIN_DELEGATION_SUN : sun;
}

/** `energy` plus a margin of `bps` basis points, rounded up. */
export function withMargin(energy: bigint, bps: number): bigint {
  return (energy * (10_000n + BigInt(bps)) + 9_999n) / 10_000n;
}

/**
 * The energy a stake of `sun` gives its receiver under these network totals,
 * rounded down as the chain does (EnergyProcessor: the stake in TRX, with its
 * fraction, times TotalEnergyLimit / TotalEnergyWeight).
 */
export function energyForSun(sun: bigint, totalEnergyWeight: bigint, totalEnergyLimit: bigint): bigint {
  if (totalEnergyWeight <= 0n) return 0n;
  return (sun * totalEnergyLimit) / (totalEnergyWeight * SUN_PER_TRX);
}

/** Blocks are produced every 3 s: 28,800 a day. */
export const BLOCK_MS = 3000n;
/** The longest lock the chain accepts: 30 days. */
export const MAX_LOCK_BLOCKS = 864_000n;

/** While the chain's getMaxDelegateLockPeriod is at or below this, java-tron locks every delegation for it: 3 days. */
export const FIXED_LOCK_BLOCKS = 86_400n;

/**
 * Lock period, in blocks, covering a rental of `seconds` (rounded up), on a
 * chain whose longest lock is `maxLockBlocks` (getMaxDelegateLockPeriod).
 * Where that is at most 86,400, java-tron makes every lock 3 days whatever
 * is asked (DelegateResourceActuator): a shorter rental is then delegated
 * unlocked (null) rather than hold the stake for days after it ends.
 */
export function lockBlocksFor(seconds: bigint, maxLockBlocks: bigint = MAX_LOCK_BLOCKS): bigint | null {
  const blocks = (seconds * 1000n + BLOCK_MS - 1n) / BLOCK_MS;
  if (maxLockBlocks <= FIXED_LOCK_BLOCKS) return blocks >= FIXED_LOCK_BLOCKS ? FIXED_LOCK_BLOCKS : null;
  return blocks > maxLockBlocks ? maxLockBlocks : blocks < 1n ? 1n : blocks;
}
