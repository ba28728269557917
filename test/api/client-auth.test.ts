import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_TOKEN, createTestApp, SEED_ADDRESS, tableCounts } from '../support/app.js';

const ORDER = { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS };

test('without API_KEYS, client endpoints answer only requests addressed to this machine: a rebinding page is turned away and nothing is written', async () => {
  const t = await createTestApp();
  try {
    await t.deposit(1, 100_000_000n);
    const before = await tableCounts(t.db);
    for (const host of ['evil.example:8002', 'evil.example', '192.168.1.10:8002', '0.0.0.0:8002', '127.0.0.1.evil.example']) {
      const res = await t.request({ method: 'POST', url: '/api/orders', headers: { host }, payload: ORDER });
      assert.equal(res.status, 421, host);
      assert.equal(res.body.error.code, 'host_not_allowed');
      assert.match(res.body.error.message, /API_KEYS/);
      const read = await t.request({ method: 'GET', url: '/api/users/1', headers: { host } });
      assert.equal(read.status, 421, `reads too: ${host}`);
    }
    assert.deepEqual(await tableCounts(t.db), before);
    for (const host of ['localhost:8002', '127.0.0.1:8002', '[::1]:8002', 'LOCALHOST']) {
      assert.equal((await t.request({ method: 'GET', url: '/api/users/1', headers: { host } })).status, 200, host);
    }
    assert.equal((await t.request({ method: 'POST', url: '/api/orders', headers: { host: 'localhost:8002' }, payload: ORDER })).status, 201);
    // Public and admin endpoints are not client endpoints: prices stay open, the admin token still rules.
    assert.equal((await t.request({ method: 'GET', url: '/api/prices', headers: { host: 'evil.example' } })).status, 200);
    const admin = await t.request({ method: 'GET', url: '/api/users', headers: { host: 'evil.example', authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(admin.status, 200);
  } finally {
    await t.close();
  }
});

test('without API_KEYS, a request a page of another site makes from a browser on this machine is turned away, though it names this machine as Host, and nothing is written', async () => {
  const t = await createTestApp();
  try {
    await t.deposit(1, 100_000_000n);
    const placed = await t.request({ method: 'POST', url: '/api/orders', headers: { host: 'localhost:8002', origin: 'http://localhost:8002' }, payload: ORDER });
    assert.equal(placed.status, 201, 'a page of this machine (the dashboard, a local tool) is served');
    const before = await tableCounts(t.db);
    const host = { host: '127.0.0.1:8002' };
    const attempts = [
      // fetch(…, { method: 'POST', mode: 'no-cors' }): Origin names the page's site.
      { method: 'POST' as const, url: `/api/orders/${placed.body.id}/cancel`, headers: { ...host, origin: 'https://evil.example' } },
      // <img src=…>: no Origin, but the browser says the request is cross-site.
      { method: 'GET' as const, url: '/api/users/2/deposit-address', headers: { ...host, 'sec-fetch-site': 'cross-site' } },
      // A sandboxed frame or a file: page: an opaque origin.
      { method: 'POST' as const, url: '/api/orders', headers: { ...host, origin: 'null' }, payload: ORDER },
    ];
    for (const a of attempts) {
      const res = await t.request(a);
      assert.equal(res.status, 403, a.url);
      assert.equal(res.body.error.code, 'cross_site_request');
    }
    assert.deepEqual(await tableCounts(t.db), before, 'nothing written, nothing cancelled');
  } finally {
    await t.close();
  }
});

test('a key is read from Authorization whatever the case of its scheme, and an Authorization of another scheme is refused, never taken for no key (which, without keys, is the default tenant)', async () => {
  const t = await createTestApp();
  try {
    const admin = { authorization: `bearer ${ADMIN_TOKEN}` };
    const issued = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name: 'a bot' } });
    assert.equal(issued.status, 201, 'the admin token, its scheme in lower case');
    const { key, tenant_id: tenantId } = issued.body as { key: string; tenant_id: string };
    const topUp = await t.request({ method: 'POST', url: '/api/users/1/deposits', headers: admin, payload: { amount_sun: '100000000', reference: 'r1', tenant_id: tenantId } });
    assert.equal(topUp.status, 201);
    await t.deposit(1, 100_000_000n);
    const balance = async (headers: Record<string, string>) => (await t.request({ method: 'GET', url: '/api/users/1', headers })).body.balance_sun;

    const placed = await t.request({ method: 'POST', url: '/api/orders', headers: { authorization: `BEARER ${key}` }, payload: ORDER });
    assert.equal(placed.status, 201);
    assert.equal(await balance({ 'x-api-key': key }), String(100_000_000 - 2_080_000), "the tenant's user paid");
    assert.equal(await balance({}), '100000000', "the default tenant's user 1 did not");

    const before = await tableCounts(t.db);
    for (const authorization of [`Token ${key}`, `Basic ${Buffer.from(`x:${key}`).toString('base64')}`]) {
      const res = await t.request({ method: 'POST', url: '/api/orders', headers: { authorization }, payload: ORDER });
      assert.equal(res.status, 401, authorization.split(' ')[0]);
      assert.equal(res.body.error.code, 'unauthorized');
    }
    assert.deepEqual(await tableCounts(t.db), before, 'nothing written for anyone');
  } finally {
    await t.close();
  }
});

test('with API_KEYS, any Host is served, and only with a key', async () => {
  const t = await createTestApp({ env: { API_KEYS: 'client-key-000000001' } });
  try {
    const headers = { host: 'joule.example.com' };
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1', headers })).status, 401);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1', headers: { ...headers, authorization: 'Bearer client-key-000000001' } })).status, 404);
  } finally {
    await t.close();
  }
});

test('with CLIENT_AUTH=none on an open HOST, client endpoints answer anyone, as the operator said', async () => {
  const t = await createTestApp({ env: { HOST: '0.0.0.0', CLIENT_AUTH: 'none' } });
  try {
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1', headers: { host: 'joule.example.com' } })).status, 404);
  } finally {
    await t.close();
  }
});
