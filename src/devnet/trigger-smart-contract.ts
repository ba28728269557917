// TriggerSmartContract (contract type 31): calling the built-in USDT, on a
// broadcast and read-only. Validation follows java-tron's VMActuator.call;
// the energy bill follows VMActuator.getAccountEnergyLimitWithFixRatio and
// ReceiptCapsule.payEnergyBill: the call may use at most
// min(energy left + balance / getEnergyFee, fee_limit / getEnergyFee); what
// it uses comes from the caller's energy left first (staked plus delegated
// to it), the rest is burnt at getEnergyFee sun each. A call that needs more
// fails OUT_OF_ENERGY, uses the whole limit and changes nothing else; the
// transaction still lands, its fee burnt.
import type { Account } from './account.js';
import type { ApplyContext, Actuator, ContractSummary } from './actuator.js';
import { isValidHexAddress } from './address.js';
import type { ChainView, VmOutcome } from './chain-state.js';
import { ENERGY_FEE, MAX_ENERGY_LIMIT_FOR_CONSTANT, MAX_FEE_LIMIT, TRX } from './constants.js';
import { addressField, int64Field } from './contract-input.js';
import { ContractValidateError } from './contract-error.js';
import { currentEnergyUsage, energyLimit } from './energy.js';
import { increaseUsage } from './resource-usage.js';
import { callUsdt, USDT_HEX, type TokenCall } from './trc20.js';

/** ContractType.TriggerSmartContract. */
export const TRIGGER_SMART_CONTRACT_TYPE = 31;

export interface TriggerCall extends ContractSummary {
  /** The contract called (41… hex). */
  receiver: string;
  data: string;
  callValue: bigint;
  tokenValue: bigint;
}

export function parseTrigger(value: Record<string, unknown>): TriggerCall {
  return {
    owner: addressField(value, 'owner_address'),
    receiver: addressField(value, 'contract_address'),
    data: typeof value.data === 'string' ? value.data.replace(/^0x/, '').toLowerCase() : '',
    callValue: int64Field(value, 'call_value'),
    tokenValue: int64Field(value, 'call_token_value'),
  };
}

/** What VMActuator.call checks before running anything; `feeLimit` only for a transaction (not a read-only call). */
export function validateTrigger(call: TriggerCall, view: ChainView, feeLimit?: bigint): void {
  const contract = isValidHexAddress(call.receiver) ? view.account(call.receiver) : undefined;
  if (contract === undefined || contract.type !== 'Contract') throw new ContractValidateError('No contract or not a smart contract');
  if (call.callValue < 0n) throw new ContractValidateError('callValue must be >= 0');
  if (call.tokenValue < 0n) throw new ContractValidateError('tokenValue must be >= 0');
  if (feeLimit !== undefined && (feeLimit < 0n || feeLimit > MAX_FEE_LIMIT)) {
    throw new ContractValidateError(`feeLimit must be >= 0 and <= ${MAX_FEE_LIMIT}`);
  }
}

/** The call's effect on the state of `view`; a contract account other than USDT has no code (nothing runs, no energy). */
export function runCall(view: ChainView, call: TriggerCall): TokenCall {
  if (call.receiver === USDT_HEX) return callUsdt(view, call.owner, call.data, call.callValue);
  return { energy: 0n, penalty: 0n, storeEnergy: 0n, revert: false, returnHex: '', logs: [], writes: [] };
}

