import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TronWeb } from 'tronweb';
import { tableCounts, type TestApp } from '../support/app.js';
import { appPerTest, databasesOnDemand, describeEachDialect } from '../support/dialects.js';
import { stackPerTest, until } from '../support/stack.js';

/** Distinct valid addresses, derived from small private keys. */
const addressNo = (i: number) => TronWeb.address.fromPrivateKey((i + 1).toString(16).padStart(64, '0')) as string;

describeEachDialect('saved addresses', (newApp) => {
  let t: TestApp;
  appPerTest(newApp, (app) => (t = app));
  const url = (userId: number | string) => `/api/users/${userId}/addresses`;
  const save = (userId: number, address: string, label: string) => t.request({ method: 'POST', url: url(userId), payload: { address, label } });

  test('a user saves addresses with labels, relabels one, lists them oldest first (energy unknown until a worker reads it) and deletes one', async () => {
    const a = addressNo(1);
    const b = addressNo(2);
    const first = await save(7, a, 'hot wallet');
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual({ ...first.body, created_at: 'x' }, { address: a, label: 'hot wallet', created_at: 'x', energy: null, energy_error: null });
    assert.equal((await save(7, b, '交易所')).status, 201);
    const relabelled = await save(7, a, 'main');
    assert.equal(relabelled.status, 200);
    assert.equal(relabelled.body.label, 'main');
    const list = await t.request({ method: 'GET', url: url(7) });
    assert.equal(list.status, 200);
    assert.equal(list.body.limit, 20);
    assert.deepEqual(list.body.addresses.map((x: any) => [x.address, x.label]), [[a, 'main'], [b, '交易所']]);
    assert.deepEqual((await t.request({ method: 'GET', url: url(8) })).body.addresses, [], "another user's list is its own");
    const deleted = await t.request({ method: 'DELETE', url: `${url(7)}/${a}` });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.label, 'main');
    const gone = await t.request({ method: 'DELETE', url: `${url(7)}/${a}` });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'not_found');
    assert.deepEqual((await t.request({ method: 'GET', url: url(7) })).body.addresses.map((x: any) => x.address), [b]);
  });

  test('bad input is a 400 naming the problem, and nothing is written', async () => {
    await save(7, addressNo(1), 'one');
    const before = await tableCounts(t.db);
    const cases: Array<[unknown, string]> = [
      [{ address: 'TNotAnAddress', label: 'x' }, 'invalid_address'],
      [{ address: addressNo(2), label: '' }, 'invalid_field'],
      [{ address: addressNo(2), label: 'x'.repeat(65) }, 'invalid_field'],
      [{ address: addressNo(2), label: 'tab\there' }, 'invalid_field'],
      [{ address: addressNo(2) }, 'missing_field'],
      [{ address: addressNo(2), label: 'x', extra: 1 }, 'unknown_field'],
    ];
    for (const [payload, code] of cases) {
      const res = await t.request({ method: 'POST', url: url(7), payload: payload as object });
      assert.equal(res.status, 400, JSON.stringify(payload));
      assert.equal(res.body.error.code, code, JSON.stringify([payload, res.body]));
    }
    assert.equal((await t.request({ method: 'POST', url: url(0), payload: { address: addressNo(2), label: 'x' } })).body.error.code, 'invalid_user_id');
    assert.equal((await t.request({ method: 'DELETE', url: `${url(7)}/nope` })).body.error.code, 'invalid_address');
    assert.deepEqual(await tableCounts(t.db), before);
  });

  test('a user keeps at most 20: 25 saves at once leave exactly 20, the rest answered 409 too_many_addresses', async () => {
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => save(9, addressNo(100 + i), `n${i}`)));
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 20, JSON.stringify(statuses));
    const refused = answers.filter((r) => r.status === 409);
    assert.equal(refused.length, 5);
    for (const r of refused) assert.equal(r.body.error.code, 'too_many_addresses');
    assert.equal((await t.request({ method: 'GET', url: url(9) })).body.addresses.length, 20);
    // Relabelling a saved one is not a new one.
    assert.equal((await save(9, answers.find((r) => r.status === 201)!.body.address, 'renamed')).status, 200);
  });
});

