import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { SYNC_MS } from '../../src/api/rate-limiter.js';
import { startRedis } from '../../scripts/services/redis.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/app.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const ENV_KEY = 'an-env-client-key-0123456789';

async function issue(t: TestApp, name: string, rateLimit?: number): Promise<any> {
  const res = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name, ...(rateLimit === undefined ? {} : { rate_limit: rateLimit }) } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** One client request (a cheap read, not one the read gate sheds) with this key. */
const call = (t: TestApp, key: string) => t.request({ method: 'GET', url: '/api/users/1/addresses', headers: as(key) });

/** `n` requests one after another; the statuses they got. */
async function calls(t: TestApp, key: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(t, key)).status);
  return out;
}

const times = (n: number, status: number) => Array.from({ length: n }, () => status);

/** A refusal, as a client sees it. */
function assertRefused(res: Awaited<ReturnType<typeof call>>, limit: number): void {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'rate_limited');
  assert.equal(res.body.error.limit, limit);
  const retry = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${res.headers['retry-after']}`);
  assert.equal(res.body.error.retry_after_seconds, retry);
  assert.equal(res.headers['ratelimit-limit'], String(limit));
  assert.equal(res.headers['ratelimit-remaining'], '0');
  assert.match(res.body.error.message, new RegExp(`${limit} requests a minute`));
}

/**
 * The minute is a fixed wall-clock window: a test that needs all its
 * requests in one window waits for a fresh one when less than `needMs` is left.
 */
async function freshWindow(needMs = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await sleep(left + 50);
}

describeEachDialect('rate limits per client key', (newApp) => {
  let t: TestApp;
  const reopen = appPerTest(newApp, (app) => (t = app));

  test('when a key with rate_limit 5 makes a 6th request in a minute, then it is answered 429 with Retry-After; another key and the admin token are unaffected', async () => {
    await freshWindow();
    const a = await issue(t, 'A', 5);
    const b = await issue(t, 'B', 5);
    assert.equal(a.rate_limit, 5);
    const first = await call(t, a.key);
    assert.equal(first.headers['ratelimit-limit'], '5');
    assert.equal(first.headers['ratelimit-remaining'], '4');
    assert.deepEqual(await calls(t, a.key, 4), times(4, 200));
    assertRefused(await call(t, a.key), 5);
    assertRefused(await call(t, a.key), 5);
    assert.deepEqual(await calls(t, b.key, 5), times(5, 200), "B's count is its own");
    const asAdmin = await calls(t, ADMIN_TOKEN, 10);
    assert.deepEqual(asAdmin, times(10, 200), 'the admin token is never limited');
    // Admin endpoints are not client endpoints: the admin works on while A is refused.
    assert.equal((await t.request({ method: 'GET', url: '/api/admin/api-keys', headers: admin })).status, 200);
  });

  test('when a key has no rate_limit, then RATE_LIMIT_PER_MIN applies, to database keys and API_KEYS alike; PATCH changes it at once and the list shows it', async () => {
    await reopen({ RATE_LIMIT_PER_MIN: '3' });
    await freshWindow();
    const a = await issue(t, 'A');
    assert.equal(a.rate_limit, null);
    assert.deepEqual(await calls(t, a.key, 4), [200, 200, 200, 429]);
    // Requests without a key (CLIENT_AUTH loopback here) are not counted: there is no one to count them by.
    const keyless = await Promise.all(Array.from({ length: 5 }, () => t.request({ method: 'GET', url: '/api/users/1/addresses' })));
    assert.deepEqual(keyless.map((r) => r.status), times(5, 200));
    await reopen({ RATE_LIMIT_PER_MIN: '3', API_KEYS: ENV_KEY });
    assert.deepEqual(await calls(t, ENV_KEY, 4), [200, 200, 200, 429]);

    const b = await issue(t, 'B');
    assert.deepEqual(await calls(t, b.key, 4), [200, 200, 200, 429]);
    const patched = await t.request({ method: 'PATCH', url: `/api/admin/api-keys/${b.id}`, headers: admin, payload: { rate_limit: 6 } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.rate_limit, 6);
    assert.deepEqual(await calls(t, b.key, 4), [200, 200, 200, 429], 'the three made this minute still count');
    const list = (await t.request({ method: 'GET', url: '/api/admin/api-keys', headers: admin })).body.api_keys;
    assert.deepEqual(list.map((k: any) => [k.id, k.rate_limit]), [[b.id, 6]]);
    const back = await t.request({ method: 'PATCH', url: `/api/admin/api-keys/${b.id}`, headers: admin, payload: { rate_limit: null } });
    assert.equal(back.body.rate_limit, null);

    for (const bad of [0, -1, 1.5, '10', 2_000_000_000]) {
      const res = await t.request({ method: 'PATCH', url: `/api/admin/api-keys/${b.id}`, headers: admin, payload: { rate_limit: bad } });
      assert.equal(res.status, 400, `rate_limit ${bad}`);
      assert.equal(res.body.error.code, 'invalid_field');
    }
    const missing = await t.request({ method: 'PATCH', url: '/api/admin/api-keys/no-such-key', headers: admin, payload: { rate_limit: 5 } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    assert.equal((await t.request({ method: 'PATCH', url: `/api/admin/api-keys/${b.id}`, headers: as(b.key), payload: { rate_limit: 100 } })).status, 401);
  });

  test('when RATE_LIMIT_PER_MIN is unlimited, then keys without their own limit are not limited, and one with it still is', async () => {
    await reopen({ RATE_LIMIT_PER_MIN: 'unlimited' });
    await freshWindow();
    const free = await issue(t, 'free');
    const capped = await issue(t, 'capped', 2);
    const res = await call(t, free.key);
    assert.equal(res.headers['ratelimit-limit'], undefined);
    assert.deepEqual(await calls(t, free.key, 30), times(30, 200));
    assert.deepEqual(await calls(t, capped.key, 3), [200, 200, 429]);
  });

  test('when two api processes share the database, then they share each key\'s count', async () => {
    await freshWindow(20_000);
    const other = await createTestApp({ databaseUrl: t.config.databaseUrl, env: {} });
    try {
      // Below a limit of 20 every request asks the shared count: exact.
      const a = await issue(t, 'A', 6);
      assert.deepEqual(await calls(t, a.key, 3), times(3, 200));
      assert.deepEqual(await calls(other, a.key, 4), [200, 200, 200, 429]);
      assertRefused(await call(t, a.key), 6);

      // Above it, each process admits up to 5 % of the limit on its own between syncs: at most that much over.
      const b = await issue(t, 'B', 40);
      const here = await calls(t, b.key, 30);
      await sleep(2 * SYNC_MS);
      const there = await calls(other, b.key, 20);
      const again = await calls(t, b.key, 5);
      const admitted = [...here, ...there, ...again].filter((s) => s === 200).length;
      assert.ok(admitted >= 40 && admitted <= 40 + 2 * 2, `${admitted} admitted of a limit of 40 by two processes`);
      assert.equal(there.filter((s) => s === 200).length, 10, 'the second process knew of the first one\'s 30');
      assert.deepEqual(again.slice(-2), [429, 429]);
      const rows = await sql<{ n: bigint }>`select cast(count(*) as bigint) as n from rate_limit_counts`.execute(t.db.kysely);
      assert.equal(BigInt(rows.rows[0]!.n), 2n, 'one row per key and minute');
    } finally {
      await other.close();
    }
  });
});

describe('rate limits shared through Redis (background tasks on)', () => {
  const queueEnv = (url: string) => ({
    ENABLE_BACKGROUND_TASKS: 'true',
    REDIS_URL: url,
    REDIS_COMMAND_TIMEOUT_MS: '300',
    REDIS_BREAKER_THRESHOLD: '2',
    REDIS_BREAKER_OPEN_MS: '300',
  });

  test('when two api processes use one Redis, then they share each key\'s count there, not in the database', async () => {
    const redis = await startRedis();
    const first = await createTestApp({ env: queueEnv(redis.url) });
    const second = await createTestApp({ databaseUrl: first.config.databaseUrl, env: queueEnv(redis.url) });
    const client = new Redis(redis.url);
    try {
      await freshWindow();
      await sleep(300); // the connections come up in the background
      const a = await issue(first, 'A', 5);
      assert.deepEqual(await calls(first, a.key, 3), times(3, 200));
      assert.deepEqual(await calls(second, a.key, 3), [200, 200, 429]);
      assertRefused(await call(first, a.key), 5);
      const keys = await client.keys('joule:rate:*');
      assert.deepEqual(keys.map((k) => k.split(':').slice(0, 3).join(':')), [`joule:rate:key`]);
      assert.ok(Number(await client.get(keys[0]!)) >= 5);
      assert.ok((await client.pttl(keys[0]!)) > 0, 'the count expires by itself');
      const rows = await sql<{ n: bigint }>`select cast(count(*) as bigint) as n from rate_limit_counts`.execute(first.db.kysely);
      assert.equal(BigInt(rows.rows[0]!.n), 0n);
    } finally {
      client.disconnect();
      await second.close();
      await first.close();
      await redis.stop();
    }
  });

  test('when Redis is down or frozen, then limits fail open to each process\'s own count: never a 5xx, never a wait past the command timeout', async () => {
    const redis = await startRedis();
    const first = await createTestApp({ env: queueEnv(redis.url) });
    const second = await createTestApp({ databaseUrl: first.config.databaseUrl, env: queueEnv(redis.url) });
    try {
      await freshWindow(25_000);
      await sleep(300);
      const a = await issue(first, 'A', 4);
      const b = await issue(first, 'B', 4);
      assert.deepEqual(await calls(first, a.key, 2), [200, 200]);

      // Frozen: the connection stays open and nothing answers.
      await redis.freeze();
      const started = performance.now();
      const frozen = await calls(first, b.key, 5);
      assert.ok(performance.now() - started < 2_000, `five requests took ${(performance.now() - started).toFixed(0)} ms`);
      assert.deepEqual(frozen, [200, 200, 200, 200, 429], "B limited by this process's own count");
      await redis.thaw();

      // Killed: each process counts on its own, so together they admit up to twice the limit.
      await redis.kill();
      await sleep(200);
      const statuses = [...(await calls(first, a.key, 4)), ...(await calls(second, a.key, 6))];
      assert.ok(statuses.every((s) => s === 200 || s === 429), JSON.stringify(statuses));
      assert.deepEqual(statuses, [200, 200, 429, 429, 200, 200, 200, 200, 429, 429], 'first: 2 more of its 4; second: its own 4');
      assert.equal(first.joule.dispatch!.status!().redis?.up, false);
    } finally {
      await second.close();
      await first.close();
      await redis.stop();
    }
  });
});
