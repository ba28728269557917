import type { SignedTransaction } from '../chain/gateway.js';
import { insertChainTx, updateChainTx, type ChainTransaction } from '../db/chain-transactions.js';
import type { Order } from '../db/orders.js';
import type { ChainTxKind } from '../db/schema.js';
import { judgeBroadcast } from '../domain/broadcast-answer.js';
import { metrics, secondsSince } from '../observability/metrics.js';
import { crashPoint, type EngineContext } from './context.js';
import { claimedAt } from './lease.js';
import { updateHeld } from './transition.js';

/**
 * Every chain side effect is journaled before it happens: build and sign,
 * store the signed transaction, then broadcast, then confirm on the
 * solidified view. Whoever finds a journaled transaction whose outcome is in
 * doubt settles it here, from the journal and the chain, never from memory.
 */

export type Settlement =
  /** In a solidified block with a successful result; `blockTime` is that block's timestamp. */
  | { kind: 'confirmed'; blockNumber: bigint; blockTime: bigint }
  /** May still land: look again later. */
  | { kind: 'pending' }
  /** Can never land (expired unseen, or failed on chain): a new one may be signed. `order` is the held order as now written. */
  | { kind: 'dead'; reason: string; order: Order };

/** What the node said when it refused a first broadcast. */
export interface Refusal {
  code: string;
  message: string;
}

/** An accepted transaction not yet in a block is sent again at most once per this many polls. */
const REBROADCAST_EVERY_POLLS = 3;

const txFields = (kind: ChainTxKind) =>
  kind === 'delegate' ? (['delegate_txid', 'delegate_tx_status'] as const) : (['reclaim_txid', 'reclaim_tx_status'] as const);

/**
 * Resolves a journaled transaction whose outcome is unknown. While it is not
 * on chain and the solidified chain has not yet passed its expiration, the
 * SAME signed transaction is broadcast again (a duplicate is harmless): a
 * different one is never signed while this one could still land.
 */
export async function settle(ctx: EngineContext, held: Order, tx: ChainTransaction): Promise<Settlement> {
  const { chain, db } = ctx;
  const [, statusField] = txFields(tx.kind);
  const log = ctx.log.child({ orderId: held.id, txid: tx.txid, kind: tx.kind });
  const status = await chain.transactionStatus(tx.txid);
  if (status.state === 'confirmed') {
    // The pool had no bandwidth left for it and burnt TRX: watched, since a pool that keeps burning runs dry.
    if (status.netFeeSun > 0n) {
      metrics.feeBurns.inc({ kind: tx.kind });
      metrics.feeBurntSun.inc({ kind: tx.kind }, Number(status.netFeeSun));
      log.info({ netFeeSun: status.netFeeSun.toString(), pool: tx.pool_address }, 'the pool burnt TRX for this transaction\'s bandwidth');
    }
    if (status.success) {
      await updateChainTx(db, tx.txid, { status: 'confirmed', block_number: status.blockNumber, confirmed_at: status.blockTime });
      return { kind: 'confirmed', blockNumber: status.blockNumber, blockTime: status.blockTime };
    }
    await updateChainTx(db, tx.txid, { status: 'failed', block_number: status.blockNumber, result_message: status.failure ?? null });
    const order = await updateHeld(db, held, { [statusField]: 'failed' });
    log.warn({ failure: status.failure }, 'transaction failed on chain');
    return { kind: 'dead', reason: status.failure ?? 'failed on chain', order };
  }
  if (status.state === 'included') {
    if (tx.status === 'signed') {
      await updateChainTx(db, tx.txid, { status: 'broadcast' });
      await updateHeld(db, held, { [statusField]: 'broadcast' });
    }
    return { kind: 'pending' };
  }
  const solid = await chain.solidBlock();
  if (solid.timestamp > tx.expiration) {
    // Past its expiration on the irreversible chain and not in it: it can never land.
    await updateChainTx(db, tx.txid, { status: 'expired' });
    const order = await updateHeld(db, held, { [statusField]: 'expired' });
    log.info({ resultCode: tx.result_code }, 'journaled transaction expired without landing');
    return { kind: 'dead', reason: tx.result_code ?? 'expired', order };
  }
  // Accepted by the node a moment ago: it is most likely waiting for the next block.
  // Send it again only every few polls (a node that dropped it still gets it back in time).
  const sinceLastSend = claimedAt(held, ctx.settings.leaseMs) - tx.updated_at;
  if (tx.status === 'broadcast' && sinceLastSend < BigInt(REBROADCAST_EVERY_POLLS * ctx.settings.confirmPollMs)) {
    return { kind: 'pending' };
  }
  const outcome = await chain.broadcast(tx.signed_json);
  const broadcasts = tx.broadcasts + 1n;
  if (outcome.accepted || judgeBroadcast(outcome) === 'accepted') {
    await updateChainTx(db, tx.txid, { status: 'broadcast', broadcasts });
    if (tx.status === 'signed') await updateHeld(db, held, { [statusField]: 'broadcast' });
    log.info({ broadcasts: Number(broadcasts) }, 'in-doubt transaction re-broadcast');
  } else {
    // Even an answer that would prove a fresh transaction dead proves nothing here: the
    // first copy may be in a block already (a validation error can be its own effect).
    await updateChainTx(db, tx.txid, { result_code: outcome.code, result_message: outcome.message, broadcasts });
    log.warn({ code: outcome.code, message: outcome.message }, 'node refused the re-broadcast; waiting for its expiration');
  }
  return { kind: 'pending' };
}

