// Energy arithmetic, following java-tron's EnergyProcessor (Stake 2.0):
// limit = staked TRX × (TotalEnergyLimit / TotalEnergyWeight) in floating
// point, rounded down, from the network totals of the moment; used energy
// decays linearly to zero over a 24-hour window of 3-second slots.
import type { Account } from './account.js';
import { TRX } from './constants.js';
import { recoveredUsage } from './resource-usage.js';

export { recoveredUsage };

export interface EnergyTotals {
  /** TotalEnergyLimit (chain parameter #19). */
  totalEnergyLimit: bigint;
  /** TotalEnergyWeight in TRX: every stake on the network, ours and the rest. */
  totalEnergyWeight: bigint;
}

/**
 * Energy a balance (sun) of staked TRX yields: calculateGlobalEnergyLimitV2, which
 * counts fractions of a TRX and multiplies by the ratio as a double.
 */
export function energyFromStake(stakeSun: bigint, totals: EnergyTotals): bigint {
  if (totals.totalEnergyWeight === 0n) return 0n;
  const weight = Number(stakeSun) / Number(TRX);
  return BigInt(Math.trunc(weight * (Number(totals.totalEnergyLimit) / Number(totals.totalEnergyWeight))));
}

/** Sun of stake that backs `usage` energy: usage × TRX × (TotalEnergyWeight / TotalEnergyLimit), truncated. */
export function stakeForEnergy(usage: bigint, totals: EnergyTotals): bigint {
  if (usage <= 0n || totals.totalEnergyLimit === 0n) return 0n;
  return BigInt(Math.trunc(Number(usage * TRX) * (Number(totals.totalEnergyWeight) / Number(totals.totalEnergyLimit))));
}

/** The account's energy limit: its own undelegated stake plus what it received. */
export function energyLimit(account: Account, totals: EnergyTotals): bigint {
  return energyFromStake(account.frozenEnergy + account.acquiredEnergy, totals);
}

/** Energy used right now. */
export function currentEnergyUsage(account: Account, nowSlot: number): bigint {
  return recoveredUsage(account.energyUsage, account.energyUsageSlot, nowSlot);
}

/**
 * Sun of staked energy the owner may still delegate (getcandelegatedmaxsize):
 * its own stake minus the part that backs energy it has used itself.
 */
export function delegatableEnergySun(account: Account, nowSlot: number, totals: EnergyTotals): bigint {
  const usedSun = stakeForEnergy(currentEnergyUsage(account, nowSlot), totals);
  // Usage first eats the acquired (delegated-in) part, as getV2EnergyUsage does.
  const ownUsedSun = usedSun - account.acquiredEnergy > 0n ? usedSun - account.acquiredEnergy : 0n;
  const free = account.frozenEnergy - ownUsedSun;
  return free > 0n ? free : 0n;
}
