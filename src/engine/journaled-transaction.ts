import { TX_LIFETIME_MS, type SignedTransaction } from '../chain/gateway.js';
import { findCursor } from '../db/chain-cursor.js';
import { countAcceptedSend, countBroadcast, findChainTx, insertChainTx, updateOpenChainTx, type ChainTransaction, type NewChainTx } from '../db/chain-transactions.js';
import type { Db, DbHandle } from '../db/connect.js';
import type { GiveBack } from '../db/accepted-sends.js';
import type { ChainTxKind, ChainTxStatus } from '../db/schema.js';
import type { WaitReason } from '../domain/order-reasons.js';
import { judgeBroadcast } from '../domain/broadcast-answer.js';
import { metrics, secondsSince } from '../observability/metrics.js';
import { crashPoint, type EngineContext } from './context.js';
import { LeaseLostError } from './errors.js';

/**
 * Every chain side effect is journaled before it happens: build and sign,
 * store the signed transaction, then broadcast; the block follower confirms
 * it from the solidified blocks. Whoever finds a journaled transaction whose
 * outcome is in doubt settles it here, from the journal, never from memory.
 */

/**
 * What a journaled transaction belongs to, and is worked by: an order (its
 * delegation and reclaim) or a flash payment (its refund). The holder is
 * held under a lease; every write to it is fenced on that lease.
 */
export interface JournalHolder<H> {
  readonly row: H;
  readonly kind: ChainTxKind;
  /** Names it in logs. */
  readonly logKey: { orderId: string } | { paymentTxid: string };
  /** When it was claimed (database clock): the journal's "now". */
  readonly claimedAt: bigint;
  /** The holder's own copy of the status of its newest transaction of `kind`. */
  readonly txStatus: ChainTxStatus | null;
  /** What the journal row points at. */
  readonly link: { orderId: string | null; paymentTxid: string | null };
  /** Writes the holder's copy (and the txid, when it is new), fenced on its lease: the holder as now written. */
  follow(db: DbHandle, fields: { txid?: string; status: ChainTxStatus }): Promise<JournalHolder<H>>;
  /**
   * Journals a freshly signed transaction and writes the holder's copy of it
   * (its txid, `signed`): both or neither. LeaseLostError when the lease was
   * lost. (followInTransaction's, unless the holder's rows have a way of
   * their own.)
   */
  journal(db: Db, row: NewChainTx): Promise<JournalHolder<H>>;
  /**
   * A node accepted the first send: the journal counts it and, while its
   * outcome is open, marks it broadcast, and the holder's copy follows. The
   * journal's record commits whatever happened to the lease; a lost lease is
   * thrown once it has. With `giveBack`, the holder's write may give it back
   * as well: then the row as given back, else undefined (the caller releases).
   */
  accepted(db: Db, txid: string, giveBack?: GiveBack): Promise<H | undefined>;
}

/** The journal's writes for a holder that has only `follow`: each a transaction of the journal's write and the holder's. */
export function followInTransaction<H>(follow: JournalHolder<H>['follow']): Pick<JournalHolder<H>, 'journal' | 'accepted'> {
  return {
    journal: (db, row) =>
      db.transaction(async (tx) => {
        await insertChainTx(tx, row);
        return follow(tx, { txid: row.txid, status: 'signed' });
      }),
    async accepted(db, txid) {
      let lost: LeaseLostError | undefined;
      await db.transaction(async (tx) => {
        if (!(await countAcceptedSend(tx, txid))) return;
        try {
          await follow(tx, { status: 'broadcast' });
        } catch (err) {
          if (!(err instanceof LeaseLostError)) throw err;
          lost = err;
        }
      });
      if (lost) throw lost;
      return undefined;
    },
  };
}

