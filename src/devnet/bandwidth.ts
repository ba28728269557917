// Bandwidth, as java-tron's BandwidthProcessor charges it. A transaction's
// bytes (serialized without results, plus 64 for the result it will carry)
// are paid from the owner's staked bandwidth first, then its free daily
// bandwidth, then burnt at getTransactionFee sun per byte; if none of them
// can pay, the node refuses it (BANDWITH_ERROR). A transfer that creates an
// account pays from staked bandwidth or burns getCreateAccountFee instead.
import type { Account } from './account.js';
import type { ApplyContext } from './actuator.js';
import { isValidHexAddress, toBase58 } from './address.js';
import {
  CREATE_ACCOUNT_BANDWIDTH_FEE,
  DEFAULT_DELEGATE_LOCK_PERIOD,
  DELEGATE_COST_BASE_SIZE,
  FREE_NET_LIMIT,
  MAX_CREATE_ACCOUNT_TX_SIZE,
  MAX_RESULT_SIZE_IN_TX,
  PER_SIGN_LENGTH,
  TRANSACTION_FEE,
  TRX,
} from './constants.js';
import { addressField } from './contract-input.js';
import { BroadcastError, ContractValidateError } from './contract-error.js';
import { increaseUsage, recoveredUsage } from './resource-usage.js';

export interface NetTotals {
  /** TotalNetLimit: bandwidth per day the network shares out to stakers. */
  totalNetLimit: bigint;
  /** TotalNetWeight in TRX. */
  totalNetWeight: bigint;
}

/** What a transaction paid for its bytes (its receipt's net_usage and net_fee). */
export interface NetBill {
  netUsage: bigint;
  netFee: bigint;
}

/** What bandwidth accounting needs to know of a transaction. */
export interface BilledTransaction {
  txID: string;
  owner: string;
  contractType: string;
  value: Record<string, unknown>;
  /** Bytes of the transaction serialized without results (raw data and signatures). */
  serializedSize: bigint;
  signatureCount: number;
  /** raw_data.fee_limit (sun): what a smart-contract call may burn for energy. */
  feeLimit?: bigint;
  /** raw_data.data (the memo) is not empty: the owner pays getMemoFee. */
  hasMemo: boolean;
}

/** The refusal java-tron's Wallet answers for AccountResourceInsufficientException, whatever its cause. */
export function insufficientResource(): BroadcastError {
  return new BroadcastError('BANDWITH_ERROR', 'Account resource insufficient error.');
}

function varintLength(value: bigint): number {
  let length = 1;
  for (let v = value; v >= 128n; v >>= 7n) length++;
  return length;
}

/** Bytes of a protobuf Transaction holding `rawDataLength` bytes of raw data and these signatures (hex). */
export function serializedSize(rawDataLength: number, signatures: readonly string[]): bigint {
  let size = 1 + varintLength(BigInt(rawDataLength)) + rawDataLength;
  for (const signature of signatures) {
    const bytes = Math.floor(signature.length / 2);
    size += 1 + varintLength(BigInt(bytes)) + bytes;
  }
  return BigInt(size);
}

/** The bytes a one-contract transaction is billed for. */
export function billedBytes(size: bigint): bigint {
  return size + MAX_RESULT_SIZE_IN_TX;
}

/** NetLimit: staked bandwidth (own and received) × TotalNetLimit / TotalNetWeight, as calculateGlobalNetLimitV2 does it. */
export function netLimit(account: Account, totals: NetTotals): bigint {
  if (totals.totalNetWeight === 0n) return 0n;
  const weight = Number(account.frozenBandwidth + account.acquiredBandwidth) / Number(TRX);
  return BigInt(Math.trunc(weight * (Number(totals.totalNetLimit) / Number(totals.totalNetWeight))));
}

/** Staked bandwidth used right now (NetUsed). */
export function currentNetUsage(account: Account, slot: number): bigint {
  return recoveredUsage(account.netUsage, account.netUsageSlot, slot);
}

/** Free bandwidth used right now (freeNetUsed). */
export function currentFreeNetUsage(account: Account, slot: number): bigint {
  return recoveredUsage(account.freeNetUsage, account.freeNetUsageSlot, slot);
}

function protobufInt64Size(value: bigint): bigint {
  return value === 0n ? 0n : BigInt(1 + varintLength(value));
}

/**
 * Bytes getcandelegatedmaxsize (and building a bandwidth delegation) reserves
 * for the delegation transaction itself (TransactionUtil.estimateConsumeBandWidthSize).
 */
