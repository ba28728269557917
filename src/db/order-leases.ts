import { sql } from 'kysely';
import { WORKING_STATUSES } from '../domain/order-status.js';
import { DB_NOW_SQL, dbNow } from './clock.js';
import type { DbHandle, Dialect } from './connect.js';
import { ORDER_COLUMN_LIST, ORDER_COLUMNS, orderOf, type Order } from './orders.js';
import { columnsOf } from './columns.js';
import { HELD_FENCE, heldFence } from './order-writes.js';
import { preparedClaim, TAKE_LEASE } from './due-claims.js';
import { jsonRows, literalList, prepared, preparedPerDialect, unnestArrays } from './prepared.js';

/**
 * A worker's hold on an order: a lease on the database clock and a fencing
 * version. Every statement here is one guarded UPDATE; "no row back" means
 * someone else holds or moved the order.
 */

/**
 * An order is due when it has work left, nobody holds it (no lease, or an
 * expired one), its retry time has come, and — for an active rental — it
 * has expired. An active rental whose early cancel was asked for is due at
 * once, whatever retry time a worker that held it meanwhile gave it back with.
 * Written as text (`$now`: the database clock) for the statements prepared
 * once.
 */
const DUE = `status in (${literalList(WORKING_STATUSES)})
    and (lease_until is null or lease_until < $now)
    and (next_attempt_at is null or next_attempt_at <= $now or (status = 'active' and cancel_requested_at is not null))
    and (status <> 'active' or expires_at <= $now or cancel_requested_at is not null)`;

/**
 * How long until an order nobody holds becomes due (DUE, read the other
 * way round), in ms on the database clock; null when it is due already, held
 * by someone (whose own retry time stands), finished, or unknown. For a
 * claim that found it not yet due: a timer set on the event loop's clock,
 * which lags behind under load, can fire a little before the database says
 * the time has come, and must then be set again rather than dropped.
 */
export async function notYetDueInMs(db: DbHandle, orderId: string): Promise<number | null> {
  const row = await db.kysely
    .selectFrom('orders')
    .select(['status', 'lease_until', 'next_attempt_at', 'expires_at', 'cancel_requested_at', dbNow(db.dialect).as('now')])
    .where('id', '=', orderId)
    .executeTakeFirst();
  if (row === undefined || !(WORKING_STATUSES as readonly string[]).includes(row.status)) return null;
  const now = BigInt(row.now);
  if (row.lease_until !== null && BigInt(row.lease_until) >= now) return null;
  const active = row.status === 'active';
  if (active && row.cancel_requested_at !== null) return null;
  let dueAt = row.next_attempt_at === null ? now : BigInt(row.next_attempt_at);
  if (active && row.expires_at !== null && BigInt(row.expires_at) > dueAt) dueAt = BigInt(row.expires_at);
  return dueAt > now ? Number(dueAt - now) : null;
}

/** The UPDATE of a claim (its `?`: the owner, the lease's length, the order's id), for a statement that answers more (order-journal.ts). */
export const CLAIM = `update orders set ${TAKE_LEASE} where id = ? and ${DUE}`;
/** The same for many orders (its `?`: the owner, the lease's length, an array of the orders' ids). */
export const CLAIM_MANY = `update orders set ${TAKE_LEASE} where id = any(?::text[]) and ${DUE}`;

/**
 * Claims a due order: a lease until now + leaseMs on the database clock, and
 * lease_version + 1. Returns undefined when the order is not due or someone
 * else holds it. Run for every wake of an order: prepared once, as are the
 * renewal and the release below.
 */
const claimStatement = prepared<Order>(`${CLAIM} returning ${ORDER_COLUMNS}`);

export function claimOrder(db: DbHandle, orderId: string, owner: string, leaseMs: number): Promise<Order | undefined> {
  return claimStatement.first(db, [owner, BigInt(leaseMs), orderId]);
}

/** The claim's UPDATE of the candidates (its `?`: the owner, the lease's length). */
const CLAIM_DUE = `update orders set ${TAKE_LEASE} where id in (select id from due) and ${DUE} returning ${ORDER_COLUMNS}`;
/** Due orders, oldest first (its `?`: the limit). */
const claimDueStatement = preparedClaim<Order>(`select id from orders where ${DUE} order by id limit ?`, CLAIM_DUE);
/** The same, leaving out pending orders younger than a grace (its `?`: the grace, then the limit). */
const claimDuePastGraceStatement = preparedClaim<Order>(
  `select id from orders where ${DUE} and (status <> 'pending' or created_at <= $now - ?) order by id limit ?`,
  CLAIM_DUE,
);

/**
 * Claims up to `limit` due orders, oldest first, in one statement, each with
 * the same lease and version bump as claimOrder (preparedClaim). Pending
 * orders younger than `pendingGraceMs` are left out: with a queue, their
 * wake-up is on its way.
 */
export function claimDueOrders(db: DbHandle, owner: string, leaseMs: number, limit: number, pendingGraceMs = 0): Promise<Order[]> {
  const claim = [owner, BigInt(leaseMs)];
  return pendingGraceMs > 0
    ? claimDuePastGraceStatement.all(db, [BigInt(pendingGraceMs), limit, ...claim])
    : claimDueStatement.all(db, [limit, ...claim]);
}

