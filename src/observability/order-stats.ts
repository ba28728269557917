import type { Db } from '../db/connect.js';
import { countOrdersByStatus, oldestPendingAgeMs } from '../db/order-counts.js';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-status.js';

export interface OrderStats {
  byStatus: Record<OrderStatus, number>;
  /** Age of the oldest pending order (database clock), or null when none is pending. */
  oldestPendingMs: number | null;
}

/**
 * One GROUP BY over the whole table and one MIN over the pending orders.
 * The count grows with the table (completed orders stay): share it
 * (sharedOrderStats) rather than run it per viewer.
 */
export async function orderStats(db: Db): Promise<OrderStats> {
  const [counts, oldest] = await Promise.all([countOrdersByStatus(db), oldestPendingAgeMs(db)]);
  const byStatus = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
  for (const row of counts) byStatus[row.status] = Number(row.n);
  return { byStatus, oldestPendingMs: oldest };
}

/**
 * orderStats shared by every caller for `ttlMs`: however many dashboards
 * and scrapers are watching, the table is counted at most once per interval
 * (callers during a count wait for that count).
 */
export function sharedOrderStats(db: Db, ttlMs: number): () => Promise<OrderStats> {
  let last: { at: number; stats: Promise<OrderStats> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ttlMs) {
      const stats = orderStats(db);
      last = { at: now, stats };
      // A failed count is not kept: the next caller tries again.
      stats.catch(() => {
        if (last?.stats === stats) last = undefined;
      });
    }
    return last.stats;
  };
}
