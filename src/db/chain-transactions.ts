import { sql, type Selectable, type Updateable } from 'kysely';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import { columnsOf, everyColumn } from './columns.js';
import { literalList, prepared, preparedPerColumns, preparedPerDialect, unnestArrays, wordsParameter } from './prepared.js';
import type { ChainTransactionsTable, ChainTxKind } from './schema.js';

export type ChainTransaction = Selectable<ChainTransactionsTable>;

/** Every column of chain_transactions, named, for the statements PostgreSQL keeps prepared (columns.ts). */
export const CHAIN_TX_COLUMN_LIST = everyColumn<ChainTransactionsTable>()([
  'txid',
  'order_id',
  'payment_txid',
  'kind',
  'pool_address',
  'receiver',
  'amount_sun',
  'lock_blocks',
  'signed_json',
  'expiration',
  'status',
  'result_code',
  'result_message',
  'block_number',
  'broadcasts',
  'created_at',
  'updated_at',
  'confirmed_at',
]);
export const CHAIN_TX_COLUMNS = columnsOf(CHAIN_TX_COLUMN_LIST);

/** A journal row as people may see it: everything but the signed transaction. */
export type ChainTransactionView = Omit<ChainTransaction, 'signed_json'>;

/**
 * An order's transactions, oldest first (a delegation before its reclaim),
 * without `signed_json`: it never leaves the database for display.
 */
export function listOrderTransactions(db: DbHandle, orderId: string): Promise<ChainTransactionView[]> {
  return db.kysely
    .selectFrom('chain_transactions')
    .select(CHAIN_TX_COLUMN_LIST.filter((c): c is Exclude<typeof c, 'signed_json'> => c !== 'signed_json'))
    .where('order_id', '=', orderId)
    .orderBy('created_at')
    .orderBy('kind')
    .orderBy('txid')
    .execute();
}

export interface NewChainTx {
  txid: string;
  /** The order it is for (a refund: the order the payment paid for, if any). */
  orderId: string | null;
  /** A refund: the flash payment it gives back. */
  paymentTxid: string | null;
  kind: ChainTxKind;
  poolAddress: string;
  receiver: string;
  amountSun: bigint;
  lockBlocks: bigint | null;
  signedJson: string;
  expiration: bigint;
}

/** The columns a new journal row is written with, in the order of newChainTxValues; then status, created_at and updated_at. */
const NEW_CHAIN_TX_COLUMNS = 'txid, order_id, payment_txid, kind, pool_address, receiver, amount_sun, lock_blocks, signed_json, expiration, status, created_at, updated_at';

/** A new journal row's values, in the order of NEW_CHAIN_TX_COLUMNS. */
export const newChainTxValues = (t: NewChainTx) => [t.txid, t.orderId, t.paymentTxid, t.kind, t.poolAddress, t.receiver, t.amountSun, t.lockBlocks, t.signedJson, t.expiration];

const insertStatement = prepared(`insert into chain_transactions (${NEW_CHAIN_TX_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'signed', $now, $now)`);

/**
 * PostgreSQL: a new journal row (its `?`: newChainTxValues), written by a
 * statement's CTE only if `source` (the CTE of the holder's fenced write)
 * has a row: the journal and the holder's copy of it, both or neither.
 */
export const journalRowIf = (source: string) =>
  `insert into chain_transactions (${NEW_CHAIN_TX_COLUMNS})
   select ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::text, ?::bigint, 'signed', $now, $now from ${source}`;