const databaseFor = databasesOnDemand();

describe('saved addresses with a worker and the devnet', () => {
  const startTestStack = stackPerTest();

  test("a read that fails shows the tenant why in general terms, never the node's host or port (the operator's log has them)", async () => {
    const s = await startTestStack();
    await s.devnetAdmin('POST', '/faults/http-error', { status: 503, pathPrefix: '/wallet/getaccountresource' });
    assert.equal((await s.request({ method: 'POST', url: '/api/users/3/addresses', payload: { address: s.customer(0), label: 'me' } })).status, 201);
    const list = () => s.request({ method: 'GET', url: '/api/users/3/addresses' }).then((r) => r.body.addresses as any[]);
    const [shown] = await until(list, (xs) => xs[0]?.energy_error != null, 'the failed read was never shown');
    const node = new URL(s.devnet.url);
    assert.equal(shown.energy_error, 'the node could not be reached; it is read again later');
    assert.ok(!shown.energy_error.includes(node.port) && !shown.energy_error.includes(node.hostname));
    await s.devnetAdmin('DELETE', '/faults');
  });

  for (const dialect of ['sqlite', 'postgres'] as const) test(`each address shows its energy from a worker's read; renting energy to it shows up without a request per list [${dialect}]`, async () => {
    const s = await startTestStack(await databaseFor(dialect));
    const customer = s.customer(0);
    const fresh = addressNo(500);
    assert.equal((await s.request({ method: 'POST', url: '/api/users/3/addresses', payload: { address: customer, label: 'me' } })).status, 201);
    assert.equal((await s.request({ method: 'POST', url: '/api/users/3/addresses', payload: { address: fresh, label: 'new' } })).status, 201);
    const list = () => s.request({ method: 'GET', url: '/api/users/3/addresses' }).then((r) => r.body.addresses as any[]);
    const read = await until(list, (xs) => xs.every((x) => x.energy !== null), 'the worker never read the saved addresses');
    const mine = read.find((x) => x.address === customer)!;
    assert.equal(mine.energy.activated, true);
    assert.equal(read.find((x) => x.address === fresh)!.energy.activated, false);
    assert.equal(read.find((x) => x.address === fresh)!.energy.available, 0);

    // Lists in a row cost the chain nothing while the read is fresh.
    await s.devnetAdmin('POST', '/calls/reset');
    for (let i = 0; i < 5; i++) await list();
    const calls = await s.devnetAdmin('GET', '/calls');
    assert.equal(calls.by_path['/wallet/getaccountresource'] ?? 0, 0, JSON.stringify(calls.by_path));

    // Energy we delegate to it is read again once the order is active, with nobody listing meanwhile
    // (a list would ask for reads older than 20 polls itself): the worker's own doing. The reads the
    // lists above asked for are done first.
    const energyRow = () => s.db.kysely.selectFrom('receiver_energy').select(['energy_limit', 'due_at']).where('address', '=', customer).executeTakeFirstOrThrow();
    await until(energyRow, (r) => r.due_at === null, 'the reads the lists asked for never ran');
    await s.deposit(3, 100_000_000n);
    const order = await s.order({ user_id: 3, energy_amount: 65_000, duration: '1h', receive_address: customer });
    await s.waitFor(order.id, (o) => o.status === 'active');
    await until(energyRow, (r) => BigInt(r.energy_limit!) >= BigInt(mine.energy.limit) + 65_000n, 'the rented energy was never read again', 1_500);
    const after = await list();
    assert.ok(after.find((x) => x.address === customer)!.energy.limit >= mine.energy.limit + 65_000);
    assert.ok(after.find((x) => x.address === customer)!.energy.available >= 65_000);
  });
});
