import type { Selectable } from 'kysely';
import type { Owner } from '../domain/tenant.js';
import type { DbHandle } from './connect.js';
import type { OrderStatus } from '../domain/order-status.js';
import { columnReader, columnsOf, everyColumn } from './columns.js';
import { newestFirst, type Match } from './newest-first.js';
import { prepared, preparedLock, preparedRows, unnestArrays } from './prepared.js';
import { orderEventType } from '../domain/webhook-events.js';
import { recordOrderWebhook } from './webhook-outbox.js';
import { POOL_SNAPSHOT_COLUMN_LIST, TRANSACTIONS_PAYABLE, type PoolSnapshot } from './pool-snapshots.js';
import type { OrderEventsTable, OrdersTable } from './schema.js';

export type Order = Selectable<OrdersTable>;
export type OrderEvent = Selectable<OrderEventsTable>;

/** A new order's own fields; created_at and updated_at are the database clock's now. */
export type NewOrder = Pick<
  Order,
  | 'id'
  | 'user_id'
  | 'tenant_id'
  | 'status'
  | 'energy_amount'
  | 'duration'
  | 'duration_seconds'
  | 'receive_address'
  | 'pay_currency'
  | 'price_sun'
  | 'rate_sun_per_energy_day'
  | 'idempotency_key'
  | 'request_hash'
> & { payment_txid?: string | null };

/** Every column of orders, named, for the statements PostgreSQL keeps prepared (columns.ts). */
export const ORDER_COLUMN_LIST = everyColumn<OrdersTable>()([
  'id',
  'user_id',
  'tenant_id',
  'status',
  'energy_amount',
  'duration',
  'duration_seconds',
  'receive_address',
  'pay_currency',
  'price_sun',
  'rate_sun_per_energy_day',
  'idempotency_key',
  'request_hash',
  'pool_address',
  'delegated_sun',
  'delivered_energy',
  'delegate_txid',
  'reclaim_txid',
  'lease_owner',
  'lease_until',
  'lease_version',
  'attempts',
  'next_attempt_at',
  'error_code',
  'error_message',
  'refunded_sun',
  'created_at',
  'updated_at',
  'delegated_at',
  'expires_at',
  'reclaimed_at',
  'completed_at',
  'failed_at',
  'delegate_tx_status',
  'reclaim_tx_status',
  'lock_blocks',
  'wait_reason',
  'reclaim_attempts',
  'payment_txid',
  'cancel_requested_at',
  'cancelled_at',
]);
export const ORDER_COLUMNS = columnsOf(ORDER_COLUMN_LIST);
/** An order out of a statement's row that answered more beside it (columnReader). */
export const orderOf = columnReader<Order>(ORDER_COLUMN_LIST);

/** The columns a new order's own fields go to (insertedValues). */
const INSERTED_COLUMNS = `id, user_id, tenant_id, status, energy_amount, duration, duration_seconds, receive_address, pay_currency, price_sun,
  rate_sun_per_energy_day, idempotency_key, request_hash, payment_txid`;

// Once per order placed: prepared once, not built per call. It answers only
// the database clock's now: the rest of the row is what was written and the
// columns' defaults (insertedOrder), and reading forty columns back into an
// object cost more than the insert's indexes (docs/BENCHMARKS.md).
const insertOrderStatement = prepared<{ created_at: bigint }>(
  `insert into orders (${INSERTED_COLUMNS}, created_at, updated_at)
   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, $now, $now) returning created_at`,
);

/** A new order's values, in the order of INSERTED_COLUMNS. */
const insertedValues = (o: NewOrder) => [
  o.id,
  o.user_id,
  o.tenant_id,
  o.status,
  o.energy_amount,
  o.duration,
  o.duration_seconds,
  o.receive_address,
  o.pay_currency,
  o.price_sun,
  o.rate_sun_per_energy_day,
  o.idempotency_key,
  o.request_hash,
  o.payment_txid ?? null,
];

