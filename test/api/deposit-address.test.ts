import assert from 'node:assert/strict';
import { test } from 'node:test';
import { depositAddressAt, parseAccountXpub } from '../../src/domain/deposit-address.js';
import { isTronAddress } from '../../src/domain/address.js';
import { tableCounts, type TestApp } from '../support/app.js';
import { TEST_XPUB, tronWebAddressAt } from '../support/deposit-keys.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

test("the address at .../0/<index> of an xpub is the one TronWeb derives from the private key at m/44'/195'/0'/0/<index>", () => {
  const account = parseAccountXpub(TEST_XPUB);
  for (const index of [0, 1, 2, 19, 1000, 0x7fffffff]) {
    const address = depositAddressAt(account, index);
    assert.ok(isTronAddress(address), address);
    assert.equal(address, tronWebAddressAt(index), `index ${index}`);
  }
  assert.notEqual(depositAddressAt(account, 0), depositAddressAt(account, 1));
  assert.throws(() => depositAddressAt(account, 0x80000000), RangeError);
  assert.throws(() => depositAddressAt(account, -1), RangeError);
});

describeEachDialect('deposit addresses', (newApp) => {
  let t: TestApp;
  const reopen = appPerTest(newApp, (app) => (t = app));
  const get = (userId: number | string) => t.request({ method: 'GET', url: `/api/users/${userId}/deposit-address` });

  test('when DEPOSIT_XPUB is unset, then deposits_not_configured and nothing is written', async () => {
    const before = await tableCounts(t.db);
    const res = await get(5);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'deposits_not_configured');
    assert.match(res.body.error.message, /DEPOSIT_XPUB/);
    assert.deepEqual(await tableCounts(t.db), before);
  });

  test('when a user first asks, then it gets the next index and its address, the same on every later call', async () => {
    await reopen({ DEPOSIT_XPUB: TEST_XPUB });
    const first = await get(5);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { user_id: 5, address: tronWebAddressAt(0), index: 0, currencies: ['TRX', 'USDT'] });
    assert.deepEqual((await get(5)).body, first.body);
    const second = await get('9223372036854775807');
    assert.equal(second.body.index, 1);
    assert.equal(second.body.address, tronWebAddressAt(1));
    // The user exists now, with nothing in either balance.
    const user = await t.request({ method: 'GET', url: '/api/users/5' });
    assert.equal(user.body.balance_sun, '0');
    assert.equal(user.body.balance_micro_usdt, '0');
    assert.equal((await get('0')).body.error.code, 'invalid_user_id');
  });

  test('when many users ask at once, some twice, then the indexes are 0..n-1 with no gap or duplicate, each user keeps one', async () => {
    await reopen({ DEPOSIT_XPUB: TEST_XPUB });
    const users = Array.from({ length: 24 }, (_, i) => 100 + i);
    const answers = await Promise.all([...users, ...users.slice(0, 8)].map((u) => get(u)));
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
    const byUser = new Map<number, { index: number; address: string }>();
    for (const a of answers) {
      const seen = byUser.get(a.body.user_id);
      if (seen) assert.deepEqual({ index: a.body.index, address: a.body.address }, seen, `user ${a.body.user_id} got two addresses`);
      byUser.set(a.body.user_id, { index: a.body.index, address: a.body.address });
    }
    const indexes = [...byUser.values()].map((v) => v.index).sort((a, b) => a - b);
    assert.deepEqual(indexes, users.map((_, i) => i));
    const account = parseAccountXpub(TEST_XPUB);
    for (const { index, address } of byUser.values()) assert.equal(address, depositAddressAt(account, index));
    const rows = await t.db.kysely.selectFrom('deposit_addresses').select(['user_id', 'derivation_index']).execute();
    assert.equal(rows.length, users.length);
  });
});
