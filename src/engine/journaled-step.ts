import { findChainTx, type ChainTransaction } from '../db/chain-transactions.js';
import { recordHeldOrderAccepted } from '../db/accepted-sends.js';
import { JOURNALED_KINDS, journalHeldOrderTx, ORDER_TX_FIELDS, type ClaimedOrder } from '../db/order-journal.js';
import type { Order } from '../db/orders.js';
import type { PoolSnapshot } from '../db/pool-snapshots.js';
import type { ChainTxKind } from '../db/schema.js';
import type { WaitReason } from '../domain/order-reasons.js';
import type { EngineContext } from './context.js';
import { firstBroadcast, journalRow, settle, type JournalHolder, type Refusal } from './journaled-transaction.js';
import { LeaseLostError } from './errors.js';
import { claimedAt } from './lease.js';
import { released, wait, type Step, type StepFn, type Unsent } from './step.js';
import { updateHeld } from './transition.js';

/** An order as the holder of its delegation or its reclaim: its own txid and status fields follow the journal. */
export function orderHolder(ctx: EngineContext, held: Order, kind: 'delegate' | 'reclaim'): JournalHolder<Order> {
  const fields = ORDER_TX_FIELDS[kind];
  return {
    row: held,
    kind,
    logKey: { orderId: held.id },
    claimedAt: claimedAt(held, ctx.settings.leaseMs),
    txStatus: held[fields.status],
    link: { orderId: held.id, paymentTxid: null },
    async follow(db, { txid, status }) {
      return orderHolder(ctx, await updateHeld(db, held, { ...(txid === undefined ? {} : { [fields.txid]: txid }), [fields.status]: status }), kind);
    },
    // The journal's writes with the order's copy in one (one statement on PostgreSQL: order-journal.ts).
    async journal(db, row) {
      const journaled = await journalHeldOrderTx(db, held, kind, row);
      if (journaled === undefined) throw new LeaseLostError(held.id);
      return orderHolder(ctx, journaled, kind);
    },
    async accepted(db, txid, giveBack) {
      const { open, order } = await recordHeldOrderAccepted(db, held, kind, txid, giveBack);
      if (open && order === undefined) throw new LeaseLostError(held.id);
      return giveBack === undefined ? undefined : order;
    },
  };
}

/** The block that holds a confirmed transaction (null where an older journal row lacks it). */
export interface ConfirmingBlock {
  number: bigint | null;
  time: bigint | null;
}

/** What the journal row of a landed transaction tells: what it moved, from which pool, since when journaled. */
export type LandedTransaction = Pick<ChainTransaction, 'txid' | 'pool_address' | 'amount_sun' | 'created_at'>;

/**
 * Our transaction as it landed: its journal row (what it moved, from which
 * pool) and the block that holds it; `poolSnapshot`, that pool's snapshot
 * when the claim read it with the row (ClaimedOrder), null for none.
 */
export interface Landed {
  tx: LandedTransaction;
  block: ConfirmingBlock;
  poolSnapshot?: PoolSnapshot | null;
}

/** The next transaction to journal and broadcast. */
export interface Build {
  build: Unsent;
}

/** What a status that moves the order by one chain transaction (delegating, reclaiming) decides. */
export interface JournaledStatus {
  kind: Exclude<ChainTxKind, 'refund'>;
  /** The wait reason while a transaction of ours is on its way. */
  awaiting: WaitReason;
  /** Our transaction is on the solidified chain with a successful result. */
  confirmed(ctx: EngineContext, held: Order, landed: Landed): Promise<Step>;
  /**
   * Nothing of ours can land any more (none was journaled yet, or the last
   * one is dead: `afterDead`): decide the order's fate, or build the next
   * transaction.
   */
  nextTransaction(ctx: EngineContext, held: Order, afterDead: boolean): Promise<Step | Build>;
  /** The node refused the first broadcast of what nextTransaction built. */
  refused(ctx: EngineContext, held: Order, refusal: Refusal): Promise<Step>;
}

/** The journal row the claim read for this step (its status's kind: JOURNALED_KINDS), or undefined when it read none for it. */
function readByClaim(held: Order, claimed: ClaimedOrder | undefined, kind: JournaledStatus['kind']): ChainTransaction | undefined {
  if (claimed?.journal == null || claimed.order !== held) return undefined;
  return (JOURNALED_KINDS as Partial<Record<Order['status'], string>>)[held.status] === kind ? claimed.journal : undefined;
}

/**
 * The journal algorithm, once for every status that waits on a chain
 * transaction: settle the journaled transaction if its outcome is in doubt;
 * only when nothing of ours can land any more, sign and broadcast a new one.
 * So a second transaction is never signed while the first could still land.
 */
export function journaledStep(status: JournaledStatus): StepFn {
  return async (ctx, held, claimed, unsent) => {
    // The step before journaled this transaction with the order's status change: nothing else of the kind can exist.
    if (unsent !== undefined) return sendFirst(ctx, status, orderHolder(ctx, held, status.kind), unsent);
    // The order names its newest journaled transaction of the kind in the transaction that journals it
    // (orderHolder's journal): an order that names none has none, and nothing to read. The claim may have read it.
    // Read by that name, never as the row journaled last by the clock: a clock stepped back between two
    // journalings would make an older, dead transaction look newest, and a third be signed while the
    // second can still land.
    const named = held[ORDER_TX_FIELDS[status.kind].txid];
    const byClaim = named !== null ? readByClaim(held, claimed, status.kind) : undefined;
    const journaled = named !== null ? (byClaim ?? (await findChainTx(ctx.db, named))) : undefined;
    if (journaled?.status === 'confirmed') {
      const block = { number: journaled.block_number, time: journaled.confirmed_at };
      return status.confirmed(ctx, held, byClaim === undefined ? { tx: journaled, block } : { tx: journaled, block, poolSnapshot: claimed!.poolSnapshot });
    }
    if (journaled !== undefined) {
      // In doubt, or settled by the follower since we last looked (the order's field follows).
      const s = await settle(ctx, orderHolder(ctx, held, status.kind), journaled);
      if (s.kind === 'confirmed') return status.confirmed(ctx, held, { tx: journaled, block: { number: s.blockNumber, time: s.blockTime } });
      if (s.kind === 'pending') return wait(s.lookAgainInMs, status.awaiting);
      held = s.holder.row;
    }
    const decided = await status.nextTransaction(ctx, held, journaled !== undefined);
    if (!('build' in decided)) return decided;
    const { signed, meta } = decided.build;
    const holding = orderHolder(ctx, held, status.kind);
    const holder = await holding.journal(ctx.db, journalRow(holding.link, status.kind, signed, meta));
    return sendFirst(ctx, status, holder, decided.build);
  };
}

/** The first send of a transaction just journaled (`holder`: the order as the journal's write left it), and what its status makes of the answer. */
async function sendFirst(ctx: EngineContext, status: JournaledStatus, holder: JournalHolder<Order>, { signed, meta }: Unsent): Promise<Step> {
  const held = holder.row;
  const sent = await firstBroadcast(ctx, holder, signed, meta, {
    ...(status.kind === 'delegate' ? { createdAt: held.created_at } : {}),
    giveBackAs: status.awaiting,
  });
  if ('refused' in sent) return status.refused(ctx, held, sent.refused);
  // Accepted: the write that recorded it gave the order back already, unless the follower settled the transaction first.
  if (sent.givenBack !== undefined) return released(sent.givenBack, sent.lookAgainInMs);
  return wait(sent.lookAgainInMs, status.awaiting);
}
