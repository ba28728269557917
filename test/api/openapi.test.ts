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
    'GET /api/orders/{order_id}/transactions',
    'GET /api/users',
    'GET /api/pools',
    'GET /api/status',
    'GET /api/status/delays',
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
  for (const [path, method] of [
    ['/api/users/{user_id}/deposits', 'post'],
    ['/api/users', 'get'],
    ['/api/pools', 'get'],
    ['/api/status', 'get'],
    ['/api/status/delays', 'get'],
  ] as const) {
    assert.deepEqual(doc.paths[path][method].security, [{ adminToken: [] }], `${method} ${path} says it needs the admin token`);
  }
  assert.equal(doc.paths['/api/pools'].get.responses['200'].content['application/json'].schema.properties.pools.items.properties.available_energy.type, 'integer');
  assert.ok(!('signed_json' in doc.paths['/api/orders/{order_id}/transactions'].get.responses['200'].content['application/json'].schema.properties.transactions.items.properties));
  assert.deepEqual(doc['x-error-codes'].map((e: any) => e.code), ERROR_CODES.map((e) => e.code));
  assert.match(doc.info.description, /curl -X POST http:\/\/localhost:8002\/api\/orders\//);
});

test('every GET the reference marks as admin answers 401 without the admin token', async () => {
  const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).body;
  const admin = Object.entries(doc.paths).filter(([, methods]) => (methods as any).get?.security?.some((s: any) => 'adminToken' in s));
  assert.ok(admin.length >= 4);
  for (const [path] of admin) {
    const url = path.replace('{user_id}', '1').replace('{order_id}', '00000000-0000-7000-8000-000000000000');
    const res = await t.request({ method: 'GET', url });
    assert.equal(res.status, 401, path);
    assert.equal(res.body.error.code, 'unauthorized', path);
  }
});

test('/docs is a page that renders the reference without any external asset', async () => {
  const res = await t.request({ method: 'GET', url: '/docs' });
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.text, /fetch\('\/openapi.json'\)/);
  assert.doesNotMatch(res.text, /(src|href)="https?:/, 'no external scripts or styles');
});
