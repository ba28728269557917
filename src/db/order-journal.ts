import { COUNT_ACCEPTED_SEND, countAcceptedSend, insertChainTx, NEW_CHAIN_TX_COLUMNS, newChainTxValues, type NewChainTx } from './chain-transactions.js';
import type { Db } from './connect.js';
import { updateHeldOrder } from './order-writes.js';
import type { Order } from './orders.js';
import { prepared } from './prepared.js';

/**
 * The journal's two writes that go with a held order's own copy of its
 * transaction (its txid and status fields for the kind): a new transaction
 * journaled, and a node's acceptance of its first send. Each is atomic on
 * its own. On PostgreSQL each is one statement, the journal row's write and
 * the order's fenced UPDATE together: a statement commits by itself, so the
 * two cost one round trip instead of four (the transaction's BEGIN, both
 * writes, its COMMIT). SQLite runs the same writes as a transaction, which
 * costs no round trip.
 */

/** The order's fields that follow its transaction of a kind: its own copy of the journal's txid and status. */
export const ORDER_TX_FIELDS = {
  delegate: { txid: 'delegate_txid', status: 'delegate_tx_status' },
  reclaim: { txid: 'reclaim_txid', status: 'reclaim_tx_status' },
} as const;

export type OrderTxKind = keyof typeof ORDER_TX_FIELDS;

const FENCE = 'where id = ? and status = ? and lease_version = ?';
const fence = (held: Order) => [held.id, held.status, held.lease_version];

/** PostgreSQL: the order's copy (its `?`: txid, then the fence), then the journal row (its `?`: the row's values), only if the order was found. */
const journalStatements = {
  delegate: journalStatement('delegate'),
  reclaim: journalStatement('reclaim'),
};
function journalStatement(kind: OrderTxKind) {
  const copy = ORDER_TX_FIELDS[kind];
  return prepared<Order>(
    `with moved as (
       update orders set ${copy.txid} = ?, ${copy.status} = 'signed', updated_at = $now ${FENCE} returning *
     ), journaled as (
       insert into chain_transactions (${NEW_CHAIN_TX_COLUMNS})
       select ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::text, ?::bigint, 'signed', $now, $now from moved
     )
     select * from moved`,
  );
}

/**
 * Journals a freshly signed transaction of a held order, and the order's
 * copy of it (its txid, status `signed`): both or neither. Undefined when
 * the lease was lost (nothing written); else the order as now written.
 */
export async function journalHeldOrderTx(db: Db, held: Order, kind: OrderTxKind, t: NewChainTx): Promise<Order | undefined> {
  if (db.dialect === 'postgres') return journalStatements[kind].first(db, [t.txid, ...fence(held), ...newChainTxValues(t)]);
  return db.transaction(async (tx) => {
    const row = await updateHeldOrder(tx, held, { [ORDER_TX_FIELDS[kind].txid]: t.txid, [ORDER_TX_FIELDS[kind].status]: 'signed' });
    if (row !== undefined) await insertChainTx(tx, t);
    return row;
  });
}

/** PostgreSQL: the send counted (its `?`: the txid), then the order's copy (its `?`: the fence), only if the row was open. */
const acceptedStatements = {
  delegate: acceptedStatement('delegate'),
  reclaim: acceptedStatement('reclaim'),
};
function acceptedStatement(kind: OrderTxKind) {
  return prepared<{ journal_status: string | null; followed: boolean }>(
    `with sent as (${COUNT_ACCEPTED_SEND}), moved as (
       update orders set ${ORDER_TX_FIELDS[kind].status} = 'broadcast', updated_at = $now ${FENCE}
         and exists (select 1 from sent where status = 'broadcast')
       returning id
     )
     select (select status from sent)::text as journal_status, exists (select 1 from moved) as followed`,
  );
}

/**
 * A node accepted the first send of a held order's transaction: the
 * journal counts it and, while its outcome is open, marks it broadcast; the
 * order's copy follows then. The journal's record commits whatever happened
 * to the lease (the next holder reads it). `open`: whether the row was still
 * open (else the follower settled it first, and the order was not written);
 * `followed`: whether the order's copy was written (false with `open`: the
 * lease was lost).
 */
export async function recordHeldOrderAccepted(db: Db, held: Order, kind: OrderTxKind, txid: string): Promise<{ open: boolean; followed: boolean }> {
  if (db.dialect === 'postgres') {
    const row = await acceptedStatements[kind].first(db, [txid, ...fence(held)]);
    return { open: row?.journal_status === 'broadcast', followed: row?.followed === true };
  }
  return db.transaction(async (tx) => {
    if (!(await countAcceptedSend(tx, txid))) return { open: false, followed: false };
    const row = await updateHeldOrder(tx, held, { [ORDER_TX_FIELDS[kind].status]: 'broadcast' });
    return { open: true, followed: row !== undefined };
  });
}
