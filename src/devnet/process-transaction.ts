// Processing one transaction against the chain, in java-tron's order
// (Manager.processTransaction once signatures, TaPoS, expiration and
// duplicates have passed): its bytes are billed (bandwidth or burnt TRX),
// the multi-signature fee and the memo fee are burnt, then the contract is
// validated and executed. All of it happens or none of it: a refusal at any
// step leaves the state as it was.
import type { ApplyContext } from './actuator.js';
import { actuators } from './actuators.js';
import { consumeBandwidth, insufficientResource, type BilledTransaction } from './bandwidth.js';
import type { ChainState } from './chain-state.js';
import { MEMO_FEE, MULTI_SIGN_FEE } from './constants.js';
import type { VmOutcome } from './chain-state.js';
import { BroadcastError, ContractValidateError } from './contract-error.js';
import { executeTrigger, parseTrigger, validateTrigger } from './trigger-smart-contract.js';

/** What a transaction paid, as its TransactionInfo reports it. */
export interface Receipt {
  netUsage: bigint;
  netFee: bigint;
  multiSignFee: bigint;
  /** Burnt because raw_data carries a memo (getMemoFee). */
  memoFee: bigint;
  /** Burnt by the contract itself (account creation, permission update). */
  contractFee: bigint;
  /** A smart-contract call's result and energy bill. */
  vm?: VmOutcome;
}

export function totalFee(receipt: Receipt): bigint {
  return receipt.netFee + receipt.multiSignFee + receipt.memoFee + receipt.contractFee + (receipt.vm?.energyFee ?? 0n);
}

export function contextFor(state: ChainState): ApplyContext {
  const view = state.latest();
  return { state, view, now: view.block.timestamp, slot: view.slot };
}

function contractValidateError(err: ContractValidateError): BroadcastError {
  return new BroadcastError('CONTRACT_VALIDATE_ERROR', `Contract validate error : ${err.message}`);
}

/** Validates and applies a contract alone (no bandwidth); throws BroadcastError with java-tron's code and message. */
export function applyContract(state: ChainState, contractType: string, value: Record<string, unknown>): bigint {
  const actuator = actuators[contractType];
  if (actuator === undefined) {
    throw new BroadcastError('CONTRACT_VALIDATE_ERROR', `Contract validate error : devnet does not support ${contractType}`);
  }
  const ctx = contextFor(state);
  const contract = actuator.parse(value);
  try {
    actuator.validate(contract, ctx);
  } catch (err) {
    if (err instanceof ContractValidateError) throw contractValidateError(err);
    throw err;
  }
  return actuator.execute(contract, ctx);
}

/** Manager.consumeMultiSignFee: more than one signature burns getMultiSignFee from the owner. */
function consumeMultiSignFee(tx: BilledTransaction, ctx: ApplyContext): bigint {
  if (tx.signatureCount <= 1) return 0n;
  const account = ctx.view.account(tx.owner);
  if (account === undefined) return 0n;
  if (account.balance < MULTI_SIGN_FEE) throw insufficientResource();
  ctx.state.putAccount({ ...account, balance: account.balance - MULTI_SIGN_FEE });
  return MULTI_SIGN_FEE;
}

/**
 * Manager.consumeMemoFee: a transaction whose raw_data.data is not empty burns getMemoFee from
 * the owner. Like the multi-signature fee, a balance that cannot pay it is an
 * AccountResourceInsufficientException ("account <owner> insufficient balance[<fee>] to memo
 * fee"), which the broadcast answers as BANDWITH_ERROR.
 */
function consumeMemoFee(tx: BilledTransaction, ctx: ApplyContext): bigint {
  if (!tx.hasMemo || MEMO_FEE === 0n) return 0n;
  const account = ctx.view.account(tx.owner);
  if (account === undefined) return 0n;
  if (account.balance < MEMO_FEE) throw insufficientResource();
  ctx.state.putAccount({ ...account, balance: account.balance - MEMO_FEE });
  return MEMO_FEE;
}

/**
 * Bills and applies a transaction as one unit; throws BroadcastError with
 * java-tron's code and message. With `dryRun` it only finds out whether it would pass.
 */
export function processTransaction(state: ChainState, tx: BilledTransaction, dryRun = false): Receipt {
  return state.atomically(() => {
    try {
      const bill = consumeBandwidth(tx, contextFor(state));
      const multiSignFee = consumeMultiSignFee(tx, contextFor(state));
      // Burnt before the contract is validated: a transfer whose balance covers the amount but
      // not the amount and the memo fee fails validation ("balance is not sufficient").
      const memoFee = consumeMemoFee(tx, contextFor(state));
      if (tx.contractType === 'TriggerSmartContract') {
        // VMActuator: validated, then run; a call that fails (REVERT, OUT_OF_ENERGY) still lands and pays.
        const ctx = contextFor(state);
        const call = parseTrigger(tx.value);
        const feeLimit = tx.feeLimit ?? 0n;
        validateTrigger(call, ctx.view, feeLimit);
        const vm = executeTrigger(call, feeLimit, contextFor(state));
        return { netUsage: bill.netUsage, netFee: bill.netFee, multiSignFee, memoFee, contractFee: 0n, vm };
      }
      const contractFee = applyContract(state, tx.contractType, tx.value);
      return { netUsage: bill.netUsage, netFee: bill.netFee, multiSignFee, memoFee, contractFee };
    } catch (err) {
      if (err instanceof ContractValidateError) throw contractValidateError(err);
      throw err;
    }
  }, dryRun);
}