export type Settlement<H> =
  /** In a solidified block with a successful result; `blockTime` is that block's timestamp. */
  | { kind: 'confirmed'; blockNumber: bigint | null; blockTime: bigint | null }
  /** May still land: look again in `lookAgainInMs` (the follower wakes the holder sooner when the chain decides). */
  | { kind: 'pending'; lookAgainInMs: number }
  /** Can never land (expired unseen, or failed on chain): a new one may be signed. `holder` is as now written. */
  | { kind: 'dead'; reason: string; holder: JournalHolder<H> };

/** What the node said when it refused a first broadcast. */
export interface Refusal {
  code: string;
  message: string;
}

/**
 * A first broadcast: refused for good (a new transaction may be signed), or
 * on its way, to be looked at again; `givenBack`: the holder as the write
 * that recorded the acceptance gave it back (asked with `giveBackAs`).
 */
export type BroadcastResult<H> = { refused: Refusal } | { lookAgainInMs: number; givenBack?: H };

/** A transaction in doubt (never accepted) is sent again at most once per this many polls. */
const REBROADCAST_EVERY_POLLS = 3;
/**
 * An accepted transaction is not looked at on a timer while it waits: the
 * block follower wakes its holder when the chain decides (confirmed, failed,
 * expired) or passes it over (to be sent again). On mainnet the solidified
 * view is 19 blocks behind, so looking once a block cost an order about 19
 * claims, journal reads and releases per transaction for nothing. This many
 * polls (a transaction's lifetime at mainnet's pace) is the backstop for a
 * wake that never came.
 */
const ACCEPTED_BACKSTOP_POLLS = 20;
/** Our transactions were sent about this long before their expiration (chain time). */
const LIFETIME_MS = BigInt(TX_LIFETIME_MS);
/**
 * An accepted transaction the solidified chain has passed by this much
 * (two blocks) without it was dropped somewhere: it is sent again while it
 * can still land. On mainnet the solidified view trails the head by about as
 * long as a transaction lives, so there it has expired by then and a new one
 * is signed instead; a node that keeps our transaction costs no request.
 */
const DROPPED_AFTER_MS = 6_000n;

const isOpen = (tx: ChainTransaction) => tx.status === 'signed' || tx.status === 'broadcast';

/** The shortest gap between two sends of one transaction, in ms on the database clock. */
export const resendGapMs = (ctx: EngineContext): number => REBROADCAST_EVERY_POLLS * ctx.settings.confirmPollMs;

/**
 * The latest expiration of an accepted transaction that the solidified chain,
 * at `solidTime`, has passed by DROPPED_AFTER_MS without it: one the node
 * dropped, to be sent again while it can still land.
 */
export const passedOverUpTo = (solidTime: bigint): bigint => solidTime + LIFETIME_MS - DROPPED_AFTER_MS;

/**
 * When a look at an open transaction could next do anything. Accepted: only
 * the follower's wake (the backstop aside). In doubt: its next send, every
 * few polls; the follower wakes the holder sooner if it lands.
 */
function lookAgainInMs(ctx: EngineContext, accepted: boolean, sinceLastSend: number): number {
  const poll = ctx.settings.confirmPollMs;
  if (accepted) return ACCEPTED_BACKSTOP_POLLS * poll;
  return Math.max(poll, resendGapMs(ctx) - sinceLastSend);
}

/**
 * Resolves a journaled transaction from what the block follower has
 * written: confirmed or failed in a block it read, expired once the
 * solidified chain passed its expiration without it. While it is open the
 * same signed transaction may be sent again (a duplicate is harmless); a
 * different one is never signed while this one could still land. Only a
 * transaction journaled before the follower began is looked up by id.
 */
export async function settle<H>(ctx: EngineContext, held: JournalHolder<H>, journaled: ChainTransaction): Promise<Settlement<H>> {
  const { db } = ctx;
  // The cursor first, then the row: the follower writes both in one transaction, so a row
  // still open after a cursor past its expiration was in none of the blocks read.
  const cursor = await findCursor(db);
  const tx = (await findChainTx(db, journaled.txid)) ?? journaled;
  if (!isOpen(tx)) return settled(ctx, held, tx);
  if (cursor === undefined || tx.created_at < cursor.started_at) return lookUp(ctx, held, tx);
  if (cursor.block_time > tx.expiration) return settleAs(ctx, held, tx, { status: 'expired' });
  return { kind: 'pending', lookAgainInMs: await sendAgainIfDue(ctx, held, tx, cursor.block_time) };
}

