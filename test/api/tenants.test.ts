import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ADMIN_TOKEN, tableCounts, type TestApp } from '../support/app.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';
import { until } from '../support/stack.js';

const RECEIVER = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const as = (key: string) => ({ authorization: `Bearer ${key}` });
/** A key as API_KEYS gives it: the default tenant's. */
const ENV_KEY = 'env-key-0123456789abcdef';

describeEachDialect('tenants and API keys', (newApp) => {
  let t: TestApp;
  const reopen = appPerTest(newApp, (app) => (t = app));

  /** Every row of every table, as text: where a secret must not be. */
  async function everything(): Promise<string> {
    const tables = await t.db.kysely.introspection.getTables({ withInternalKyselyTables: true });
    const rows: unknown[] = [];
    for (const table of tables) rows.push(table.name, await t.db.kysely.selectFrom(table.name as 'users').selectAll().execute());
    return JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  /** Only a key's sha256 and its prefix are kept: the key, and what follows its prefix, are in no row of any table. */
  async function assertKeyNotStored(issued: { id: string; key: string; key_prefix: string }): Promise<void> {
    const row = await t.db.kysely.selectFrom('api_keys').selectAll().where('id', '=', issued.id).executeTakeFirstOrThrow();
    assert.equal(row.key_hash, createHash('sha256').update(issued.key).digest('hex'));
    assert.equal(row.key_prefix, issued.key_prefix);
    const all = await everything();
    assert.ok(all.includes(row.key_hash), 'the dump does show the hash (it reads what is stored)');
    assert.ok(!all.includes(issued.key), 'the key is stored nowhere');
    assert.ok(!all.includes(issued.key.slice(issued.key_prefix.length)), 'nor its secret part');
  }

  async function issue(name: string, tenantId?: string): Promise<any> {
    const res = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name, ...(tenantId ? { tenant_id: tenantId } : {}) } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  }
  const topUp = (tenantId: string | undefined, userId: number, sun: number, reference: string) =>
    t.request({ method: 'POST', url: `/api/users/${userId}/deposits`, headers: admin, payload: { amount_sun: String(sun), reference, ...(tenantId ? { tenant_id: tenantId } : {}) } });
  const order = (key: string, body: Record<string, unknown>) =>
    t.request({ method: 'POST', url: '/api/orders', headers: as(key), payload: { user_id: 1, energy_amount: 65000, duration: '1h', receive_address: RECEIVER, ...body } });

  test('an admin issues keys, each for a tenant of its own; the list never shows a key, only its prefix', async () => {
    const a = await issue('bot A');
    const b = await issue('wallet B');
    assert.match(a.key, /^jk_[0-9a-f]{64}$/);
    assert.notEqual(a.tenant_id, b.tenant_id);
    assert.equal(a.key_prefix, a.key.slice(0, 11));
    const second = await issue('bot A, second key', a.tenant_id);
    assert.equal(second.tenant_id, a.tenant_id);
    const list = await t.request({ method: 'GET', url: '/api/admin/api-keys', headers: admin });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.api_keys.map((k: any) => k.name), ['bot A', 'wallet B', 'bot A, second key']);
    assert.ok(!JSON.stringify(list.body).includes(a.key.slice(11)), 'no key in the list');
    assert.ok(list.body.api_keys.every((k: any) => !('key' in k) && !('key_hash' in k)));
    for (const k of [a, b, second]) await assertKeyNotStored(k);
    const tenants = (await t.request({ method: 'GET', url: '/api/admin/tenants', headers: admin })).body.tenants;
    assert.deepEqual(tenants.map((x: any) => [x.id, x.live_keys]), [['default', 0], [a.tenant_id, 2], [b.tenant_id, 1]]);
    // Only the admin token issues keys; a tenant's key is not enough.
    assert.equal((await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: as(a.key), payload: { name: 'x' } })).status, 401);
  });

  test("user ids are each tenant's own: user 1 of A, of B and of the default tenant are three balances, and a key sees only its tenant's", async () => {
    const a = await issue('A');
    const b = await issue('B');
    assert.equal((await topUp(a.tenant_id, 1, 50_000_000, 'same-ref')).status, 201);
    // The same reference in another tenant is another deposit.
    assert.equal((await topUp(b.tenant_id, 1, 20_000_000, 'same-ref')).status, 201);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1', headers: as(a.key) })).body.balance_sun, '50000000');
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1', headers: as(b.key) })).body.balance_sun, '20000000');
    const user = (await t.request({ method: 'GET', url: '/api/users/1', headers: as(a.key) })).body;
    assert.equal(user.user_id, 1);
    assert.equal(user.tenant_id, a.tenant_id);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1' })).status, 404, "the default tenant has no user 1");
    const ledger = (await t.request({ method: 'GET', url: '/api/users/1/ledger', headers: as(b.key) })).body;
    assert.deepEqual(ledger.entries.map((e: any) => [e.kind, e.amount_sun, e.reference]), [['deposit', '20000000', 'same-ref']]);

    const placed = await order(a.key, { client_order_id: 'shop-order-1' });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.body.user_id, 1);
    assert.equal(placed.body.tenant_id, a.tenant_id);
    assert.equal(placed.body.client_order_id, 'shop-order-1');
    // B reuses the id A used: its own order, not a conflict with A's (nor A's order id leaked).
    const theirs = await order(b.key, { client_order_id: 'shop-order-1' });
    assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
    assert.notEqual(theirs.body.id, placed.body.id);
    // A replay is A's own.
    const replay = await order(a.key, { client_order_id: 'shop-order-1' });
    assert.equal(replay.status, 200);
    assert.equal(replay.body.id, placed.body.id);

    for (const path of ['', '/events', '/transactions']) {
      const other = await t.request({ method: 'GET', url: `/api/orders/${placed.body.id}${path}`, headers: as(b.key) });
      assert.equal(other.status, 404, `B cannot see A's order${path}`);
      assert.equal(other.body.error.code, 'not_found');
      assert.equal((await t.request({ method: 'GET', url: `/api/orders/${placed.body.id}${path}`, headers: as(a.key) })).status, 200);
    }
    assert.equal((await t.request({ method: 'GET', url: `/api/orders/${placed.body.id}` })).status, 404, 'nor the default tenant');
    const cancelled = await t.request({ method: 'POST', url: `/api/orders/${placed.body.id}/cancel`, headers: as(b.key) });
    assert.equal(cancelled.status, 404, "B cannot cancel A's order");
    assert.equal((await t.request({ method: 'GET', url: `/api/orders/${placed.body.id}`, headers: as(a.key) })).body.status, 'pending');
    const listA = (await t.request({ method: 'GET', url: '/api/orders', headers: as(a.key) })).body.orders;
    assert.deepEqual(listA.map((o: any) => o.id), [placed.body.id]);
    const listB = (await t.request({ method: 'GET', url: '/api/orders?user_id=1', headers: as(b.key) })).body.orders;
    assert.deepEqual(listB.map((o: any) => o.id), [theirs.body.id]);
    // A key cannot name another tenant.
    const named = await t.request({ method: 'GET', url: `/api/orders?tenant_id=${a.tenant_id}`, headers: as(b.key) });
    assert.equal(named.status, 400);
    assert.equal(named.body.error.code, 'tenant_not_allowed');
    // The admin token sees every tenant, or one.
    const all = (await t.request({ method: 'GET', url: '/api/orders', headers: admin })).body.orders;
    assert.deepEqual(all.map((o: any) => [o.tenant_id, o.user_id]).sort(), [[a.tenant_id, 1], [b.tenant_id, 1]].sort());
    const onlyB = (await t.request({ method: 'GET', url: `/api/orders?tenant_id=${b.tenant_id}`, headers: admin })).body.orders;
    assert.deepEqual(onlyB.map((o: any) => o.id), [theirs.body.id]);
    // Saved addresses are the tenant's user's too.
    assert.equal((await t.request({ method: 'POST', url: '/api/users/1/addresses', headers: as(a.key), payload: { address: RECEIVER, label: 'mine' } })).status, 201);
    assert.deepEqual((await t.request({ method: 'GET', url: '/api/users/1/addresses', headers: as(b.key) })).body.addresses, []);
    assert.equal((await t.request({ method: 'DELETE', url: `/api/users/1/addresses/${RECEIVER}`, headers: as(b.key) })).status, 404);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1/addresses', headers: as(a.key) })).body.addresses.length, 1);
    const users = (await t.request({ method: 'GET', url: '/api/users', headers: admin })).body.users;
    assert.deepEqual(users.map((u: any) => [u.tenant_id, u.user_id]).sort(), [[a.tenant_id, 1], [b.tenant_id, 1]].sort());
  });

  test('a user a tenant has never had cannot order (402) and nothing is written', async () => {
    const a = await issue('A');
    const before = await tableCounts(t.db);
    const res = await order(a.key, { user_id: 77 });
    assert.equal(res.status, 402);
    assert.equal(res.body.error.code, 'insufficient_balance');
    assert.equal(res.body.error.balance_sun, '0');
    assert.deepEqual(await tableCounts(t.db), before);
  });

  test("a deposit refused for a reference another user's deposit took makes no user of the tenant: nothing is written", async () => {
    const a = await issue('A');
    assert.equal((await topUp(a.tenant_id, 1, 5_000_000, 'top-up-1')).status, 201);
    const before = await tableCounts(t.db);
    const refused = await topUp(a.tenant_id, 999, 5_000_000, 'top-up-1');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'idempotency_conflict');
    assert.deepEqual(await tableCounts(t.db), before);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/999', headers: as(a.key) })).status, 404, 'no such user of the tenant');
  });

  test('deposits of one reference to new users of a tenant at the same moment: one is credited, the others refused, and no refused one leaves a user', async () => {
    const a = await issue('A');
    const before = await tableCounts(t.db);
    const users = [21, 22, 23, 24, 25, 26];
    const answers = await Promise.all(users.map((u) => topUp(a.tenant_id, u, 5_000_000, 'same-moment')));
    assert.deepEqual(answers.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409], JSON.stringify(answers.map((r) => r.body)));
    const credited = users[answers.findIndex((r) => r.status === 201)]!;
    for (const u of users) {
      const read = await t.request({ method: 'GET', url: `/api/users/${u}`, headers: as(a.key) });
      assert.equal(read.status, u === credited ? 200 : 404, `user ${u}`);
    }
    const after = await tableCounts(t.db);
    assert.deepEqual([after.users! - before.users!, after.ledger_entries! - before.ledger_entries!], [1n, 1n], 'one user and one entry written');
  });

  test('a rotated key works at once and its old secret no more; a revoked key is refused; a key records its last use', async () => {
    const a = await issue('A');
    assert.equal((await t.request({ method: 'GET', url: '/api/orders', headers: as(a.key) })).status, 200);
    // Recorded beside the request (at most once a minute), not in its way.
    await until(
      async () => (await t.request({ method: 'GET', url: '/api/admin/api-keys', headers: admin })).body.api_keys[0],
      (k) => k.last_used_at !== null,
      'the use was never recorded',
    );
    const rotated = await t.request({ method: 'POST', url: `/api/admin/api-keys/${a.id}/rotate`, headers: admin });
    assert.equal(rotated.status, 201);
    assert.notEqual(rotated.body.key, a.key);
    assert.equal(rotated.body.tenant_id, a.tenant_id);
    await assertKeyNotStored(rotated.body);
    const old = await t.request({ method: 'GET', url: '/api/orders', headers: as(a.key) });
    assert.equal(old.status, 401);
    assert.equal(old.body.error.code, 'unauthorized');
    assert.equal((await t.request({ method: 'GET', url: '/api/orders', headers: as(rotated.body.key) })).status, 200);
    const revoked = await t.request({ method: 'DELETE', url: `/api/admin/api-keys/${a.id}`, headers: admin });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revoked_at);
    assert.equal((await t.request({ method: 'GET', url: '/api/orders', headers: as(rotated.body.key) })).status, 401);
    assert.equal((await t.request({ method: 'POST', url: `/api/admin/api-keys/${a.id}/rotate`, headers: admin })).status, 404, 'a revoked key is not brought back');
  });

  test("a key from API_KEYS speaks for the default tenant: it sees the default tenant's users and orders, and another tenant's order is a 404 to it (and its orders to that tenant)", async () => {
    await reopen({ API_KEYS: ENV_KEY });
    const a = await issue('A');
    assert.equal((await topUp(undefined, 1, 50_000_000, 'default-1')).status, 201);
    assert.equal((await topUp(a.tenant_id, 1, 30_000_000, 'a-1')).status, 201);
    const mine = await t.request({ method: 'GET', url: '/api/users/1', headers: as(ENV_KEY) });
    assert.equal(mine.status, 200);
    assert.deepEqual([mine.body.tenant_id, mine.body.user_id, mine.body.balance_sun], ['default', 1, '50000000']);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1', headers: { 'x-api-key': ENV_KEY } })).body.balance_sun, '50000000');

    const own = await order(ENV_KEY, { client_order_id: 'same-id' });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    assert.equal(own.body.tenant_id, 'default');
    const theirs = await order(a.key, { client_order_id: 'same-id' });
    assert.equal(theirs.status, 201);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1', headers: as(ENV_KEY) })).body.balance_sun, String(50_000_000 - Number(own.body.price)));

    assert.deepEqual((await t.request({ method: 'GET', url: '/api/orders', headers: as(ENV_KEY) })).body.orders.map((o: any) => o.id), [own.body.id]);
    assert.equal((await t.request({ method: 'GET', url: `/api/orders/${own.body.id}`, headers: as(ENV_KEY) })).status, 200);
    for (const path of ['', '/events', '/transactions']) {
      const other = await t.request({ method: 'GET', url: `/api/orders/${theirs.body.id}${path}`, headers: as(ENV_KEY) });
      assert.equal(other.status, 404, `A's order${path}`);
      assert.equal(other.body.error.code, 'not_found');
      assert.equal((await t.request({ method: 'GET', url: `/api/orders/${own.body.id}${path}`, headers: as(a.key) })).status, 404, `the default tenant's order${path} to A`);
    }
    const cancel = await t.request({ method: 'POST', url: `/api/orders/${theirs.body.id}/cancel`, headers: as(ENV_KEY) });
    assert.equal(cancel.status, 404);
    assert.equal((await t.request({ method: 'GET', url: `/api/orders/${theirs.body.id}`, headers: as(a.key) })).body.status, 'pending');
    const named = await t.request({ method: 'GET', url: `/api/orders?tenant_id=${a.tenant_id}`, headers: as(ENV_KEY) });
    assert.equal(named.status, 400);
    assert.equal(named.body.error.code, 'tenant_not_allowed');
    // With API_KEYS set, a client endpoint needs a key.
    assert.equal((await t.request({ method: 'GET', url: '/api/orders' })).status, 401);
  });

  test('bad requests name the problem and change nothing', async () => {
    const before = await tableCounts(t.db);
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/api/admin/api-keys', { name: '' }, 400, 'invalid_field'],
      ['POST', '/api/admin/api-keys', {}, 400, 'missing_field'],
      ['POST', '/api/admin/api-keys', { name: 'x', tenant_id: 'nobody' }, 404, 'not_found'],
      ['POST', '/api/admin/api-keys', { name: 'x', rate: 1 }, 400, 'unknown_field'],
      ['POST', '/api/admin/api-keys/nope/rotate', undefined, 404, 'not_found'],
      ['DELETE', '/api/admin/api-keys/nope', undefined, 404, 'not_found'],
      ['POST', '/api/users/1/deposits', { amount_sun: '1', reference: 'r', tenant_id: 'nobody' }, 404, 'not_found'],
    ];
    for (const [method, url, payload, status, code] of cases) {
      const res = await t.request({ method: method as 'POST', url, headers: admin, ...(payload === undefined ? {} : { payload: payload as object }) });
      assert.equal(res.status, status, `${method} ${url} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, `${method} ${url}`);
    }
    // A key that is not one is refused even where no key is needed: a mistyped key must not act as the default tenant.
    const typo = await t.request({ method: 'GET', url: '/api/orders', headers: as('jk_not-a-key') });
    assert.equal(typo.status, 401);
    assert.deepEqual(await tableCounts(t.db), before);
  });
});

test('with CLIENT_AUTH=keys and no API_KEYS, only keys made in the database open client endpoints', async () => {
  const { createTestApp } = await import('../support/app.js');
  const app = await createTestApp({ env: { CLIENT_AUTH: 'keys' } });
  try {
    assert.equal((await app.request({ method: 'GET', url: '/api/orders' })).status, 401);
    const issued = (await app.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name: 'shop' } })).body;
    assert.equal((await app.request({ method: 'GET', url: '/api/orders', headers: as(issued.key) })).status, 200);
    assert.equal((await app.request({ method: 'GET', url: '/api/orders', headers: { 'x-api-key': issued.key } })).status, 200);
  } finally {
    await app.close();
  }
});
