// FreezeBalanceV2Contract (Stake 2.0): stakes TRX for energy or bandwidth and
// adds it to the network's total weight, which lowers energy per TRX for all.
import type { Actuator, ContractSummary } from './actuator.js';
import { TRX } from './constants.js';
import { addressField, int64Field, resourceField } from './contract-input.js';
import { ContractValidateError } from './contract-error.js';
import { isValidHexAddress } from './address.js';

interface FreezeV2 extends ContractSummary {
  amount: bigint;
  resource: string;
}

export const freezeBalanceV2: Actuator<FreezeV2> = {
  typeNumber: 54,
  parse(value) {
    return {
      owner: addressField(value, 'owner_address'),
      amount: int64Field(value, 'frozen_balance'),
      resource: resourceField(value),
    };
  },
  validate({ owner, amount, resource }, { view }) {
    if (!isValidHexAddress(owner)) throw new ContractValidateError('Invalid address');
    const account = view.account(owner);
    if (account === undefined) throw new ContractValidateError(`Account[${owner}] not exists`);
    if (amount <= 0n) throw new ContractValidateError('frozenBalance must be positive');
    if (amount < TRX) throw new ContractValidateError('frozenBalance must be greater than or equal to 1 TRX');
    if (amount > account.balance) {
      throw new ContractValidateError('frozenBalance must be less than or equal to accountBalance');
    }
    if (resource !== 'BANDWIDTH' && resource !== 'ENERGY' && resource !== 'TRON_POWER') {
      throw new ContractValidateError('ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY、TRON_POWER]');
    }
  },
  execute({ owner, amount, resource }, { state, view }) {
    const account = view.account(owner)!;
    const totals = view.networkTotals();
    if (resource === 'ENERGY') {
      state.putAccount({ ...account, balance: account.balance - amount, frozenEnergy: account.frozenEnergy + amount });
      state.putTotals({ ...totals, stakedEnergy: totals.stakedEnergy + amount });
    } else if (resource === 'BANDWIDTH') {
      state.putAccount({
        ...account,
        balance: account.balance - amount,
        frozenBandwidth: account.frozenBandwidth + amount,
      });
      state.putTotals({ ...totals, stakedBandwidth: totals.stakedBandwidth + amount });
    } else {
      // TRON_POWER only buys votes, which the devnet does not model: the TRX is simply locked.
      state.putAccount({ ...account, balance: account.balance - amount });
    }
    return 0n;
  },
};
