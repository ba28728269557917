import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describeEachDialect('GET /api/users', (newApp) => {
  let t: TestApp;
  appPerTest(newApp, (app) => (t = app));

  const page = (query: string, headers: Record<string, string> = admin) => t.request({ method: 'GET', url: `/api/users${query}`, headers });

  test('when users are paged, then each page follows the last by id, each user as GET /api/users/:id shows it, and the last page says so', async () => {
    for (const id of ['5', '1', '9007199254740993', '3', '2']) await t.deposit(id, 1_000_000n * BigInt(id.length));
    const first = await page('?limit=2');
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.users.map((u: any) => u.user_id), [1, 2]);
    assert.equal(first.body.next_cursor, '2');
    assert.deepEqual(first.body.users[0], (await t.request({ method: 'GET', url: '/api/users/1' })).body);

    const second = await page(`?limit=2&cursor=${first.body.next_cursor}`);
    assert.deepEqual(second.body.users.map((u: any) => u.user_id), [3, 5]);
    assert.equal(second.body.next_cursor, '5');

    const last = await page(`?limit=2&cursor=${second.body.next_cursor}`);
    assert.equal(last.body.users.length, 1);
    assert.match(last.text, /"user_id":9007199254740993,/, 'an id past 2^53 is written exactly');
    assert.equal(last.body.users[0].balance_sun, '16000000');
    assert.equal(last.body.next_cursor, null);

    const all = await page('');
    assert.equal(all.body.users.length, 5);
    assert.equal(all.body.next_cursor, null);
  });

  test('when there are no users, then an empty page with no cursor', async () => {
    assert.deepEqual((await page('')).body, { users: [], next_cursor: null });
  });

  test('when the cursor or limit is not one the API gave out, then 400 with its code', async () => {
    for (const [query, code] of [
      ['?cursor=abc', 'invalid_cursor'],
      ['?cursor=abc', 'invalid_cursor'],
      ['?cursor=-05', 'invalid_cursor'],
      ['?cursor=9999999999999999999', 'invalid_cursor'],
      ['?limit=0', 'invalid_limit'],
      ['?limit=201', 'invalid_limit'],
      ['?limit=ten', 'invalid_limit'],
      ['?page=2', 'unknown_field'],
    ] as const) {
      const res = await page(query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, code, query);
    }
  });

  test('when the admin token is missing or wrong, or an API key is presented instead, then 401', async () => {
    const withKeys = await newApp({ API_KEYS: 'client-key-000000001' });
    try {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-entirely' }, { authorization: 'Bearer client-key-000000001' }]) {
        const res = await withKeys.request({ method: 'GET', url: '/api/users', headers });
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.equal(res.body.error.code, 'unauthorized');
      }
    } finally {
      await withKeys.close();
    }
  });
});
