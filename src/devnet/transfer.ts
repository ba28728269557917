// TransferContract: moves TRX, and activates the receiver when it is new.
import { newAccount } from './account.js';
import type { Actuator, ContractSummary } from './actuator.js';
import { CREATE_ACCOUNT_FEE } from './constants.js';
import { addressField, int64Field } from './contract-input.js';
import { ContractValidateError } from './contract-error.js';
import { isValidHexAddress } from './address.js';

interface Transfer extends ContractSummary {
  receiver: string;
  amount: bigint;
}

export const transfer: Actuator<Transfer> = {
  typeNumber: 1,
  parse(value) {
    return {
      owner: addressField(value, 'owner_address'),
      receiver: addressField(value, 'to_address'),
      amount: int64Field(value, 'amount'),
    };
  },
  validate({ owner, receiver, amount }, { view }) {
    if (!isValidHexAddress(owner)) throw new ContractValidateError('Invalid ownerAddress!');
    if (!isValidHexAddress(receiver)) throw new ContractValidateError('Invalid toAddress!');
    if (receiver === owner) throw new ContractValidateError('Cannot transfer TRX to yourself.');
    const ownerAccount = view.account(owner);
    if (ownerAccount === undefined) throw new ContractValidateError('Validate TransferContract error, no OwnerAccount.');
    if (amount <= 0n) throw new ContractValidateError('Amount must be greater than 0.');
    const to = view.account(receiver);
    const fee = to === undefined ? CREATE_ACCOUNT_FEE : 0n;
    // Mainnet forbids plain transfers to smart contracts (ForbidTransferToContract).
    if (to?.type === 'Contract') throw new ContractValidateError('Cannot transfer TRX to a smartContract.');
    if (ownerAccount.balance < amount + fee) {
      throw new ContractValidateError('Validate TransferContract error, balance is not sufficient.');
    }
  },
  execute({ owner, receiver, amount }, { state, view, now }) {
    const existing = view.account(receiver);
    const fee = existing === undefined ? CREATE_ACCOUNT_FEE : 0n;
    const from = view.account(owner)!;
    state.putAccount({ ...from, balance: from.balance - amount - fee });
    const to = existing ?? newAccount(receiver, now);
    state.putAccount({ ...to, balance: to.balance + amount });
    return fee;
  },
};
