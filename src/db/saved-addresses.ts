import { sql, type Selectable } from 'kysely';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import { preparedClaim } from './due-claims.js';
import { prepared, unnestArrays } from './prepared.js';
import type { ReceiverEnergyTable, SavedAddressesTable } from './schema.js';

export type SavedAddress = Selectable<SavedAddressesTable>;
export type ReceiverEnergy = Selectable<ReceiverEnergyTable>;

/** A saved address with the latest read of its energy (null figures until a first read). */
export type SavedAddressWithEnergy = SavedAddress & Pick<ReceiverEnergy, 'activated' | 'energy_limit' | 'energy_used' | 'observed_at' | 'error'>;

/** A user's saved addresses, oldest first, each with its latest energy read. */
export function listSavedAddresses(db: DbHandle, userId: bigint): Promise<SavedAddressWithEnergy[]> {
  return db.kysely
    .selectFrom('saved_addresses as s')
    .leftJoin('receiver_energy as r', 'r.address', 's.address')
    .select(['s.user_id', 's.address', 's.label', 's.created_at', 's.updated_at', 'r.activated', 'r.energy_limit', 'r.energy_used', 'r.observed_at', 'r.error'])
    .where('s.user_id', '=', userId)
    .orderBy('s.created_at')
    .orderBy('s.address')
    .execute();
}

export async function countSavedAddresses(db: DbHandle, userId: bigint): Promise<number> {
  const row = await db.kysely
    .selectFrom('saved_addresses')
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function findSavedAddress(db: DbHandle, userId: bigint, address: string): Promise<SavedAddress | undefined> {
  return db.kysely.selectFrom('saved_addresses').selectAll().where('user_id', '=', userId).where('address', '=', address).executeTakeFirst();
}

/** Saves the address, or gives a saved one its new label. */
export async function upsertSavedAddress(db: DbHandle, userId: bigint, address: string, label: string): Promise<void> {
  const now = dbNow(db.dialect);
  await db.kysely
    .insertInto('saved_addresses')
    .values({ user_id: userId, address, label, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'address']).doUpdateSet({ label, updated_at: now }))
    .execute();
}

/** Removes a saved address; false when it was not saved. Its energy row goes when no one else saved it. */
export async function deleteSavedAddress(db: DbHandle, userId: bigint, address: string): Promise<boolean> {
  const gone = await db.kysely.deleteFrom('saved_addresses').where('user_id', '=', userId).where('address', '=', address).returning('address').executeTakeFirst();
  if (gone === undefined) return false;
  await db.kysely
    .deleteFrom('receiver_energy')
    .where('address', '=', address)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('saved_addresses').select('address').where('address', '=', address))))
    .execute();
  return true;
}

/** A newly saved address is read as soon as a worker can. */
export async function wantReceiverRead(db: DbHandle, address: string): Promise<void> {
  const now = dbNow(db.dialect);
  await db.kysely
    .insertInto('receiver_energy')
    .values({ address, due_at: now, updated_at: now })
    .onConflict((oc) => oc.column('address').doUpdateSet({ due_at: sql<bigint>`coalesce(receiver_energy.due_at, ${now})` }))
    .execute();
}

/**
 * Someone looked at these addresses: each is read again once its last read
 * is `staleMs` old (or now, if it was never read). Addresses already due keep
 * their time.
 */
export async function wantFreshReads(db: DbHandle, addresses: readonly string[], staleMs: number): Promise<void> {
  if (addresses.length === 0) return;
  await db.kysely
    .updateTable('receiver_energy')
    .set({ due_at: sql<bigint>`coalesce(observed_at + ${BigInt(staleMs)}, ${dbNow(db.dialect)})` })
    .where('address', 'in', addresses)
    .where('due_at', 'is', null)
    .execute();
}

/** A receiver's figures due for a read now, if it is a saved address (its `?`: the address), for a statement that writes more (order-writes.ts). */
export const RECEIVER_CHANGED = 'update receiver_energy set due_at = $now where address = ?';
const receiverChangedStatement = prepared<{ address: string }>(`${RECEIVER_CHANGED} returning address`);

/**
 * Energy we delegated or reclaimed changed this address's figures: read it
 * again now, if it is a saved one (true then). Written in the transaction
 * that moves the order, once an order, so prepared once.
 */
export async function receiverChanged(db: DbHandle, address: string): Promise<boolean> {
  return (await receiverChangedStatement.first(db, [address])) !== undefined;
}

// PostgreSQL: receiverChanged for many addresses at once (its `?`: their array).
const receiversChangedStatement = prepared<{ address: string }>(
  `update receiver_energy set due_at = $now where address in (select r.address from ${unnestArrays('text')} as r(address)) returning address`,
);

/** receiverChanged for many addresses: those that are saved (one statement on PostgreSQL). */
export async function receiversChanged(db: DbHandle, addresses: readonly string[]): Promise<Set<string>> {
  if (addresses.length === 0) return new Set();
  if (db.dialect !== 'postgres') {
    const saved = new Set<string>();
    for (const address of addresses) if (await receiverChanged(db, address)) saved.add(address);
    return saved;
  }
  return new Set((await receiversChangedStatement.all(db, [addresses])).map((r) => r.address));
}

/** Its `?`: the limit; the hold. */
const claimDueStatement = preparedClaim<{ address: string }>(
  'select address from receiver_energy where due_at <= $now order by due_at limit ?',
  'update receiver_energy set due_at = $now + ? where address in (select address from due) and due_at <= $now returning address',
);

/**
 * Claims up to `limit` addresses due for a read: their due time moves
 * `holdMs` ahead, so another worker does not read them meanwhile (and a
 * read that fails is tried again then). See preparedClaim.
 */
export function claimDueReceivers(db: DbHandle, limit: number, holdMs: number): Promise<{ address: string }[]> {
  return claimDueStatement.all(db, [limit, BigInt(holdMs)]);
}

export async function saveReceiverEnergy(db: DbHandle, address: string, read: { activated: boolean; energyLimit: bigint; energyUsed: bigint }): Promise<void> {
  const now = dbNow(db.dialect);
  await db.kysely
    .updateTable('receiver_energy')
    .set({ activated: read.activated ? 1n : 0n, energy_limit: read.energyLimit, energy_used: read.energyUsed, observed_at: now, due_at: null, error: null, updated_at: now })
    .where('address', '=', address)
    .execute();
}

export async function recordReceiverFailure(db: DbHandle, address: string, error: string): Promise<void> {
  await db.kysely.updateTable('receiver_energy').set({ error, updated_at: dbNow(db.dialect) }).where('address', '=', address).execute();
}
