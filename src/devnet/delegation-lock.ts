// Lock bookkeeping shared by delegate and undelegate: a locked aggregate whose
// expiry has passed is folded into the unlocked one before anything else
// happens (java-tron's DelegatedResourceStore.unLockExpireResource).
import type { ChainState, ChainView, Delegation } from './chain-state.js';

export function emptyDelegation(from: string, to: string, lock: boolean): Delegation {
  return { from, to, lock, energy: 0n, energyExpireTime: 0, bandwidth: 0n, bandwidthExpireTime: 0 };
}

export function unlockExpired(state: ChainState, view: ChainView, from: string, to: string, now: number): void {
  const locked = view.delegation(from, to, true);
  if (locked === undefined) return;
  if (locked.energyExpireTime >= now && locked.bandwidthExpireTime >= now) return;
  const unlocked = { ...(view.delegation(from, to, false) ?? emptyDelegation(from, to, false)) };
  const stillLocked = { ...locked };
  if (locked.energyExpireTime < now) {
    unlocked.energy += locked.energy;
    stillLocked.energy = 0n;
    stillLocked.energyExpireTime = 0;
  }
  if (locked.bandwidthExpireTime < now) {
    unlocked.bandwidth += locked.bandwidth;
    stillLocked.bandwidth = 0n;
    stillLocked.bandwidthExpireTime = 0;
  }
  state.putDelegation(stillLocked);
  state.putDelegation(unlocked);
}
