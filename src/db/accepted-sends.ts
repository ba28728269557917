import { ACCEPTED_SEND_SET, countAcceptedSend, OPEN_STATUS } from './chain-transactions.js';
import { columnsOf } from './columns.js';
import type { Db } from './connect.js';
import { ORDER_TX_FIELDS, type OrderTxKind } from './order-journal.js';
import { RELEASE_SET } from './order-leases.js';
import { HELD_FENCE, heldFence, updateHeldOrder } from './order-writes.js';
import { ORDER_COLUMN_LIST, ORDER_COLUMNS, orderOf, type Order } from './orders.js';
import { prepared, unnestArrays } from './prepared.js';
import { TurnBatches, type Settling } from './turn-batches.js';

/**
 * A node's acceptance of the first send of a held order's transaction: the
 * journal counts the send and, while its outcome is open, marks it
 * broadcast, and the order's copy of its status follows, in one write. On
 * PostgreSQL the acceptances that arrive together (a burst's broadcasts
 * answered in the same few turns) are one statement: each statement costs
 * the server about 0.2 ms of CPU whatever it writes, an order in it about
 * 0.05 (docs/BENCHMARKS.md). SQLite writes each in-process.
 */

/**
 * Gives the held order back in the same write, as releaseOrder would: no
 * lease, a retry time `retryInMs` from now (RELEASE_SET: unless it was
 * made due while held), and its wait reason.
 */
export interface GiveBack {
  leaseMs: number;
  retryInMs: number;
  waitReason: string;
}

/** What an acceptance wrote: `open`, whether the journal row was still open (else the follower settled it first, and the order was not written); `order`, the order as written, undefined when it was not (with `open`: the lease was lost). */
export interface Accepted {
  open: boolean;
  order: Order | undefined;
}

/** The order's SET after the acceptance: its copy of the status, and with `giveBack`, a release's (RELEASE_SET: its three `?`). */
const acceptedSet = (kind: OrderTxKind, giveBack: boolean) =>
  [`${ORDER_TX_FIELDS[kind].status} = 'broadcast'`, ...(giveBack ? [RELEASE_SET] : []), 'updated_at = $now'].join(', ');
const giveBackValues = (g: GiveBack | undefined) => (g === undefined ? [] : [BigInt(g.leaseMs), BigInt(g.retryInMs), g.waitReason]);

/**
 * PostgreSQL: the acceptances of a batch, one kind and one way of giving
 * back. Its `?`: an array each of txids, order ids, the orders' statuses
 * and lease versions (the fence, heldFence), then the SET's. Each send whose
 * journal row is open is counted and marked broadcast, and its order is
 * written if its fence holds. A row per send counted, in no particular
 * order. Only open rows are read (by the index on status, so that even a
 * plan made on empty tables reads no table whole): a row settled first is
 * counted on its own (acceptedAlone).
 */
const batchStatements = {
  delegate: [batchStatement('delegate', false), batchStatement('delegate', true)],
  reclaim: [batchStatement('reclaim', false), batchStatement('reclaim', true)],
} as const;
function batchStatement(kind: OrderTxKind, giveBack: boolean) {
  return prepared<Order & { accepted_txid: string }>(
    `with sent as (
       update chain_transactions c set ${ACCEPTED_SEND_SET}
       from ${unnestArrays('text', 'text', 'text', 'int8')} as a(txid, order_id, fence_status, fence_version)
       where c.txid = a.txid and c.${OPEN_STATUS}
       returning c.txid, a.order_id, a.fence_status, a.fence_version
     ), moved as (
       update orders o set ${acceptedSet(kind, giveBack)}
       from sent where o.id = sent.order_id and o.status = sent.fence_status and o.lease_version = sent.fence_version
       returning ${columnsOf(ORDER_COLUMN_LIST, 'o')}
     )
     select sent.txid as accepted_txid, ${columnsOf(ORDER_COLUMN_LIST, 'moved')} from sent left join moved on moved.id = sent.order_id`,
  );
}

/** SQLite: the order's write after the acceptance, giving it back. */
const acceptedGiveBackStatements = {
  delegate: prepared<Order>(`update orders set ${acceptedSet('delegate', true)} ${HELD_FENCE} returning ${ORDER_COLUMNS}`),
  reclaim: prepared<Order>(`update orders set ${acceptedSet('reclaim', true)} ${HELD_FENCE} returning ${ORDER_COLUMNS}`),
};