export async function insertOrder(db: DbHandle, o: NewOrder): Promise<Order> {
  const row = await insertOrderStatement.first(db, insertedValues(o));
  if (row === undefined) throw new Error(`order ${o.id}: the insert returned no row`);
  return insertedOrder(o, BigInt(row.created_at));
}

// SQLite only: the orders placed together in one turn (sqlite-placement-batches.ts); then created_at and updated_at.
const insertOrdersStatement = preparedRows((values) => `insert into orders (${INSERTED_COLUMNS}, created_at, updated_at) values ${values}`, 16);

/**
 * SQLite: many new orders in one statement, all created at `now` (the
 * database clock's, read by the caller in the same transaction). Answers
 * their rows, in the same order.
 */
export async function insertOrders(db: DbHandle, orders: readonly NewOrder[], now: bigint): Promise<Order[]> {
  await insertOrdersStatement.run(
    db,
    orders.map((o) => [...insertedValues(o), now, now]),
  );
  return orders.map((o) => insertedOrder(o, now));
}

/**
 * The row a new order is once inserted: its own fields, the columns'
 * defaults (migrations 001–015), created_at and updated_at the insert's now.
 * Keys in column order, as a row read back has them.
 */
function insertedOrder(o: NewOrder, now: bigint): Order {
  return {
    id: o.id,
    user_id: o.user_id,
    tenant_id: o.tenant_id,
    status: o.status,
    energy_amount: o.energy_amount,
    duration: o.duration,
    duration_seconds: o.duration_seconds,
    receive_address: o.receive_address,
    pay_currency: o.pay_currency,
    price_sun: o.price_sun,
    rate_sun_per_energy_day: o.rate_sun_per_energy_day,
    idempotency_key: o.idempotency_key,
    request_hash: o.request_hash,
    pool_address: null,
    delegated_sun: null,
    delivered_energy: null,
    delegate_txid: null,
    reclaim_txid: null,
    lease_owner: null,
    lease_until: null,
    lease_version: 0n,
    attempts: 0n,
    next_attempt_at: null,
    error_code: null,
    error_message: null,
    refunded_sun: null,
    created_at: now,
    updated_at: now,
    delegated_at: null,
    expires_at: null,
    reclaimed_at: null,
    completed_at: null,
    failed_at: null,
    delegate_tx_status: null,
    reclaim_tx_status: null,
    lock_blocks: null,
    wait_reason: null,
    reclaim_attempts: 0n,
    payment_txid: o.payment_txid ?? null,
    cancel_requested_at: null,
    cancelled_at: null,
  };
}

export function findOrder(db: DbHandle, id: string): Promise<Order | undefined> {
  return db.kysely.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
}

// Asked in the transaction of every keyed order placed on SQLite: prepared once.
const orderByIdempotencyKey = prepared<Order>(`select ${ORDER_COLUMNS} from orders where idempotency_key = ?`);

export function findOrderByIdempotencyKey(db: DbHandle, key: string): Promise<Order | undefined> {
  return orderByIdempotencyKey.first(db, [key]);
}

// SQLite only: the keyed orders of one turn's placements asked at once.
const ordersByIdempotencyKeys = prepared<Order>(
  `select ${ORDER_COLUMNS} from orders where idempotency_key in (select r.value from json_each(?) r)`,
  { only: 'sqlite' },
);

/** SQLite: the orders holding any of these idempotency keys. */
export function findOrdersByIdempotencyKeys(db: DbHandle, keys: readonly string[]): Promise<Order[]> {
  return ordersByIdempotencyKeys.all(db, [JSON.stringify(keys)]);
}

export interface OrderFilter {
  userId?: bigint | undefined;
  /** Orders of this tenant (placed by its keys, for its users). */
  tenantId?: string | undefined;
  status?: OrderStatus | undefined;
  receiveAddress?: string | undefined;
  /** Keyset cursor: only orders with an id below this one (ids are time-ordered). */
  beforeId?: string | undefined;
  limit: number;
}

