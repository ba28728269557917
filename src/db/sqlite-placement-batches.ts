import type { Currency } from '../domain/currency.js';
import type { Db, DbHandle } from './connect.js';
import type { PaidOrder, Placement } from './order-placement.js';
import { findOrdersByIdempotencyKeys, insertOrderEvents, insertOrders, type Order } from './orders.js';
import { PlacementQueue, type Waiting } from './placement-queue.js';
import { prepared } from './prepared.js';
import { debitBalances, readBalances, recordLedgerEntries, type Balances, type NewLedgerEntry } from './users.js';
import { recordOrderWebhooks } from './webhook-outbox.js';

/** Orders written by one unit at most: bounds the rows a statement binds (preparedRows takes 256), the balances' JSON and the time one unit holds the writer. */
const MAX_BATCH = 256;

const dbNow = prepared<{ now: bigint }>('select $now as now', { only: 'sqlite' });

/** What the batch decided for one order before writing: placed (at its index among the written), a replay, or refused. */
type Decision = { placed: number } | { existing: Order } | { replayOf: number } | { balance: bigint | undefined };

/**
 * Group commit gives SQLite one COMMIT for the orders of a turn, but each
 * order still ran its own statements inside it: a savepoint, the debit, the
 * order, its ledger entry, its event, the webhook look-up, the release. Every
 * statement is a call into SQLite with its own binding and stepping, and
 * together they were about half of the API's CPU per order
 * (docs/BENCHMARKS.md). So the orders placed in one turn of the event loop
 * are written by one unit of the group commit, in one statement per table:
 * the new rows as the parameters of a multi-row VALUES (preparedRows), the
 * users' balances read and debited through one JSON text (`json_each`).
 *
 * The unit decides in JavaScript what serial placement would have: the
 * balances are read at its start and each order, in arrival order, is placed
 * if what the user's earlier orders in the batch left covers its price; an
 * order whose idempotency key an earlier order took (in the database or
 * earlier in the batch) is answered with that order. SQLite has one writer,
 * and the unit runs synchronously inside the group commit's transaction, so
 * nothing changes the balances between the read and the debit; the balances'
 * CHECK constraints would still refuse one going below zero.
 *
 * When the unit throws, the group commit has rolled it back whole: each of
 * its orders is then sent again alone and learns its own outcome, in arrival
 * order and before the next unit, so a user's orders still go in the order
 * they came.
 */
export class SqlitePlacementBatches extends PlacementQueue {
  /**
   * One unit at a time: SQLite has one writer, so a second unit at once would
   * only queue behind the first, and the orders arriving meanwhile go
   * together in the next, as group commit gathers its units.
   */
  constructor(db: Db) {
    super(db, 1);
  }

  protected take(): Waiting[] {
    return this.queue.splice(0, MAX_BATCH);
  }

  protected send(batch: Waiting[]): Promise<void> {
    return this.writeOrEachAlone(
      batch,
      (b) => this.db.transaction((trx) => writePlacements(trx, b)),
      (b, placements) => b.forEach((w, i) => w.resolve(placements[i]!)),
    );
  }
}

/** The batch's orders, written as serial placement would write them one by one (see SqlitePlacementBatches). */
async function writePlacements(db: DbHandle, batch: readonly Placing[]): Promise<Placement[]> {
  const keys = batch.flatMap((w) => (w.order.idempotency_key === null ? [] : [w.order.idempotency_key]));
  const keyed = keys.length === 0 ? [] : await findOrdersByIdempotencyKeys(db, keys);
  const balances = await readBalances(db, [...new Set(batch.map((w) => w.order.user_id))]);
  const { decisions, written } = decide(batch, keyed, balances);
  const orders = written.length === 0 ? [] : await writePlaced(db, written);
  return decisions.map((d): Placement => {
    if ('placed' in d) return { order: orders[d.placed]! };
    if ('replayOf' in d) return { existing: orders[d.replayOf]! };
    if ('existing' in d) return { existing: d.existing };
    return { balance: d.balance };
  });
}

type Placing = { order: PaidOrder; actor: string };
type Written = Placing & { balanceAfter: bigint };

/**
 * Each order in arrival order: answered with the order that holds its
 * idempotency key (found in the database, or placed earlier in the batch),
 * refused when the user is unknown or what the user's earlier orders left
 * does not cover it, placed otherwise.
 */
function decide(
  batch: readonly Placing[],
  keyed: readonly Order[],
  users: ReadonlyArray<Balances & { id: bigint }>,
): { decisions: Decision[]; written: Written[] } {
  const taken = new Map<string, Decision>(keyed.map((o) => [o.idempotency_key!, { existing: o }]));
  const balances = new Map(users.map((u): [bigint, Record<Currency, bigint>] => [u.id, { TRX: u.balance_sun, USDT: u.balance_micro_usdt }]));
  const written: Written[] = [];
  const decisions = batch.map(({ order, actor }): Decision => {
    const key = order.idempotency_key;
    const earlier = key === null ? undefined : taken.get(key);
    if (earlier !== undefined) return 'placed' in earlier ? { replayOf: earlier.placed } : earlier;
    const balance = balances.get(order.user_id);
    if (balance === undefined || balance[order.pay_currency] < order.price_sun) return { balance: balance?.[order.pay_currency] };
    balance[order.pay_currency] -= order.price_sun;
    written.push({ order, actor, balanceAfter: balance[order.pay_currency] });
    const placed = { placed: written.length - 1 };
    if (key !== null) taken.set(key, placed);
    return placed;
  });
  return { decisions, written };
}

/** The placed orders' debits, rows, ledger entries, first events and order.created, at one moment of the database clock. */
async function writePlaced(db: DbHandle, written: readonly Written[]): Promise<Order[]> {
  const now = (await dbNow.first(db, []))!.now;
  const debits = new Map<bigint, { id: bigint; sun: bigint; microUsdt: bigint }>();
  for (const { order } of written) {
    const d = debits.get(order.user_id) ?? { id: order.user_id, sun: 0n, microUsdt: 0n };
    if (order.pay_currency === 'TRX') d.sun += order.price_sun;
    else d.microUsdt += order.price_sun;
    debits.set(order.user_id, d);
  }
  await debitBalances(db, [...debits.values()], now);
  const orders = await insertOrders(
    db,
    written.map((w) => w.order),
    now,
  );
  const entries = written.map(
    (w): NewLedgerEntry => ({
      userId: w.order.user_id,
      kind: 'order_debit',
      currency: w.order.pay_currency,
      amountSun: -w.order.price_sun,
      balanceAfterSun: w.balanceAfter,
      orderId: w.order.id,
    }),
  );
  await recordLedgerEntries(db, entries, now);
  const events = written.map((w) => ({ order_id: w.order.id, from_status: null, to_status: 'pending' as const, reason: 'created', actor: w.actor, detail: null }));
  await insertOrderEvents(db, events, now);
  await recordOrderWebhooks(db, orders, 'order.created');
  return orders;
}
