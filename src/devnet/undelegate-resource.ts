// UnDelegateResourceContract: takes delegated resource back. Only unlocked
// (or expired-lock) balance can be reclaimed; the receiver's energy usage
// moves back to the owner in proportion, as java-tron does.
import type { Actuator, ContractSummary } from './actuator.js';
import { isValidHexAddress } from './address.js';
import { addressField, int64Field, resourceField } from './contract-input.js';
import { ContractValidateError } from './contract-error.js';
import { emptyDelegation, unlockExpired } from './delegation-lock.js';
import { currentEnergyUsage, energyFromStake } from './energy.js';

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
          const maxUsage = energyFromStake(amount, view.energyTotals());
          const allFrozen = receiverAccount.frozenEnergy + receiverAccount.acquiredEnergy;
          transferUsage = allFrozen > 0n ? (usage * amount) / allFrozen : 0n;
          if (transferUsage > maxUsage) transferUsage = maxUsage;
          acquired -= amount;
        }
        state.putAccount({
          ...receiverAccount,
          acquiredEnergy: acquired,
          energyUsage: usage - transferUsage,
          energyUsageSlot: slot,
        });
      } else {
        const acquired = receiverAccount.acquiredBandwidth;
        state.putAccount({ ...receiverAccount, acquiredBandwidth: acquired < amount ? 0n : acquired - amount });
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
      state.putAccount({
        ...ownerAccount,
        delegatedBandwidth: ownerAccount.delegatedBandwidth - amount,
        frozenBandwidth: ownerAccount.frozenBandwidth + amount,
      });
    }
    state.putDelegation(record);
    return 0n;
  },
};
