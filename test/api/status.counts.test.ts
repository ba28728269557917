import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { sql } from 'kysely';
import { readDbNow } from '../../src/db/clock.js';
import { FinishedOrderCounts } from '../../src/db/order-counts.js';
import { ORDER_STATUSES, type OrderStatus } from '../../src/domain/order-status.js';
import { ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { describeEachDialect } from '../support/dialects.js';
import { seedOrder } from '../support/seed.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const MIN = 60_000n;

/** Orders by status as one GROUP BY over the whole table sees them. */
async function groupBy(t: TestApp): Promise<Record<OrderStatus, number>> {
  const rows = await t.db.kysely.selectFrom('orders').select(['status', sql<bigint>`count(*)`.as('n')]).groupBy('status').execute();
  const out = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

/** One order of every kind, finished long ago and just now: completed, cancelled early (completed too), failed, cancelled while pending. */
async function seedEveryKind(t: TestApp, finishedAt: bigint): Promise<void> {
  const createdAt = finishedAt - 2n * MIN;
  await seedOrder(t.db, { status: 'completed', createdAt, delegatedAt: createdAt + 1000n, completedAt: finishedAt });
  await seedOrder(t.db, { status: 'completed', createdAt, delegatedAt: createdAt + 1000n, completedAt: finishedAt, cancelledAt: finishedAt });
  await seedOrder(t.db, { status: 'failed', createdAt, failedAt: finishedAt });
  await seedOrder(t.db, { status: 'cancelled', createdAt, cancelledAt: finishedAt });
}

describeEachDialect('GET /api/status order counts', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
  });
  afterEach(() => t.close());

  test('when orders of every status exist, finished long ago and just now, then by_status counts each as the table holds it', async () => {
    const now = await readDbNow(t.db);
    await seedEveryKind(t, now - 60n * MIN);
    await seedEveryKind(t, now);
    for (const status of ['pending', 'delegating', 'active', 'reclaiming'] as const) await seedOrder(t.db, { status, createdAt: now - MIN });
    const res = await t.request({ method: 'GET', url: '/api/status', headers: admin });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.orders.by_status, await groupBy(t));
    assert.deepEqual(res.body.orders.by_status, { pending: 1, delegating: 1, active: 1, reclaiming: 1, completed: 4, failed: 2, cancelled: 2 });
  });
});

describeEachDialect('FinishedOrderCounts', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
  });
  afterEach(() => t.close());

  test('when orders keep finishing between reads, then every read counts them all, the settled ones from memory', async () => {
    const counts = new FinishedOrderCounts(t.db, 90_000n);
    const now = await readDbNow(t.db);
    await seedEveryKind(t, now - 10n * MIN);
    await seedEveryKind(t, now - 1000n);
    assert.deepEqual(await counts.read(), { completed: 4n, failed: 2n, cancelled: 2n });
    // Finished since: seen by the next read, and by reads after it once they have settled.
    await seedEveryKind(t, await readDbNow(t.db));
    assert.deepEqual(await counts.read(), { completed: 6n, failed: 3n, cancelled: 3n });
    // A finish stamped 5 minutes ago cannot happen in a working system (no lease lasts that long):
    // it shows that the settled history was not counted again.
    await seedEveryKind(t, now - 5n * MIN);
    assert.deepEqual(await counts.read(), { completed: 6n, failed: 3n, cancelled: 3n });
    assert.deepEqual(await new FinishedOrderCounts(t.db, 90_000n).read(), { completed: 8n, failed: 4n, cancelled: 4n }, 'while a new reader sees it');
  });

  test('when orders finish and then settle between reads, then they move from the recent count to the settled one and are counted once', async () => {
    const counts = new FinishedOrderCounts(t.db, 300n);
    await seedEveryKind(t, await readDbNow(t.db));
    assert.deepEqual(await counts.read(), { completed: 2n, failed: 1n, cancelled: 1n });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await seedEveryKind(t, await readDbNow(t.db));
    const [a, b] = await Promise.all([counts.read(), counts.read()]);
    assert.deepEqual(a, { completed: 4n, failed: 2n, cancelled: 2n });
    assert.deepEqual(b, a, 'two reads at once add the settled orders once');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(await counts.read(), { completed: 4n, failed: 2n, cancelled: 2n });
  });
});
