import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { describeEachDatabase } from '../support/dialects.js';
import { ADMIN_TOKEN, createTestApp, freshSqlite, SEED_ADDRESS, tableCounts, type TestApp } from '../support/app.js';

const ORDER = { user_id: 4242, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS };
const BEFORE = { ALLOWED_DURATIONS: '1h,3d', MAX_ENERGY: '200000', PRICE_TABLE_USDT: '1h:20,3d:21' };
/** The operator withdrew 3d, lowered the maximum and stopped pricing in USDT. */
const AFTER = { ALLOWED_DURATIONS: '1h', MAX_ENERGY: '100000' };

/**
 * An integrator retries a keyed order (its first answer lost on the way)
 * after the operator changed the settings the order was placed under. The
 * retry must get the order its key placed, as it would have a moment
 * before: a refusal reads as "no order was placed", and the user, already
 * charged, would be charged again by the next try under another key.
 */
describeEachDatabase('a keyed order retried after the settings changed', (freshDatabase) => {
  let t: TestApp | undefined;
  let removeFile = (): void => undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    removeFile();
  });

  /** The app on one database, under `env`, the database kept between openings. */
  async function opener(): Promise<(env: Record<string, string>) => Promise<TestApp>> {
    let url = await freshDatabase();
    if (url === undefined) {
      const file = freshSqlite();
      url = file.url;
      removeFile = file.remove;
    }
    const databaseUrl = url;
    return async (env) => {
      await t?.close();
      t = await createTestApp({ databaseUrl, env });
      return t;
    };
  }

  const create = (app: TestApp, payload: object, headers: Record<string, string> = {}) =>
    app.request({ method: 'POST', url: '/api/orders', payload, headers });

  test('then each comes back (200, the same order), nothing is charged again, and a new key is refused as before', async () => {
    const open = await opener();
    const before = await open(BEFORE);
    await before.deposit(4242, 100_000_000n);
    const usdt = await before.request({
      method: 'POST',
      url: '/api/users/4242/deposits',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { currency: 'USDT', amount: '50000000', reference: 'usdt-in' },
    });
    assert.equal(usdt.status, 201, JSON.stringify(usdt.body));
    const asked = {
      threeDays: [{ ...ORDER, duration: '3d' }, { 'idempotency-key': 'three-days' }],
      large: [{ ...ORDER, energy_amount: 150000, client_order_id: 'large' }, {}],
      inUsdt: [{ ...ORDER, pay_currency: 'USDT' }, { 'idempotency-key': 'in-usdt' }],
    } as const;
    const first = new Map<string, { status: number; body: any }>();
    for (const [name, [payload, headers]] of Object.entries(asked)) first.set(name, await create(before, payload, headers));
    for (const [name, res] of first) assert.equal(res.status, 201, `${name}: ${JSON.stringify(res.body)}`);
    const balances = (await before.request({ method: 'GET', url: '/api/users/4242' })).body;

    const after = await open(AFTER);
    const written = await tableCounts(after.db);
    for (const [name, [payload, headers]] of Object.entries(asked)) {
      const again = await create(after, payload, headers);
      assert.equal(again.status, 200, `${name}: ${JSON.stringify(again.body)}`);
      const current = await after.request({ method: 'GET', url: `/api/orders/${first.get(name)!.body.id}` });
      assert.deepEqual(again.body, current.body, `${name}: the order as it stands`);
    }
    assert.deepEqual(await tableCounts(after.db), written, 'nothing written by the retries');
    assert.deepEqual((await after.request({ method: 'GET', url: '/api/users/4242' })).body, balances, 'nothing charged again');

    // What the settings refuse is still refused: under a new key, under no key, and under a used key with another body.
    const refused = [
      [{ ...ORDER, duration: '3d' }, { 'idempotency-key': 'new-key' }, 400, 'unsupported_duration'],
      [{ ...ORDER, energy_amount: 150000 }, {}, 400, 'energy_out_of_range'],
      [{ ...ORDER, pay_currency: 'USDT' }, { 'idempotency-key': 'in-usdt-2' }, 422, 'currency_not_accepted'],
      [{ ...ORDER, duration: '3d', energy_amount: 64000 }, { 'idempotency-key': 'three-days' }, 400, 'unsupported_duration'],
      [{ ...ORDER, duration: '3d', user_id: 4243 }, { 'idempotency-key': 'three-days' }, 400, 'unsupported_duration'],
    ] as const;
    for (const [payload, headers, status, code] of refused) {
      const res = await create(after, payload, headers);
      assert.equal(res.status, status, JSON.stringify([payload, res.body]));
      assert.equal(res.body.error.code, code);
    }
    const conflict = await create(after, { ...ORDER, energy_amount: 64000 }, { 'idempotency-key': 'three-days' });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'idempotency_conflict');
    assert.deepEqual(await tableCounts(after.db), written, 'nothing written by the refusals');
  });
});