/** Energy the account has left now: its energy limit (own stake and delegated to it) less what it used and has not recovered. */
export function energyLeft(account: Account, view: ChainView): bigint {
  const left = energyLimit(account, view.energyTotals()) - currentEnergyUsage(account, view.slot);
  return left > 0n ? left : 0n;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * Executes a validated call in a transaction (its bandwidth already paid):
 * bills the energy to the caller and applies the call when it succeeds.
 */
export function executeTrigger(call: TriggerCall, feeLimit: bigint, ctx: ApplyContext): VmOutcome {
  const { state, view, slot } = ctx;
  const caller = view.account(call.owner)!;
  const left = energyLeft(caller, view);
  const spendable = caller.balance - call.callValue > 0n ? caller.balance - call.callValue : 0n;
  const limit = min(left + spendable / ENERGY_FEE, feeLimit / ENERGY_FEE);
  const run = runCall(view, call);

  let used: bigint;
  let contractRet: string;
  let runtimeError: string | undefined;
  if (run.energy > limit) {
    // Program.spendEnergy: the call runs until an operation needs more than is left, then spends it all.
    const usedBefore = run.energy - run.storeEnergy < limit ? run.energy - run.storeEnergy : limit;
    used = limit;
    contractRet = 'OUT_OF_ENERGY';
    runtimeError = `Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit[${limit}], curOpEnergy[${run.storeEnergy}], usedEnergy[${usedBefore}]`;
  } else if (run.revert) {
    used = run.energy;
    contractRet = 'REVERT';
    runtimeError = 'REVERT opcode executed';
  } else {
    used = run.energy;
    contractRet = 'SUCCESS';
    for (const [holder, balance] of run.writes) state.putTokenBalance(call.receiver, holder, balance);
    for (const [owner, spender, value] of run.allowanceWrites ?? []) state.putTokenAllowance(call.receiver, owner, spender, value);
  }

  // ReceiptCapsule.payEnergyBill: energy left first, then TRX at getEnergyFee.
  const fromStake = min(left, used);
  const energyFee = (used - fromStake) * ENERGY_FEE;
  state.putAccount({
    ...caller,
    balance: caller.balance - energyFee,
    energyUsage: increaseUsage(caller.energyUsage, fromStake, caller.energyUsageSlot, slot),
    energyUsageSlot: slot,
  });
  const outcome: VmOutcome = {
    contractRet,
    energyUsage: fromStake,
    energyFee,
    energyUsageTotal: used,
    contractResult: contractRet === 'SUCCESS' ? run.returnHex : '',
    contractAddress: call.receiver,
    logs: contractRet === 'SUCCESS' ? run.logs : [],
  };
  if (runtimeError !== undefined) outcome.runtimeError = runtimeError;
  return outcome;
}

/** Read-only run (triggerconstantcontract): the energy limit is the node's maxEnergyLimitForConstant, capped by a fee limit given. */
export function constantCall(view: ChainView, call: TriggerCall, feeLimit: bigint): { run: TokenCall; outOfEnergy: boolean; limit: bigint } {
  const limit = feeLimit > 0n ? min(MAX_ENERGY_LIMIT_FOR_CONSTANT, feeLimit / ENERGY_FEE) : MAX_ENERGY_LIMIT_FOR_CONSTANT;
  const run = runCall(view, call);
  return { run, outOfEnergy: run.energy > limit, limit };
}

/**
 * Wallet.estimateEnergy: a binary search over fee limits between twice the
 * constant call's cost and getMaxFeeLimit, to within 1 TRX; the answer is
 * the smallest fee limit found to pass, in energy (rounded up).
 */
export function estimateEnergy(energyUsed: bigint): bigint {
  let high = MAX_FEE_LIMIT;
  let low = ENERGY_FEE * energyUsed;
  const passes = (feeLimit: bigint): boolean => min(MAX_ENERGY_LIMIT_FOR_CONSTANT, feeLimit / ENERGY_FEE) >= energyUsed;
  const twoTimes = low * 2n;
  if (twoTimes < high) {
    if (passes(twoTimes)) high = twoTimes;
    else low = twoTimes;
  }
  while (low + TRX < high) {
    const mid = (low + high) / 2n;
    if (passes(mid)) high = mid;
    else low = mid;
  }
  return (high + ENERGY_FEE - 1n) / ENERGY_FEE;
}

/** TriggerSmartContract as an actuator: what permission checks and the transaction list need; execution goes through executeTrigger. */
export const triggerSmartContract: Actuator<TriggerCall> = {
  typeNumber: TRIGGER_SMART_CONTRACT_TYPE,
  parse: parseTrigger,
  validate(call, ctx) {
    validateTrigger(call, ctx.view);
  },
  execute() {
    throw new Error('TriggerSmartContract is executed by executeTrigger');
  },
};
