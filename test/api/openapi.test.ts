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
    'POST /api/orders/{order_id}/cancel',
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
    'GET /api/estimate/usdt-transfer',
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

test('every operation documents what it answers on success: JSON with its schema, a page, text or a redirect', async () => {
  const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).body;
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods as Record<string, any>).map(([method, op]) => ({ path, method, op })));
  for (const { path, method, op } of operations) {
    const success = Object.entries(op.responses as Record<string, any>).filter(([status]) => /^[23]/.test(status));
    assert.ok(success.length > 0, `${method} ${path} documents its success`);
    for (const [status, response] of success) {
      assert.ok(response.description, `${method} ${path} ${status} says what it is`);
      if (status.startsWith('3')) continue;
      const media = Object.values(response.content ?? {}) as Array<{ schema?: object }>;
      assert.equal(media.length, 1, `${method} ${path} ${status} names its media type`);
      assert.ok(media[0]!.schema && Object.keys(media[0]!.schema).length > 0, `${method} ${path} ${status} has a schema`);
    }
    if (path.startsWith('/api/') || path === '/health' || path === '/ready') {
      // A POST creates (201), acts on what exists (a cancel: 200), or accepts work for later (202: a webhook redelivery).
      const ok = op.responses[method === 'post' ? ('202' in op.responses ? '202' : '201' in op.responses ? '201' : '200') : '200'];
      assert.ok(ok?.content['application/json'].schema.type === 'object', `${method} ${path} answers a JSON object`);
    }
  }
  const json = (path: string, method = 'get', status = '200') => doc.paths[path][method].responses[status].content['application/json'].schema;
  assert.ok(json('/api/orders', 'post', '200').properties.price_sun, 'a replayed order is the order too');
  assert.deepEqual(Object.keys(json('/api/users/{user_id}/deposits', 'post', '201').properties), ['user_id', 'currency', 'balance', 'balance_sun', 'balance_micro_usdt', 'entry']);
  assert.deepEqual(json('/api/users/{user_id}/deposits', 'post', '200'), json('/api/users/{user_id}/deposits', 'post', '201'));
  assert.deepEqual(json('/health'), { type: 'object', properties: { status: { const: 'ok', type: 'string' } }, required: ['status'] });
  assert.deepEqual(Object.keys(json('/api/status').properties), ['orders', 'dispatch', 'chain_errors', 'process']);
  assert.deepEqual(Object.keys(json('/api/status').properties.dispatch.properties), ['mode', 'paths', 'redis', 'queue_depth', 'recent']);
  assert.deepEqual(Object.keys(json('/api/status/delays').properties), ['bucket_seconds', 'from', 'to', 'buckets']);
  assert.ok(doc.paths['/ready'].get.responses['503'].content['application/json'].schema.properties.error);
  assert.deepEqual(Object.keys(json('/api/estimate/usdt-transfer').properties), ['to', 'token', 'energy_amount', 'holds_usdt', 'prices']);
  assert.ok(doc.paths['/api/estimate/usdt-transfer'].get.responses['503'].content['application/json'].schema.properties.error, 'the node being unable to answer is documented');
  assert.deepEqual(Object.keys(doc.paths['/metrics'].get.responses['200'].content), ['text/plain']);
  assert.deepEqual(Object.keys(doc.paths['/docs'].get.responses['200'].content), ['text/html']);
  assert.deepEqual(Object.keys(doc.paths['/dashboard/'].get.responses['200'].content), ['text/html']);
  assert.deepEqual(Object.keys(doc.paths['/'].get.responses), ['302']);
  assert.equal(doc.paths['/'].get.responses['302'].content, undefined, 'a redirect has no body');
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