/**
 * Newest first. The page is read from the index of the narrowest filter
 * given (newestFirst): a user's, a receiver's, a status's, then a tenant's,
 * each indexed with the id; the other filters are checked on its rows.
 */
export function listOrders(db: DbHandle, f: OrderFilter): Promise<Order[]> {
  const byNarrowness: Array<readonly [string, string | bigint | undefined]> = [
    ['user_id', f.userId],
    ['receive_address', f.receiveAddress],
    ['status', f.status],
    ['tenant_id', f.tenantId],
  ];
  const [narrowest, ...others] = byNarrowness.filter((filter): filter is Match => filter[1] !== undefined);
  let q = db.kysely.selectFrom('orders').selectAll();
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return (narrowest === undefined ? q.orderBy('id', 'desc') : newestFirst(db.dialect, q, narrowest, others)).limit(f.limit).execute();
}

/** An event's own fields; `at` is the database clock's now (detail: JSON text, or null). */
export type NewOrderEvent = Omit<OrderEvent, 'id' | 'at'>;

// Written with every status change: prepared once. `at` is the database clock's now.
const insertOrderEventStatement = prepared(
  'insert into order_events (order_id, from_status, to_status, reason, actor, detail, at) values (?, ?, ?, ?, ?, ?, $now)',
);

// SQLite only: many events at once.
const insertOrderEventsStatement = preparedRows((values) => `insert into order_events (order_id, from_status, to_status, reason, actor, detail, at) values ${values}`, 7);

/**
 * SQLite: many event rows in one statement, all at `now`; their webhooks are
 * the caller's (recordOrderWebhooks).
 */
export async function insertOrderEvents(db: DbHandle, events: readonly NewOrderEvent[], now: bigint): Promise<void> {
  await insertOrderEventsStatement.run(
    db,
    events.map((e) => [e.order_id, e.from_status, e.to_status, e.reason, e.actor, e.detail, now]),
  );
}

/**
 * Every status change of an order writes its event row here, in the
 * transaction of the change (after the order's own write); the changes a
 * tenant hears about by webhook are written to the outbox alongside.
 * `order`: the order's row as it stands in this transaction, when the caller
 * has it (a new order): its webhook event is written from it instead of
 * reading it again.
 */
export async function insertOrderEvent(db: DbHandle, event: NewOrderEvent, order?: Order): Promise<void> {
  await insertOrderEventStatement.run(db, [event.order_id, event.from_status, event.to_status, event.reason, event.actor, event.detail]);
  await recordOrderEventWebhook(db, event, order);
}

/**
 * The outbox's half of insertOrderEvent, for a caller whose own statement
 * wrote the event row (and may have learnt the webhook owner: `owner`, as
 * recordOrderWebhook takes it).
 */
export async function recordOrderEventWebhook(
  db: DbHandle,
  event: Pick<NewOrderEvent, 'order_id' | 'from_status' | 'to_status' | 'reason'>,
  order?: Order,
  owner?: Owner | null,
): Promise<void> {
  const type = orderEventType(event.to_status, event.reason, event.from_status);
  if (type !== undefined) await recordOrderWebhook(db, order ?? event.order_id, type, owner);
}

export function listOrderEvents(db: DbHandle, orderId: string): Promise<OrderEvent[]> {
  return db.kysely.selectFrom('order_events').selectAll().where('order_id', '=', orderId).orderBy('id', 'asc').execute();
}

/**
 * A rental of ours under way on its pool, from its delegation to its
 * reclaim: the predicate of the partial index orders_under_way_by_pool
 * (migration 021), word for word, as literals, so the database knows the
 * index answers a read that repeats it.
 */
const UNDER_WAY = "status in ('delegating', 'active', 'reclaiming')";

