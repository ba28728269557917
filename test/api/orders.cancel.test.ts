import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDbNow } from '../../src/db/clock.js';
import { claimOrder } from '../../src/db/order-leases.js';
import type { OrdersTable } from '../../src/db/schema.js';
import { ADMIN_TOKEN, ledgerViolations, type TestApp } from '../support/app.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

/**
 * POST /api/orders/:id/cancel without a worker (role api): orders are
 * placed through the API and moved to mid-flight states with raw SQL, as a
 * worker would have left them. What the engine does with an early cancel is
 * in test/engine/cancel.test.ts.
 */

const ADDRESS = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';
const USDT_PRICES = { PRICE_TABLE_USDT: '1h:20,1d:24,3d:21,7d:18,14d:17,30d:15' };
const CLIENT_KEY = 'a-client-key-0000001';

describeEachDialect('cancelling an order', (newApp) => {
  let t: TestApp;
  const reopen = appPerTest(newApp, (app) => (t = app));

  async function place(userId = 1, body: Record<string, unknown> = {}): Promise<any> {
    const res = await t.request({
      method: 'POST',
      url: '/api/orders',
      payload: { user_id: userId, energy_amount: 32000, duration: '1h', receive_address: ADDRESS, ...body },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  }
  const cancel = (id: string, headers: Record<string, string> = {}) => t.request({ method: 'POST', url: `/api/orders/${id}/cancel`, headers });
  const get = async (id: string) => (await t.request({ method: 'GET', url: `/api/orders/${id}` })).body;
  const events = async (id: string) =>
    (await t.request({ method: 'GET', url: `/api/orders/${id}/events` })).body.events.map((e: any) => `${e.from_status}->${e.to_status}:${e.reason}:${e.actor}`);
  const ledger = async (userId: number) => (await t.request({ method: 'GET', url: `/api/users/${userId}/ledger` })).body.entries;
  const balance = async (userId: number) => (await t.request({ method: 'GET', url: `/api/users/${userId}` })).body.balance_sun;
  const set = (id: string, fields: Partial<{ [K in keyof OrdersTable]: unknown }>) =>
    t.db.kysely.updateTable('orders').set(fields as never).where('id', '=', id).execute();
  const now = () => readDbNow(t.db);
  /** As the engine leaves an order it delegated: active, its rental running from `delegatedAt`. */
  const activate = (id: string, delegatedAt: bigint, lockBlocks: bigint | null) =>
    set(id, {
      status: 'active',
      pool_address: ADDRESS,
      delegated_sun: 3_440_000_000n,
      delegate_txid: 'ab'.repeat(32),
      delegate_tx_status: 'confirmed',
      lock_blocks: lockBlocks,
      delegated_at: delegatedAt,
      expires_at: delegatedAt + 3_600_000n,
      next_attempt_at: delegatedAt + 3_600_000n,
    });

  test('when a pending order is cancelled, then it is cancelled at once and its price comes back to the balance, once', async () => {
    await t.deposit(1, 10_000_000n);
    const placed = await place();
    const res = await cancel(placed.id);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'cancelled');
    assert.equal(res.body.refunded_sun, placed.price_sun);
    assert.equal(res.body.refunded, placed.price);
    assert.ok(res.body.cancelled_at !== null && !Number.isNaN(Date.parse(res.body.cancelled_at)));
    assert.equal(res.body.cancel_requested_at, null);
    assert.equal(await balance(1), '10000000');
    assert.deepEqual(
      (await ledger(1)).map((e: any) => [e.kind, e.amount_sun]),
      [
        ['refund', placed.price_sun],
        ['order_debit', `-${placed.price_sun}`],
        ['deposit', '10000000'],
      ],
    );
    assert.deepEqual(await events(placed.id), ['null->pending:created:api', 'pending->cancelled:cancelled:api']);

    // Asking again returns the order as it is: no second refund, no second event.
    const again = await cancel(placed.id);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, res.body);
    assert.equal((await ledger(1)).length, 3);
    assert.equal((await events(placed.id)).length, 2);
    // Nobody picks a cancelled order up.
    assert.equal(await claimOrder(t.db, placed.id, 'worker-x', 30_000), undefined);
  });

  test('when ten cancels of one pending order arrive at once, then one refund is made and every answer is the cancelled order', async () => {
    await t.deposit(1, 10_000_000n);
    const placed = await place();
    const answers = await Promise.all(Array.from({ length: 10 }, () => cancel(placed.id)));
    assert.deepEqual(answers.map((a) => [a.status, a.body.status]), Array.from({ length: 10 }, () => [200, 'cancelled']));
    assert.equal((await ledger(1)).filter((e: any) => e.kind === 'refund').length, 1);
    assert.equal(await balance(1), '10000000');
  });

  test('when an order was paid in USDT, then the refund goes back to the USDT balance', async () => {
    await reopen(USDT_PRICES);
    const dep = await t.request({
      method: 'POST',
      url: '/api/users/4/deposits',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { currency: 'USDT', amount: '5000000', reference: 'usdt-1' },
    });
    assert.equal(dep.status, 201);
    const placed = await place(4, { pay_currency: 'USDT' });
    const res = await cancel(placed.id);
    assert.equal(res.status, 200);
    assert.equal(res.body.refunded, placed.price);
    assert.equal(res.body.refunded_sun, null);
    const user = (await t.request({ method: 'GET', url: '/api/users/4' })).body;
    assert.equal(user.balance_micro_usdt, '5000000');
    assert.deepEqual((await ledger(4)).map((e: any) => [e.kind, e.currency, e.amount]).at(0), ['refund', 'USDT', placed.price]);
  });

  test('when a worker holds the pending order, then the cancel is refused with being_processed and changes nothing; once its lease is over it goes through', async () => {
    await t.deposit(1, 10_000_000n);
    const placed = await place();
    const held = await claimOrder(t.db, placed.id, 'worker-1', 60_000);
    assert.ok(held);
    const refused = await cancel(placed.id);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'cancel_not_allowed');
    assert.equal(refused.body.error.reason, 'being_processed');
    assert.match(refused.body.error.message, /ask again/);
    assert.equal((await get(placed.id)).status, 'pending');
    assert.equal(await balance(1), String(10_000_000n - BigInt(placed.price_sun)));

    // The worker's lease ran out (it crashed): the order is cancelled, and the worker's fenced writes can no longer land.
    await set(placed.id, { lease_until: (await now()) - 1n });
    const res = await cancel(placed.id);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'cancelled');
    const row = await t.db.kysely.selectFrom('orders').selectAll().where('id', '=', placed.id).executeTakeFirstOrThrow();
    assert.equal(row.lease_version, held.lease_version + 1n);
    assert.equal(row.lease_owner, null);
    const stale = await t.db.kysely
      .updateTable('orders')
      .set({ status: 'delegating' })
      .where('id', '=', placed.id)
      .where('status', '=', 'pending')
      .where('lease_version', '=', held.lease_version)
      .executeTakeFirst();
    assert.equal(stale.numUpdatedRows, 0n);
  });

  test('when a pending order waits for pool capacity, then it can be cancelled between its tries', async () => {
    await t.deposit(1, 10_000_000n);
    const placed = await place();
    await set(placed.id, { wait_reason: 'waiting_for_pool_capacity', attempts: 3n, next_attempt_at: (await now()) + 2000n });
    const res = await cancel(placed.id);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'cancelled');
    assert.equal(res.body.wait_reason, null);
  });

  test('when claims and cancels of fifty pending orders race, then each order is either cancelled and refunded or held by the worker, never both', async () => {
    await t.deposit(1, 1_000_000_000n);
    const orders = [];
    for (let i = 0; i < 50; i++) orders.push(await place());
    // Each pair starts at once, half of them claim first and half cancel first.
    const outcomes = await Promise.all(
      orders.map(async (o, i) => {
        const claim = () => claimOrder(t.db, o.id, 'racer', 60_000);
        if (i % 2 === 0) {
          const [claimed, answer] = await Promise.all([claim(), cancel(o.id)]);
          return { claimed, answer };
        }
        const [answer, claimed] = await Promise.all([cancel(o.id), claim()]);
        return { claimed, answer };
      }),
    );
    let cancelled = 0;
    for (const { claimed, answer } of outcomes) {
      if (answer.status === 200) {
        cancelled++;
        assert.equal(claimed, undefined, 'a cancelled order is never claimed');
        assert.equal(answer.body.status, 'cancelled');
      } else {
        assert.equal(answer.status, 409);
        assert.equal(answer.body.error.reason, 'being_processed');
        assert.ok(claimed, 'refused only because the worker holds it');
      }
    }
    const refunds = (await t.db.kysely.selectFrom('ledger_entries').select('order_id').where('kind', '=', 'refund').execute()).map((r) => r.order_id);
    assert.equal(refunds.length, cancelled);
    assert.equal(new Set(refunds).size, cancelled);
    assert.deepEqual(await ledgerViolations(t.db), []);
  });

  test('when the order is delegating, failed, reclaiming or completed, then 409 cancel_not_allowed says why, and nothing changes', async () => {
    await t.deposit(1, 100_000_000n);
    const cases: Array<[Partial<{ [K in keyof OrdersTable]: unknown }>, string]> = [
      [{ status: 'delegating', pool_address: ADDRESS, delegated_sun: 1_000_000n }, 'delegating'],
      [{ status: 'reclaiming', delegated_at: 1_000n, expires_at: 2_000n }, 'reclaiming'],
      [{ status: 'completed', delegated_at: 1_000n, expires_at: 2_000n, completed_at: 3_000n }, 'completed'],
    ];
    for (const [fields, reason] of cases) {
      const placed = await place();
      await set(placed.id, fields);
      const before = await get(placed.id);
      const res = await cancel(placed.id);
      assert.equal(res.status, 409, reason);
      assert.deepEqual(Object.keys(res.body), ['error']);
      assert.equal(res.body.error.code, 'cancel_not_allowed');
      assert.equal(res.body.error.reason, reason);
      assert.equal(typeof res.body.error.message, 'string');
      assert.deepEqual(await get(placed.id), before);
    }
    // A failed order was refunded by the engine; seed one as it leaves it.
    const failed = await place();
    await t.db.transaction(async (tx) => {
      await tx.kysely.updateTable('orders').set({ status: 'failed', error_code: 'receiver_is_contract', refunded_sun: BigInt(failed.price_sun), failed_at: 5_000n }).where('id', '=', failed.id).execute();
      await tx.kysely.updateTable('users').set((eb) => ({ balance_sun: eb('balance_sun', '+', BigInt(failed.price_sun)) })).where('id', '=', 1n).execute();
      const user = await tx.kysely.selectFrom('users').select('balance_sun').where('id', '=', 1n).executeTakeFirstOrThrow();
      await tx.kysely
        .insertInto('ledger_entries')
        .values({ user_id: 1n, kind: 'refund', currency: 'TRX', amount_sun: BigInt(failed.price_sun), balance_after_sun: user.balance_sun, order_id: failed.id, reference: null, created_at: 5_000n })
        .execute();
    });
    const res = await cancel(failed.id);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.reason, 'failed');
  });

  test('when an active order is unlocked, then the early cancel is accepted (202) and the order is due for a worker at once', async () => {
    await t.deposit(1, 10_000_000n);
    const placed = await place();
    const delegatedAt = (await now()) - 60_000n;
    await activate(placed.id, delegatedAt, null);
    assert.equal(await claimOrder(t.db, placed.id, 'worker-1', 30_000), undefined, 'a running rental is not due before this');

    const res = await cancel(placed.id);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.status, 'active');
    assert.ok(res.body.cancel_requested_at !== null);
    assert.equal(res.body.cancelled_at, null);
    assert.equal(res.body.refunded_sun, null, 'the refund is made once the energy is back');
    // Again: the same request, unchanged.
    const again = await cancel(placed.id);
    assert.equal(again.status, 202);
    assert.equal(again.body.cancel_requested_at, res.body.cancel_requested_at);
    assert.equal(await balance(1), String(10_000_000n - BigInt(placed.price_sun)));

    // A worker that held it meanwhile gave it back with a retry at the rental's end: still due now.
    await set(placed.id, { next_attempt_at: delegatedAt + 3_600_000n });
    const claimed = await claimOrder(t.db, placed.id, 'worker-1', 30_000);
    assert.ok(claimed, 'due at once');
    assert.equal(claimed.status, 'active');
    // Moved on to its reclaim, the request is still shown, and asking again still answers 202.
    await set(placed.id, { status: 'reclaiming' });
    assert.equal((await cancel(placed.id)).status, 202);
  });

  test('when an active order is locked, then 409 locked says when it can be cancelled; once the lock has run out it can', async () => {
    await t.deposit(1, 10_000_000n);
    const placed = await place();
    const delegatedAt = (await now()) - 60_000n;
    // 1200 blocks of 3 s: the lock covers the whole hour.
    await activate(placed.id, delegatedAt, 1200n);
    const res = await cancel(placed.id);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.reason, 'locked');
    assert.equal(res.body.error.possible_at, new Date(Number(delegatedAt + 1200n * 3000n)).toISOString());
    assert.equal((await get(placed.id)).cancel_requested_at, null);

    // A lock of 10 blocks (30 s) that ran out half a minute ago.
    await set(placed.id, { lock_blocks: 10n });
    const accepted = await cancel(placed.id);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  });

  test('when an active rental has already ended, then 409 rental_ended', async () => {
    await t.deposit(1, 10_000_000n);
    const placed = await place();
    await activate(placed.id, (await now()) - 3_700_000n, null);
    const res = await cancel(placed.id);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.reason, 'rental_ended');
  });

  test('when the order does not exist, then 404; when the id is not one, then 400', async () => {
    const missing = await cancel('01a225b2-a38b-759c-bca9-ef16383fb40e');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    const malformed = await cancel('nope');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_order_id');
  });

  test('when client keys are required, then a client key or the admin token may cancel, and the event names who did', async () => {
    await reopen({ API_KEYS: CLIENT_KEY });
    await t.deposit(1, 10_000_000n);
    const placeWithKey = async () => {
      const res = await t.request({
        method: 'POST',
        url: '/api/orders',
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
        payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: ADDRESS },
      });
      assert.equal(res.status, 201);
      return res.body;
    };
    const a = await placeWithKey();
    const b = await placeWithKey();
    const anonymous = await cancel(a.id);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'unauthorized');
    assert.equal((await cancel(a.id, { authorization: 'Bearer not-the-key-at-all' })).status, 401);
    assert.equal((await cancel(a.id, { authorization: `Bearer ${CLIENT_KEY}` })).status, 200);
    assert.equal((await cancel(b.id, { authorization: `Bearer ${ADMIN_TOKEN}` })).status, 200);
    const actors = async (id: string) =>
      (await t.request({ method: 'GET', url: `/api/orders/${id}/events`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body.events.at(-1).actor;
    assert.equal(await actors(a.id), 'api');
    assert.equal(await actors(b.id), 'admin');
  });

  test('when a flash-rent order is cancelled while pending, then its payment is owed back on chain, minus the refund fee, and no balance moves', async () => {
    const flashAddress = 'TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs';
    await reopen({ FLASH_RENT_ADDRESS: flashAddress, FLASH_RENT_TABLE: '3:65000:1h', FLASH_RENT_REFUND_FEE_SUN: '300000' });
    const txid = 'cd'.repeat(32);
    const at = await now();
    await t.db.transaction(async (tx) => {
      await tx.kysely
        .insertInto('flash_payments')
        .values({ txid, sender: ADDRESS, memo: null, amount_sun: 3_000_000n, block_number: 10n, block_time: at, refund_status: null, refund_reason: null, refund_sun: null, refund_txid: null, refund_tx_status: null, lease_owner: null, lease_until: null, next_attempt_at: null, wait_reason: null, created_at: at, updated_at: at })
        .execute();
      await tx.kysely.insertInto('users').values({ id: 0n, balance_sun: 0n, created_at: at, updated_at: at }).onConflict((oc) => oc.column('id').doNothing()).execute();
      await tx.kysely
        .insertInto('orders')
        .values({
          id: '01a225b2-a38b-759c-bca9-ef16383fb40e', user_id: 0n, status: 'pending', energy_amount: 65_000n, duration: '1h', duration_seconds: 3600n,
          receive_address: ADDRESS, pay_currency: 'TRX', price_sun: 3_000_000n, rate_sun_per_energy_day: 46n, idempotency_key: `flash:${txid}`,
          request_hash: 'h', payment_txid: txid, created_at: at, updated_at: at,
        })
        .execute();
    });
    const res = await cancel('01a225b2-a38b-759c-bca9-ef16383fb40e');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'cancelled');
    assert.equal(res.body.refunded_sun, '2700000');
    const payment = await t.db.kysely.selectFrom('flash_payments').selectAll().where('txid', '=', txid).executeTakeFirstOrThrow();
    assert.equal(payment.refund_status, 'due');
    assert.equal(payment.refund_sun, 2_700_000n);
    assert.equal(payment.refund_reason, 'cancelled');
    assert.equal((await t.db.kysely.selectFrom('ledger_entries').selectAll().execute()).length, 0);
    const asked = await t.request({ method: 'GET', url: `/api/flash-rent/payments/${txid}` });
    assert.equal(asked.body.status, 'refunding');
  });

  test('when the request sends an empty JSON object as its body, then it is a cancel like one without a body', async () => {
    await t.deposit(1, 10_000_000n);
    const a = await place();
    const withBody = await t.request({ method: 'POST', url: `/api/orders/${a.id}/cancel`, payload: {} });
    assert.equal(withBody.status, 200, JSON.stringify(withBody.body));
    assert.equal(withBody.body.status, 'cancelled');
  });
});
