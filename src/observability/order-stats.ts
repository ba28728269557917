import type { Db } from '../db/connect.js';
import { countWorkingOrders, FinishedOrderCounts, oldestPendingAgeMs } from '../db/order-counts.js';
import { FINISHED_STATUSES, ORDER_STATUSES, type OrderStatus } from '../domain/order-status.js';

export interface OrderStats {
  byStatus: Record<OrderStatus, number>;
  /** Age of the oldest pending order (database clock), or null when none is pending. */
  oldestPendingMs: number | null;
}

/**
 * Orders by status and the oldest pending one. Working orders are counted
 * as they are (few); finished ones, which the table keeps for good, from
 * `finished`, which reads only those that finished since its last read.
 */
export async function orderStats(db: Db, finished: FinishedOrderCounts): Promise<OrderStats> {
  const [working, done, oldest] = await Promise.all([countWorkingOrders(db), finished.read(), oldestPendingAgeMs(db)]);
  const byStatus = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
  for (const row of working) byStatus[row.status] = Number(row.n);
  for (const status of FINISHED_STATUSES) byStatus[status] = Number(done[status]);
  return { byStatus, oldestPendingMs: oldest };
}

/**
 * orderStats shared by every caller for `ttlMs`: however many dashboards
 * and scrapers are watching, the orders are counted at most once per
 * interval (callers during a count wait for that count). `settleMs`: see
 * FinishedOrderCounts.
 */
export function sharedOrderStats(db: Db, ttlMs: number, settleMs: bigint): () => Promise<OrderStats> {
  const finished = new FinishedOrderCounts(db, settleMs);
  let last: { at: number; stats: Promise<OrderStats> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ttlMs) {
      const stats = orderStats(db, finished);
      last = { at: now, stats };
      // A failed count is not kept: the next caller tries again.
      stats.catch(() => {
        if (last?.stats === stats) last = undefined;
      });
    }
    return last.stats;
  };
}
