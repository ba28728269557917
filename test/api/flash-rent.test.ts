import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flashIdempotencyKey } from '../../src/use-cases/flash-payment.js';
import { ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

const ADDRESS = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';

describeEachDialect('flash rent through the API', (newApp) => {
  // A fresh app per test, its ledger checked after it.
  let t: TestApp;
  const reopen = appPerTest(newApp, (app) => (t = app));

  test('GET /api/flash-rent states the address, the offers (smallest first) and the rules; without FLASH_RENT_ADDRESS it says it is off', async () => {
    const off = await t.request({ method: 'GET', url: '/api/flash-rent' });
    assert.equal(off.status, 200);
    assert.deepEqual(off.body, { enabled: false, address: null, offers: [], refund_fee_sun: null, rules: [] });
    // The api role: it never signs, so the address needs no key here (the worker checks it against its pools).
    await reopen({ FLASH_RENT_ADDRESS: ADDRESS, FLASH_RENT_TABLE: '6:131000:1h,3:65000:1h', FLASH_RENT_REFUND_FEE_SUN: '500000' });
    const res = await t.request({ method: 'GET', url: '/api/flash-rent' });
    assert.equal(res.status, 200);
    assert.equal(res.body.enabled, true);
    assert.equal(res.body.address, ADDRESS);
    assert.deepEqual(res.body.offers, [
      { amount_sun: '3000000', amount_trx: '3', energy_amount: 65000, duration: '1h' },
      { amount_sun: '6000000', amount_trx: '6', energy_amount: 131000, duration: '1h' },
    ]);
    assert.equal(res.body.refund_fee_sun, '500000');
    const rules = (res.body.rules as string[]).join('\n');
    assert.match(rules, /exactly one of the listed amounts/);
    assert.match(rules, /memo/);
    assert.match(rules, /minus 0\.5 TRX/);

    // What became of a transfer: a malformed id is a 400, an unknown one a 404, both in the error shape.
    const bad = await t.request({ method: 'GET', url: '/api/flash-rent/payments/nothex' });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.code);
    const unknown = await t.request({ method: 'GET', url: `/api/flash-rent/payments/${'ab'.repeat(32)}` });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    // The list of payments is the operator's: the admin token only.
    assert.equal((await t.request({ method: 'GET', url: '/api/admin/flash-rent/payments' })).status, 401);
    const list = await t.request({ method: 'GET', url: '/api/admin/flash-rent/payments', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { payments: [] });
  });

  test("no client can take a flash-rent order's idempotency key first: the key holds a character clients may not send", async () => {
    await t.deposit(1, 100_000_000n);
    const key = flashIdempotencyKey('ab'.repeat(32));
    const res = await t.request({
      method: 'POST',
      url: '/api/orders',
      payload: { user_id: 1, energy_amount: 65000, duration: '1h', receive_address: ADDRESS, client_order_id: key },
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const header = await t.request({
      method: 'POST',
      url: '/api/orders',
      headers: { 'idempotency-key': key },
      payload: { user_id: 1, energy_amount: 65000, duration: '1h', receive_address: ADDRESS },
    });
    assert.equal(header.status, 400, JSON.stringify(header.body));
    assert.equal(header.body.error.code, 'invalid_idempotency_key');
    // Refused before anything was written: no order, nothing taken from the balance.
    assert.deepEqual((await t.request({ method: 'GET', url: '/api/orders?user_id=1' })).body.orders, []);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1' })).body.balance_sun, '100000000');
  });

  test('a client with API keys needs its key to ask about a payment', async () => {
    await reopen({ API_KEYS: 'k'.repeat(32), FLASH_RENT_ADDRESS: ADDRESS, FLASH_RENT_TABLE: '3:65000:1h' });
    const url = `/api/flash-rent/payments/${'ab'.repeat(32)}`;
    assert.equal((await t.request({ method: 'GET', url })).status, 401);
    assert.equal((await t.request({ method: 'GET', url, headers: { 'x-api-key': 'k'.repeat(32) } })).status, 404);
    // The terms are public, as the price table is.
    assert.equal((await t.request({ method: 'GET', url: '/api/flash-rent' })).status, 200);
  });
});
