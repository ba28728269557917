import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { QueueWorker } from '../../src/dispatch/queue-worker.js';
import { queueJobHandler } from '../../src/engine/engine.js';
import { startRedis } from '../../scripts/services/redis.js';
import { assertLedgerSound, placeUndispatched, startStack } from '../support/stack.js';

/**
 * BullMQ delivers at least once: a job whose lock runs out (a stall, a
 * Redis outage longer than the lock) is run again by another worker, and a
 * timed-out enqueue can land later. Handling a job is a claim in the
 * database, so none of that can delegate twice.
 */
test('when a job stalls and is redelivered, and duplicates arrive at once, then the order is delegated once', async () => {
  const redis = await startRedis();
  // The stack's own sweeper is parked (it runs once at start, on an empty table): only deliveries move the order.
  const s = await startStack({ env: { SWEEP_INTERVAL_MS: '3600000' } });
  const queueConfig = loadConfig({ REDIS_URL: redis.url, ENABLE_BACKGROUND_TASKS: 'true' }).queue;
  const consumer = new QueueWorker(s.db, queueJobHandler(s.engine.runner), queueConfig, 1, s.engine.ctx.log);
  const name = 'redelivery-test';
  const queue = new Queue(name, { connection: { url: redis.url } });
  const deliveries: string[] = [];
  const results: Array<{ claimed: boolean }> = [];
  // First worker: handles the job, then hangs without renewing its lock, as a worker cut off from Redis would.
  const stalled = new Worker(
    name,
    async (job) => {
      deliveries.push(`first:${job.id}`);
      results.push(await consumer.handle(job));
      await new Promise(() => {});
    },
    { connection: { url: redis.url }, lockDuration: 300, stalledInterval: 200, skipLockRenewal: true, maxStalledCount: 5 },
  );
  let second: Worker | undefined;
  try {
    await s.deposit(1, 1_000_000_000n);
    const order = await placeUndispatched(s, '2s');
    await queue.add('wake', { orderId: order.id }, { jobId: order.id });
    await waitUntil(() => deliveries.length === 1);
    // The lock runs out; a second worker's stalled-job check takes the job back and runs it again.
    second = new Worker(
      name,
      async (job) => {
        deliveries.push(`second:${job.id}`);
        results.push(await consumer.handle(job));
      },
      { connection: { url: redis.url }, stalledInterval: 200, maxStalledCount: 5 },
    );
    await waitUntil(() => deliveries.length >= 2, 15_000);
    assert.deepEqual(deliveries.slice(0, 2), [`first:${order.id}`, `second:${order.id}`]);
    // And a burst of duplicates (ghost enqueues, a re-sent wake-up) at once.
    const burst = await Promise.all(Array.from({ length: 5 }, () => consumer.handle({ id: 'dup', name: 'wake', data: { orderId: order.id } })));
    assert.ok(burst.filter((r) => r.claimed).length <= 1, 'at most one duplicate got a claim');

    await s.waitFor(order.id, (o) => o.status === 'completed', 30_000);
    const included = (await s.chainTxs('DelegateResourceContract')).filter((t) => t.status === 'included');
    assert.equal(included.length, 1, 'delegated exactly once');
    const events = await s.db.kysely.selectFrom('order_events').select('to_status').where('order_id', '=', order.id).orderBy('id').execute();
    assert.deepEqual(events.map((e) => e.to_status), ['pending', 'delegating', 'active', 'reclaiming', 'completed']);
    await assertLedgerSound(s);
  } finally {
    await stalled.close(true).catch(() => {});
    await second?.close().catch(() => {});
    await queue.close();
    await consumer.close();
    await s.close();
    await redis.stop();
  }
});

async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
