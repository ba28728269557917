import type { Selectable } from 'kysely';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import type { PoolSnapshotsTable } from './schema.js';

export type PoolSnapshot = Selectable<PoolSnapshotsTable>;

/** What one successful read of a pool account found. */
export type PoolFigures = Pick<
  PoolSnapshotsTable,
  'staked_sun' | 'delegated_sun' | 'delegatable_sun' | 'energy_limit' | 'total_energy_weight' | 'total_energy_limit'
>;

/** Longest error text kept: enough for a node's message, never a whole response. */
export const MAX_POOL_ERROR_LENGTH = 500;

/** A successful read: the new figures, observed now (database clock), and no error. */
export async function savePoolSnapshot(db: DbHandle, address: string, figures: PoolFigures): Promise<void> {
  const values = { ...figures, observed_at: dbNow(db.dialect), error: null, updated_at: dbNow(db.dialect) };
  await db.kysely
    .insertInto('pool_snapshots')
    .values({ address, ...values })
    .onConflict((oc) => oc.column('address').doUpdateSet(values))
    .execute();
}

const NOTHING_YET: PoolFigures = {
  staked_sun: 0n,
  delegated_sun: 0n,
  delegatable_sun: 0n,
  energy_limit: 0n,
  total_energy_weight: 0n,
  total_energy_limit: 0n,
};

/** A failed read: the error is recorded, the last good figures and their time are kept. */
export async function recordPoolFailure(db: DbHandle, address: string, error: string): Promise<void> {
  const text = error.length > MAX_POOL_ERROR_LENGTH ? `${error.slice(0, MAX_POOL_ERROR_LENGTH - 1)}…` : error;
  await db.kysely
    .insertInto('pool_snapshots')
    .values({ address, ...NOTHING_YET, observed_at: null, error: text, updated_at: dbNow(db.dialect) })
    .onConflict((oc) => oc.column('address').doUpdateSet({ error: text, updated_at: dbNow(db.dialect) }))
    .execute();
}

/** Every snapshot, by address. */
export function listPoolSnapshots(db: DbHandle): Promise<PoolSnapshot[]> {
  return db.kysely.selectFrom('pool_snapshots').selectAll().orderBy('address').execute();
}
