import { sql, type Kysely } from 'kysely';
import { dbNow } from '../db/clock.js';
import type { Db, Dialect } from '../db/connect.js';
import type { Order } from '../db/orders.js';
import type { Database } from '../db/schema.js';
import { LeaseLostError } from './errors.js';

/** Statuses in which an order has work left for a worker. */
export const WORKING_STATUSES = ['pending', 'delegating', 'active', 'reclaiming'] as const;

/**
 * An order is due when nobody holds it (no lease, or an expired one), its
 * retry time has come, and — for an active rental — it has expired.
 */
function whereDue(dialect: Dialect) {
  const now = dbNow(dialect);
  return sql<boolean>`status in ('pending', 'delegating', 'active', 'reclaiming')
    and (lease_until is null or lease_until < ${now})
    and (next_attempt_at is null or next_attempt_at <= ${now})
    and (status <> 'active' or expires_at <= ${now})`;
}

export interface DueOrder {
  id: string;
  status: Order['status'];
  /** Never claimed yet: nothing (queue, in-process dispatch) has taken it so far. */
  untouched: boolean;
}

/**
 * Claims a due order with one conditional UPDATE: a lease until now +
 * leaseMs on the database clock, and lease_version + 1. Every later write is
 * fenced on that version, so a claim that loses (or a lease that runs out)
 * can change nothing. Returns undefined when the order is not due or someone
 * else holds it.
 */
export async function claimOrder(db: Db, orderId: string, owner: string, leaseMs: number): Promise<Order | undefined> {
  return db.kysely
    .updateTable('orders')
    .set((eb) => ({
      lease_owner: owner,
      lease_until: sql<bigint>`${dbNow(db.dialect)} + ${BigInt(leaseMs)}`,
      lease_version: eb('lease_version', '+', 1n),
    }))
    .where('id', '=', orderId)
    .where(whereDue(db.dialect))
    .returningAll()
    .executeTakeFirst();
}

/**
 * Extends a held lease before another step, so a pass longer than the lease
 * (slow node calls) keeps its order. Returns the order with its new
 * lease_until; throws LeaseLostError when someone else took it meanwhile.
 */
export async function renewLease(db: Db, held: Order, leaseMs: number): Promise<Order> {
  const row = await db.kysely
    .updateTable('orders')
    .set({ lease_until: sql<bigint>`${dbNow(db.dialect)} + ${BigInt(leaseMs)}` })
    .where('id', '=', held.id)
    .where('lease_version', '=', held.lease_version)
    .returning('lease_until')
    .executeTakeFirst();
  if (!row) throw new LeaseLostError(held.id);
  return { ...held, lease_until: row.lease_until };
}

/**
 * Gives the order back, to be picked up again after `retryInMs` (by the
 * sweeper or a timer). Fenced: releasing a lease we no longer hold does nothing.
 */
export async function releaseOrder(
  db: Db,
  held: Order,
  retryInMs: number | null,
  waitReason: string | null,
  extra: { attempts?: bigint; reclaimAttempts?: bigint } = {},
): Promise<void> {
  await db.kysely
    .updateTable('orders')
    .set({
      lease_owner: null,
      lease_until: null,
      next_attempt_at: retryInMs === null ? null : sql<bigint>`${dbNow(db.dialect)} + ${BigInt(retryInMs)}`,
      wait_reason: waitReason,
      ...(extra.attempts === undefined ? {} : { attempts: extra.attempts }),
      ...(extra.reclaimAttempts === undefined ? {} : { reclaim_attempts: extra.reclaimAttempts }),
    })
    .where('id', '=', held.id)
    .where('lease_version', '=', held.lease_version)
    .execute();
}

/** The database clock when the order was claimed: the lease runs from there, so `now` needs no second clock. */
export const claimedAt = (held: Order, leaseMs: number): bigint => held.lease_until! - BigInt(leaseMs);

/**
 * PostgreSQL only: claims up to `limit` due orders in one statement. The
 * candidates are locked with FOR UPDATE SKIP LOCKED, so sweepers running at
 * once each take different rows instead of racing for the same ones; each
 * row gets the same lease and version bump as claimOrder. (SQLite has no
 * row locks: there the sweeper finds ids and claims them one by one.)
 */
export async function claimDueBatch(db: Db, owner: string, leaseMs: number, limit: number, pendingGraceMs = 0): Promise<Order[]> {
  if (db.dialect !== 'postgres') throw new Error('claimDueBatch needs PostgreSQL');
  const now = dbNow(db.dialect);
  return db.kysely
    .updateTable('orders')
    .set((eb) => ({
      lease_owner: owner,
      lease_until: sql<bigint>`${now} + ${BigInt(leaseMs)}`,
      lease_version: eb('lease_version', '+', 1n),
    }))
    .where('id', 'in', (eb) => {
      let q = eb.selectFrom('orders').select('id').where(whereDue(db.dialect));
      if (pendingGraceMs > 0) q = q.where(sql<boolean>`(status <> 'pending' or created_at <= ${now} - ${BigInt(pendingGraceMs)})`);
      return q.orderBy('id').limit(limit).forUpdate().skipLocked();
    })
    .where(whereDue(db.dialect))
    .returningAll()
    .execute();
}

/** Ids of due orders, oldest first, for the sweeper. */
export async function findDueOrders(db: Kysely<Database>, dialect: Dialect, limit: number, pendingGraceMs = 0): Promise<string[]> {
  return (await findDueWork(db, dialect, limit, pendingGraceMs)).map((r) => r.id);
}

/**
 * Due orders, oldest first. Pending orders younger than `pendingGraceMs`
 * are left out: with a queue, their wake-up is on its way.
 */
export async function findDueWork(db: Kysely<Database>, dialect: Dialect, limit: number, pendingGraceMs = 0): Promise<DueOrder[]> {
  let q = db.selectFrom('orders').select(['id', 'status', 'lease_version']).where(whereDue(dialect));
  if (pendingGraceMs > 0) q = q.where(sql<boolean>`(status <> 'pending' or created_at <= ${dbNow(dialect)} - ${BigInt(pendingGraceMs)})`);
  const rows = await q.orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, status: r.status, untouched: r.status === 'pending' && BigInt(r.lease_version) === 0n }));
}
