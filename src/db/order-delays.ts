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

/** One line per busy minute in [fromMinute, toMinute]: three grouped range scans (indexes from migration 003). */
async function readMinutes(db: Db, fromMinute: bigint, toMinute: bigint): Promise<Map<bigint, DelayBucket>> {
  const k = db.kysely;
  const from = fromMinute * BUCKET_MS;
  const end = (toMinute + 1n) * BUCKET_MS;
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
  const buckets = new Map<bigint, DelayBucket>();
  for (let m = fromMinute; m <= toMinute; m++) {
    const act = a.get(m);
    const n = act ? Number(act.n) : 0;
    buckets.set(m, {
      atMs: m * BUCKET_MS,
      created: Number(c.get(m)?.n ?? 0),
      activated: n,
      failed: Number(f.get(m)?.n ?? 0),
      avgMsToActive: act && n > 0 ? Math.round(Number(act.total_ms) / n) : null,
      maxMsToActive: act && n > 0 ? Number(act.max_ms) : null,
    });
  }
  return buckets;
}

/** The longest window a report covers (a day), and so how many settled minutes are kept. */
export const MAX_MINUTES = 1440;

/**
 * Orders created, activated and failed per minute over the last `minutes`
 * minutes (the current one included), with created -> active delays of those
 * activated. Rows never leave the database, only one line per busy minute.
 *
 * A minute's figures stop changing once no write can carry a time in it any
 * more: times are stamped from the database clock when a worker claims its
 * step, and a step commits within its lease. Minutes that ended more than
 * `settleMs` ago (give it the lease and a margin) are kept in memory, so a
 * dashboard polling the last hour reads only its last few minutes.
 */
export class OrderDelayReports {
  private readonly settled = new Map<bigint, DelayBucket>();

  constructor(
    private readonly db: Db,
    private readonly settleMs: bigint,
  ) {}

  async report(minutes: number): Promise<DelayReport> {
    const now = BigInt((await sql<{ now: bigint }>`select ${dbNow(this.db.dialect)} as now`.execute(this.db.kysely)).rows[0]!.now);
    const lastMinute = now / BUCKET_MS;
    const firstMinute = lastMinute - BigInt(Math.min(minutes, MAX_MINUTES)) + 1n;
    let unread = firstMinute;
    while (unread <= lastMinute && this.settled.has(unread)) unread++;
    const fresh = unread <= lastMinute ? await readMinutes(this.db, unread, lastMinute) : new Map<bigint, DelayBucket>();
    // Minute m is settled when it ended (at (m + 1) * BUCKET_MS) at least settleMs ago.
    const settledThrough = (now - this.settleMs) / BUCKET_MS - 1n;
    for (const [m, bucket] of fresh) if (m <= settledThrough) this.settled.set(m, bucket);
    for (const m of this.settled.keys()) if (m <= lastMinute - BigInt(MAX_MINUTES)) this.settled.delete(m);
    const buckets: DelayBucket[] = [];
    for (let m = firstMinute; m <= lastMinute; m++) buckets.push(this.settled.get(m) ?? fresh.get(m)!);
    return { fromMs: firstMinute * BUCKET_MS, toMs: now, buckets };
  }
}
