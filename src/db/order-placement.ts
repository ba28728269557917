import { orderEventType } from '../domain/webhook-events.js';
import type { Db, DbHandle } from './connect.js';
import { insertOrder, insertOrderEvent, type NewOrder, type Order } from './orders.js';
import { placeInTransaction, PlacementBatches } from './placement-batches.js';
import { balanceOf, debitBalance, findUser, recordLedgerEntry } from './users.js';
import { recordOrderWebhook } from './webhook-outbox.js';

/** An order paid from its user's balance, as placing it writes it. */
export type PaidOrder = NewOrder & { payment_txid?: undefined };

/** Placed; or not, because the balance (undefined: no such user) does not cover the price, and nothing was written. */
export type Placement = { order: Order } | { order?: undefined; balance: bigint | undefined };

/**
 * Places a new order paid from a balance, all or nothing: the debit, the
 * order, its ledger entry, its first event and (when its tenant has a
 * webhook URL) order.created.
 *
 * SQLite: each is a statement prepared once, run in a transaction that group
 * commit shares with the orders placed beside it.
 *
 * PostgreSQL: every statement is a round trip, and each costs the server a
 * wake-up, so the orders placed in one turn of the event loop are written in
 * one statement, without BEGIN and COMMIT (placement-batches.ts). That
 * statement writes nothing of an order whose tenant has a webhook URL, since
 * order.created must then be written beside it: that order's rows and event
 * are written in a transaction of its own (the same statement for one order,
 * and three round trips more, for tenants who asked for webhooks).
 */
export async function placePaidOrder(db: Db, o: PaidOrder, actor: string): Promise<Placement> {
  if (db.dialect === 'postgres') {
    const placement = await batchesOf(db).place(o, actor);
    if (!('hooked' in placement)) return placement;
  }
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

/** The same in the caller's transaction. */
async function writePaidOrder(db: DbHandle, o: PaidOrder, actor: string): Promise<Placement> {
  const order = db.dialect === 'postgres' ? await writeInOneStatement(db, o, actor) : await writeStatementByStatement(db, o, actor);
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

const CREATED = orderEventType('pending', 'created', null);

async function writeInOneStatement(db: DbHandle, o: PaidOrder, actor: string): Promise<Order | undefined> {
  const order = await placeInTransaction(db, o, actor);
  if (order !== undefined && CREATED !== undefined) await recordOrderWebhook(db, order, CREATED);
  return order;
}
