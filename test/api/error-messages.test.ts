import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, SEED_ADDRESS, type TestApp } from '../support/app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

const ORDER = { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS };

test('every refusal tells the client what would have been accepted, never a schema keyword or a regular expression', async () => {
  const duration = await t.request({ method: 'POST', url: '/api/orders', payload: { ...ORDER, duration: '2h' } });
  assert.equal(duration.body.error.code, 'unsupported_duration');
  assert.match(duration.body.error.message, /must be one of 1h, 1d, 3d, 7d, 14d, 30d/);

  const status = await t.request({ method: 'GET', url: '/api/orders?status=lost' });
  assert.equal(status.body.error.code, 'invalid_status');
  assert.match(status.body.error.message, /must be one of pending, delegating, active, reclaiming, completed, failed/);

  const id = await t.request({ method: 'GET', url: '/api/orders/not-a-uuid' });
  assert.equal(id.body.error.code, 'invalid_order_id');
  assert.match(id.body.error.message, /UUID such as/);

  const media = await t.request({ method: 'POST', url: '/api/orders', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
  assert.equal(media.status, 415);
  assert.match(media.body.error.message, /Content-Type: application\/json/);

  for (const res of [duration, status, id, media]) {
    assert.doesNotMatch(res.body.error.message, /equal to constant|\^\[|must match pattern|anyOf/, res.body.error.message);
  }
});