export function delegationSizeEstimate(balance: bigint, maxDelegateLockPeriod: bigint): bigint {
  const lockPeriodField = maxDelegateLockPeriod > DEFAULT_DELEGATE_LOCK_PERIOD ? protobufInt64Size(maxDelegateLockPeriod) : 0n;
  const withLock = protobufInt64Size(balance) + 2n + lockPeriodField;
  const extra = withLock - protobufInt64Size(TRX);
  return DELEGATE_COST_BASE_SIZE + (extra > 0n ? extra : 0n);
}

/**
 * Sun of staked bandwidth the owner may still delegate: its own stake minus
 * the part that backs the bandwidth it has used (plus `reserveBytes` about to be).
 */
export function delegatableBandwidthSun(account: Account, slot: number, totals: NetTotals, reserveBytes = 0n): bigint {
  const used = currentNetUsage(account, slot) + reserveBytes;
  let usedSun = 0n;
  if (totals.totalNetLimit > 0n) {
    usedSun = BigInt(Math.trunc(Number(used * TRX) * (Number(totals.totalNetWeight) / Number(totals.totalNetLimit))));
  }
  // Usage first eats the acquired (delegated-in) part, as getV2NetUsage does.
  const ownUsedSun = usedSun - account.acquiredBandwidth > 0n ? usedSun - account.acquiredBandwidth : 0n;
  const free = account.frozenBandwidth - ownUsedSun;
  return free > 0n ? free : 0n;
}

function createsAccount(tx: BilledTransaction, ctx: ApplyContext): boolean {
  if (tx.contractType !== 'TransferContract') return false;
  return ctx.view.account(addressField(tx.value, 'to_address')) === undefined;
}

/** Staked bandwidth, if it can pay `bytes` now; the account with the usage added, or null. */
function useAccountNet(account: Account, bytes: bigint, ctx: ApplyContext): Account | null {
  const used = currentNetUsage(account, ctx.slot);
  if (bytes > netLimit(account, ctx.view.netTotals()) - used) return null;
  return { ...account, netUsage: increaseUsage(account.netUsage, bytes, account.netUsageSlot, ctx.slot), netUsageSlot: ctx.slot };
}

function useFreeNet(account: Account, bytes: bigint, ctx: ApplyContext): Account | null {
  // The network-wide public free bandwidth (getPublicNetLimit) is not modelled: it never runs out here.
  const used = currentFreeNetUsage(account, ctx.slot);
  if (bytes > FREE_NET_LIMIT - used) return null;
  return {
    ...account,
    freeNetUsage: increaseUsage(account.freeNetUsage, bytes, account.freeNetUsageSlot, ctx.slot),
    freeNetUsageSlot: ctx.slot,
  };
}

function burn(account: Account, fee: bigint): Account | null {
  return account.balance < fee ? null : { ...account, balance: account.balance - fee };
}

/** Charges the transaction's bytes to its owner, in java-tron's order; throws its refusal when nobody can pay. */
export function consumeBandwidth(tx: BilledTransaction, ctx: ApplyContext): NetBill {
  const account = ctx.view.account(tx.owner);
  if (account === undefined) {
    const readable = isValidHexAddress(tx.owner) ? toBase58(tx.owner) : tx.owner;
    throw new ContractValidateError(`account [${readable}] does not exist`);
  }
  const bytes = billedBytes(tx.serializedSize);
  if (createsAccount(tx, ctx)) {
    const withoutSignatures = tx.serializedSize - BigInt(tx.signatureCount) * PER_SIGN_LENGTH;
    if (withoutSignatures > MAX_CREATE_ACCOUNT_TX_SIZE) {
      throw new BroadcastError(
        'TOO_BIG_TRANSACTION_ERROR',
        `Too big new account transaction, TxId ${tx.txID}, the size is ${withoutSignatures} bytes, maxTxSize ${MAX_CREATE_ACCOUNT_TX_SIZE}`,
      );
    }
    // getCreateNewAccountBandwidthRate is 1: one bandwidth point per byte, from staked bandwidth only.
    const staked = useAccountNet(account, bytes, ctx);
    if (staked !== null) {
      ctx.state.putAccount(staked);
      return { netUsage: bytes, netFee: 0n };
    }
    const burnt = burn(account, CREATE_ACCOUNT_BANDWIDTH_FEE);
    if (burnt === null) throw insufficientResource();
    ctx.state.putAccount(burnt);
    return { netUsage: 0n, netFee: CREATE_ACCOUNT_BANDWIDTH_FEE };
  }
  const paid = useAccountNet(account, bytes, ctx) ?? useFreeNet(account, bytes, ctx);
  if (paid !== null) {
    ctx.state.putAccount(paid);
    return { netUsage: bytes, netFee: 0n };
  }
  const fee = bytes * TRANSACTION_FEE;
  const burnt = burn(account, fee);
  if (burnt === null) throw insufficientResource();
  ctx.state.putAccount(burnt);
  return { netUsage: 0n, netFee: fee };
}