/** The columns of newChainTxValues, in their order (NEW_CHAIN_TX_COLUMNS' first ten). */
const NEW_CHAIN_TX_VALUE_COLUMNS = NEW_CHAIN_TX_COLUMNS.split(', ').slice(0, 10);
/** The types of newChainTxValues, in their order. */
const NEW_CHAIN_TX_TYPES = ['text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'bigint', 'text', 'bigint'];

/**
 * PostgreSQL: new journal rows for the orders `source` (the CTE of the
 * holders' fenced write) has a row for (its `?`: newChainTxArrays), each
 * written only if its order was: the journal and each holder's copy, both
 * or neither.
 */
export const journalRowsIf = (source: string) =>
  `insert into chain_transactions (${NEW_CHAIN_TX_COLUMNS})
   select ${columnsOf(NEW_CHAIN_TX_VALUE_COLUMNS, 'j')}, 'signed', $now, $now
   from ${unnestArrays(...NEW_CHAIN_TX_TYPES)} as j(${NEW_CHAIN_TX_VALUE_COLUMNS.join(', ')})
   where j.order_id in (select id from ${source})`;

/** journalRowsIf's arrays: newChainTxValues, a column at a time. */
export const newChainTxArrays = (rows: readonly NewChainTx[]): unknown[][] => {
  const values = rows.map(newChainTxValues);
  return NEW_CHAIN_TX_TYPES.map((_, i) => values.map((v) => v[i]));
};

export async function insertChainTx(db: DbHandle, t: NewChainTx): Promise<void> {
  await insertStatement.run(db, newChainTxValues(t));
}

const countSendStatement = prepared('update chain_transactions set broadcasts = broadcasts + 1, updated_at = $now where txid = ?');
const countRefusedSendStatement = prepared(
  'update chain_transactions set broadcasts = broadcasts + 1, result_code = ?, result_message = ?, updated_at = $now where txid = ?',
);

/**
 * Counts one more send of the transaction, with the node's refusal if it
 * refused. Whatever the row's status: a send after the follower settled it
 * (a duplicate the node may answer DUP_TRANSACTION_ERROR to) still happened.
 */
export async function countBroadcast(db: DbHandle, txid: string, refusal?: { code: string; message: string }): Promise<void> {
  if (refusal === undefined) await countSendStatement.run(db, [txid]);
  else await countRefusedSendStatement.run(db, [refusal.code, refusal.message, txid]);
}

/** Journal rows whose outcome the chain has not told us yet. */
const OPEN = ['signed', 'broadcast'] as const;
/** A journal row whose outcome is open, as SQL (a row's `status` column). */
export const OPEN_STATUS = `status in (${literalList(OPEN)})`;

/** An accepted send's SET: counted and, while the row's outcome is open, marked broadcast. */
export const ACCEPTED_SEND_SET = `broadcasts = broadcasts + 1,
     status = case when status in (${literalList(OPEN)}) then 'broadcast' else status end, updated_at = $now`;
const countAcceptedStatement = prepared<{ status: string }>(`update chain_transactions set ${ACCEPTED_SEND_SET} where txid = ? returning status`);

/**
 * A node accepted a send: counts it and, while the row's outcome is open,
 * marks it broadcast, in one statement (countBroadcast then updateOpenChainTx
 * in one). Returns whether the row was open (and so is broadcast now); a row
 * the follower settled first keeps its outcome.
 */
export async function countAcceptedSend(db: DbHandle, txid: string): Promise<boolean> {
  const row = await countAcceptedStatement.first(db, [txid]);
  return row?.status === 'broadcast';
}

const openRowUpdate = preparedPerColumns<{ txid: string }>(
  (assignments) => `update chain_transactions set ${[...assignments, 'updated_at = $now'].join(', ')} where txid = ? and status in (${literalList(OPEN)}) returning txid`,
);

/**
 * Writes a journal row only while its outcome is still open. The order's
 * holder and the block follower both settle rows: whoever comes second
 * writes nothing (and must read what the first wrote). Returns whether this
 * write was the one.
 */
export async function updateOpenChainTx(
  db: DbHandle,
  txid: string,
  fields: Omit<Updateable<ChainTransactionsTable>, 'txid' | 'updated_at'>,
): Promise<boolean> {
  const plain = openRowUpdate(fields);
  const row = plain
    ? await plain.statement.first(db, [...plain.values, txid])
    : await db.kysely
        .updateTable('chain_transactions')
        .set({ ...fields, updated_at: dbNow(db.dialect) })
        .where('txid', '=', txid)
        .where('status', 'in', OPEN)
        .returning('txid')
        .executeTakeFirst();
  return row !== undefined;
}

/** What a solidified block says of one of our open rows: in it, with a successful result or failed. */
export interface BlockOutcome {
  txid: string;
  status: 'confirmed' | 'failed';
  blockNumber: bigint;
  blockTime: bigint;
  /** A failure's message. */
  failure: string | null;
}

// PostgreSQL only: the rows of one batch of blocks settled in one statement, each only while still open.
const settleFromBlocksStatement = prepared<{ txid: string }>(
  `update chain_transactions c set status = v.status, block_number = v.block_number,
     confirmed_at = case when v.status = 'confirmed' then v.block_time else c.confirmed_at end,
     result_message = case when v.status = 'failed' then v.failure else c.result_message end,
     updated_at = $now
   from ${unnestArrays('text', 'text', 'bigint', 'bigint', 'text')} as v(txid, status, block_number, block_time, failure)
   where c.txid = v.txid and c.status in (${literalList(OPEN)})
   returning c.txid`,
);

/**
 * Settles our rows from what solidified blocks say of them, each only while
 * its outcome is open (updateOpenChainTx's rule: whoever comes second writes
 * nothing): one statement for the whole batch on PostgreSQL. Returns the
 * txids this write settled.
 */
export async function settleFromBlocks(db: DbHandle, outcomes: readonly BlockOutcome[]): Promise<Set<string>> {
  if (outcomes.length === 0) return new Set();
  if (db.dialect === 'postgres') {
    const rows = await settleFromBlocksStatement.all(db, [
      outcomes.map((o) => o.txid),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.blockNumber),
      outcomes.map((o) => o.blockTime),
      outcomes.map((o) => o.failure),
    ]);
    return new Set(rows.map((r) => r.txid));
  }
  const written = new Set<string>();
  for (const o of outcomes) {
    const fields =
      o.status === 'confirmed'
        ? { status: o.status, block_number: o.blockNumber, confirmed_at: o.blockTime }
        : { status: o.status, block_number: o.blockNumber, result_message: o.failure };
    if (await updateOpenChainTx(db, o.txid, fields)) written.add(o.txid);
  }
  return written;
}

