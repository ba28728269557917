import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisCommand, startRedis, type RedisServer } from '../../scripts/services/redis.js';
import { createLogger } from '../../src/observability/logger.js';
import { ADMIN_TOKEN, createTestApp, SEED_ADDRESS, type TestApp } from '../support/app.js';
import { QUEUE_ENV } from './helpers.js';

/**
 * An `api` process with background tasks on, alone on a real redis-server
 * (no worker: the jobs stay in the queue for us to count). Orders committed
 * during one turn of the event loop reach Redis in one round trip, which an
 * operator sees in /metrics as `joule_queue_enqueue_batch_size`; each order
 * still says in the log, in /api/status and in `joule_dispatch_total` which
 * path it took, and a failed round trip sends each of its orders down the
 * fallback path while counting once against the breaker.
 */
const N = 40;

async function apiOn(redis: RedisServer, env: Record<string, string> = {}): Promise<{ t: TestApp; logs: any[] }> {
  const logs: any[] = [];
  const log = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const t = await createTestApp({ env: { ...QUEUE_ENV, ENABLE_BACKGROUND_TASKS: 'true', REDIS_URL: redis.url, ...env }, log });
  for (let i = 1; i <= N; i++) await t.deposit(i, 1_000_000_000n);
  const deadline = Date.now() + 10_000;
  while ((await status(t)).redis?.up !== true) {
    if (Date.now() > deadline) throw new Error('the queue connection never became ready');
    await sleep(50);
  }
  return { t, logs };
}

