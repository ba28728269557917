import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ERROR_CODES } from '../../src/api/error-codes.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => t.close());

test('/openapi.json documents every route the server has, from the schemas it validates with', async () => {
  const res = await t.request({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.status, 200);
  const doc = res.body;
  assert.equal(doc.openapi, '3.1.0');
  const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods as object).map((m) => `${m.toUpperCase()} ${path}`));
  for (const expected of [
    'POST /api/orders',
    'GET /api/orders',
    'GET /api/orders/{order_id}',
    'GET /api/orders/{order_id}/events',
    'GET /api/users/{user_id}',
    'GET /api/users/{user_id}/ledger',
    'POST /api/users/{user_id}/deposits',
    'GET /api/prices',
    'GET /api/prices/quote',
    'GET /health',
    'GET /ready',
  ]) {
    assert.ok(documented.includes(expected), `${expected} is documented`);
  }
  const create = doc.paths['/api/orders'].post;
  assert.deepEqual(create.requestBody.content['application/json'].example, {
    user_id: 999888,
    energy_amount: 32000,
    duration: '1h',
    receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
  });
  const body = create.requestBody.content['application/json'].schema;
  assert.equal(body.additionalProperties, false);
  assert.equal(body.properties.energy_amount.minimum, 1000);
  assert.deepEqual(body.required.sort(), ['duration', 'energy_amount', 'receive_address', 'user_id']);
  assert.ok(create.responses['201'].content['application/json'].schema.properties.price_sun);
  assert.ok(create.responses['4XX']);
  assert.deepEqual(doc.paths['/api/users/{user_id}/deposits'].post.security, [{ adminToken: [] }]);
  assert.deepEqual(doc['x-error-codes'].map((e: any) => e.code), ERROR_CODES.map((e) => e.code));
  assert.match(doc.info.description, /curl -X POST http:\/\/localhost:8002\/api\/orders\//);
});

test('/docs is a page that renders the reference without any external asset', async () => {
  const res = await t.request({ method: 'GET', url: '/docs' });
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.text, /fetch\('\/openapi.json'\)/);
  assert.doesNotMatch(res.text, /(src|href)="https?:/, 'no external scripts or styles');
});
