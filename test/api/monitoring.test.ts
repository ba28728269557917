import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, createTestApp, SEED_ADDRESS, type TestApp } from '../support/app.js';

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
