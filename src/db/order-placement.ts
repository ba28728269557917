import { byCurrency, type Currency } from '../domain/currency.js';
import { orderEventType } from '../domain/webhook-events.js';
import type { Db, DbHandle } from './connect.js';
import { insertOrder, insertOrderEvent, ORDER_COLUMNS, type NewOrder, type Order } from './orders.js';
import { PlacementBatches } from './placement-batches.js';
import { prepared } from './prepared.js';
import { balanceColumn, balanceOf, debitBalance, findUser, recordLedgerEntry } from './users.js';
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
 * are written in a transaction of its own (placeInTransactionStatement, and
 * three round trips more, for tenants who asked for webhooks).
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

/**
 * The four rows in one PostgreSQL statement, in the caller's transaction.
 * Parameters: 1 price, 2 user, 3 id, 4 tenant, 5 energy, 6 duration,
 * 7 duration seconds, 8 receiver, 9 currency, 10 rate, 11 idempotency key,
 * 12 request hash, 13 actor ($n where reused). Answers the order's row, or
 * none when the balance does not cover the price.
 */
function placeStatement(currency: Currency): string {
  const column = balanceColumn(currency);
  return `with debit as (
      update users set ${column} = ${column} - ?::bigint, updated_at = $now
      where id = ?::bigint and ${column} >= $1
      returning ${column} as balance
    ), placed as (
      insert into orders (id, user_id, tenant_id, status, energy_amount, duration, duration_seconds, receive_address, pay_currency, price_sun,
        rate_sun_per_energy_day, idempotency_key, request_hash, created_at, updated_at)
      select ?, $2, ?, 'pending', ?::bigint, ?, ?::bigint, ?, ?, $1, ?::bigint, ?, ?, $now, $now from debit
      returning ${ORDER_COLUMNS}
    ), ledger as (
      insert into ledger_entries (user_id, kind, currency, amount_sun, balance_after_sun, order_id, reference, created_at)
      select $2, 'order_debit', $9, -$1, balance, $3, null, $now from debit
    ), event as (
      insert into order_events (order_id, from_status, to_status, reason, actor, detail, at)
      select $3, null, 'pending', 'created', ?, null, $now from debit
    )
    select ${ORDER_COLUMNS} from placed`;
}

const placeInTransactionStatement = byCurrency((c) => prepared<Order>(placeStatement(c)));

const placeParams = (o: PaidOrder, actor: string) => [
  o.price_sun,
  o.user_id,
  o.id,
  o.tenant_id,
  o.energy_amount,
  o.duration,
  o.duration_seconds,
  o.receive_address,
  o.pay_currency,
  o.rate_sun_per_energy_day,
  o.idempotency_key,
  o.request_hash,
  actor,
];

const CREATED = orderEventType('pending', 'created', null);

async function writeInOneStatement(db: DbHandle, o: PaidOrder, actor: string): Promise<Order | undefined> {
  const order = await placeInTransactionStatement[o.pay_currency].first(db, placeParams(o, actor));
  if (order !== undefined && CREATED !== undefined) await recordOrderWebhook(db, order, CREATED);
  return order;
}