/**
 * Over a pool's rentals under way (orders as `o`, joined to the pool where
 * o.${UNDER_WAY}, so that a pool with none is one row of nulls): the sun its
 * delegating ones reserved, and the transactions they all still owe it
 * (canTakeRental's `owed`): RENTAL_TRANSACTIONS for each delegating (its
 * delegation is charged to the pool's snapshot once confirmed), a reclaim
 * for each active or reclaiming. Read through the join, the pool's rentals
 * come from orders_under_way_by_pool alone; grouped over orders, SQLite would
 * read each one's row through orders_status.
 */
const HELD_ON_POOL = `coalesce(sum(case when o.status = 'delegating' then o.delegated_sun end), 0) as total,
     count(o.pool_address) + count(case when o.status = 'delegating' then 1 end) as owed`;

/**
 * A rental of ours under way with a lock: the predicate of the partial index
 * orders_locked_receiver (migration 017), word for word, as UNDER_WAY's.
 */
const LOCKED_RENTAL_UNDER_WAY = `${UNDER_WAY} and lock_blocks is not null`;

/** A locked rental of ours under way from `pool` to `receiver` (SQL: a `?` or a column each), for an `exists`. */
export const lockedRentalOn = (receiver: string, pool: string) =>
  `select 1 from orders where receive_address = ${receiver} and pool_address = ${pool} and ${LOCKED_RENTAL_UNDER_WAY}`;

/**
 * A pool's room as a reservation checks it (its `?`: the pool, then the
 * receiver of a locked delegation, null for an unlocked one): `total`, what
 * its delegating orders have reserved, `delegatable`, what its snapshot says
 * it can delegate (0 until the pool was first read), `locked`, whether it
 * carries a locked rental of ours to that receiver already, and `owed` and
 * `payable`, the transactions our orders on it still owe and those its
 * snapshot can pay for (null: not read yet, or a chain that burns nothing).
 * Read inside
 * the reservation's statement on PostgreSQL (order-writes.ts), in its
 * transaction on SQLite, under the pool's lock either way. Both figures come
 * from one snapshot of the database because a confirmed delegation takes
 * its stake off both in one write: its order leaves `delegating` and the
 * pool's snapshot lowers `delegatable_sun` (STAKE_MOVE). Read apart, a
 * confirmation between the two reads would count that stake as free twice.
 * `locked` is checked here as well as by the pool choice because two orders
 * to one receiver chosen at once both see no lock: a second locked
 * delegation from one pool to one receiver restarts the pair's lock (the
 * first rental's reclaim then waits for the second's end) or, shorter than
 * what is left of it, is refused by the chain. `owed` is checked here for
 * the same reason: orders chosen at once each see the pool pay for theirs.
 */
export const ROOM_ON_POOL = `select p.address, ${HELD_ON_POOL},
     coalesce((select delegatable_sun from pool_snapshots where address = p.address and observed_at is not null), 0) as delegatable,
     (select ${TRANSACTIONS_PAYABLE} from pool_snapshots where address = p.address and observed_at is not null) as payable,
     exists (${lockedRentalOn('p.receiver', 'p.address')}) as locked
   from (select cast(? as text) as address, cast(? as text) as receiver) as p
   left join orders o on o.pool_address = p.address and o.${UNDER_WAY}
   group by p.address, p.receiver`;
type RoomRow = { total: bigint | string; owed: bigint | string; delegatable: bigint | string; payable: bigint | string | null; locked: boolean | bigint };
const roomOnPoolStatement = prepared<RoomRow>(ROOM_ON_POOL);
/**
 * What our unconfirmed delegations have reserved, and the transactions our
 * rentals under way still owe, by pool with a snapshot (also read as a
 * materialized CTE by statements that read it for many orders).
 */
export const RESERVED_BY_POOL = `select p.address as pool_address, ${HELD_ON_POOL}
   from pool_snapshots p left join orders o on o.pool_address = p.address and o.${UNDER_WAY}
   group by p.address`;
const reservedByPoolStatement = prepared<{ pool_address: string | null; total: bigint | string; owed: bigint | string }>(RESERVED_BY_POOL);