/** What the block follower needs of an open journal row. */
export type OpenTransaction = Pick<ChainTransaction, 'txid' | 'order_id' | 'payment_txid' | 'kind' | 'pool_address' | 'amount_sun' | 'created_at'>;
const OPEN_COLUMNS = ['txid', 'order_id', 'payment_txid', 'kind', 'pool_address', 'amount_sun', 'created_at'] as const;

// Which of a block's transaction ids are ours and still open, the ids as one parameter: built by
// Kysely, a block's hundreds of ids made a text of their own, parsed and planned at every block.
const openAmongStatement = preparedPerDialect<OpenTransaction>({
  postgres: `select ${columnsOf(OPEN_COLUMNS, 'c')} from ${unnestArrays('text')} as w(txid) join chain_transactions c on c.txid = w.txid
     where c.status in (${literalList(OPEN)})`,
  sqlite: `select ${columnsOf(OPEN_COLUMNS)} from chain_transactions where txid in (select r.value from json_each(?) r) and status in (${literalList(OPEN)})`,
});

/** Which of these transaction ids are ours and still open (each once, however often it is named). */
export function openTransactionsAmong(db: DbHandle, txids: readonly string[]): Promise<OpenTransaction[]> {
  if (txids.length === 0) return Promise.resolve([]);
  // Deduplicated here: PostgreSQL's statement joins the ids, so an id named twice would answer twice.
  return openAmongStatement.all(db, [wordsParameter(db, [...new Set(txids)])]);
}

/**
 * Asked once a block whatever is in flight, so prepared once (as preparedClaim's
 * polls are). Ordered as chain_tx_status_expiration is, so that even a plan
 * made while the table was empty reads that index, not the whole table.
 */
const anyOpenStatement = prepared<{ txid: string }>(`select txid from chain_transactions where status in (${literalList(OPEN)}) order by status, expiration limit 1`);

/** Whether any transaction of ours is in flight (the follower reads the chain once a block while there is). */
export async function anyOpenTransaction(db: DbHandle): Promise<boolean> {
  return (await anyOpenStatement.first(db, [])) !== undefined;
}

/**
 * Open rows the solidified chain has passed the expiration of, journaled
 * since `since` (database clock): the follower has read every block they
 * could have landed in, and they are in none of them.
 */
export function openPastExpiration(db: DbHandle, chainTime: bigint, since: bigint): Promise<OpenTransaction[]> {
  return db.kysely
    .selectFrom('chain_transactions')
    .select(OPEN_COLUMNS)
    .where('status', 'in', OPEN)
    .where('expiration', '<', chainTime)
    .where('created_at', '>=', since)
    .execute();
}

/**
 * Accepted rows the solidified chain has passed without them (expiration
 * at most `upTo`), journaled since `since` and last sent at least `quietMs`
 * ago (database clock): a node dropped them, and their holder should send
 * them again while they can still land.
 */
export function acceptedPassedOver(db: DbHandle, upTo: bigint, since: bigint, quietMs: number): Promise<OpenTransaction[]> {
  return db.kysely
    .selectFrom('chain_transactions')
    .select(OPEN_COLUMNS)
    .where('status', '=', 'broadcast')
    .where('expiration', '<=', upTo)
    .where('created_at', '>=', since)
    .where('updated_at', '<=', sql<bigint>`${dbNow(db.dialect)} - ${BigInt(quietMs)}`)
    .execute();
}

/**
 * Prepared once: the journal's look-up on every step of an order (the row
 * it names), about ten of these statements on its way to active, and
 * Kysely's building of each cost more than SQLite's work on it.
 */
const findStatement = prepared<ChainTransaction>(`select ${CHAIN_TX_COLUMNS} from chain_transactions where txid = ?`);

/** A journal row by its txid: an order's or a payment's newest is the one it names (its delegate_txid, reclaim_txid, refund_txid). */
export function findChainTx(db: DbHandle, txid: string): Promise<ChainTransaction | undefined> {
  return findStatement.first(db, [txid]);
}
