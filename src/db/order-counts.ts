import { sql } from 'kysely';
import { FINISHED_STATUSES, WORKING_STATUSES, type FinishedStatus, type OrderStatus } from '../domain/order-status.js';
import { dbNow, readDbNow } from './clock.js';
import type { DbHandle } from './connect.js';

/** Age of the oldest pending order on the database clock, or null: reads only the pending orders. */
export async function oldestPendingAgeMs(db: DbHandle): Promise<number | null> {
  const oldest = await sql<{ age: bigint | null }>`select cast(${dbNow(db.dialect)} - min(created_at) as bigint) as age from orders where status = 'pending'`.execute(
    db.kysely,
  );
  const age = oldest.rows[0]?.age;
  return age === null || age === undefined ? null : Math.max(0, Number(age));
}

/** Orders still being worked, by status: read through orders_status, so it costs what there is to work on. */
export async function countWorkingOrders(db: DbHandle): Promise<Array<{ status: OrderStatus; n: bigint }>> {
  return db.kysely
    .selectFrom('orders')
    .select(['status', sql<bigint>`count(*)`.as('n')])
    .where(sql<boolean>`status in (${sql.join(WORKING_STATUSES.map((s) => sql.lit(s)))})`)
    .groupBy('status')
    .execute();
}

/**
 * When an order of each finished status finished. Each is written only in
 * the update that gives the order that status, which it never leaves, so
 * counting the times counts the orders, through their partial indexes
 * (migration 014; failed_at's is from 003). cancelled_at is also written on
 * an active order cancelled early, which ends `completed` with its
 * completed_at written in the same update: a `cancelled` order is one with a
 * cancelled_at and no completed_at, as orders_cancelled_at is defined.
 */
const FINISHED_AT = {
  completed: { column: 'completed_at', notCompleted: false },
  failed: { column: 'failed_at', notCompleted: false },
  cancelled: { column: 'cancelled_at', notCompleted: true },
} as const satisfies Record<FinishedStatus, { column: 'completed_at' | 'failed_at' | 'cancelled_at'; notCompleted: boolean }>;

/** Orders of `status` that finished in (after, upTo]; an open end is unbounded. A range scan of that status's time index. */
async function countFinished(db: DbHandle, status: FinishedStatus, after: bigint | undefined, upTo: bigint | undefined): Promise<bigint> {
  const { column, notCompleted } = FINISHED_AT[status];
  let q = db.kysely.selectFrom('orders').select(sql<bigint>`count(*)`.as('n')).where(column, 'is not', null);
  if (notCompleted) q = q.where('completed_at', 'is', null);
  if (after !== undefined) q = q.where(column, '>', after);
  if (upTo !== undefined) q = q.where(column, '<=', upTo);
  const row = await q.executeTakeFirstOrThrow();
  return BigInt(row.n);
}

/**
 * Finished orders by status, without reading every finished order each time
 * (the table keeps them all, so that would grow without end).
 *
 * An order's finish time is stamped on the database clock when the worker
 * claims its last step (or when a pending order is cancelled), and the step
 * commits within its lease: no order can still finish with a time more than
 * `settleMs` (the lease and a margin) in the past. Orders finished before
 * then are counted once and kept in memory, with how far that count runs;
 * each read adds the orders that have since settled and counts the
 * unsettled rest, a few seconds' worth, through the time indexes. The first
 * read counts the whole history once.
 */
export class FinishedOrderCounts {
  private settled: { through: bigint; counts: Record<FinishedStatus, bigint> } | undefined;
  private reading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: DbHandle,
    private readonly settleMs: bigint,
  ) {}

  /** One read at a time: two could otherwise add the same settled orders twice. */
  read(): Promise<Record<FinishedStatus, bigint>> {
    const next = this.reading.then(
      () => this.readNow(),
      () => this.readNow(),
    );
    this.reading = next;
    return next;
  }

  private async readNow(): Promise<Record<FinishedStatus, bigint>> {
    const prior = this.settled;
    const settleAt = (await readDbNow(this.db)) - this.settleMs;
    // A clock set back never un-settles what was counted.
    const through = prior === undefined || settleAt > prior.through ? settleAt : prior.through;
    const counts = {} as Record<FinishedStatus, bigint>;
    const total = {} as Record<FinishedStatus, bigint>;
    for (const status of FINISHED_STATUSES) {
      const base = prior === undefined ? await countFinished(this.db, status, undefined, through) : prior.counts[status] + (through > prior.through ? await countFinished(this.db, status, prior.through, through) : 0n);
      counts[status] = base;
      total[status] = base + (await countFinished(this.db, status, through, undefined));
    }
    // Kept only once every count is in: a failed read leaves the last good state.
    this.settled = { through, counts };
    return total;
  }
}
