import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => t.close());

test('GET /api/prices states the formula, the range and a rate for every allowed duration', async () => {
  const res = await t.request({ method: 'GET', url: '/api/prices/' });
  assert.equal(res.status, 200);
  assert.match(res.body.formula, /energy_amount \* rate_sun_per_energy_day\(duration\)/);
  assert.equal(res.body.min_energy, 1000);
  assert.equal(res.body.max_energy, 10_000_000);
  assert.deepEqual(
    res.body.durations.map((d: any) => [d.duration, d.rate_sun_per_energy_day, d.billed_days]),
    [['1h', '65', 1], ['1d', '80', 1], ['3d', '70', 3], ['7d', '60', 7], ['14d', '55', 14], ['30d', '50', 30]],
  );
});

test('a quote is what the order would cost, and bad quotes name the problem', async () => {
  const q = await t.request({ method: 'GET', url: '/api/prices/quote?energy_amount=65000&duration=3d' });
  assert.equal(q.status, 200);
  assert.equal(q.body.price_sun, String(65000 * 70 * 3));
  assert.equal(q.body.price_trx, '13.65');
  const low = await t.request({ method: 'GET', url: '/api/prices/quote?energy_amount=10&duration=1h' });
  assert.equal(low.body.error.code, 'energy_out_of_range');
  const dur = await t.request({ method: 'GET', url: '/api/prices/quote?energy_amount=32000&duration=5h' });
  assert.equal(dur.body.error.code, 'unsupported_duration');
  const missing = await t.request({ method: 'GET', url: '/api/prices/quote?duration=1h' });
  assert.equal(missing.body.error.code, 'missing_field');
});

test('/health answers without I/O; /ready checks the database', async () => {
  assert.deepEqual((await t.request({ method: 'GET', url: '/health' })).body, { status: 'ok' });
  assert.deepEqual((await t.request({ method: 'GET', url: '/ready' })).body, { status: 'ready', database: 'sqlite' });
});

test('when the database does not answer, then /ready is 503 database_unavailable', async () => {
  const down = await createTestApp();
  await down.db.close();
  try {
    const res = await down.request({ method: 'GET', url: '/ready' });
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, { error: { code: 'database_unavailable', message: 'the database does not answer' } });
  } finally {
    await down.close();
  }
});