/**
 * Writes the outcome unless someone (the follower, another holder after a
 * lease ran out) settled the row first: then theirs stands, read back.
 */
async function settleAs<H>(ctx: EngineContext, held: JournalHolder<H>, tx: ChainTransaction, outcome: Pick<ChainTransaction, 'status'> & Partial<ChainTransaction>): Promise<Settlement<H>> {
  if (await updateOpenChainTx(ctx.db, tx.txid, outcome)) return settled(ctx, held, { ...tx, ...outcome });
  const now = await findChainTx(ctx.db, tx.txid);
  return now === undefined || isOpen(now) ? { kind: 'pending', lookAgainInMs: ctx.settings.confirmPollMs } : settled(ctx, held, now);
}

/** What the journal row says now that the chain has spoken; the holder's own field follows it. */
async function settled<H>(ctx: EngineContext, held: JournalHolder<H>, tx: ChainTransaction): Promise<Settlement<H>> {
  if (tx.status === 'confirmed') return { kind: 'confirmed', blockNumber: tx.block_number, blockTime: tx.confirmed_at };
  const reason = tx.status === 'failed' ? (tx.result_message ?? 'failed on chain') : (tx.result_code ?? 'expired');
  if (held.txStatus === tx.status) return { kind: 'dead', reason, holder: held };
  const holder = await held.follow(ctx.db, { status: tx.status });
  const log = ctx.log.child({ ...held.logKey, txid: tx.txid, kind: tx.kind });
  if (tx.status === 'failed') log.warn({ failure: tx.result_message }, 'transaction failed on chain');
  else log.info({ resultCode: tx.result_code }, 'journaled transaction expired without landing');
  return { kind: 'dead', reason, holder };
}

/**
 * Sends the same transaction again when that can help: never accepted (the
 * node answered in doubt, or a crash came before the answer was recorded),
 * every few polls; accepted but passed over by the solidified chain while
 * it can still land, once per few polls too. Returns when a look could next
 * do anything (lookAgainInMs).
 */
async function sendAgainIfDue<H>(ctx: EngineContext, held: JournalHolder<H>, tx: ChainTransaction, solidTime: bigint): Promise<number> {
  const sinceLastSend = Number(held.claimedAt - tx.updated_at);
  const accepted = tx.status === 'broadcast';
  const sentLately = tx.broadcasts > 0n && sinceLastSend < resendGapMs(ctx);
  const stillExpected = accepted && tx.expiration > passedOverUpTo(solidTime);
  if (sentLately || stillExpected) return lookAgainInMs(ctx, accepted, sinceLastSend);
  return lookAgainInMs(ctx, await resend(ctx, held, tx), 0);
}

/** Sends a journaled transaction again; true when a node has accepted it (now, or before). */
async function resend<H>(ctx: EngineContext, held: JournalHolder<H>, tx: ChainTransaction): Promise<boolean> {
  const { db, chain } = ctx;
  const log = ctx.log.child({ ...held.logKey, txid: tx.txid, kind: tx.kind });
  // As before a first send (firstBroadcast): this one may be the first, if a crash came before it.
  await db.durable();
  const outcome = await chain.broadcast(tx.signed_json);
  if (outcome.accepted || judgeBroadcast(outcome) === 'accepted') {
    if ((await countAcceptedSend(db, tx.txid)) && tx.status === 'signed') await held.follow(db, { status: 'broadcast' });
    log.info({ broadcasts: Number(tx.broadcasts + 1n) }, 'in-doubt transaction re-broadcast');
    return true;
  }
  // Even an answer that would prove a fresh transaction dead proves nothing here: the
  // first copy may be in a block already (a validation error can be its own effect).
  await countBroadcast(db, tx.txid, outcome);
  log.warn({ code: outcome.code, message: outcome.message }, 'node refused the re-broadcast; waiting for its expiration');
  return tx.status === 'broadcast';
}

