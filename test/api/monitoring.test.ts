import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/api/app.js';
import { createGuards } from '../../src/api/auth.js';
import type { DispatchStatus } from '../../src/dispatch/dispatch.js';
import { ORDER_STATUSES } from '../../src/domain/order-status.js';
import { createLogger } from '../../src/observability/logger.js';
import { ADMIN_TOKEN, createTestApp, SEED_ADDRESS, type TestApp } from '../support/app.js';
import { startStack } from '../support/stack.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('GET /metrics and GET /api/status', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await t.deposit(7, 1_000_000_000n);
    const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 7, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
    assert.equal(res.status, 201);
  });
  after(() => t.close());

  test('when no admin token is presented, then both answer 401 with a JSON error', async () => {
    for (const url of ['/metrics', '/api/status']) {
      const res = await t.request({ method: 'GET', url });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'unauthorized');
      assert.equal(typeof res.body.error.message, 'string');
      const wrong = await t.request({ method: 'GET', url, headers: { authorization: 'Bearer not-the-token-at-all' } });
      assert.equal(wrong.status, 401);
    }
  });

  test('when scraped, then /metrics is Prometheus text with orders, delays, dispatch paths and process load', async () => {
    const res = await t.request({ method: 'GET', url: '/metrics', headers: admin });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /text\/plain/);
    for (const line of [
      /joule_orders\{status="pending"\} 1/,
      /joule_oldest_pending_seconds \d/,
      /joule_dispatch_total\{path="sweeper"\} \d/,
      /# TYPE joule_order_broadcast_delay_seconds histogram/,
      /# TYPE joule_order_active_delay_seconds histogram/,
      /joule_chain_errors_total \d/,
      /joule_nodejs_eventloop_lag_seconds \d/,
      /joule_process_cpu_seconds_total \d/,
      /joule_process_resident_memory_bytes \d/,
    ]) {
      assert.match(res.text, line);
    }
  });

  test('when asked, then /api/status gives the same as JSON, without Redis when background tasks are off', async () => {
    const res = await t.request({ method: 'GET', url: '/api/status', headers: admin });
    assert.equal(res.status, 200);
    assert.equal(res.body.orders.by_status.pending, 1);
    assert.equal(res.body.orders.by_status.completed, 0);
    assert.ok(res.body.orders.oldest_pending_ms >= 0);
    assert.equal(res.body.dispatch.mode, 'sweeper');
    assert.equal(res.body.dispatch.redis, null);
    assert.equal(res.body.dispatch.queue_depth, null);
    assert.ok(res.body.dispatch.paths.sweeper >= 1);
    // Every field, at every level: the serialiser writes what the response schema names and drops the rest.
    assert.deepEqual(Object.keys(res.body), ['orders', 'dispatch', 'chain_errors', 'process']);
    assert.deepEqual(Object.keys(res.body.orders), ['by_status', 'oldest_pending_ms']);
    assert.deepEqual(Object.keys(res.body.orders.by_status), [...ORDER_STATUSES]);
    assert.deepEqual(Object.keys(res.body.dispatch), ['mode', 'paths', 'redis', 'queue_depth', 'recent']);
    assert.deepEqual(Object.keys(res.body.dispatch.paths), ['in-process', 'queue', 'sweeper']);
    assert.equal(typeof res.body.chain_errors, 'number');
    assert.deepEqual(Object.keys(res.body.process), ['uptime_s', 'rss_bytes', 'heap_used_bytes', 'pid']);
    assert.equal(res.body.process.pid, process.pid);
  });

  test('when orders are dispatched, then /api/status lists the last 20, newest first, with their path and time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 7, energy_amount: 1000, duration: '1h', receive_address: SEED_ADDRESS } });
      assert.equal(res.status, 201);
      ids.push(res.body.id);
    }
    const { recent } = (await t.request({ method: 'GET', url: '/api/status', headers: admin })).body.dispatch;
    assert.equal(recent.length, 20);
    assert.deepEqual(recent.map((d: any) => d.order_id), ids.slice(-20).reverse());
    for (const d of recent) {
      assert.deepEqual(Object.keys(d).sort(), ['at', 'order_id', 'path']);
      assert.equal(d.path, 'sweeper');
      assert.ok(Math.abs(Date.parse(d.at) - Date.now()) < 60_000, d.at);
    }
  });

  test('when METRICS_PUBLIC=true, then /metrics needs no token but /api/status still does', async () => {
    const open = await createTestApp({ env: { METRICS_PUBLIC: 'true' } });
    try {
      assert.equal((await open.request({ method: 'GET', url: '/metrics' })).status, 200);
      assert.equal((await open.request({ method: 'GET', url: '/api/status' })).status, 401);
    } finally {
      await open.close();
    }
  });
});

test('when the dispatch reports Redis and the queue, then /api/status shows all of it', async () => {
  const status: DispatchStatus = {
    mode: 'queue',
    redis: { state: 'reconnecting', up: false, breaker: 'half-open', lastReadyAt: '2026-01-02T03:04:05.000Z', lastErrorAt: '2026-01-02T03:04:06.000Z' },
    queueDepth: { waiting: 3, active: 2, delayed: 1, observedAt: '2026-01-02T03:04:07.000Z' },
    recent: [{ orderId: '00000000-0000-7000-8000-000000000001', path: 'queue', at: '2026-01-02T03:04:08.000Z' }],
  };
  const t = await createTestApp();
  // The same API over the same database, with a dispatch that reports what a queue would.
  const app = buildApp({ config: t.config, db: t.db, guards: createGuards(ADMIN_TOKEN, t.config), dispatch: { orderPlaced: () => undefined, status: () => status } }, createLogger('silent'));
  try {
    const reply = await app.inject({ method: 'GET', url: '/api/status', headers: admin });
    const res = { status: reply.statusCode, body: reply.json() };
    assert.equal(res.status, 200);
    assert.equal(res.body.dispatch.mode, 'queue');
    assert.deepEqual(res.body.dispatch.redis, {
      state: 'reconnecting',
      up: false,
      breaker: 'half-open',
      last_ready_at: '2026-01-02T03:04:05.000Z',
      last_error_at: '2026-01-02T03:04:06.000Z',
    });
    assert.deepEqual(res.body.dispatch.queue_depth, { waiting: 3, active: 2, delayed: 1, observed_at: '2026-01-02T03:04:07.000Z' });
    assert.deepEqual(res.body.dispatch.recent, [{ order_id: '00000000-0000-7000-8000-000000000001', path: 'queue', at: '2026-01-02T03:04:08.000Z' }]);
  } finally {
    await app.close();
    await t.close();
  }
});

test('when an order is run in this process, then /api/status lists it with the in-process path', async () => {
  const s = await startStack();
  try {
    await s.deposit(1, 100_000_000n);
    const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
    const { dispatch } = (await s.request({ method: 'GET', url: '/api/status', headers: admin })).body;
    assert.equal(dispatch.mode, 'in-process');
    assert.deepEqual(dispatch.recent.map((d: any) => [d.order_id, d.path]), [[placed.id, 'in-process']]);
    await s.waitFor(placed.id, (o) => o.status === 'active');
  } finally {
    await s.close();
  }
});
