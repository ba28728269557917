import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_TOKEN } from '../support/app.js';
import { freePort } from '../../scripts/services/ports.js';
import { startRedis, startSilentListener } from '../../scripts/services/redis.js';
import { assertLedgerSound, startStack } from '../support/stack.js';
import { assertCompletedOnce, pathOf, placeMany, QUEUE_ENV, untilQueuedAgain } from './helpers.js';

/**
 * A real redis-server in every state an outage can leave it in. Whatever
 * Redis does, POST /api/orders answers 201 at once, every order completes
 * with exactly one delegation on the devnet, and once Redis is back new
 * orders go through the queue again without anyone touching anything.
 */
describe('order creation whatever state Redis is in', () => {
  test('when Redis is up, then orders are queued and complete once', async () => {
    const redis = await startRedis();
    const s = await startStack({ queue: { redisUrl: redis.url }, env: QUEUE_ENV });
    try {
      await s.deposit(1, 1_000_000_000n);
      const ids = await untilQueuedAgain(s, 0);
      ids.push(...(await placeMany(s, 4, 100)));
      await assertCompletedOnce(s, ids);
      for (const id of ids.slice(-4)) assert.deepEqual(pathOf(s, id), ['queue']);
      assert.ok(s.logs.some((l) => l.msg === 'reclaim scheduled'), 'reclaim jobs were scheduled at expiry');
      const status = await s.request({ method: 'GET', url: '/api/status', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(status.body.dispatch.mode, 'queue');
      assert.equal(status.body.dispatch.redis.up, true);
      assert.equal(status.body.dispatch.redis.breaker, 'closed');
      assert.ok(status.body.dispatch.paths.queue >= 4);
      const recent = new Map(status.body.dispatch.recent.map((d: any) => [d.order_id, d.path]));
      for (const id of ids.slice(-4)) assert.equal(recent.get(id), 'queue', 'dispatch.recent lists the order with its path');
      await assertLedgerSound(s);
    } finally {
      await s.close();
      await redis.stop();
    }
  });

  test('when Redis is absent at boot, then orders go to the sweeper, and to the queue once Redis starts', async () => {
    const port = await freePort();
    const s = await startStack({ queue: { redisUrl: `redis://127.0.0.1:${port}` }, env: QUEUE_ENV });
    let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
    try {
      await s.deposit(1, 1_000_000_000n);
      const before = await placeMany(s, 4, 0);
      const status = await s.request({ method: 'GET', url: '/api/status', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(status.body.dispatch.redis.up, false);
      for (const id of before) assert.deepEqual(pathOf(s, id), ['sweeper']);
      assert.deepEqual(
        status.body.dispatch.recent.slice(0, 4).map((d: any) => [d.order_id, d.path]),
        [...before].reverse().map((id) => [id, 'sweeper']),
      );
      assert.ok(s.logs.some((l) => l.msg === 'queue unavailable -> sweeper' && l.orderId === before[0]));
      await assertCompletedOnce(s, before);
      assert.ok(s.logs.some((l) => l.msg === 'picked up by sweeper' && l.orderId === before[0]));

      redis = await startRedis({ port });
      const after = await untilQueuedAgain(s, 100);
      await assertCompletedOnce(s, [...before, ...after]);
      await assertLedgerSound(s);
    } finally {
      await s.close();
      await redis?.stop();
    }
  });

  test('when Redis is killed mid-load and restarted, then creation never waits and every order completes once', async () => {
    const redis = await startRedis();
    const s = await startStack({ queue: { redisUrl: redis.url }, env: QUEUE_ENV });
    try {
      await s.deposit(1, 1_000_000_000n);
      const ids = await untilQueuedAgain(s, 0);
      const load = placeMany(s, 30, 100, 30);
      await sleep(300);
      await redis.kill();
      ids.push(...(await load));
      ids.push(...(await placeMany(s, 4, 200)));
      assert.ok(ids.some((id) => pathOf(s, id).includes('sweeper')), 'some orders were created while Redis was down');
      // Reconnect attempts go on meanwhile; the outage is said once, not once per attempt.
      await sleep(2000);
      await redis.restart();
      ids.push(...(await untilQueuedAgain(s, 300)));
      const apiLines = (msg: RegExp) => s.logs.filter((l) => l.role === 'api' && typeof l.msg === 'string' && msg.test(l.msg));
      assert.equal(apiLines(/^redis connection lost/).length, 1, 'the loss is logged once');
      assert.equal(apiLines(/^redis connection back/).length, 1, 'and its end once');
      await assertCompletedOnce(s, ids);
      await assertLedgerSound(s);
    } finally {
      await s.close();
      await redis.stop();
    }
  });

  test('when Redis is frozen (SIGSTOP), then creation never waits, the breaker opens, and the queue resumes after SIGCONT', async () => {
    const redis = await startRedis();
    const s = await startStack({ queue: { redisUrl: redis.url }, env: QUEUE_ENV });
    try {
      await s.deposit(1, 1_000_000_000n);
      const ids = await untilQueuedAgain(s, 0);
      await redis.freeze();
      ids.push(...(await placeMany(s, 10, 100, 100)));
      // Two timed-out wake-ups open the breaker; later orders skip Redis at once.
      await sleep(1500);
      ids.push(...(await placeMany(s, 3, 200)));
      assert.ok(s.logs.some((l) => l.msg === 'redis circuit breaker open'), 'the breaker opened');
      await redis.thaw();
      ids.push(...(await untilQueuedAgain(s, 300)));
      await assertCompletedOnce(s, ids);
      await assertLedgerSound(s);
    } finally {
      await s.close();
      await redis.stop();
    }
  });

  test('when Redis accepts connections and never answers, then orders are created and completed by the sweeper', async () => {
    const silent = await startSilentListener();
    const s = await startStack({ queue: { redisUrl: silent.url }, env: QUEUE_ENV });
    try {
      await s.deposit(1, 1_000_000_000n);
      const ids = await placeMany(s, 5, 0, 100);
      for (const id of ids) assert.deepEqual(pathOf(s, id), ['sweeper']);
      await assertCompletedOnce(s, ids);
      await assertLedgerSound(s);
    } finally {
      await s.close();
      await silent.close();
    }
  });
});
