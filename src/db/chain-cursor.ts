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
  everyColumn<ChainCursorsTable>()(['name', 'block_number', 'block_time', 'started_at', 'lease_owner', 'lease_until', 'updated_at']),
);

/** Run at every tick of the follower, so prepared once (as preparedClaim's polls are). Its `?`: the owner, the lease's length, the cursor, the owner. */
const holdStatement = prepared<ChainCursor>(
  `update chain_cursors set lease_owner = ?, lease_until = $now + ? where name = ? and (lease_owner = ? or lease_until is null or lease_until < $now)
    returning ${CURSOR_COLUMNS}`,
);

/**
 * Takes or keeps the right to follow: the lease is ours when nobody holds
 * it, when it ran out, or when we hold it already (then it is extended).
 * Returns the cursor when it is ours now; undefined when another worker
 * follows, or when there is no cursor yet.
 */
export function holdCursor(db: DbHandle, owner: string, leaseMs: number, name = SOLID_CURSOR): Promise<ChainCursor | undefined> {
  return holdStatement.first(db, [owner, BigInt(leaseMs), name, owner]);
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
