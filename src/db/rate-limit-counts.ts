import type { RateCount, RateCounts } from '../domain/rate-limit.js';
import { RATE_WINDOW_MS, windowOf } from '../domain/rate-limit.js';
import type { DbHandle } from './connect.js';

/**
 * Adds each credential's requests to its count for the window, in one
 * statement (an upsert per row), and answers the new totals in the order
 * given. Each (credential, window) appears once in a batch.
 */
export async function addRateCounts(db: DbHandle, batch: readonly RateCount[]): Promise<number[]> {
  if (batch.length === 0) return [];
  const rows = await db.kysely
    .insertInto('rate_limit_counts')
    .values(batch.map((b) => ({ credential: b.credential, window_start: BigInt(b.window), count: BigInt(b.delta) })))
    .onConflict((oc) => oc.columns(['credential', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_limit_counts.count', '+', eb.ref('excluded.count')) })))
    .returning(['credential', 'window_start', 'count'])
    .execute();
  const totals = new Map(rows.map((r) => [`${r.credential} ${r.window_start}`, Number(r.count)]));
  return batch.map((b) => totals.get(`${b.credential} ${b.window}`) ?? b.delta);
}

/** Deletes the counts of windows that started before `before`. */
export async function pruneRateCounts(db: DbHandle, before: number): Promise<void> {
  await db.kysely.deleteFrom('rate_limit_counts').where('window_start', '<', BigInt(before)).execute();
}

/** The database as the place where every api process's counts meet (background tasks off). */
export function databaseRateCounts(db: DbHandle): RateCounts {
  let prunedWindow = 0;
  return {
    name: 'database',
    async add(batch) {
      const totals = await addRateCounts(db, batch);
      const current = windowOf(Date.now());
      // Once a window has passed, its rows (and any older) go: a minute's worth of rows at most stays behind.
      if (current !== prunedWindow) {
        prunedWindow = current;
        await pruneRateCounts(db, current - RATE_WINDOW_MS).catch(() => {});
      }
      return totals;
    },
    async close() {},
  };
}