async function status(t: TestApp): Promise<any> {
  const res = await t.request({ method: 'GET', url: '/api/status', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(res.status, 200);
  return res.body.dispatch;
}

/** One figure from GET /metrics (0 when absent). */
async function metric(t: TestApp, name: string, labels: string): Promise<number> {
  const res = await t.request({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const line = res.text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** What /metrics says of enqueue round trips and dispatch paths, for deltas (the registry is per process). */
async function figures(t: TestApp) {
  return {
    sentTrips: await metric(t, 'joule_queue_enqueue_batch_size_count', 'outcome="sent"'),
    sentJobs: await metric(t, 'joule_queue_enqueue_batch_size_sum', 'outcome="sent"'),
    failedTrips: await metric(t, 'joule_queue_enqueue_batch_size_count', 'outcome="failed"'),
    failedJobs: await metric(t, 'joule_queue_enqueue_batch_size_sum', 'outcome="failed"'),
    queued: await metric(t, 'joule_dispatch_total', 'path="queue"'),
    sweeper: await metric(t, 'joule_dispatch_total', 'path="sweeper"'),
  };
}

/** N orders from N users at once, as N clients would send them. */
async function placeAtOnce(t: TestApp): Promise<string[]> {
  const answers = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      t.request({ method: 'POST', url: '/api/orders', payload: { user_id: i + 1, energy_amount: 32_000, duration: '1h', receive_address: SEED_ADDRESS } }),
    ),
  );
  for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body));
  return answers.map((a) => a.body.id as string);
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe('enqueues batched per event-loop turn', () => {
  test('when orders are created at once with Redis up, then they reach the queue in fewer round trips than orders, each logged as queued', async () => {
    const redis = await startRedis();
    const { t, logs } = await apiOn(redis);
    try {
      const before = await figures(t);
      const ids = await placeAtOnce(t);
      await until('every order is queued', async () => (await figures(t)).queued - before.queued >= N);
      const after = await figures(t);

      // Redis holds one waiting wake-up job per round trip, carrying the orders of that turn: each order once.
      const trips = after.sentTrips - before.sentTrips;
      assert.equal(await redisCommand(redis.port, ['LLEN', 'bull:joule-orders:wait']), `:${trips}`);
      const carried: string[] = [];
      for (let i = 0; i < trips; i++) {
        const jobId = await redisCommand(redis.port, ['LINDEX', 'bull:joule-orders:wait', String(i)]);
        assert.equal(await redisCommand(redis.port, ['HGET', `bull:joule-orders:${jobId}`, 'name']), 'wake');
        carried.push(...JSON.parse(await redisCommand(redis.port, ['HGET', `bull:joule-orders:${jobId}`, 'data'])).orderIds);
      }
      assert.deepEqual([...carried].sort(), [...ids].sort());

      assert.equal(after.sentJobs - before.sentJobs, N, 'every wake-up went in a batch that Redis took');
      assert.ok(trips >= 1 && trips <= N / 4, `${N} orders created at once took ${trips} enqueue round trips`);
      assert.equal(after.failedTrips - before.failedTrips, 0);
      assert.equal(after.sweeper - before.sweeper, 0);

      // Each order still says which path it took, and with how many others it travelled.
      for (const id of ids) {
        const lines = logs.filter((l) => l.orderId === id && typeof l.path === 'string');
        assert.deepEqual(lines.map((l) => [l.msg, l.path]), [['queued', 'queue']]);
        assert.ok(lines[0].batch >= 1 && lines[0].batch <= N);
      }
      const recent = new Map((await status(t)).recent.map((d: any) => [d.order_id, d.path]));
      for (const id of ids.slice(-20)) assert.equal(recent.get(id), 'queue');
    } finally {
      await t.close();
      await redis.stop();
    }
  });

  test('when orders are created one after another while a round trip is under way, then they wait for its answer and go together in the next', async () => {
    const redis = await startRedis();
    const { t } = await apiOn(redis);
    try {
      const before = await figures(t);
      // Redis stops answering for a while, well within REDIS_COMMAND_TIMEOUT_MS: the first order's round trip waits.
      await redis.freeze();
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        // Each its own request, answered before the next is sent: five turns of the event loop.
        const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: i, energy_amount: 32_000, duration: '1h', receive_address: SEED_ADDRESS } });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        ids.push(res.body.id);
        await sleep(20);
      }
      await redis.thaw();
      await until('every order is queued', async () => (await figures(t)).queued - before.queued >= ids.length);
      const after = await figures(t);
      // The first order's round trip, then one more carrying the four created while it waited (not one per turn).
      assert.equal(after.sentTrips - before.sentTrips, 2);
      assert.equal(after.sentJobs - before.sentJobs, 5);
      assert.equal(after.failedTrips - before.failedTrips, 0);
    } finally {
      await redis.thaw();
      await t.close();
      await redis.stop();
    }
  });

  test('when orders come one after another sooner than REDIS_ENQUEUE_GAP_MS after a round trip, then they wait for the gap and go together; an idle process sends at once', async () => {
    const redis = await startRedis();
    const GAP_MS = 1000;
    const { t } = await apiOn(redis, { REDIS_ENQUEUE_GAP_MS: String(GAP_MS) });
    try {
      const before = await figures(t);
      const place = async (i: number) => {
        const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: i, energy_amount: 32_000, duration: '1h', receive_address: SEED_ADDRESS } });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      };
      // Idle: the first order's wake-up goes at the end of its turn, not after a gap.
      const placed = performance.now();
      await place(1);
      await until('the first order is queued', async () => (await figures(t)).queued - before.queued >= 1);
      assert.ok(performance.now() - placed < GAP_MS / 2, 'an idle process does not hold a wake-up back');
      // Four more, each its own request answered before the next: four turns, all within the gap.
      for (let i = 2; i <= 5; i++) await place(i);
      const meanwhile = await figures(t);
      assert.equal(meanwhile.queued - before.queued, 1, 'the four wait for the gap');
      assert.equal(meanwhile.sentTrips - before.sentTrips, 1);
      await until('every order is queued', async () => (await figures(t)).queued - before.queued >= 5);
      const after = await figures(t);
      assert.equal(after.sentTrips - before.sentTrips, 2, 'the first order, then the four together');
      assert.equal(after.sentJobs - before.sentJobs, 5);
      assert.equal(after.sweeper - before.sweeper, 0);
    } finally {
      await t.close();
      await redis.stop();
    }
  });

  test('when the round trip of a batch fails, then each of its orders goes to the sweeper with the reason, and the breaker counts one failure', async () => {
    const redis = await startRedis();
    const { t, logs } = await apiOn(redis);
    try {
      await redis.freeze();
      const before = await figures(t);
      const ids = await placeAtOnce(t);
      // Each order's answer came at once; the wake-ups wait out REDIS_COMMAND_TIMEOUT_MS, then fall back.
      await until('every order has gone to the sweeper', async () => (await figures(t)).sweeper - before.sweeper >= N);
      const after = await figures(t);

      assert.equal(after.failedJobs - before.failedJobs, N);
      assert.equal(after.queued - before.queued, 0);
      for (const id of ids) {
        const lines = logs.filter((l) => l.orderId === id && typeof l.path === 'string');
        assert.deepEqual(lines.map((l) => [l.msg, l.path]), [['queue unavailable -> sweeper', 'sweeper']]);
        assert.match(lines[0].reason, /no answer from Redis within|timeout/i);
      }
      // The breaker (REDIS_BREAKER_THRESHOLD=2) counts failed round trips, not the orders they carried:
      // still closed when fewer than two round trips failed, however many orders they carried.
      const failedTrips = after.failedTrips - before.failedTrips;
      assert.ok(failedTrips >= 1 && failedTrips <= N / 4, `${N} orders took ${failedTrips} failed round trips`);
      const opened = logs.some((l) => l.msg === 'redis circuit breaker open');
      assert.equal(opened, failedTrips >= Number(QUEUE_ENV.REDIS_BREAKER_THRESHOLD), `${failedTrips} failed round trips; breaker opened: ${opened}`);
    } finally {
      await redis.thaw();
      await t.close();
      await redis.stop();
    }
  });
});
