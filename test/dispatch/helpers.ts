import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack } from '../support/stack.js';

/** Queue settings for tests: short timeouts and grace so a whole outage fits in seconds. */
export const QUEUE_ENV = {
  REDIS_COMMAND_TIMEOUT_MS: '1000',
  REDIS_BREAKER_THRESHOLD: '2',
  REDIS_BREAKER_OPEN_MS: '300',
  SWEEP_GRACE_MS: '500',
  SWEEP_INTERVAL_MS: '200',
};
export const COMMAND_TIMEOUT_MS = Number(QUEUE_ENV.REDIS_COMMAND_TIMEOUT_MS);

/**
 * Places an order through the API and measures how long the response took.
 * Every answer must be a 201 well under the Redis command timeout: creation
 * never waits on Redis.
 */
export async function place(s: Stack, i: number): Promise<{ id: string; ms: number }> {
  const started = performance.now();
  const res = await s.request({
    method: 'POST',
    url: '/api/orders',
    payload: { user_id: 1, energy_amount: 32_000 + i, duration: '2s', receive_address: s.customer(i % 3) },
  });
  const ms = performance.now() - started;
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.ok(ms < COMMAND_TIMEOUT_MS, `POST /api/orders took ${ms.toFixed(0)} ms: it waited on Redis`);
  return { id: res.body.id, ms };
}

export async function placeMany(s: Stack, n: number, from = 0, gapMs = 20): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push((await place(s, from + i)).id);
    if (gapMs > 0) await sleep(gapMs);
  }
  return ids;
}

/** The path the log says each order took (queued, queue unavailable -> sweeper, …). */
export const pathOf = (s: Stack, orderId: string): string[] =>
  s.logs.filter((l) => l.orderId === orderId && typeof l.path === 'string' && l.role === 'api').map((l) => l.path);

/** Places orders until one is queued again (Redis back, breaker closed by its probe). */
export async function untilQueuedAgain(s: Stack, from: number, timeoutMs = 15_000): Promise<string[]> {
  const ids: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    const { id } = await place(s, from + i);
    ids.push(id);
    await sleep(100);
    if (pathOf(s, id).includes('queue')) return ids;
  }
  throw new Error('new orders never went through the queue again after Redis returned');
}

/**
 * Every order completed, and each was delegated exactly once: the devnet
 * holds exactly one included DelegateResourceContract per order, and it is
 * the one the order recorded.
 */
export async function assertCompletedOnce(s: Stack, ids: string[], timeoutMs = 60_000): Promise<void> {
  for (const id of ids) await s.waitFor(id, (o) => o.status === 'completed', timeoutMs);
  const included = (await s.chainTxs('DelegateResourceContract')).filter((t) => t.status === 'included');
  const orders = await s.db.kysely.selectFrom('orders').select(['id', 'delegate_txid']).execute();
  assert.equal(included.length, orders.length, 'one delegation on chain per order');
  assert.deepEqual(new Set(included.map((t) => t.txID)), new Set(orders.map((o) => o.delegate_txid)));
}