/** A pool's room as it reads on PostgreSQL and SQLite alike. */
export interface RoomOnPool {
  /** The sun our unconfirmed delegations reserved on it. */
  reserved: bigint;
  /** What its snapshot says it can delegate. */
  delegatable: bigint;
  /** Whether it carries a locked rental of ours to the receiver asked about. */
  locked: boolean;
  /** The transactions our orders on it still owe (canTakeRental's `owed`). */
  owed: bigint;
  /** The transactions its snapshot can pay for; null: no limit known (not read yet, or no fee burnt). */
  payable: bigint | null;
}

/** A row of ROOM_ON_POOL's columns, as either dialect answers them (SQLite's `exists` is an integer). */
export const roomOf = (row: RoomRow): RoomOnPool => ({
  reserved: BigInt(row.total),
  delegatable: BigInt(row.delegatable),
  locked: row.locked === true || row.locked === 1n,
  owed: BigInt(row.owed),
  payable: row.payable === null ? null : BigInt(row.payable),
});

/** A pool's room as a reservation checks it (ROOM_ON_POOL); `lockedTo`: the receiver of a locked delegation, to ask whether one is there already. */
export async function roomOnPool(db: DbHandle, pool: string, lockedTo: string | null = null): Promise<RoomOnPool> {
  return roomOf((await roomOnPoolStatement.first(db, [pool, lockedTo]))!);
}

/** What our orders hold on a pool: the sun their unconfirmed delegations reserved, the transactions they still owe it. */
export interface HeldOnPool {
  reservedSun: bigint;
  owedTransactions: bigint;
}

/** What our orders hold on each pool with a snapshot, in one statement. */
export async function heldByPool(db: DbHandle): Promise<Map<string, HeldOnPool>> {
  const rows = await reservedByPoolStatement.all(db, []);
  return new Map(
    rows.filter((r) => r.pool_address !== null).map((r) => [r.pool_address!, { reservedSun: BigInt(r.total), owedTransactions: BigInt(r.owed) }]),
  );
}

/**
 * Our locked rentals to a receiver under way, by pool (`receiver` and
 * `exceptOrder`, an order not to count: SQL, a `?` or a column of the
 * statement it goes in). Read through orders_locked_receiver (migration
 * 017), which holds only rentals under way with a lock, so the read costs
 * the receiver's rentals now, not every order it was ever sent.
 */
const lockedRentalsByPool = (receiver: string, exceptOrder: string) => `select pool_address, count(*) as n from orders
   where receive_address = ${receiver} and ${LOCKED_RENTAL_UNDER_WAY} and id <> ${exceptOrder}
   group by pool_address`;

/** A pool's snapshot, and what our own orders hold on it. */
export interface PoolStanding {
  snapshot: PoolSnapshot;
  /** Sun our delegating orders have reserved on it (heldByPool). */
  reservedSun: bigint;
  /** The transactions our orders on it still owe (heldByPool). */
  owedTransactions: bigint;
  /** Our locked rentals to the receiver asked about that it carries. */
  lockedRentals: number;
}

/** A row of the pool choice's read (poolStandingsOf). */
export type PoolStandingRow = PoolSnapshot & { reserved_sun: bigint | string; owed_transactions: bigint | string; locked_rentals: bigint | number };

/**
 * The pool choice's read (listPoolStandings) for `receiver` and
 * `exceptOrder` as SQL (lockedRentalsByPool's), its rows PoolStandingRow:
 * written once, also read by the claim of a pending order
 * (claimOrderAndJournal). `reserved`: where the reserved sums come from (a
 * CTE's name, for a statement that reads them once for many orders).
 */
export const poolStandingsOf = (receiver: string, exceptOrder: string, reserved = `(${RESERVED_BY_POOL})`) =>
  `select ${columnsOf(POOL_SNAPSHOT_COLUMN_LIST, 'p')}, coalesce(r.total, 0) as reserved_sun, coalesce(r.owed, 0) as owed_transactions, coalesce(l.n, 0) as locked_rentals
   from pool_snapshots p
   left join ${reserved} r on r.pool_address = p.address
   left join (${lockedRentalsByPool(receiver, exceptOrder)}) l on l.pool_address = p.address`;

