// UnDelegateResourceContract: takes delegated resource back. Only unlocked
// balance, or locked balance whose lock ended strictly before the head
// block's time, can be reclaimed; the receiver's usage moves back to the
// owner in proportion (UnDelegateResourceActuator).
import type { Actuator, ContractSummary } from './actuator.js';
import { isValidHexAddress } from './address.js';
import { addressField, int64Field, resourceField } from './contract-input.js';
import { ContractValidateError } from './contract-error.js';
import { emptyDelegation, unlockExpired } from './delegation-lock.js';
import { currentNetUsage, netLimit } from './bandwidth.js';
import { currentEnergyUsage, energyFromStake } from './energy.js';

/** The receiver's usage that follows `amount` of stake home: usage × amount / all its stake, at most what `amount` yields. */
function usageToTransfer(usage: bigint, amount: bigint, allFrozen: bigint, maxUsage: bigint): bigint {
  if (allFrozen === 0n) return 0n;
  const share = BigInt(Math.trunc(Number(usage) * (Number(amount) / Number(allFrozen))));
  return share < maxUsage ? share : maxUsage;
}

interface Undelegate extends ContractSummary {
  receiver: string;
  amount: bigint;
  resource: string;
}

export const undelegateResource: Actuator<Undelegate> = {
  typeNumber: 58,
  parse(value) {
    return {
      owner: addressField(value, 'owner_address'),
      receiver: addressField(value, 'receiver_address'),
      amount: int64Field(value, 'balance'),
      resource: resourceField(value),
    };
  },
  validate({ owner, receiver, amount, resource }, { view, now }) {
    if (!isValidHexAddress(owner)) throw new ContractValidateError('Invalid address');
    if (view.account(owner) === undefined) throw new ContractValidateError(`Account[${owner}] does not exist`);
    if (!isValidHexAddress(receiver)) throw new ContractValidateError('Invalid receiverAddress');
    if (receiver === owner) throw new ContractValidateError('receiverAddress must not be the same as ownerAddress');
    const unlocked = view.delegation(owner, receiver, false);
    const locked = view.delegation(owner, receiver, true);
    if (unlocked === undefined && locked === undefined) throw new ContractValidateError('delegated Resource does not exist');
    if (amount <= 0n) throw new ContractValidateError('unDelegateBalance must be more than 0 TRX');
    if (resource === 'ENERGY') {
      let available = unlocked?.energy ?? 0n;
      if (locked !== undefined && locked.energyExpireTime < now) available += locked.energy;
      if (available < amount) {
        throw new ContractValidateError(
          `insufficient delegateFrozenBalance(Energy), request=${amount}, unlock_balance=${available}`,
        );
      }
    } else if (resource === 'BANDWIDTH') {
      let available = unlocked?.bandwidth ?? 0n;
      if (locked !== undefined && locked.bandwidthExpireTime < now) available += locked.bandwidth;
      if (available < amount) {
        throw new ContractValidateError(
          `insufficient delegatedFrozenBalance(BANDWIDTH), request=${amount}, unlock_balance=${available}`,
        );
      }
    } else {
      throw new ContractValidateError('ResourceCode error.valid ResourceCode[BANDWIDTH、Energy]');
    }
  },
  execute({ owner, receiver, amount, resource }, { state, view, now, slot }) {
    let transferUsage = 0n;
    const receiverAccount = view.account(receiver);
    if (receiverAccount !== undefined) {
      if (resource === 'ENERGY') {
        const usage = currentEnergyUsage(receiverAccount, slot);
        let acquired = receiverAccount.acquiredEnergy;
        if (acquired < amount) {
          acquired = 0n;
        } else {
          // The receiver keeps the usage share of what it keeps; the rest follows the stake home.
          const allFrozen = receiverAccount.frozenEnergy + receiverAccount.acquiredEnergy;
          transferUsage = usageToTransfer(usage, amount, allFrozen, energyFromStake(amount, view.energyTotals()));
          acquired -= amount;
        }
        state.putAccount({
          ...receiverAccount,
          acquiredEnergy: acquired,
          energyUsage: usage - transferUsage,
          energyUsageSlot: slot,
        });
      } else {
        const usage = currentNetUsage(receiverAccount, slot);
        let acquired = receiverAccount.acquiredBandwidth;
        if (acquired < amount) {
          acquired = 0n;
        } else {
          const allFrozen = receiverAccount.frozenBandwidth + receiverAccount.acquiredBandwidth;
          const maxUsage = netLimit({ ...receiverAccount, frozenBandwidth: amount, acquiredBandwidth: 0n }, view.netTotals());
          transferUsage = usageToTransfer(usage, amount, allFrozen, maxUsage);
          acquired -= amount;
        }
        state.putAccount({
          ...receiverAccount,
          acquiredBandwidth: acquired,
          netUsage: usage - transferUsage,
          netUsageSlot: slot,
        });
      }
    }
    unlockExpired(state, view, owner, receiver, now);
    const record = { ...(view.delegation(owner, receiver, false) ?? emptyDelegation(owner, receiver, false)) };
    const ownerAccount = view.account(owner)!;
    if (resource === 'ENERGY') {
      record.energy -= amount;
      record.energyExpireTime = 0;
      const usage =
        transferUsage > 0n
          ? { energyUsage: currentEnergyUsage(ownerAccount, slot) + transferUsage, energyUsageSlot: slot }
          : {};
      state.putAccount({
        ...ownerAccount,
        ...usage,
        delegatedEnergy: ownerAccount.delegatedEnergy - amount,
        frozenEnergy: ownerAccount.frozenEnergy + amount,
      });
    } else {
      record.bandwidth -= amount;
      record.bandwidthExpireTime = 0;
      const usage =
        transferUsage > 0n ? { netUsage: currentNetUsage(ownerAccount, slot) + transferUsage, netUsageSlot: slot } : {};
      state.putAccount({
        ...ownerAccount,
        ...usage,
        delegatedBandwidth: ownerAccount.delegatedBandwidth - amount,
        frozenBandwidth: ownerAccount.frozenBandwidth + amount,
      });
    }
    state.putDelegation(record);
    return 0n;
  },
};