/**
 * A transaction journaled before the follower began (an upgrade, a first
 * start with transactions in flight) may sit in a block the follower never
 * read: it is looked up by id on the solidified view, and declared expired
 * only once that view has passed its expiration without it.
 */
async function lookUp<H>(ctx: EngineContext, held: JournalHolder<H>, tx: ChainTransaction): Promise<Settlement<H>> {
  const { chain } = ctx;
  // The solidified head first: if it had passed the expiration before the lookup found nothing, nothing can come.
  const solid = await chain.solidBlock();
  const status = await chain.transactionStatus(tx.txid);
  if (status.state === 'confirmed') {
    recordFee(ctx, held.logKey, tx, status.netFeeSun);
    return status.success
      ? settleAs(ctx, held, tx, { status: 'confirmed', block_number: status.blockNumber, confirmed_at: status.blockTime })
      : settleAs(ctx, held, tx, { status: 'failed', block_number: status.blockNumber, result_message: status.failure ?? null });
  }
  if (status.state === 'unknown' && solid.timestamp > tx.expiration) return settleAs(ctx, held, tx, { status: 'expired' });
  // Not in the solidified view yet: sent again as ever, every few polls (it may have been dropped).
  // No follower reads the blocks this one may be in: nothing wakes the holder, so it looks every poll.
  if (status.state === 'unknown') await sendAgainIfDue(ctx, held, tx, tx.expiration);
  return { kind: 'pending', lookAgainInMs: ctx.settings.confirmPollMs };
}

/** The pool had no bandwidth left for it and burnt TRX: watched, since a pool that keeps burning runs dry. */
export function recordFee(ctx: EngineContext, holder: JournalHolder<unknown>['logKey'], tx: Pick<ChainTransaction, 'txid' | 'kind' | 'pool_address'>, netFeeSun: bigint): void {
  if (netFeeSun <= 0n) return;
  metrics.feeBurns.inc({ kind: tx.kind });
  metrics.feeBurntSun.inc({ kind: tx.kind }, Number(netFeeSun));
  ctx.log.info({ ...holder, txid: tx.txid, kind: tx.kind, netFeeSun: netFeeSun.toString(), pool: tx.pool_address }, "the pool burnt TRX for this transaction's bandwidth");
}

/** Who signs what: recorded beside the signed transaction. */
export interface TransactionMeta {
  pool: string;
  receiver: string;
  amountSun: bigint;
  lockBlocks: bigint | null;
}

/** The journal row of a transaction signed for `link` (what it belongs to). */
export function journalRow(link: JournalHolder<unknown>['link'], kind: ChainTxKind, signed: SignedTransaction, meta: TransactionMeta): NewChainTx {
  return {
    txid: signed.txid,
    orderId: link.orderId,
    paymentTxid: link.paymentTxid,
    kind,
    poolAddress: meta.pool,
    receiver: meta.receiver,
    amountSun: meta.amountSun,
    lockBlocks: meta.lockBlocks,
    signedJson: signed.json,
    expiration: signed.expiration,
  };
}

/** Options of a first broadcast (firstBroadcast). */
export interface FirstBroadcastOptions {
  createdAt?: bigint;
  giveBackAs?: WaitReason;
}

/**
 * Journals a freshly signed transaction (fenced on our lease, in one write
 * with the holder's txid: holder.journal), then sends it (firstBroadcast).
 */
export async function journalAndBroadcast<H>(
  ctx: EngineContext,
  held: JournalHolder<H>,
  signed: SignedTransaction,
  meta: TransactionMeta,
  opts: FirstBroadcastOptions = {},
): Promise<BroadcastResult<H>> {
  const holder = await held.journal(ctx.db, journalRow(held.link, held.kind, signed, meta));
  return firstBroadcast(ctx, holder, signed, meta, opts);
}