/** Acceptances in one statement at most: bounds its arrays and the rows one statement locks. */
const MAX_BATCH = 256;
/** Batches in flight at once, each holding one of the pool's connections while it runs. */
const MAX_IN_FLIGHT = 2;

interface Acceptance extends Settling<Accepted> {
  held: Order;
  kind: OrderTxKind;
  txid: string;
  giveBack: GiveBack | undefined;
}

/** Acceptances with one key share a statement: its kind, and its giving back's values (the same for every order a worker gives back on acceptance). */
const batchKey = (a: Acceptance): string =>
  a.giveBack === undefined ? a.kind : `${a.kind} ${a.giveBack.leaseMs} ${a.giveBack.retryInMs} ${a.giveBack.waitReason}`;

/** PostgreSQL's acceptances, gathered a turn at a time (TurnBatches). */
class AcceptanceBatches extends TurnBatches<Acceptance> {
  constructor(private readonly db: Db) {
    super(MAX_IN_FLIGHT);
  }

  accept(held: Order, kind: OrderTxKind, txid: string, giveBack: GiveBack | undefined): Promise<Accepted> {
    return new Promise((resolve, reject) => this.enqueue({ held, kind, txid, giveBack, resolve, reject }));
  }

  /** The oldest acceptance's key, each txid once (a second send of one would be counted once): the rest wait for the next batch. */
  protected take(): Acceptance[] {
    return this.takeAlike(batchKey, (a) => a.txid, MAX_BATCH);
  }

  /**
   * Nothing in one acceptance can fail the statement (its values are typed,
   * it breaks no constraint): a failure is the connection's or the
   * server's, a deadlock with another transaction writing the same rows
   * among them (the follower settling a block). Each order's step learns
   * it as it learned its own write's: it is looked at again later, and its
   * transaction, sent but not marked so, is settled from the chain then.
   */
  protected async send(batch: Acceptance[]): Promise<void> {
    const { kind, giveBack } = batch[0]!;
    const fences = batch.map((a) => heldFence(a.held));
    let rows;
    try {
      rows = await batchStatements[kind][giveBack === undefined ? 0 : 1].all(this.db, [
        batch.map((a) => a.txid),
        ...[0, 1, 2].map((i) => fences.map((f) => f[i])),
        ...giveBackValues(giveBack),
      ]);
    } catch (err) {
      for (const a of batch) a.reject(err);
      return;
    }
    const byTxid = new Map(rows.map((row) => [row.accepted_txid, row]));
    for (const a of batch) {
      const row = byTxid.get(a.txid);
      if (row === undefined) {
        // Settled before the acceptance was recorded (or never journaled): counted alone, the order not written.
        acceptedAlone(this.db, a.held, a.kind, a.txid, a.giveBack).then(a.resolve, a.reject);
        continue;
      }
      const order = orderOf(row);
      a.resolve({ open: true, order: order.id === null ? undefined : order });
    }
  }
}

const batches = new WeakMap<Db, AcceptanceBatches>();

/**
 * A node accepted the first send of a held order's transaction: the
 * journal counts it and, while its outcome is open, marks it broadcast; the
 * order's copy follows then (with `giveBack`, the same write gives the order
 * back). The journal's record commits whatever happened to the lease (the
 * next holder reads it). Atomic for each order.
 */
export function recordHeldOrderAccepted(db: Db, held: Order, kind: OrderTxKind, txid: string, giveBack?: GiveBack): Promise<Accepted> {
  if (db.dialect === 'sqlite') return acceptedAlone(db, held, kind, txid, giveBack);
  let b = batches.get(db);
  if (b === undefined) batches.set(db, (b = new AcceptanceBatches(db)));
  return b.accept(held, kind, txid, giveBack);
}

/** One acceptance in a transaction of its own: SQLite's way, and PostgreSQL's for a row its batch found settled. */
async function acceptedAlone(db: Db, held: Order, kind: OrderTxKind, txid: string, giveBack: GiveBack | undefined): Promise<Accepted> {
  return db.transaction(async (tx) => {
    if (!(await countAcceptedSend(tx, txid))) return { open: false, order: undefined };
    const order =
      giveBack === undefined
        ? await updateHeldOrder(tx, held, { [ORDER_TX_FIELDS[kind].status]: 'broadcast' })
        : await acceptedGiveBackStatements[kind].first(tx, [...giveBackValues(giveBack), ...heldFence(held)]);
    return { open: true, order };
  });
}
