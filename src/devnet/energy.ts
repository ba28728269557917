// Energy arithmetic, following java-tron's EnergyProcessor with integer math:
// limit = staked TRX × TotalEnergyLimit / TotalEnergyWeight, and used energy
// decays linearly to zero over a 24-hour window of 3-second slots.
import type { Account } from './account.js';
import { RESOURCE_WINDOW_SLOTS, TRX } from './constants.js';

export interface EnergyTotals {
  /** TotalEnergyLimit (chain parameter #19). */
  totalEnergyLimit: bigint;
  /** TotalEnergyWeight in TRX: every stake on the network, ours and the rest. */
  totalEnergyWeight: bigint;
}

/** Energy a balance (sun) of staked TRX yields. */
export function energyFromStake(stakeSun: bigint, totals: EnergyTotals): bigint {
  if (totals.totalEnergyWeight <= 0n) return 0n;
  return ((stakeSun / TRX) * totals.totalEnergyLimit) / totals.totalEnergyWeight;
}

/** The account's energy limit: its own undelegated stake plus what it received. */
export function energyLimit(account: Account, totals: EnergyTotals): bigint {
  return energyFromStake(account.frozenEnergy + account.acquiredEnergy, totals);
}

/** Usage left at `nowSlot` after linear recovery since `usageSlot`. */
export function recoveredUsage(usage: bigint, usageSlot: number, nowSlot: number): bigint {
  if (usage <= 0n) return 0n;
  const elapsed = BigInt(Math.max(0, nowSlot - usageSlot));
  if (elapsed >= RESOURCE_WINDOW_SLOTS) return 0n;
  // Ceil so a partly recovered unit still counts as used, as java-tron's divideCeil does.
  const remaining = usage * (RESOURCE_WINDOW_SLOTS - elapsed);
  return (remaining + RESOURCE_WINDOW_SLOTS - 1n) / RESOURCE_WINDOW_SLOTS;
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
  const used = currentEnergyUsage(account, nowSlot);
  let usedSun = 0n;
  if (used > 0n && totals.totalEnergyLimit > 0n) {
    usedSun = (used * TRX * totals.totalEnergyWeight) / totals.totalEnergyLimit;
  }
  // Usage first eats the acquired (delegated-in) part, as getV2EnergyUsage does.
  const ownUsedSun = usedSun - account.acquiredEnergy > 0n ? usedSun - account.acquiredEnergy : 0n;
  const free = account.frozenEnergy - ownUsedSun;
  return free > 0n ? free : 0n;
}