/** A row of that read as the pool choice takes it. */
export const poolStanding = ({ reserved_sun: reserved, owed_transactions: owed, locked_rentals: locked, ...snapshot }: PoolStandingRow): PoolStanding => ({
  snapshot,
  reservedSun: BigInt(reserved),
  owedTransactions: BigInt(owed),
  lockedRentals: Number(locked),
});

/** Run for every order the engine plans: prepared once. */
const poolStandingsStatement = prepared<PoolStandingRow>(`${poolStandingsOf('?', '?')}
   order by p.address`);

/**
 * What a pool choice reads, in one statement rather than three: every pool
 * snapshot, by address, with the sun our delegating orders have reserved on
 * it and, for `receiver` (null: none asked), how many of our locked rentals
 * to it the pool carries besides `exceptOrder`'s. A pool our orders use but
 * that has no snapshot is not listed: it has no room to offer.
 */
export async function listPoolStandings(db: DbHandle, receiver: string | null, exceptOrder: string): Promise<PoolStanding[]> {
  return (await poolStandingsStatement.all(db, [receiver, exceptOrder])).map(poolStanding);
}

/**
 * PostgreSQL: listPoolStandings for many orders at once (its `?`: an array
 * of receivers, null for none, and one of the orders not to count), a row
 * per order and pool, each order's in the pools' order. The snapshots and
 * the reserved sums are read once for all; the locked rentals, for each
 * order's receiver.
 */
const poolStandingsForEachStatement = prepared<PoolStandingRow & { for_order: string }>(
  `with q as (select * from ${unnestArrays('text', 'text')} as q(receiver, except_order)),
     r as materialized (${RESERVED_BY_POOL})
   select q.except_order as for_order, ${columnsOf(POOL_SNAPSHOT_COLUMN_LIST, 'p')},
     coalesce(r.total, 0) as reserved_sun, coalesce(r.owed, 0) as owed_transactions, coalesce(l.n, 0) as locked_rentals
   from q cross join pool_snapshots p
   left join r on r.pool_address = p.address
   left join lateral (${lockedRentalsByPool('q.receiver', 'q.except_order')}) l on l.pool_address = p.address
   order by q.except_order, p.address`,
);

/** listPoolStandings for each of `asks` in one statement (PostgreSQL only): the standings by the order asked for. */
export async function listPoolStandingsForEach(db: DbHandle, asks: ReadonlyArray<{ receiver: string | null; exceptOrder: string }>): Promise<Map<string, PoolStanding[]>> {
  const rows = await poolStandingsForEachStatement.all(db, [asks.map((a) => a.receiver), asks.map((a) => a.exceptOrder)]);
  const byOrder = new Map<string, PoolStanding[]>(asks.map((a) => [a.exceptOrder, []]));
  for (const { for_order: order, ...row } of rows) byOrder.get(order)?.push(poolStanding(row));
  return byOrder;
}

/** Goes out with the reservation's next statement, the sum it guards (preparedLock). */
const poolLock = preparedLock('select pg_advisory_xact_lock(hashtext(?))');

/**
 * Serialises reservations on one pool until the caller's transaction ends,
 * so two workers cannot both spend the same room: a transaction-scoped
 * advisory lock on PostgreSQL; nothing on SQLite, whose one writer already
 * serialises them.
 */
export async function lockPoolReservations(db: DbHandle, pool: string): Promise<void> {
  if (db.dialect === 'postgres') await poolLock.take(db, [pool]);
}

/** The order a flash-rent transfer paid for, if it became one. */
export function findOrderByPaymentTxid(db: DbHandle, paymentTxid: string): Promise<Order | undefined> {
  return db.kysely.selectFrom('orders').selectAll().where('payment_txid', '=', paymentTxid).executeTakeFirst();
}