/** Among orders named with a txid (its `?`: the pairs), those delegating on that transaction that nobody holds. */
const UNHELD_ON_THEIR_DELEGATION = `o.delegate_txid = l.txid and o.status = 'delegating' and (o.lease_until is null or o.lease_until < $now)`;
const unheldLandedStatement = preparedPerDialect<Record<string, unknown>>({
  // SKIP LOCKED: a row another statement is writing is its holder's (a claim, a release), never waited for.
  postgres: `select ${columnsOf(ORDER_COLUMN_LIST, 'o')}, $now as db_now from ${unnestArrays('text', 'text')} as l(id, txid)
    join orders o on o.id = l.id where ${UNHELD_ON_THEIR_DELEGATION} order by o.id for update of o skip locked`,
  sqlite: `select ${columnsOf(ORDER_COLUMN_LIST, 'o')}, $now as db_now from (select r.value ->> 0 as id, r.value ->> 1 as txid from json_each(?) r) as l
    join orders o on o.id = l.id where ${UNHELD_ON_THEIR_DELEGATION} order by o.id`,
});

/**
 * Of orders whose delegation has just landed (each named with the txid of
 * that delegation), those still delegating on it that nobody holds, read
 * in the caller's transaction and kept from every other writer until it
 * ends: on PostgreSQL their rows are locked (one another statement is
 * writing is skipped, left to its holder), on SQLite the transaction is
 * the only writer. So a write fenced on what this read (heldFence) cannot
 * be fenced out: the caller moves them as their holder would, without a
 * lease of its own. `now`: the database clock as the read was made.
 */
export async function unheldOnLandedDelegations(db: DbHandle, landed: ReadonlyArray<{ orderId: string; txid: string }>): Promise<{ orders: Order[]; now: bigint }> {
  if (landed.length === 0) return { orders: [], now: 0n };
  const params =
    db.dialect === 'postgres' ? [landed.map((l) => l.orderId), landed.map((l) => l.txid)] : [jsonRows(landed.map((l) => [l.orderId, l.txid]))];
  const rows = await unheldLandedStatement.all(db, params);
  return { orders: rows.map(orderOf), now: rows.length === 0 ? 0n : BigInt(rows[0]!.db_now as bigint) };
}

// Renewals and releases are fenced as every other write of a held order (HELD_FENCE): on the status
// too, not the version alone. The block follower moves an order whose lease ran out without a claim
// (unheldOnLandedDelegations), so the version alone would let its stalled holder write it after.
const renewStatement = prepared<{ lease_until: bigint | null }>(`update orders set lease_until = $now + ? ${HELD_FENCE} returning lease_until`);

/** Extends a held lease; returns the new lease_until, or undefined when the lease was lost. */
export async function renewLease(db: DbHandle, held: Order, leaseMs: number): Promise<bigint | undefined> {
  const row = await renewStatement.first(db, [BigInt(leaseMs), ...heldFence(held)]);
  return row?.lease_until ?? undefined;
}

export interface Release {
  /** Look again after this long (null: only when something wakes it). */
  retryInMs: number | null;
  waitReason: string | null;
  attempts?: bigint;
  reclaimAttempts?: bigint;
}

/**
 * The retry time a release writes: `retryInMs` from now (or none), unless
 * the row was made due while it was held (by makeOrdersDue or
 * wakeCapacityWaiters: a retry time, now come, set since the lease was last
 * taken or renewed). Then it stays due: the wake may carry news the step
 * that just ran had not read (a transaction the follower settled after the
 * step looked), and a step that waits for such a wake rather than polling
 * must not lose it. The lease's start is read from the row: lease_until less
 * the lease's length. Its two `?`: the lease's length, the retry (null: none).
 */
const RETRY_ON_RELEASE = 'case when next_attempt_at >= lease_until - ? and next_attempt_at <= $now then next_attempt_at else $now + ? end';

export function retryOnRelease(dialect: Dialect, leaseMs: number, retryInMs: number | null) {
  const [lease, retry, end] = RETRY_ON_RELEASE.replaceAll('$now', DB_NOW_SQL[dialect]).split('?') as [string, string, string];
  return sql<bigint | null>`${sql.raw(lease)}${BigInt(leaseMs)}${sql.raw(retry)}${retryInMs === null ? null : BigInt(retryInMs)}${sql.raw(end)}`;
}

/**
 * What a release writes: no lease, the retry time (RETRY_ON_RELEASE), the
 * wait reason. Its `?`: the lease's length, the retry (null: none), the wait
 * reason. Also written by a step whose own write gives the order back.
 */
export const RELEASE_SET = `lease_owner = null, lease_until = null, next_attempt_at = ${RETRY_ON_RELEASE}, wait_reason = ?`;

/** Its parameters: RELEASE_SET's three, the counts (null: left as they are). */
const releaseStatement = prepared(
  `update orders set ${RELEASE_SET}, attempts = coalesce(?, attempts), reclaim_attempts = coalesce(?, reclaim_attempts)
   ${HELD_FENCE}`,
);

/** Gives a held order back. Fenced: releasing a lease we no longer hold does nothing. */
export async function releaseOrder(db: DbHandle, held: Order, leaseMs: number, r: Release): Promise<void> {
  await releaseStatement.run(db, [
    BigInt(leaseMs),
    r.retryInMs === null ? null : BigInt(r.retryInMs),
    r.waitReason,
    r.attempts ?? null,
    r.reclaimAttempts ?? null,
    ...heldFence(held),
  ]);
}

/**
 * Makes orders due now (their transaction settled: someone should look).
 * Leases are left alone: a worker holding one gives it back due (see
 * retryOnRelease), and is woken in its own process.
 */
export async function makeOrdersDue(db: DbHandle, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await db.kysely.updateTable('orders').set({ next_attempt_at: dbNow(db.dialect) }).where('id', 'in', orderIds).execute();
}

/** Orders waiting for pool capacity become due now: a reclaim has just given stake back. */
export async function wakeCapacityWaiters(db: DbHandle): Promise<void> {
  await db.kysely
    .updateTable('orders')
    .set({ next_attempt_at: dbNow(db.dialect) })
    .where('status', '=', 'pending')
    .where('wait_reason', '=', 'waiting_for_pool_capacity')
    .execute();
}
