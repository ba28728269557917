// wallet/broadcasttransaction: the checks java-tron makes, in its order —
// signatures against the owner's permission, TaPoS, size, expiration,
// duplicates, then bandwidth and the contract's own validation — and the
// answer shape TronWeb reads (Wallet.broadcastTransaction, Manager.pushTransaction).
import { allowsOperation, defaultActivePermission, defaultOwnerPermission, permissionById, type Permission } from './account.js';
import { actuators } from './actuators.js';
import { toBase58 } from './address.js';
import { serializedSize, type BilledTransaction } from './bandwidth.js';
import type { ChainState, TxRecord } from './chain-state.js';
import {
  BLOCK_INTERVAL_MS,
  MAX_EXPIRATION_WINDOW_MS,
  MAX_RESULT_SIZE_IN_TX,
  TAPOS_WINDOW,
  TOTAL_SIGN_NUM,
  TRANSACTION_MAX_BYTE_SIZE,
} from './constants.js';
import { addressField } from './contract-input.js';
import { BroadcastError } from './contract-error.js';
import type { Faults } from './faults.js';
import { processTransaction, totalFee, type Receipt } from './process-transaction.js';
import { SignatureFormatError } from './signature.js';
import type { SignatureVerifier, SignerResult } from './signature-pool.js';
import { decodeTransaction, storedTransaction, type DecodedTransaction } from './transaction-codec.js';

export { applyContract, contextFor } from './process-transaction.js';

export type BroadcastResponse = { result: true; txid: string } | { code: string; txid: string; message: string };

export interface BroadcastDeps {
  state: ChainState;
  faults: Faults;
  verifier: SignatureVerifier;
  log: (line: string) => void;
}

function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

export function failure(code: string, txid: string, message: string): BroadcastResponse {
  return { code, txid, message: hex(message) };
}

/** A signature-stage refusal (SIGERROR); the message is java-tron's. */
export class SignatureError extends Error {}

/** The permission a transaction claims, checked as far as it can be without its signers. */
export function claimedPermission(state: ChainState, tx: DecodedTransaction, owner: string, requireSignatures = true): Permission {
  if (requireSignatures && tx.signatures.length === 0) throw new SignatureError('miss sig or contract');
  if (tx.signatures.length > TOTAL_SIGN_NUM) throw new SignatureError('too many signatures');
  const account = state.latest().account(owner);
  let permission: Permission | undefined;
  if (account === undefined) {
    // An account that does not exist yet still has the default permissions.
    if (tx.permissionId === 0) permission = defaultOwnerPermission(owner);
    if (tx.permissionId === 2) permission = defaultActivePermission(owner);
  } else {
    permission = permissionById(account, tx.permissionId);
  }
  if (permission === undefined) throw new SignatureError("permission isn't exit");
  if (tx.permissionId !== 0) {
    if (permission.type !== 'Active') throw new SignatureError('Permission type is error');
    const actuator = actuators[tx.contractType];
    if (actuator === undefined || !allowsOperation(permission, actuator.typeNumber)) {
      throw new SignatureError('Permission denied');
    }
  }
  if (tx.signatures.length > permission.keys.length) {
    throw new SignatureError(
      `Signature count is ${tx.signatures.length} more than key counts of permission : ${permission.keys.length}`,
    );
  }
  return permission;
}

/** java-tron's checkWeight: every signer in the permission, once, reaching the threshold. */
function checkWeight(tx: DecodedTransaction, permission: Permission, signers: readonly SignerResult[]): void {
  const seen = new Set<string>();
  let weight = 0n;
  signers.forEach((signer, i) => {
    if (signer instanceof SignatureFormatError) throw new SignatureError(signer.message);
    const key = permission.keys.find((k) => k.address === signer);
    if (key === undefined) {
      throw new SignatureError(
        `${tx.signatures[i]!.toLowerCase()} is signed by ${toBase58(signer)} but it is not contained of permission.`,
      );
    }
    if (seen.has(signer)) throw new SignatureError(`${toBase58(signer)} has signed twice!`);
    seen.add(signer);
    weight += key.weight;
  });
  if (weight < permission.threshold) throw new SignatureError('sig error');
}

/** The recent block a TaPoS reference names must exist and carry that hash. */
function checkTapos(state: ChainState, tx: DecodedTransaction): boolean {
  if (!/^[0-9a-f]{4}$/.test(tx.refBlockBytes) || !/^[0-9a-f]{16}$/.test(tx.refBlockHash)) return false;
  const low = Number.parseInt(tx.refBlockBytes, 16);
  const num = state.head - ((state.head - low + TAPOS_WINDOW) % TAPOS_WINDOW);
  const block = num >= 0 ? state.block(num) : undefined;
  return block !== undefined && block.id.slice(16, 32) === tx.refBlockHash;
}

