import { sql } from 'kysely';
import { dbNow } from './clock.js';
import type { Db } from './connect.js';

export const BUCKET_MS = 60_000n;

export interface DelayBucket {
  /** Start of the minute, epoch ms. */
  atMs: bigint;
  created: number;
  activated: number;
  failed: number;
  /** Over the orders activated in that minute: created -> delegation confirmed. Null when none. */
  avgMsToActive: number | null;
  maxMsToActive: number | null;
}

export interface DelayReport {
  /** Start of the first minute. */
  fromMs: bigint;
  /** Now, on the database clock: the last minute runs until here. */
  toMs: bigint;
  /** Every minute of the window, oldest first, zero-filled. */
  buckets: DelayBucket[];
}

type TimeColumn = 'created_at' | 'delegated_at' | 'failed_at';
/** The minute a time falls in: integer division on both dialects (every time is a BIGINT of epoch ms). */
const minuteOf = (column: TimeColumn) => sql<bigint>`${sql.ref(column)} / ${sql.lit(Number(BUCKET_MS))}`;

/**
 * Orders created, activated and failed per minute over the last `minutes`
 * minutes (the current one included), with created -> active delays of those
 * activated. Three grouped range scans (indexes from migration 003); rows
 * never leave the database, only one line per busy minute does.
 */
export async function orderDelays(db: Db, minutes: number): Promise<DelayReport> {
  const k = db.kysely;
  const now = BigInt((await sql<{ now: bigint }>`select ${dbNow(db.dialect)} as now`.execute(k)).rows[0]!.now);
  const lastMinute = now / BUCKET_MS;
  const firstMinute = lastMinute - BigInt(minutes) + 1n;
  const from = firstMinute * BUCKET_MS;
  const end = (lastMinute + 1n) * BUCKET_MS;
  const counted = (column: TimeColumn) =>
    k
      .selectFrom('orders')
      .select([minuteOf(column).as('minute'), sql<bigint>`count(*)`.as('n')])
      .where(column, '>=', from)
      .where(column, '<', end)
      .groupBy(minuteOf(column));
  const [created, activated, failed] = await Promise.all([
    counted('created_at').execute(),
    counted('delegated_at')
      .select([sql<bigint>`cast(sum(delegated_at - created_at) as bigint)`.as('total_ms'), sql<bigint>`max(delegated_at - created_at)`.as('max_ms')])
      .execute(),
    counted('failed_at').execute(),
  ]);
  const byMinute = <R extends { minute: bigint }>(rows: R[]) => new Map(rows.map((r) => [BigInt(r.minute), r]));
  const c = byMinute(created);
  const a = byMinute(activated);
  const f = byMinute(failed);
  const buckets: DelayBucket[] = [];
  for (let m = firstMinute; m <= lastMinute; m++) {
    const act = a.get(m);
    const n = act ? Number(act.n) : 0;
    buckets.push({
      atMs: m * BUCKET_MS,
      created: Number(c.get(m)?.n ?? 0),
      activated: n,
      failed: Number(f.get(m)?.n ?? 0),
      avgMsToActive: act && n > 0 ? Math.round(Number(act.total_ms) / n) : null,
      maxMsToActive: act && n > 0 ? Number(act.max_ms) : null,
    });
  }
  return { fromMs: from, toMs: now, buckets };
}