/** Who signs what: recorded beside the signed transaction. */
export interface TransactionMeta {
  pool: string;
  receiver: string;
  amountSun: bigint;
  lockBlocks: bigint | null;
}

/**
 * Journals a freshly signed transaction (fenced on our lease, in one
 * transaction with the order's txid), then broadcasts it and records what the
 * node said. A crash anywhere in here leaves a journal entry that `settle`
 * resolves. Returns the node's refusal of this first broadcast, if it refused.
 */
export async function journalAndBroadcast(
  ctx: EngineContext,
  held: Order,
  kind: ChainTxKind,
  signed: SignedTransaction,
  meta: TransactionMeta,
): Promise<Refusal | undefined> {
  const { db, chain } = ctx;
  const [txidField, statusField] = txFields(kind);
  const log = ctx.log.child({ orderId: held.id, txid: signed.txid, kind });
  const order = await db.transaction(async (tx) => {
    await insertChainTx(tx, {
      txid: signed.txid,
      orderId: held.id,
      kind,
      poolAddress: meta.pool,
      receiver: meta.receiver,
      amountSun: meta.amountSun,
      lockBlocks: meta.lockBlocks,
      signedJson: signed.json,
      expiration: signed.expiration,
    });
    return updateHeld(tx, held, { [txidField]: signed.txid, [statusField]: 'signed' });
  });
  log.info({ amountSun: meta.amountSun.toString(), pool: meta.pool }, 'transaction signed and journaled');
  crashPoint(ctx, 'after-sign');

  const outcome = await chain.broadcast(signed.json);
  crashPoint(ctx, 'after-broadcast');
  const verdict = judgeBroadcast(outcome);
  if (verdict === 'accepted') {
    await updateChainTx(db, signed.txid, { status: 'broadcast', broadcasts: 1n });
    await updateHeld(db, order, { [statusField]: 'broadcast' });
    log.info('transaction broadcast');
    if (kind === 'delegate') metrics.broadcastDelay.observe(secondsSince(held.created_at));
    crashPoint(ctx, 'after-record');
    return undefined;
  }
  const refusal = outcome as { code: string; message: string };
  if (verdict === 'in_doubt') {
    // The node may have pooled it before failing to relay it: it may still land. It stays in
    // the journal as signed; settle sends the same transaction again until its expiration.
    await updateChainTx(db, signed.txid, { result_code: refusal.code, result_message: refusal.message, broadcasts: 1n });
    log.warn({ code: refusal.code, message: refusal.message }, 'node answered with a failure that does not prove the transaction dead; in doubt until its expiration');
    return undefined;
  }
  // Refused with an answer that proves it can never land (a check every node makes):
  // a new transaction may be signed. (A refused re-broadcast of an in-doubt one is
  // different: see settle.)
  await updateChainTx(db, signed.txid, { status: 'failed', result_code: refusal.code, result_message: refusal.message, broadcasts: 1n });
  await updateHeld(db, order, { [statusField]: 'failed' });
  log.warn({ code: refusal.code, message: refusal.message }, 'node refused the transaction; it can never land');
  return { code: refusal.code, message: refusal.message };
}
