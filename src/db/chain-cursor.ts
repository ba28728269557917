import { sql, type Selectable } from 'kysely';
import { dbNow } from './clock.js';
import { columnsOf, everyColumn } from './columns.js';
import type { DbHandle } from './connect.js';
import { prepared } from './prepared.js';
import type { ChainCursorsTable } from './schema.js';

export type ChainCursor = Selectable<ChainCursorsTable>;

/** The block follower's cursor on the solidified chain. */
export const SOLID_CURSOR = 'solid';

const leaseUntil = (db: DbHandle, leaseMs: number) => sql<bigint>`${dbNow(db.dialect)} + ${BigInt(leaseMs)}`;

export function findCursor(db: DbHandle, name = SOLID_CURSOR): Promise<ChainCursor | undefined> {
  return db.kysely.selectFrom('chain_cursors').selectAll().where('name', '=', name).executeTakeFirst();
}

const CURSOR_COLUMNS = columnsOf(
  everyColumn<ChainCursorsTable>()([
    'name',
    'block_number',
    'block_time',
    'started_at',
    'lease_owner',
    'lease_until',
    'updated_at',
    'lease_flash_address',
    'flash_watched_until',
  ]),
);

/**
 * How long, in leases, a worker that watches flash-rent payments is taken to
 * be about after it last held the cursor: long enough for it to be restarted
 * (a deploy), and the only wait once flash rent is turned off for good.
 */
export const FLASH_WATCHER_KEPT_LEASES = 4;

/**
 * Run at every tick of the follower, so prepared once (as preparedClaim's polls are). Its `?`: the owner, the
 * lease's length, the cursor, the owner. Not while a worker that watches flash-rent payments is about.
 */
const holdStatement = prepared<ChainCursor>(
  `update chain_cursors set lease_owner = ?, lease_until = $now + ?, lease_flash_address = null
    where name = ? and (lease_owner = ? or lease_until is null or lease_until < $now)
      and (flash_watched_until is null or flash_watched_until < $now)
    returning ${CURSOR_COLUMNS}`,
);

/**
 * The same for a worker that watches flash-rent payments: it takes the cursor from a holder that watches
 * none, and says until when it is about. Its `?`: the owner, the lease's length, the address, how long it is
 * about, the cursor, the owner.
 */
const holdWatchingFlashStatement = prepared<ChainCursor>(
  `update chain_cursors set lease_owner = ?, lease_until = $now + ?, lease_flash_address = ?, flash_watched_until = $now + ?
    where name = ? and (lease_owner = ? or lease_until is null or lease_until < $now or lease_flash_address is null)
    returning ${CURSOR_COLUMNS}`,
);

/**
 * Takes or keeps the right to follow: the lease is ours when nobody holds
 * it, when it ran out, or when we hold it already (then it is extended).
 * Returns the cursor when it is ours now; undefined when another worker
 * follows, or when there is no cursor yet.
 *
 * A block the follower reads is never read again, so the follower must
 * watch everything the cluster watches. Deposit addresses are in the
 * database and every follower watches them; FLASH_RENT_ADDRESS is a
 * worker's setting. A worker with it (`flashAddress`) takes the cursor from
 * a holder without; a worker without it does not follow while one with it
 * has held the cursor within FLASH_WATCHER_KEPT_LEASES of its leases, so
 * a restart of the worker that watches (or a deploy that turns flash rent
 * on) does not let the others read past the customers' payments.
 */
export function holdCursor(db: DbHandle, owner: string, leaseMs: number, flashAddress?: string): Promise<ChainCursor | undefined> {
  if (flashAddress === undefined) return holdStatement.first(db, [owner, BigInt(leaseMs), SOLID_CURSOR, owner]);
  const about = BigInt(leaseMs * FLASH_WATCHER_KEPT_LEASES);
  return holdWatchingFlashStatement.first(db, [owner, BigInt(leaseMs), flashAddress, about, SOLID_CURSOR, owner]);
}

/**
 * The first follower starts at the solidified head it sees, holding the
 * lease. If another worker created the cursor meanwhile, nothing is written
 * and that worker's cursor stands.
 */
export async function createCursor(db: DbHandle, owner: string, leaseMs: number, block: { number: bigint; timestamp: bigint }, name = SOLID_CURSOR): Promise<void> {
  await db.kysely
    .insertInto('chain_cursors')
    .values({
      name,
      block_number: block.number,
      block_time: block.timestamp,
      started_at: dbNow(db.dialect),
      lease_owner: owner,
      lease_until: leaseUntil(db, leaseMs),
      updated_at: dbNow(db.dialect),
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

/**
 * Moves the cursor to the last block settled, fenced on our lease: a
 * follower that lost it (paused past its lease) writes nothing. Returns
 * whether it was ours to move.
 */
export async function advanceCursor(db: DbHandle, owner: string, block: { number: bigint; timestamp: bigint }, name = SOLID_CURSOR): Promise<boolean> {
  const moved = await db.kysely
    .updateTable('chain_cursors')
    .set({ block_number: block.number, block_time: block.timestamp, updated_at: dbNow(db.dialect) })
    .where('name', '=', name)
    .where('lease_owner', '=', owner)
    .where('block_number', '<', block.number)
    .returning('name')
    .executeTakeFirst();
  return moved !== undefined;
}

/** Gives the lease back (a worker shutting down), so another follows at once. */
export async function releaseCursor(db: DbHandle, owner: string, name = SOLID_CURSOR): Promise<void> {
  await db.kysely.updateTable('chain_cursors').set({ lease_owner: null, lease_until: null }).where('name', '=', name).where('lease_owner', '=', owner).execute();
}
