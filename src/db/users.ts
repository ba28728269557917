import type { Selectable } from 'kysely';
import { DEFAULT_TENANT } from '../domain/tenant.js';
import { byCurrency, MAX_BALANCE, type Currency } from '../domain/currency.js';
import { WORKING_STATUSES } from '../domain/order-status.js';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import { holding, newestFirst } from './newest-first.js';
import { jsonRows, literalList, prepared, preparedRows } from './prepared.js';
import type { LedgerEntriesTable, UsersTable } from './schema.js';

export type User = Selectable<UsersTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;

export function findUser(db: DbHandle, id: bigint): Promise<User | undefined> {
  return db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Users by id, ascending; `afterId` is the keyset cursor (the last id of the
 * previous page). With `tenantId`, that tenant's only: the default tenant's
 * rows are at zero and above; another's are mapped in tenant_users, walked
 * in its (tenant_id, user_id) index so that a page reads its own rows
 * however many users the tenant has.
 */
export function listUsers(db: DbHandle, limit: number, afterId?: bigint, tenantId?: string): Promise<User[]> {
  if (tenantId === undefined || tenantId === DEFAULT_TENANT) {
    let q = db.kysely.selectFrom('users').selectAll();
    if (afterId !== undefined) q = q.where('id', '>', afterId);
    if (tenantId === DEFAULT_TENANT) q = q.where('id', '>=', 0n);
    return q.orderBy('id', 'asc').limit(limit).execute();
  }
  // The page's ids first, then their rows: joined whole, PostgreSQL merges
  // with the users index walked from its start. The tenant is matched with
  // `holding`: with a plain equality, PostgreSQL may walk tenant_users by
  // user id from the cursor and keep the tenant's rows.
  let ids = holding(db.dialect, db.kysely.selectFrom('tenant_users').select('user_id'), ['tenant_id', tenantId], 'asc');
  if (afterId !== undefined) ids = ids.where('user_id', '>', afterId);
  const page = ids.orderBy('user_id', 'asc').limit(limit).as('page');
  return db.kysely.selectFrom(page).innerJoin('users', 'users.id', 'page.user_id').selectAll('users').orderBy('page.user_id', 'asc').execute();
}

/** The user's balance in `currency`, in its smallest unit. */
export const balanceOf = (user: Pick<User, 'balance_sun' | 'balance_micro_usdt'>, currency: Currency): bigint =>
  currency === 'TRX' ? user.balance_sun : user.balance_micro_usdt;

/** Creates the user with zero balances if it does not exist yet. */
export async function ensureUser(db: DbHandle, id: bigint): Promise<void> {
  await db.kysely
    .insertInto('users')
    .values({ id, balance_sun: 0n, created_at: dbNow(db.dialect), updated_at: dbNow(db.dialect) })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Highest balance deposits may bring a user to (domain/currency.ts's MAX_BALANCE). */
export const MAX_BALANCE_SUN = MAX_BALANCE;

/** Orders whose price may still come back to the balance (a failure or a cancel refunds it). */
const REFUNDABLE_STATUSES = WORKING_STATUSES;

/** Adds `delta` to the balance in `currency`; the caller adds its conditions and reads both balances back. */
function addToBalance(db: DbHandle, id: bigint, currency: Currency, delta: bigint) {
  return db.kysely
    .updateTable('users')
    .set((eb) =>
      currency === 'TRX'
        ? { balance_sun: eb('balance_sun', '+', delta), updated_at: dbNow(db.dialect) }
        : { balance_micro_usdt: eb('balance_micro_usdt', '+', delta), updated_at: dbNow(db.dialect) },
    )
    .where('id', '=', id)
    .returning(['balance_sun', 'balance_micro_usdt']);
}

/** The users column holding the balance in `currency`. */
export const balanceColumn = (currency: Currency) => (currency === 'TRX' ? 'balance_sun' : 'balance_micro_usdt');

// SQLite only: the users of one turn's placements, read and debited at once (sqlite-placement-batches.ts).
const balancesOfUsers = prepared<Balances & { id: bigint }>('select id, balance_sun, balance_micro_usdt from users where id in (select r.value from json_each(?) r)', {
  only: 'sqlite',
});
const debitUsers = prepared(
  `update users set balance_sun = balance_sun - (r.value ->> 1), balance_micro_usdt = balance_micro_usdt - (r.value ->> 2), updated_at = ?
   from json_each(?) r where users.id = r.value ->> 0`,
  { only: 'sqlite' },
);

/** SQLite: the balances of these users (those that exist), in the caller's transaction. */
export function readBalances(db: DbHandle, ids: readonly bigint[]): Promise<Array<Balances & { id: bigint }>> {
  return balancesOfUsers.all(db, [`[${ids.join(',')}]`]);
}

/**
 * SQLite: takes from each user's balances what the caller has worked out
 * they cover, from readBalances in the same transaction (SQLite's one
 * writer: nothing changes them in between). The balances' CHECK constraints
 * still refuse one going below zero.
 */
export async function debitBalances(db: DbHandle, debits: ReadonlyArray<{ id: bigint; sun: bigint; microUsdt: bigint }>, now: bigint): Promise<void> {
  await debitUsers.run(db, [now, jsonRows(debits.map((d) => [d.id, d.sun, d.microUsdt]))]);
}

// The open orders are summed through orders_user_open (migration 018), which holds only those: the statuses are
// literals so the database knows the index answers them, and the sum costs the user's open orders, not its history.
const creditDepositStatements = byCurrency((currency) => {
  const column = balanceColumn(currency);
  const open = literalList(REFUNDABLE_STATUSES);
  return prepared<Balances>(
    `update users set ${column} = ${column} + ?, updated_at = $now
     where id = ? and ${column} + (select coalesce(sum(price_sun), 0) from orders where user_id = ? and pay_currency = ? and status in (${open})) <= ?
     returning balance_sun, balance_micro_usdt`,
  );
});

/**
 * Credits a deposit unless the balance in its currency, plus everything the
 * user's open orders paid in that currency may still refund, would pass
 * MAX_BALANCE_SUN (the same ceiling in either smallest unit). Keeping that
 * room is what lets every refund through (refundToBalance has no ceiling).
 * Returns the user's balances after it, or undefined when refused (or the
 * user does not exist).
 */
export async function creditDeposit(db: DbHandle, id: bigint, currency: Currency, amount: bigint): Promise<Balances | undefined> {
  return creditDepositStatements[currency].first(db, [amount, id, id, currency, MAX_BALANCE_SUN - amount]);
}

/**
 * Gives an order's price (or part of it) back to the balance it was paid
 * from, in its currency, with the `refund` ledger entry: in the caller's
 * transaction, beside the order's own change. Never refused for the
 * ceiling: deposits leave room for every open order's refund, so this stays
 * within MAX_BALANCE_SUN.
 */
export async function refundToBalance(db: DbHandle, order: { id: string; user_id: bigint; pay_currency: Currency }, amount: bigint): Promise<void> {
  const row = await addToBalance(db, order.user_id, order.pay_currency, amount).executeTakeFirst();
  if (row === undefined) throw new Error(`refund of order ${order.id}: user ${order.user_id} does not exist`);
  await recordLedgerEntry(db, {
    userId: order.user_id,
    kind: 'refund',
    currency: order.pay_currency,
    amountSun: amount,
    balanceAfterSun: balanceOf(row, order.pay_currency),
    orderId: order.id,
  });
}

/**
 * Credits money that has arrived on chain. No ceiling: it is already ours
 * to hold, and no currency's supply comes near MAX_BALANCE_SUN.
 */
export async function creditArrived(db: DbHandle, id: bigint, currency: Currency, amount: bigint): Promise<bigint | undefined> {
  const row = await addToBalance(db, id, currency, amount).executeTakeFirst();
  return row && balanceOf(row, currency);
}

export interface Balances {
  balance_sun: bigint;
  balance_micro_usdt: bigint;
}

export interface NewLedgerEntry {
  userId: bigint;
  kind: LedgerEntry['kind'];
  /** What the amounts are in (their smallest unit). */
  currency: Currency;
  amountSun: bigint;
  balanceAfterSun: bigint;
  orderId?: string | null;
  reference?: string | null;
}

export function insertLedgerEntry(db: DbHandle, e: NewLedgerEntry): Promise<LedgerEntry> {
  return ledgerInsert(db, e).returningAll().executeTakeFirstOrThrow();
}

const recordLedger = prepared(
  `insert into ledger_entries (user_id, kind, currency, amount_sun, balance_after_sun, order_id, reference, created_at)
   values (?, ?, ?, ?, ?, ?, ?, $now)`,
);

/** The same, when the caller does not need the row back (the order path: one less row to read; prepared once). */
export async function recordLedgerEntry(db: DbHandle, e: NewLedgerEntry): Promise<void> {
  await recordLedger.run(db, [e.userId, e.kind, e.currency, e.amountSun, e.balanceAfterSun, e.orderId ?? null, e.reference ?? null]);
}

// SQLite only: many entries at once.
const recordLedgers = preparedRows(
  (values) => `insert into ledger_entries (user_id, kind, currency, amount_sun, balance_after_sun, order_id, reference, created_at) values ${values}`,
  8,
);

/** SQLite: many entries at once, all at `now`. */
export async function recordLedgerEntries(db: DbHandle, entries: readonly NewLedgerEntry[], now: bigint): Promise<void> {
  await recordLedgers.run(
    db,
    entries.map((e) => [e.userId, e.kind, e.currency, e.amountSun, e.balanceAfterSun, e.orderId ?? null, e.reference ?? null, now]),
  );
}

function ledgerInsert(db: DbHandle, e: NewLedgerEntry) {
  return db.kysely
    .insertInto('ledger_entries')
    .values({
      user_id: e.userId,
      kind: e.kind,
      currency: e.currency,
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
  let q = db.kysely.selectFrom('ledger_entries').selectAll();
  if (beforeId !== undefined) q = q.where('id', '<', beforeId);
  // From the (user_id, id) index, however the user's entries lie among everyone else's.
  return newestFirst(db.dialect, q, ['user_id', userId]).limit(limit).execute();
}

/**
 * Holds the user's row until the transaction ends (PostgreSQL; SQLite has a
 * single writer already): per-user limits are then counted and kept in one
 * step, whoever else writes for the same user at once.
 */
export async function lockUser(db: DbHandle, id: bigint): Promise<void> {
  if (db.dialect !== 'postgres') return;
  await db.kysely.selectFrom('users').select('id').where('id', '=', id).forUpdate().execute();
}
