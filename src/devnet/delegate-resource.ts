// DelegateResourceContract: lends staked energy (or bandwidth) to a receiver,
// optionally locked for a number of blocks. Validation order and messages
// follow java-tron's DelegateResourceActuator.
import type { Actuator, ContractSummary } from './actuator.js';
import { isValidHexAddress } from './address.js';
import { delegatableBandwidthSun, delegationSizeEstimate } from './bandwidth.js';
import { BLOCK_INTERVAL_MS, DEFAULT_DELEGATE_LOCK_PERIOD, TRX } from './constants.js';
import { addressField, boolField, int64Field, resourceField } from './contract-input.js';
import { ContractValidateError } from './contract-error.js';
import { emptyDelegation, unlockExpired } from './delegation-lock.js';
import { delegatableEnergySun } from './energy.js';

interface Delegate extends ContractSummary {
  receiver: string;
  amount: bigint;
  resource: string;
  lock: boolean;
  lockPeriod: bigint;
}

/**
 * Whether the chain lets a delegation choose its lock period: only once
 * getMaxDelegateLockPeriod has been raised above 3 days (supportMaxDelegateLockPeriod).
 */
export function lockPeriodChoosable(maxDelegateLockPeriod: bigint): boolean {
  return maxDelegateLockPeriod > DEFAULT_DELEGATE_LOCK_PERIOD;
}

/** Blocks a delegation locks for: the given period, or 3 days when none is given or the chain fixes it. */
export function effectiveLockPeriod(lockPeriod: bigint, maxDelegateLockPeriod: bigint): bigint {
  if (!lockPeriodChoosable(maxDelegateLockPeriod)) return DEFAULT_DELEGATE_LOCK_PERIOD;
  return lockPeriod === 0n ? DEFAULT_DELEGATE_LOCK_PERIOD : lockPeriod;
}

export const delegateResource: Actuator<Delegate> = {
  typeNumber: 57,
  parse(value) {
    return {
      owner: addressField(value, 'owner_address'),
      receiver: addressField(value, 'receiver_address'),
      amount: int64Field(value, 'balance'),
      resource: resourceField(value),
      lock: boolField(value, 'lock'),
      lockPeriod: int64Field(value, 'lock_period'),
    };
  },
  validate({ owner, receiver, amount, resource, lock, lockPeriod }, { view, now, slot, building }) {
    if (!isValidHexAddress(owner)) throw new ContractValidateError('Invalid address');
    const ownerAccount = view.account(owner);
    if (ownerAccount === undefined) throw new ContractValidateError(`Account[${owner}] not exists`);
    if (amount < TRX) throw new ContractValidateError('delegateBalance must be greater than or equal to 1 TRX');
    if (resource === 'ENERGY') {
      if (delegatableEnergySun(ownerAccount, slot, view.energyTotals()) < amount) {
        throw new ContractValidateError(
          'delegateBalance must be less than or equal to available FreezeEnergyV2 balance',
        );
      }
    } else if (resource === 'BANDWIDTH') {
      // Building the transaction also sets aside the bandwidth it will itself cost.
      const reserve = building === true ? delegationSizeEstimate(ownerAccount.frozenBandwidth, view.config.maxDelegateLockPeriod) : 0n;
      if (delegatableBandwidthSun(ownerAccount, slot, view.netTotals(), reserve) < amount) {
        throw new ContractValidateError(
          'delegateBalance must be less than or equal to available FreezeBandwidthV2 balance',
        );
      }
    } else {
      throw new ContractValidateError('ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]');
    }
    if (!isValidHexAddress(receiver)) throw new ContractValidateError('Invalid receiverAddress');
    if (receiver === owner) throw new ContractValidateError('receiverAddress must not be the same as ownerAddress');
    const receiverAccount = view.account(receiver);
    if (receiverAccount === undefined) throw new ContractValidateError(`Account[${receiver}] not exists`);
    const maxLockPeriod = view.config.maxDelegateLockPeriod;
    if (lock && lockPeriodChoosable(maxLockPeriod)) {
      const period = effectiveLockPeriod(lockPeriod, maxLockPeriod);
      if (period < 0n || period > maxLockPeriod) {
        throw new ContractValidateError(
          `The lock period of delegate resource cannot be less than 0 and cannot exceed ${maxLockPeriod}!`,
        );
      }
      // A new lock may not end before the one already running (TIP-542).
      const locked = view.delegation(owner, receiver, true);
      if (locked !== undefined) {
        const expireTime = resource === 'ENERGY' ? locked.energyExpireTime : locked.bandwidthExpireTime;
        const remaining = BigInt(expireTime - now);
        if (period * BigInt(BLOCK_INTERVAL_MS) < remaining) {
          throw new ContractValidateError(
            `The lock period for ${resource} this time cannot be less than the remaining time[${remaining}ms] of the last lock period for ${resource}!`,
          );
        }
      }
    }
    if (receiverAccount.type === 'Contract') {
      throw new ContractValidateError('Do not allow delegate resources to contract addresses');
    }
  },
  execute({ owner, receiver, amount, resource, lock, lockPeriod }, { state, view, now }) {
    unlockExpired(state, view, owner, receiver, now);
    const expireTime = lock ? now + Number(effectiveLockPeriod(lockPeriod, view.config.maxDelegateLockPeriod)) * BLOCK_INTERVAL_MS : 0;
    const record = { ...(view.delegation(owner, receiver, lock) ?? emptyDelegation(owner, receiver, lock)) };
    const ownerAccount = view.account(owner)!;
    const receiverAccount = view.account(receiver)!;
    if (resource === 'ENERGY') {
      // Adding to a locked aggregate restarts the lock of all of it.
      record.energy += amount;
      record.energyExpireTime = expireTime;
      state.putAccount({
        ...ownerAccount,
        frozenEnergy: ownerAccount.frozenEnergy - amount,
        delegatedEnergy: ownerAccount.delegatedEnergy + amount,
      });
      state.putAccount({ ...receiverAccount, acquiredEnergy: receiverAccount.acquiredEnergy + amount });
    } else {
      record.bandwidth += amount;
      record.bandwidthExpireTime = expireTime;
      state.putAccount({
        ...ownerAccount,
        frozenBandwidth: ownerAccount.frozenBandwidth - amount,
        delegatedBandwidth: ownerAccount.delegatedBandwidth + amount,
      });
      state.putAccount({ ...receiverAccount, acquiredBandwidth: receiverAccount.acquiredBandwidth + amount });
    }
    state.putDelegation(record);
    return 0n;
  },
};
