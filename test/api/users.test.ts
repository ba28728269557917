import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appPerTest, describeEachDialect } from '../support/dialects.js';
import { ADMIN_TOKEN, tableCounts, type TestApp } from '../support/app.js';

describeEachDialect('users, deposits and auth', (newApp) => {
  let t: TestApp;
  const reopen = appPerTest(newApp, (app) => (t = app));

  const depositReq = (userId: string | number, payload: object, token: string | null = ADMIN_TOKEN) =>
    t.request({
      method: 'POST',
      url: `/api/users/${userId}/deposits`,
      payload,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  test('when a deposit is posted with the admin token, then the user exists with that balance', async () => {
    const res = await depositReq(999888, { amount_sun: '100000000', reference: 'topup-1' });
    assert.equal(res.status, 201);
    assert.equal(res.body.user_id, 999888);
    assert.equal(res.body.balance_sun, '100000000');
    assert.equal(res.body.entry.kind, 'deposit');
    assert.equal(res.body.entry.reference, 'topup-1');
    const user = await t.request({ method: 'GET', url: '/api/users/999888' });
    assert.equal(user.status, 200);
    assert.equal(user.body.balance_sun, '100000000');
    assert.equal(user.body.balance_trx, '100');
  });

  test('when a deposit reference is replayed, then it is credited once; reused for another amount, 409', async () => {
    await depositReq(5, { amount_sun: '1000000', reference: 'pay-77' });
    const again = await depositReq(5, { amount_sun: '1000000', reference: 'pay-77' });
    assert.equal(again.status, 200);
    assert.equal(again.body.balance_sun, '1000000');
    const other = await depositReq(5, { amount_sun: '2000000', reference: 'pay-77' });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_conflict');
    const otherUser = await depositReq(6, { amount_sun: '1000000', reference: 'pay-77' });
    assert.equal(otherUser.status, 409);
    const racing = await Promise.all(Array.from({ length: 10 }, () => depositReq(8, { amount_sun: 3, reference: 'race' })));
    assert.deepEqual(racing.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/8' })).body.balance_sun, '3');
  });

  test('when the admin token is missing or wrong, then 401 and nothing is written', async () => {
    const before = await tableCounts(t.db);
    for (const token of [null, 'wrong-token', `${ADMIN_TOKEN}x`, '']) {
      const res = await depositReq(1, { amount_sun: '1', reference: 'r' }, token);
      assert.equal(res.status, 401, String(token));
      assert.equal(res.body.error.code, 'unauthorized');
    }
    assert.deepEqual(await tableCounts(t.db), before);
  });

  test('bad deposits are refused with a code and write nothing', async () => {
    const before = await tableCounts(t.db);
    const cases: Array<[string | number, object, string]> = [
      [1, { amount_sun: '0', reference: 'a' }, 'invalid_amount'],
      [1, { amount_sun: '-5', reference: 'a' }, 'invalid_amount'],
      [1, { amount_sun: '1.5', reference: 'a' }, 'invalid_amount'],
      [1, { amount_sun: 1.5, reference: 'a' }, 'invalid_amount'],
      [1, { amount_sun: '1000000000000000000', reference: 'a' }, 'invalid_amount'],
      [1, { amount_sun: '100', reference: '' }, 'invalid_reference'],
      [1, { amount_sun: '100' }, 'missing_field'],
      [1, { amount_sun: '100', reference: 'a', note: 'x' }, 'unknown_field'],
      ['0', { amount_sun: '100', reference: 'a' }, 'invalid_user_id'],
      ['abc', { amount_sun: '100', reference: 'a' }, 'invalid_user_id'],
      ['9223372036854775808', { amount_sun: '100', reference: 'a' }, 'invalid_user_id'],
    ];
    for (const [user, payload, code] of cases) {
      const res = await depositReq(user, payload);
      assert.equal(res.status, 400, `${user} ${JSON.stringify(payload)} -> ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, `${user} ${JSON.stringify(payload)}`);
    }
    assert.deepEqual(await tableCounts(t.db), before);
  });

  test('an unknown user is 404; the ledger pages newest first with a cursor', async () => {
    assert.equal((await t.request({ method: 'GET', url: '/api/users/123' })).status, 404);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/123/ledger' })).body.error.code, 'not_found');
    for (let i = 1; i <= 5; i++) await depositReq(3, { amount_sun: String(i), reference: `p${i}` });
    const page1 = await t.request({ method: 'GET', url: '/api/users/3/ledger?limit=2' });
    assert.deepEqual(page1.body.entries.map((e: any) => e.amount_sun), ['5', '4']);
    const page2 = await t.request({ method: 'GET', url: `/api/users/3/ledger?limit=2&cursor=${page1.body.next_cursor}` });
    assert.deepEqual(page2.body.entries.map((e: any) => e.amount_sun), ['3', '2']);
    const page3 = await t.request({ method: 'GET', url: `/api/users/3/ledger?limit=2&cursor=${page2.body.next_cursor}` });
    assert.deepEqual(page3.body.entries.map((e: any) => e.amount_sun), ['1']);
    assert.equal(page3.body.next_cursor, null);
  });

  test('with API_KEYS set, client endpoints need a key (or the admin token); prices and health stay open', async () => {
    await reopen({ API_KEYS: 'key-one-1234567890,key-two-1234567890' });
    const order = { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' };
    const noKey = await t.request({ method: 'POST', url: '/api/orders', payload: order });
    assert.equal(noKey.status, 401);
    assert.equal(noKey.body.error.code, 'unauthorized');
    const wrong = await t.request({ method: 'GET', url: '/api/users/1', headers: { 'x-api-key': 'nope' } });
    assert.equal(wrong.status, 401);
    const bearer = await t.request({ method: 'POST', url: '/api/orders', payload: order, headers: { authorization: 'Bearer key-two-1234567890' } });
    assert.equal(bearer.status, 402, 'authorised, then refused for the balance');
    const header = await t.request({ method: 'GET', url: '/api/users/1', headers: { 'x-api-key': 'key-one-1234567890' } });
    assert.equal(header.status, 404);
    const admin = await t.request({ method: 'GET', url: '/api/users/1', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(admin.status, 404);
    const keyIsNotAdmin = await depositReq(1, { amount_sun: '1', reference: 'x' }, 'key-one-1234567890');
    assert.equal(keyIsNotAdmin.status, 401);
    assert.equal((await t.request({ method: 'GET', url: '/api/prices' })).status, 200);
    assert.equal((await t.request({ method: 'GET', url: '/health' })).status, 200);
  });
});
