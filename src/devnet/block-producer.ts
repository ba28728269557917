// Block production: every pending transaction lands in the next block; a
// transaction held back by the delay fault is validated and applied when its
// block comes (and fails then if the chain moved under it or it expired).
import { createHash } from 'node:crypto';
import { serializedSize } from './bandwidth.js';
import { recordReceipt } from './broadcast.js';
import type { BlockRecord, ChainState, TxRecord } from './chain-state.js';
import { BLOCK_INTERVAL_MS } from './constants.js';
import { BroadcastError } from './contract-error.js';
import { processTransaction } from './process-transaction.js';
import { carriesMemo } from './transaction-codec.js';

function blockId(parentId: string, number: number, timestamp: number, txIds: readonly string[]): string {
  const hash = createHash('sha256').update(`${parentId}:${number}:${timestamp}:${txIds.join(',')}`).digest('hex');
  // java-tron's block ID starts with the block number, which TaPoS relies on.
  return number.toString(16).padStart(16, '0') + hash.slice(16);
}

export function genesisBlock(timestamp: number): BlockRecord {
  return { number: 0, id: blockId('0'.repeat(64), 0, timestamp, []), parentId: '0'.repeat(64), timestamp, txIds: [] };
}

/** Bills and applies a transaction the delay fault held back, now that its block has come. */
function applyDelayed(state: ChainState, tx: TxRecord): void {
  const value = tx.tx.raw_data.contract[0]!.parameter.value;
  const raw = tx.tx.raw_data_hex ?? '';
  const receipt = processTransaction(state, {
    txID: tx.txID,
    owner: tx.owner,
    contractType: tx.contractType,
    value,
    serializedSize: serializedSize(raw.length / 2, tx.tx.signature),
    signatureCount: tx.tx.signature.length,
    feeLimit: BigInt(tx.tx.raw_data.fee_limit ?? 0),
    hasMemo: carriesMemo(tx.tx),
  });
  recordReceipt(tx, receipt);
}

/** Includes delayed transactions whose block has come; returns their ids. */
function includeDelayed(state: ChainState, number: number, timestamp: number, log: (line: string) => void): string[] {
  const included: string[] = [];
  for (const txID of state.delayed) {
    const tx = state.txs.get(txID)!;
    if (tx.includeAtBlock !== undefined && tx.includeAtBlock > number) continue;
    state.delayed.delete(txID);
    if (tx.expiration <= timestamp) {
      tx.status = 'failed';
      tx.failure = 'Transaction expired';
      state.leftOutOfBlocks(tx);
      log(`delayed ${tx.txID} expired before block ${number}`);
      continue;
    }
    try {
      applyDelayed(state, tx);
      included.push(tx.txID);
    } catch (err) {
      if (!(err instanceof BroadcastError)) throw err;
      tx.status = 'failed';
      tx.failure = err.message;
      state.leftOutOfBlocks(tx);
      log(`delayed ${tx.txID} failed at block ${number}: ${err.message}`);
    }
  }
  return included;
}

/** Other stakers arriving or leaving (set through the admin API) take effect in the next block. */
function applyScheduledWeight(state: ChainState): void {
  if (state.scheduledRestEnergyWeight === undefined) return;
  const totals = state.latest().networkTotals();
  state.putTotals({ ...totals, restEnergyWeight: state.scheduledRestEnergyWeight });
  state.scheduledRestEnergyWeight = undefined;
}

/** Produces `count` blocks; returns the new head number. */
export function produceBlocks(state: ChainState, count: number, log: (line: string) => void): number {
  for (let i = 0; i < count; i++) {
    const parent = state.headBlock();
    const number = parent.number + 1;
    // Never behind the wall clock, never closer than one slot to the parent.
    const timestamp = Math.max(parent.timestamp + BLOCK_INTERVAL_MS, Date.now());
    applyScheduledWeight(state);
    const txIds = [...includeDelayed(state, number, timestamp, log), ...state.pending];
    state.pending = [];
    const block: BlockRecord = { number, id: blockId(parent.id, number, timestamp, txIds), parentId: parent.id, timestamp, txIds };
    for (const txID of txIds) {
      const tx = state.txs.get(txID)!;
      tx.status = 'included';
      tx.blockNumber = number;
      tx.blockTimestamp = timestamp;
    }
    state.appendBlock(block);
    if (txIds.length > 0) log(`block ${number}: ${txIds.length} transaction(s)`);
  }
  return state.head;
}
