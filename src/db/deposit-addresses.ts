import type { Selectable } from 'kysely';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import type { DepositAddressesTable } from './schema.js';

export type DepositAddress = Selectable<DepositAddressesTable>;

export function findDepositAddress(db: DbHandle, userId: bigint): Promise<DepositAddress | undefined> {
  return db.kysely.selectFrom('deposit_addresses').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** The index the next address takes: one past the highest handed out, so that none is skipped. */
export async function nextDerivationIndex(db: DbHandle): Promise<bigint> {
  const row = await db.kysely
    .selectFrom('deposit_addresses')
    .select((eb) => eb.fn.max('derivation_index').as('top'))
    .executeTakeFirst();
  const top = row?.top ?? null;
  return top === null ? 0n : BigInt(top) + 1n;
}

/**
 * Records a user's address unless the user already has one or the index or
 * address is taken (someone else got there first). Returns whether this call
 * wrote it; it never throws for the race, on either dialect.
 */
export async function insertDepositAddress(db: DbHandle, userId: bigint, index: bigint, address: string): Promise<boolean> {
  const row = await db.kysely
    .insertInto('deposit_addresses')
    .values({ user_id: userId, derivation_index: index, address, created_at: dbNow(db.dialect) })
    // No target: any of the three unique columns.
    .onConflict((oc) => oc.doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether any deposit address was ever handed out (one row read at most). */
export async function anyDepositAddress(db: DbHandle): Promise<boolean> {
  return (await db.kysely.selectFrom('deposit_addresses').select('address').limit(1).executeTakeFirst()) !== undefined;
}

/** Which of `addresses` are deposit addresses, and whose (address -> user id). */
export async function depositAddressOwners(db: DbHandle, addresses: readonly string[]): Promise<Map<string, bigint>> {
  const owners = new Map<string, bigint>();
  // In slices, to stay far below either dialect's limit on bound parameters.
  for (let i = 0; i < addresses.length; i += 500) {
    const slice = addresses.slice(i, i + 500);
    const rows = await db.kysely.selectFrom('deposit_addresses').select(['address', 'user_id']).where('address', 'in', slice).execute();
    for (const r of rows) owners.set(r.address, r.user_id);
  }
  return owners;
}
