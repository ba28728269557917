import type { Currency } from '../domain/currency.js';
import { orderEventType } from '../domain/webhook-events.js';
import type { DbHandle } from './connect.js';
import { insertOrder, insertOrderEvent, ORDER_COLUMNS, type NewOrder, type Order } from './orders.js';
import { prepared } from './prepared.js';
import { debitBalance, recordLedgerEntry } from './users.js';
import { recordOrderWebhook } from './webhook-outbox.js';

/** An order paid from its user's balance, as placing it writes it. */
export type PaidOrder = NewOrder & { payment_txid?: undefined };

/**
 * Writes a new order paid from a balance, in the caller's transaction: the
 * debit, the order, its ledger entry, its first event and (when its tenant
 * has a webhook URL) order.created. Undefined when the balance does not cover
 * the price: then nothing is written.
 *
 * On SQLite each is a statement prepared once, run on the transaction's
 * connection without a wait. On PostgreSQL every statement is a round trip,
 * so the four rows are one statement (data-modifying WITH clauses, which
 * PostgreSQL runs all or nothing); the webhook check is the second.
 */
export async function writePaidOrder(db: DbHandle, o: PaidOrder, actor: string): Promise<Order | undefined> {
  return db.dialect === 'postgres' ? writeInOneStatement(db, o, actor) : writeStatementByStatement(db, o, actor);
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

const BALANCE_COLUMN: Record<Currency, string> = { TRX: 'balance_sun', USDT: 'balance_micro_usdt' };

// Parameters: 1 price, 2 user, 3 id, 4 energy, 5 duration, 6 duration seconds, 7 receiver, 8 currency,
// 9 rate, 10 idempotency key, 11 request hash, 12 actor. Written for PostgreSQL only ($n reused).
const placeInOneStatement = Object.fromEntries(
  (Object.keys(BALANCE_COLUMN) as Currency[]).map((currency) => {
    const column = BALANCE_COLUMN[currency];
    return [
      currency,
      prepared<Order>(
        `with debit as (
           update users set ${column} = ${column} - ?::bigint, updated_at = $now where id = ?::bigint and ${column} >= $1 returning ${column} as balance
         ), placed as (
           insert into orders (id, user_id, status, energy_amount, duration, duration_seconds, receive_address, pay_currency, price_sun,
             rate_sun_per_energy_day, idempotency_key, request_hash, created_at, updated_at)
           select ?, $2, 'pending', ?::bigint, ?, ?::bigint, ?, ?, $1, ?::bigint, ?, ?, $now, $now from debit
           returning ${ORDER_COLUMNS}
         ), ledger as (
           insert into ledger_entries (user_id, kind, currency, amount_sun, balance_after_sun, order_id, reference, created_at)
           select $2, 'order_debit', $8, -$1, balance, $3, null, $now from debit
         ), event as (
           insert into order_events (order_id, from_status, to_status, reason, actor, detail, at)
           select $3, null, 'pending', 'created', ?, null, $now from debit
         )
         select ${ORDER_COLUMNS} from placed`,
      ),
    ];
  }),
) as Record<Currency, ReturnType<typeof prepared<Order>>>;

const CREATED = orderEventType('pending', 'created', null);

async function writeInOneStatement(db: DbHandle, o: PaidOrder, actor: string): Promise<Order | undefined> {
  const order = await placeInOneStatement[o.pay_currency].first(db, [
    o.price_sun,
    o.user_id,
    o.id,
    o.energy_amount,
    o.duration,
    o.duration_seconds,
    o.receive_address,
    o.pay_currency,
    o.rate_sun_per_energy_day,
    o.idempotency_key,
    o.request_hash,
    actor,
  ]);
  if (order !== undefined && CREATED !== undefined) await recordOrderWebhook(db, order, CREATED);
  return order;
}
