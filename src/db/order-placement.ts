import type { Db, DbHandle } from './connect.js';
import { findOrderByIdempotencyKey, insertOrder, insertOrderEvent, type NewOrder, type Order } from './orders.js';
import { PlacementBatches } from './placement-batches.js';
import { balanceOf, debitBalance, findUser, recordLedgerEntry } from './users.js';

/** An order paid from its user's balance, as placing it writes it. */
export type PaidOrder = NewOrder & { payment_txid?: undefined };

/**
 * Placed; or not, and nothing was written: because an earlier order took its
 * idempotency key (`existing`, that order), or because the balance
 * (undefined: no such user) does not cover the price.
 */
export type Placement =
  | { order: Order; existing?: undefined }
  | { order?: undefined; existing: Order; balance?: undefined }
  | { order?: undefined; existing?: undefined; balance: bigint | undefined };

/**
 * Places a new order paid from a balance, all or nothing: the debit, the
 * order, its ledger entry, its first event and (when its tenant has a
 * webhook URL) order.created; unless an order with its idempotency key
 * exists, which it answers instead (looked up in the same statement or
 * transaction: a replay costs no round trip of its own).
 *
 * SQLite: each is a statement prepared once, run in a transaction that group
 * commit shares with the orders placed beside it.
 *
 * PostgreSQL: every statement is a round trip, and each costs the server a
 * wake-up, so the orders placed in one turn of the event loop are written
 * together, in one statement (placement-batches.ts).
 */
export function placePaidOrder(db: Db, o: PaidOrder, actor: string): Promise<Placement> {
  if (db.dialect === 'postgres') return batchesOf(db).place(o, actor);
  return db.transaction((trx) => writePaidOrder(trx, o, actor));
}

const batches = new WeakMap<Db, PlacementBatches>();

function batchesOf(db: Db): PlacementBatches {
  let b = batches.get(db);
  if (b === undefined) {
    b = new PlacementBatches(db);
    batches.set(db, b);
  }
  return b;
}

/** The same in the caller's SQLite transaction. */
async function writePaidOrder(db: DbHandle, o: PaidOrder, actor: string): Promise<Placement> {
  if (o.idempotency_key !== null) {
    const existing = await findOrderByIdempotencyKey(db, o.idempotency_key);
    if (existing !== undefined) return { existing };
  }
  const order = await writeStatementByStatement(db, o, actor);
  if (order !== undefined) return { order };
  const user = await findUser(db, o.user_id);
  return { balance: user === undefined ? undefined : balanceOf(user, o.pay_currency) };
}

async function writeStatementByStatement(db: DbHandle, o: PaidOrder, actor: string): Promise<Order | undefined> {
  const balance = await debitBalance(db, o.user_id, o.pay_currency, o.price_sun);
  if (balance === undefined) return undefined;
  const order = await insertOrder(db, o);
  await recordLedgerEntry(db, { userId: o.user_id, kind: 'order_debit', currency: o.pay_currency, amountSun: -o.price_sun, balanceAfterSun: balance, orderId: o.id });
  // The row just inserted, for order.created: no need to read it back.
  await insertOrderEvent(db, { order_id: o.id, from_status: null, to_status: 'pending', reason: 'created', actor, detail: null }, order);
  return order;
}
