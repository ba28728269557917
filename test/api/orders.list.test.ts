import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachDialect } from '../support/dialects.js';
import { SEED_ADDRESS, type TestApp } from '../support/app.js';

const OTHER_ADDRESS = 'TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7';

describeEachDialect('GET /api/orders', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
  });
  afterEach(async () => t.close());

  const place = async (userId: number, address = SEED_ADDRESS) => {
    const res = await t.request({
      method: 'POST',
      url: '/api/orders',
      payload: { user_id: userId, energy_amount: 32000, duration: '1h', receive_address: address },
    });
    assert.equal(res.status, 201);
    return res.body.id as string;
  };

  test('pages newest first with a cursor until next_cursor is null, with no order twice or missing', async () => {
    await t.deposit(1, 1_000_000_000n);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await place(1));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.request({ method: 'GET', url: `/api/orders/?user_id=1&limit=3${cursor ? `&cursor=${cursor}` : ''}` });
      assert.equal(res.status, 200);
      seen.push(...res.body.orders.map((o: any) => o.id));
      cursor = res.body.next_cursor;
    } while (cursor !== null);
    assert.deepEqual(seen, [...ids].reverse());
  });

  test('filters by user, status and receive address', async () => {
    await t.deposit(1, 1_000_000_000n);
    await t.deposit(2, 1_000_000_000n);
    await place(1);
    await place(2);
    await place(2, OTHER_ADDRESS);
    const byUser = await t.request({ method: 'GET', url: '/api/orders?user_id=2' });
    assert.equal(byUser.body.orders.length, 2);
    assert.ok(byUser.body.orders.every((o: any) => o.user_id === 2));
    const byAddress = await t.request({ method: 'GET', url: `/api/orders?receive_address=${OTHER_ADDRESS}` });
    assert.equal(byAddress.body.orders.length, 1);
    assert.equal((await t.request({ method: 'GET', url: '/api/orders?status=pending' })).body.orders.length, 3);
    assert.equal((await t.request({ method: 'GET', url: '/api/orders?status=active' })).body.orders.length, 0);
  });

  test('bad filters and unknown orders answer 4xx with a code', async () => {
    const cases: Array<[string, number, string]> = [
      ['/api/orders?status=lost', 400, 'invalid_status'],
      ['/api/orders?limit=0', 400, 'invalid_limit'],
      ['/api/orders?limit=201', 400, 'invalid_limit'],
      ['/api/orders?limit=abc', 400, 'invalid_limit'],
      ['/api/orders?cursor=xyz', 400, 'invalid_cursor'],
      ['/api/orders?user_id=-1', 400, 'invalid_user_id'],
      ['/api/orders?user_id=99999999999999999999', 400, 'invalid_user_id'],
      ['/api/orders?colour=red', 400, 'unknown_field'],
      // PostgreSQL cannot hold a NUL in text: it never reaches the database.
      ['/api/orders?receive_address=%00', 400, 'invalid_character'],
      ['/api/orders?receive_address=TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6%00', 400, 'invalid_character'],
      ['/api/orders?receive_address=not-an-address', 400, 'invalid_address'],
      ['/api/orders/not-a-uuid', 400, 'invalid_order_id'],
      ['/api/orders/01a225b2-a38b-759c-bca9-ef16383fb40e', 404, 'not_found'],
      ['/api/orders/01a225b2-a38b-759c-bca9-ef16383fb40e/events', 404, 'not_found'],
      ['/api/nothing-here', 404, 'not_found'],
    ];
    for (const [url, status, code] of cases) {
      const res = await t.request({ method: 'GET', url });
      assert.equal(res.status, status, `${url} -> ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, url);
    }
  });
});
