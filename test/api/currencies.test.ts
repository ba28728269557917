import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimOrder } from '../../src/db/order-leases.js';
import { failAndRefund } from '../../src/engine/fail-order.js';
import { createLogger } from '../../src/observability/logger.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';
import { ADMIN_TOKEN, ledgerViolations, SEED_ADDRESS, tableCounts, type TestApp } from '../support/app.js';

/** Micro-USDT per energy per day, one rate for every default duration. */
const USDT_PRICES = { PRICE_TABLE_USDT: '1h:20,1d:24,3d:21,7d:18,14d:17,30d:15' };

describeEachDialect('balances in TRX and USDT', (newApp) => {
  let t: TestApp;
  const reopen = appPerTest(newApp, (app) => (t = app));

  const depositReq = (userId: string | number, payload: object) =>
    t.request({ method: 'POST', url: `/api/users/${userId}/deposits`, payload, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const user = async (id: number) => (await t.request({ method: 'GET', url: `/api/users/${id}` })).body;
  const order = (payload: object) =>
    t.request({
      method: 'POST',
      url: '/api/orders',
      payload: { user_id: 7, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS, ...payload },
    });

  test('when USDT is deposited, then the USDT balance holds it and the TRX balance and fields are as before', async () => {
    await t.deposit(7, 5_000_000n);
    const res = await depositReq(7, { currency: 'USDT', amount: '12500000', reference: 'usdt-1' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.currency, 'USDT');
    assert.equal(res.body.balance, '12500000');
    assert.equal(res.body.balance_sun, '5000000');
    assert.equal(res.body.balance_micro_usdt, '12500000');
    assert.equal(res.body.entry.currency, 'USDT');
    assert.equal(res.body.entry.amount, '12500000');
    assert.equal(res.body.entry.amount_sun, null, 'no USDT amount under a _sun name');
    const u = await user(7);
    assert.equal(u.balance_sun, '5000000');
    assert.equal(u.balance_trx, '5');
    assert.equal(u.balance_micro_usdt, '12500000');
    assert.equal(u.balance_usdt, '12.5');
    const ledger = (await t.request({ method: 'GET', url: '/api/users/7/ledger' })).body.entries;
    assert.deepEqual(
      ledger.map((e: any) => [e.currency, e.amount, e.balance_after, e.amount_sun]),
      [
        ['USDT', '12500000', '12500000', null],
        ['TRX', '5000000', '5000000', '5000000'],
      ],
    );
    // A TRX deposit by amount, without currency, is the same as by amount_sun.
    assert.equal((await depositReq(7, { amount: 1, reference: 'trx-by-amount' })).body.balance_sun, '5000001');
  });

  test('bad currencies and amounts are refused with a code and write nothing', async () => {
    await t.deposit(7, 1n);
    const before = await tableCounts(t.db);
    const cases: Array<[object, string]> = [
      [{ currency: 'EUR', amount: '1', reference: 'a' }, 'invalid_currency'],
      [{ currency: 'usdt', amount: '1', reference: 'a' }, 'invalid_currency'],
      [{ currency: 'USDT', amount_sun: '1', reference: 'a' }, 'invalid_amount'],
      [{ amount: '1', amount_sun: '1', reference: 'a' }, 'invalid_amount'],
      [{ currency: 'USDT', amount: '0', reference: 'a' }, 'invalid_amount'],
      [{ currency: 'USDT', reference: 'a' }, 'missing_field'],
      [{ amount: '1', reference: 'chain:abc:0' }, 'invalid_reference'],
    ];
    for (const [payload, code] of cases) {
      const res = await depositReq(7, payload);
      assert.equal(res.status, 400, `${JSON.stringify(payload)} -> ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, JSON.stringify(payload));
      assert.match(res.body.error.message, /./);
    }
    const unpriced = await order({ pay_currency: 'BTC' });
    assert.equal(unpriced.status, 400);
    assert.equal(unpriced.body.error.code, 'invalid_currency');
    assert.deepEqual(await tableCounts(t.db), before);
  });

  test('when a deposit reference is reused in another currency, then 409', async () => {
    await depositReq(7, { amount: '1000', reference: 'pay-1' });
    const other = await depositReq(7, { currency: 'USDT', amount: '1000', reference: 'pay-1' });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_conflict');
    assert.equal((await user(7)).balance_micro_usdt, '0');
  });

  test('when PRICE_TABLE_USDT is unset, then an order in USDT is refused with currency_not_accepted and nothing is written', async () => {
    await depositReq(7, { currency: 'USDT', amount: '100000000', reference: 'u' });
    const before = await tableCounts(t.db);
    const res = await order({ pay_currency: 'USDT' });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'currency_not_accepted');
    assert.match(res.body.error.message, /PRICE_TABLE_USDT/);
    const quote = await t.request({ method: 'GET', url: '/api/prices/quote?energy_amount=32000&duration=1h&pay_currency=USDT' });
    assert.equal(quote.status, 422);
    assert.equal(quote.body.error.code, 'currency_not_accepted');
    assert.deepEqual(await tableCounts(t.db), before);
    assert.equal((await t.request({ method: 'GET', url: '/api/prices' })).body.durations[0].rate_micro_usdt_per_energy_day, null);
  });

  test('when an order is paid in USDT, then only the USDT balance pays, at the USDT rate, and the order says so', async () => {
    await reopen(USDT_PRICES);
    await t.deposit(7, 50_000_000n);
    await depositReq(7, { currency: 'USDT', amount: '1000000', reference: 'u' });
    const res = await order({ pay_currency: 'USDT' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    // 32000 energy x 20 micro-USDT x 1 day.
    assert.equal(res.body.pay_currency, 'USDT');
    assert.equal(res.body.price, '640000');
    assert.equal(res.body.rate_per_energy_day, '20');
    assert.equal(res.body.price_sun, null);
    assert.equal(res.body.cost_trx, null);
    const u = await user(7);
    assert.equal(u.balance_micro_usdt, '360000');
    assert.equal(u.balance_sun, '50000000');
    const quote = await t.request({ method: 'GET', url: '/api/prices/quote?energy_amount=32000&duration=1h&pay_currency=USDT' });
    assert.equal(quote.status, 200);
    assert.equal(quote.body.price, '640000');
    assert.equal(quote.body.price_decimal, '0.64');
    assert.equal(quote.body.price_sun, null);
    const trxQuote = await t.request({ method: 'GET', url: '/api/prices/quote?energy_amount=32000&duration=1h' });
    assert.equal(trxQuote.body.pay_currency, 'TRX');
    assert.equal(trxQuote.body.price_sun, trxQuote.body.price);
    assert.equal((await t.request({ method: 'GET', url: '/api/prices' })).body.durations[0].rate_micro_usdt_per_energy_day, '20');

    // The USDT left does not cover another; the TRX balance is not touched for it.
    const short = await order({ pay_currency: 'USDT' });
    assert.equal(short.status, 402);
    assert.equal(short.body.error.code, 'insufficient_balance');
    assert.equal(short.body.error.currency, 'USDT');
    assert.equal(short.body.error.balance, '360000');
    // Paid in TRX by default, from the TRX balance.
    const inTrx = await order({});
    assert.equal(inTrx.status, 201);
    assert.equal(inTrx.body.pay_currency, 'TRX');
    assert.equal(inTrx.body.price_sun, inTrx.body.price);
    assert.equal((await user(7)).balance_micro_usdt, '360000');
  });

  test('when the same key is replayed with another currency, then it is a conflict, not the first order', async () => {
    await reopen(USDT_PRICES);
    await t.deposit(7, 50_000_000n);
    await depositReq(7, { currency: 'USDT', amount: '10000000', reference: 'u' });
    assert.equal((await order({ client_order_id: 'k1' })).status, 201);
    assert.equal((await order({ client_order_id: 'k1' })).status, 200);
    const other = await order({ client_order_id: 'k1', pay_currency: 'USDT' });
    assert.equal(other.status, 409);
    assert.equal((await order({ client_order_id: 'k1', pay_currency: 'TRX' })).status, 200, 'TRX said out loud is the default');
  });

  test('when an order paid in USDT fails, then its price goes back to the USDT balance', async () => {
    await reopen(USDT_PRICES);
    await depositReq(7, { currency: 'USDT', amount: '2000000', reference: 'u' });
    const placed = await order({ pay_currency: 'USDT' });
    const held = (await claimOrder(t.db, placed.body.id, 'w', 30_000))!;
    await failAndRefund({ db: t.db, log: createLogger('silent'), workerId: 'w' }, held, 'receiver_is_contract', 'a contract');
    const u = await user(7);
    assert.equal(u.balance_micro_usdt, '2000000');
    assert.equal(u.balance_sun, '0');
    const failed = (await t.request({ method: 'GET', url: `/api/orders/${placed.body.id}` })).body;
    assert.equal(failed.refunded, '640000');
    assert.equal(failed.refunded_sun, null);
    const entries = await t.db.kysely
      .selectFrom('ledger_entries')
      .select(['kind', 'currency', 'amount_sun'])
      .where('order_id', '=', placed.body.id)
      .orderBy('id')
      .execute();
    assert.deepEqual(entries, [
      { kind: 'order_debit', currency: 'USDT', amount_sun: -640_000n },
      { kind: 'refund', currency: 'USDT', amount_sun: 640_000n },
    ]);
  });

  test('the ledger check looks at each currency: a USDT balance off by one is reported', async () => {
    await depositReq(7, { currency: 'USDT', amount: '5', reference: 'u' });
    assert.deepEqual(await ledgerViolations(t.db), []);
    await t.db.kysely.updateTable('users').set({ balance_micro_usdt: 6n }).where('id', '=', 7n).execute();
    assert.deepEqual(await ledgerViolations(t.db), ['user 7: USDT balance 6 != entries 5']);
    await t.db.kysely.updateTable('users').set({ balance_micro_usdt: 5n }).where('id', '=', 7n).execute();
  });
});
