import type { Selectable } from 'kysely';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import type { LedgerEntriesTable, UsersTable } from './schema.js';

export type User = Selectable<UsersTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;

export function findUser(db: DbHandle, id: bigint): Promise<User | undefined> {
  return db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** By id, ascending; `afterId` is the keyset cursor (the last id of the previous page). */
export function listUsers(db: DbHandle, limit: number, afterId?: bigint): Promise<User[]> {
  let q = db.kysely.selectFrom('users').selectAll();
  if (afterId !== undefined) q = q.where('id', '>', afterId);
  return q.orderBy('id', 'asc').limit(limit).execute();
}

/** Creates the user with a zero balance if it does not exist yet. */
export async function ensureUser(db: DbHandle, id: bigint): Promise<void> {
  await db.kysely
    .insertInto('users')
    .values({ id, balance_sun: 0n, created_at: dbNow(db.dialect), updated_at: dbNow(db.dialect) })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Highest balance a user may hold: far below int64, so no sum of entries can overflow. */
export const MAX_BALANCE_SUN = 1_000_000_000_000_000_000n;

/**
 * Adds `delta` (signed) to the balance, refusing to go below zero or above
 * MAX_BALANCE_SUN. Returns the new balance, or undefined when the change is
 * refused (or the user does not exist).
 */
export async function changeBalance(
  db: DbHandle,
  id: bigint,
  delta: bigint,
): Promise<bigint | undefined> {
  let q = db.kysely
    .updateTable('users')
    .set((eb) => ({ balance_sun: eb('balance_sun', '+', delta), updated_at: dbNow(db.dialect) }))
    .where('id', '=', id);
  q = delta < 0n ? q.where('balance_sun', '>=', -delta) : q.where('balance_sun', '<=', MAX_BALANCE_SUN - delta);
  const row = await q.returning('balance_sun').executeTakeFirst();
  return row?.balance_sun;
}

export interface NewLedgerEntry {
  userId: bigint;
  kind: LedgerEntry['kind'];
  amountSun: bigint;
  balanceAfterSun: bigint;
  orderId?: string | null;
  reference?: string | null;
}

export function insertLedgerEntry(db: DbHandle, e: NewLedgerEntry): Promise<LedgerEntry> {
  return ledgerInsert(db, e).returningAll().executeTakeFirstOrThrow();
}

/** The same, when the caller does not need the row back (the order path: one less row to read). */
export async function recordLedgerEntry(db: DbHandle, e: NewLedgerEntry): Promise<void> {
  await ledgerInsert(db, e).execute();
}

function ledgerInsert(db: DbHandle, e: NewLedgerEntry) {
  return db.kysely
    .insertInto('ledger_entries')
    .values({
      user_id: e.userId,
      kind: e.kind,
      amount_sun: e.amountSun,
      balance_after_sun: e.balanceAfterSun,
      order_id: e.orderId ?? null,
      reference: e.reference ?? null,
      created_at: dbNow(db.dialect),
    });
}

export function findDepositByReference(db: DbHandle, reference: string): Promise<LedgerEntry | undefined> {
  return db.kysely
    .selectFrom('ledger_entries')
    .selectAll()
    .where('kind', '=', 'deposit')
    .where('reference', '=', reference)
    .executeTakeFirst();
}

/** Newest first; `beforeId` is the keyset cursor (the last id of the previous page). */
export function listLedger(
  db: DbHandle,
  userId: bigint,
  limit: number,
  beforeId?: bigint,
): Promise<LedgerEntry[]> {
  let q = db.kysely.selectFrom('ledger_entries').selectAll().where('user_id', '=', userId);
  if (beforeId !== undefined) q = q.where('id', '<', beforeId);
  return q.orderBy('id', 'desc').limit(limit).execute();
}