export async function broadcastTransaction(deps: BroadcastDeps, body: unknown): Promise<BroadcastResponse> {
  const tx = decodeTransaction(body);
  const { state, faults } = deps;
  const injected = faults.takeFailBroadcast();
  if (injected !== null) return failure(injected.code, tx.txID, injected.message);

  // Wallet.broadcastTransaction refuses, before anything else, a transaction
  // that cannot make it into the next block in time.
  if (tx.expiration < state.headBlock().timestamp + BLOCK_INTERVAL_MS) {
    return failure('TRANSACTION_EXPIRATION_ERROR', tx.txID, 'Transaction expired');
  }
  const owner = addressField(tx.value, 'owner_address');
  try {
    const permission = claimedPermission(state, tx, owner);
    const signers = await deps.verifier.signersOf(tx, permission.keys.map((k) => k.address));
    // Checked against the permission as it was when the broadcast arrived; what
    // follows runs without a pause, so no other broadcast interleaves with it.
    checkWeight(tx, permission, signers);
  } catch (err) {
    if (err instanceof SignatureError) return failure('SIGERROR', tx.txID, `Validate signature error: ${err.message}`);
    throw err;
  }
  if (!checkTapos(state, tx)) return failure('TAPOS_ERROR', tx.txID, 'Tapos check error.');
  // Manager.validateCommon: the transaction with room for its results must fit in 500 KiB.
  const withResults = serializedSize(tx.rawBytes.length, tx.signatures) + 2n * MAX_RESULT_SIZE_IN_TX;
  if (withResults > TRANSACTION_MAX_BYTE_SIZE) {
    return failure(
      'TOO_BIG_TRANSACTION_ERROR',
      tx.txID,
      `Too big transaction with result, TxId ${tx.txID}, the size is ${withResults} bytes, maxTxSize ${TRANSACTION_MAX_BYTE_SIZE}`,
    );
  }
  const headTime = state.headBlock().timestamp;
  if (tx.expiration <= headTime || tx.expiration > headTime + MAX_EXPIRATION_WINDOW_MS) {
    return failure('TRANSACTION_EXPIRATION_ERROR', tx.txID, 'Transaction expired');
  }
  const known = state.transaction(tx.txID);
  if (known !== undefined && known.status !== 'dropped' && known.status !== 'failed') {
    return failure('DUP_TRANSACTION_ERROR', tx.txID, 'Dup transaction.');
  }

  const size = serializedSize(tx.rawBytes.length, tx.signatures);
  const billed: BilledTransaction = {
    txID: tx.txID,
    owner,
    contractType: tx.contractType,
    value: tx.value,
    serializedSize: size,
    signatureCount: tx.signatures.length,
    feeLimit: tx.feeLimit,
    hasMemo: tx.hasMemo,
  };
  const actuator = actuators[tx.contractType];
  const summary = actuator?.parse(tx.value) ?? { owner };
  const record: TxRecord = {
    txID: tx.txID,
    tx: storedTransaction(body as Record<string, unknown>, tx),
    contractType: tx.contractType,
    owner: summary.owner,
    status: 'pending',
    fee: 0n,
    expiration: tx.expiration,
  };
  if (summary.receiver !== undefined) record.receiver = summary.receiver;
  if (summary.amount !== undefined) record.amount = summary.amount;
  if (summary.resource !== undefined) record.resource = summary.resource;

  // A drop or delay fault holds the transaction back: it is checked now, so
  // the client sees the real verdict, but applied only when (and if) its block comes.
  const holdBack = faults.state.drop !== undefined || faults.state.delay !== undefined;
  try {
    const receipt = processTransaction(state, billed, holdBack);
    if (!holdBack) recordReceipt(record, receipt);
  } catch (err) {
    if (err instanceof BroadcastError) return failure(err.code, tx.txID, err.message);
    throw err;
  }
  if (holdBack) {
    if (faults.takeDrop()) {
      record.status = 'dropped';
      deps.log(`broadcast ${tx.txID} accepted and dropped (fault)`);
    } else {
      // A fault is removed when its count runs out, so the delay is there.
      record.status = 'delayed';
      record.includeAtBlock = state.head + Math.max(1, faults.takeDelay() ?? 1);
      deps.log(`broadcast ${tx.txID} held until block ${record.includeAtBlock} (fault)`);
    }
  }
  state.txs.set(tx.txID, record);
  if (record.status === 'dropped') state.leftOutOfBlocks(record);
  if (record.status === 'pending') state.pending.push(tx.txID);
  if (record.status === 'delayed') state.delayed.add(tx.txID);
  // java-tron relays a transaction after pooling it, and answers a failure when relaying fails.
  const answer = faults.takeAcceptThenFail();
  if (answer !== null) {
    record.answered = answer.code;
    deps.log(`broadcast ${tx.txID} accepted, answered ${answer.code} (fault)`);
    return failure(answer.code, tx.txID, answer.message);
  }
  return { result: true, txid: tx.txID };
}

/** Writes what a transaction paid into its record. */
export function recordReceipt(record: TxRecord, receipt: Receipt): void {
  record.fee = totalFee(receipt);
  record.contractFee = receipt.contractFee;
  record.netUsage = receipt.netUsage;
  record.netFee = receipt.netFee;
  record.multiSignFee = receipt.multiSignFee;
  record.memoFee = receipt.memoFee;
  if (receipt.vm !== undefined) record.vm = receipt.vm;
}
