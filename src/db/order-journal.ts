import {
  CHAIN_TX_COLUMN_LIST,
  CHAIN_TX_COLUMNS,
  insertChainTx,
  journalRowIf,
  newChainTxValues,
  type ChainTransaction,
  type NewChainTx,
} from './chain-transactions.js';
import type { Db, DbHandle } from './connect.js';
import { CLAIM, CLAIM_MANY, claimOrder } from './order-leases.js';
import { HELD_FENCE, heldFence, updateHeldOrder } from './order-writes.js';
import { ORDER_COLUMN_LIST, ORDER_COLUMNS, orderOf, poolStanding, poolStandingsOf, RESERVED_BY_POOL, type Order, type PoolStanding, type PoolStandingRow } from './orders.js';
import { columnsOf, prefixedColumns } from './columns.js';
import { POOL_SNAPSHOT_COLUMN_LIST, type PoolSnapshot } from './pool-snapshots.js';
import { prepared } from './prepared.js';

/**
 * The journal's write that goes with a held order's own copy of its
 * transaction (its txid and status fields for the kind): a new transaction
 * journaled, atomic. On PostgreSQL it is one statement, the journal row's
 * write and the order's fenced UPDATE together: a statement commits by
 * itself, so the two cost one round trip instead of a transaction's three
 * (both writes, the BEGIN riding with the first, and the COMMIT). SQLite
 * runs the same writes as a transaction, which costs no round trip. (A
 * node's acceptance of its first send: accepted-sends.ts.)
 */

/** The order's fields that follow its transaction of a kind: its own copy of the journal's txid and status. */
export const ORDER_TX_FIELDS = {
  delegate: { txid: 'delegate_txid', status: 'delegate_tx_status' },
  reclaim: { txid: 'reclaim_txid', status: 'reclaim_tx_status' },
} as const;

export type OrderTxKind = keyof typeof ORDER_TX_FIELDS;

/** The statuses whose step follows a journaled transaction of the order's, and the kind it follows (journaled-step.ts). */
export const JOURNALED_KINDS = { delegating: 'delegate', reclaiming: 'reclaim' } as const satisfies Partial<Record<Order['status'], OrderTxKind>>;

/** PostgreSQL: the order's copy (its `?`: txid, then the fence), then the journal row (its `?`: the row's values), only if the order was found. */
const journalStatements = {
  delegate: journalStatement('delegate'),
  reclaim: journalStatement('reclaim'),
};
function journalStatement(kind: OrderTxKind) {
  const copy = ORDER_TX_FIELDS[kind];
  return prepared<Order>(
    `with moved as (
       update orders set ${copy.txid} = ?, ${copy.status} = 'signed', updated_at = $now ${HELD_FENCE} returning ${ORDER_COLUMNS}
     ), journaled as (${journalRowIf('moved')})
     select ${ORDER_COLUMNS} from moved`,
  );
}

/**
 * Journals a freshly signed transaction of a held order, and the order's
 * copy of it (its txid, status `signed`): both or neither. Undefined when
 * the lease was lost (nothing written); else the order as now written.
 */
export async function journalHeldOrderTx(db: Db, held: Order, kind: OrderTxKind, t: NewChainTx): Promise<Order | undefined> {
  if (db.dialect === 'postgres') return journalStatements[kind].first(db, [t.txid, ...heldFence(held), ...newChainTxValues(t)]);
  return db.transaction(async (tx) => {
    const row = await updateHeldOrder(tx, held, { [ORDER_TX_FIELDS[kind].txid]: t.txid, [ORDER_TX_FIELDS[kind].status]: 'signed' });
    if (row !== undefined) await insertChainTx(tx, t);
    return row;
  });
}

/**
 * A claimed order, and what the claim read beside it: `journal`, the newest
 * transaction of the kind its status follows (JOURNALED_KINDS), null when
 * the order names none; undefined when the claim did not read it (SQLite,
 * where the step's own read costs no round trip). `poolSnapshot`, when that
 * transaction is confirmed: the snapshot of the pool it moved stake on,
 * which the step's status change reads first (null when the pool has none),
 * undefined when the claim did not read it.
 */
export interface ClaimedOrder {
  order: Order;
  journal?: ChainTransaction | null;
  poolSnapshot?: PoolSnapshot | null;
  /** A pending order: what its pool choice reads (listPoolStandings), read by the claim; undefined when the claim did not. */
  standings?: PoolStanding[];
}

/** A pool standing's columns (PoolStandingRow): the snapshot's, and what our orders hold on it. */
const STANDING_COLUMNS = [...POOL_SNAPSHOT_COLUMN_LIST, 'reserved_sun', 'owed_transactions', 'locked_rentals'];
/** What the claim's statement answers beside the order, each row under a prefix of its own. */
const journalColumns = prefixedColumns<ChainTransaction>(CHAIN_TX_COLUMN_LIST, 'j', 'journal_');
const snapshotColumns = prefixedColumns<PoolSnapshot>(POOL_SNAPSHOT_COLUMN_LIST, 's', 'snapshot_');
const standingColumns = prefixedColumns<PoolStandingRow>(STANDING_COLUMNS, 'st', 'standing_');

/**
 * PostgreSQL: claimOrder's claim (its `?`), answering with the order's
 * newest journaled transaction, which the step woken for a delegating or
 * reclaiming order reads first: a round trip fewer on every such wake. The
 * claim's own snapshot reads it; only the lease holder journals, and the
 * claim has just made this worker the holder. When that transaction is
 * confirmed, the step's next write is the status change that moves its
 * stake on the pool's snapshot, decided from the snapshot as read just
 * before (ourStakeMove): the claim reads that too, a round trip before the
 * status change, as the step's own read was (each statement reads what is
 * committed as it starts, in a transaction or not). A pending order's step
 * reads the pool standings first (listPoolStandings): the claim reads them
 * too, a row per pool (its last `?`: whether to count locked rentals to
 * the order's receiver). Its reservation checks the room again, under the
 * pool's lock, as it did after the step's own read. `offset 0` keeps that
 * subquery from being merged into the join, where its condition on the
 * order's status would only filter its rows once read: kept apart, the
 * condition is checked before it runs, and the claim of an order of
 * another status reads none of it.
 */
