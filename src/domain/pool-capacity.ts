import { SUN_PER_TRX } from './amounts.js';

/** A pool's figures as last read from the chain, with what our unconfirmed delegations hold on it. */
export interface PoolFiguresInput {
  delegatableSun: bigint;
  totalEnergyWeight: bigint;
  totalEnergyLimit: bigint;
  reservedSun: bigint;
}

export interface PoolCapacity {
  /** What a new order may still take: delegatable minus reserved, never below zero. */
  availableSun: bigint;
  /** TotalEnergyLimit / TotalEnergyWeight, rounded to 4 decimals; 0 when the network has no stake. */
  energyPerTrx: number;
  /** Energy that availableSun yields at that rate, rounded down. */
  availableEnergy: bigint;
}

/** The room a pool has for new orders, the way the engine sizes it (see plan-delegation.ts). */
export function poolCapacity(p: PoolFiguresInput): PoolCapacity {
  const free = p.delegatableSun - p.reservedSun;
  const availableSun = free > 0n ? free : 0n;
  if (p.totalEnergyWeight <= 0n) return { availableSun, energyPerTrx: 0, availableEnergy: 0n };
  const perTrxTimes10k = (p.totalEnergyLimit * 20_000n + p.totalEnergyWeight) / (2n * p.totalEnergyWeight);
  return {
    availableSun,
    energyPerTrx: Number(perTrxTimes10k) / 10_000,
    availableEnergy: (availableSun * p.totalEnergyLimit) / (p.totalEnergyWeight * SUN_PER_TRX),
  };
}