/**
 * The first send of a transaction just journaled, `holder` as the journal's
 * write left it (its txid, `signed`), and the record of what the node said.
 * A crash anywhere in here leaves a journal entry that `settle` resolves.
 * Returns the node's refusal of this first broadcast, if it refused, or
 * when to look again. `createdAt` (an order's), when given, times the
 * broadcast delay. `giveBackAs`: once accepted, the holder is to wait with
 * this reason; the write that records the acceptance gives it back when it
 * can (then `givenBack`).
 */
export async function firstBroadcast<H>(
  ctx: EngineContext,
  holder: JournalHolder<H>,
  signed: SignedTransaction,
  meta: TransactionMeta,
  opts: FirstBroadcastOptions = {},
): Promise<BroadcastResult<H>> {
  const { createdAt, giveBackAs } = opts;
  const { db, chain } = ctx;
  const kind = holder.kind;
  const log = ctx.log.child({ ...holder.logKey, txid: signed.txid, kind });
  log.info({ amountSun: meta.amountSun.toString(), pool: meta.pool }, 'transaction signed and journaled');
  crashPoint(ctx, 'after-sign');
  // The journal row on disk before the network has the transaction: lost with the machine after the
  // broadcast, it would be signed again on restart, and both could land.
  await db.durable();
  const outcome = await chain.broadcast(signed.json);
  crashPoint(ctx, 'after-broadcast');
  const verdict = judgeBroadcast(outcome);
  if (verdict === 'accepted') {
    const retryInMs = lookAgainInMs(ctx, true, 0);
    const giveBack = giveBackAs === undefined ? undefined : { leaseMs: ctx.settings.leaseMs, retryInMs, waitReason: giveBackAs };
    const givenBack = await holder.accepted(db, signed.txid, giveBack);
    log.info('transaction broadcast');
    if (createdAt !== undefined) metrics.broadcastDelay.observe(secondsSince(createdAt));
    crashPoint(ctx, 'after-record');
    return givenBack === undefined ? { lookAgainInMs: retryInMs } : { lookAgainInMs: retryInMs, givenBack };
  }
  const refusal = outcome as { code: string; message: string };
  if (verdict === 'in_doubt') {
    // The node may have pooled it before failing to relay it: it may still land. It stays in
    // the journal as signed; settle sends the same transaction again until its expiration.
    await countBroadcast(db, signed.txid, refusal);
    log.warn({ code: refusal.code, message: refusal.message }, 'node answered with a failure that does not prove the transaction dead; in doubt until its expiration');
    return { lookAgainInMs: lookAgainInMs(ctx, false, 0) };
  }
  // Refused with an answer that proves it can never land (a check every node makes):
  // a new transaction may be signed. (A refused re-broadcast of an in-doubt one is
  // different: see settle.)
  await countBroadcast(db, signed.txid, refusal);
  // The refusal proves this copy dead only while it is the only one. A holder whose send was held up
  // past its lease (a rate limit's pause) may have been replaced by a worker that sent the same
  // transaction, which landed: this copy's refusal can then be that one's own effect (its stake or
  // bandwidth spent, its expiration passed). So the row fails only with the holder's fenced write, in
  // one transaction: a holder that lost its lease writes neither (LeaseLostError).
  const failed = await db.transaction(async (tx) => {
    if (!(await updateOpenChainTx(tx, signed.txid, { status: 'failed' }))) return false;
    await holder.follow(tx, { status: 'failed' });
    return true;
  });
  if (!failed) {
    // Settled by the follower meanwhile, which woke the holder: the next look reads its outcome.
    return { lookAgainInMs: ctx.settings.confirmPollMs };
  }
  log.warn({ code: refusal.code, message: refusal.message }, 'node refused the transaction; it can never land');
  return { refused: { code: refusal.code, message: refusal.message } };
}