const claimWithJournalStatement = prepared<Record<string, unknown>>(
  claimAnswering(CLAIM, poolStandingsOf('(case when ?::boolean then claimed.receive_address end)', 'claimed.id')),
);

/**
 * PostgreSQL: the claims of many orders woken together (woken-claims.ts),
 * each answered as claimWithJournalStatement answers one. Its `?`: the
 * owner, the lease's length, an array of the orders' ids, whether to count
 * locked rentals to each one's receiver. The reserved sums are read once
 * (materialized, and only when a pending order was claimed), the locked
 * rentals for each order's receiver. Each row is claimed as CLAIM claims
 * it, waiting for a writer of it to finish; should two batches that share
 * orders deadlock, PostgreSQL fails one, and woken-claims.ts claims its
 * orders again one at a time.
 */
const claimManyWithJournalStatement = prepared<Record<string, unknown>>(
  claimAnswering(
    CLAIM_MANY,
    poolStandingsOf('(case when ?::boolean then claimed.receive_address end)', 'claimed.id', 'reserved'),
    `reserved as materialized (${RESERVED_BY_POOL}), `,
  ),
);

/**
 * A claim (`claim`, an UPDATE of orders without its RETURNING) answering
 * with each order it claimed (`claimed`) what its first step reads first:
 * the newest journaled transaction of a delegating or reclaiming order (the
 * one the order names: see journaledStep),
 * that transaction's pool snapshot once it is confirmed, and a pending
 * order's pool standings (`standings`, their SQL for the order `claimed`).
 * `ctes`: common table expressions the standings read, each followed by a
 * comma. Rows by order, then by pool.
 */
function claimAnswering(claim: string, standings: string, ctes = ''): string {
  return `with ${ctes}claimed as (${claim} returning ${ORDER_COLUMNS})
   select ${columnsOf(ORDER_COLUMN_LIST, 'claimed')}, ${journalColumns.select}, ${snapshotColumns.select}, ${standingColumns.select}
   from claimed left join lateral (
     select ${CHAIN_TX_COLUMNS} from chain_transactions
     where txid = (case claimed.status ${Object.entries(JOURNALED_KINDS).map(([status, kind]) => `when '${status}' then claimed.${ORDER_TX_FIELDS[kind].txid}`).join(' ')} end)
       and order_id = claimed.id
   ) j on true
   left join lateral (
     select ${columnsOf(POOL_SNAPSHOT_COLUMN_LIST)} from pool_snapshots where address = j.pool_address and j.status = 'confirmed'
   ) s on true
   left join lateral (
     ${standings}
     where claimed.status = 'pending' offset 0
   ) st on true
   order by claimed.id, st.address`;
}

/**
 * claimOrder, and on PostgreSQL what its first step reads first, in the
 * same statement (ClaimedOrder): the journal row, or a pending order's pool
 * standings (`lockedRentalsToReceiver`: counting our locked rentals to its
 * receiver, as the pool choice does with DELEGATE_LOCK on).
 */
export async function claimOrderAndJournal(
  db: DbHandle,
  orderId: string,
  owner: string,
  leaseMs: number,
  lockedRentalsToReceiver: boolean,
): Promise<ClaimedOrder | undefined> {
  if (db.dialect !== 'postgres') {
    const order = await claimOrder(db, orderId, owner, leaseMs);
    return order === undefined ? undefined : { order };
  }
  const rows = await claimWithJournalStatement.all(db, [owner, BigInt(leaseMs), orderId, lockedRentalsToReceiver]);
  return rows.length === 0 ? undefined : claimedOf(rows);
}

/**
 * PostgreSQL: claimOrderAndJournal for each of `orderIds` (each once), in
 * one statement: the orders claimed, by id (an order not due, or held by
 * someone else, is absent).
 */
export async function claimOrdersAndJournals(
  db: DbHandle,
  orderIds: readonly string[],
  owner: string,
  leaseMs: number,
  lockedRentalsToReceiver: boolean,
): Promise<Map<string, ClaimedOrder>> {
  const rows = await claimManyWithJournalStatement.all(db, [owner, BigInt(leaseMs), orderIds, lockedRentalsToReceiver]);
  const byOrder = new Map<string, Record<string, unknown>[]>();
  for (const row of rows) {
    const id = row.id as string;
    const own = byOrder.get(id);
    if (own === undefined) byOrder.set(id, [row]);
    else own.push(row);
  }
  return new Map([...byOrder].map(([id, own]) => [id, claimedOf(own)]));
}

/** An order as claimAnswering's rows for it tell it: the order, and what its first step reads. */
function claimedOf(rows: readonly Record<string, unknown>[]): ClaimedOrder {
  const row = rows[0]!;
  const order = orderOf(row);
  if (order.status === 'pending') {
    const standings = rows.map(standingColumns.read).filter((standing) => standing.address !== null).map(poolStanding);
    return { order, journal: null, standings };
  }
  const journal = journalColumns.read(row);
  if (journal.txid === null) return { order, journal: null };
  if (journal.status !== 'confirmed') return { order, journal };
  const snapshot = snapshotColumns.read(row);
  return { order, journal, poolSnapshot: snapshot.address === null ? null : snapshot };
}
