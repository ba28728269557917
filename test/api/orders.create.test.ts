import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appPerTest, describeEachDialect } from '../support/dialects.js';
import { SEED_ADDRESS, tableCounts, type TestApp } from '../support/app.js';

const ORDER = { user_id: 999888, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS };

describeEachDialect('POST /api/orders', (newApp) => {
  let t: TestApp;
  const reopen = appPerTest(newApp, (app) => (t = app));

  const create = (payload: unknown, headers: Record<string, string> = {}) =>
    t.request({ method: 'POST', url: '/api/orders/', payload: payload as object, headers });

  test('when a funded user orders, then 201 pending with the exact price, and the balance, ledger and timeline show it', async () => {
    await t.deposit(999888, 100_000_000n);
    const res = await create(ORDER);
    assert.equal(res.status, 201);
    const o = res.body;
    assert.match(o.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(o.status, 'pending');
    assert.equal(o.user_id, 999888);
    assert.equal(o.energy_amount, 32000);
    assert.equal(o.price_sun, '2080000'); // 32000 energy * 65 sun/energy/day * 1 day
    assert.equal(o.cost_trx, '2.08');
    assert.equal(o.duration_hours, 1);
    assert.equal(o.tx_hash, null);
    assert.equal(o.error_message, null);
    assert.equal(o.completed_at, null);
    assert.ok(Math.abs(Date.parse(o.created_at) - Date.now()) < 60_000);

    const got = await t.request({ method: 'GET', url: `/api/orders/${o.id}` });
    assert.deepEqual(got.body, o, 'the POST response is the order as GET returns it');

    const user = await t.request({ method: 'GET', url: '/api/users/999888' });
    assert.equal(user.body.balance_sun, '97920000');
    const ledger = await t.request({ method: 'GET', url: '/api/users/999888/ledger' });
    assert.deepEqual(
      ledger.body.entries.map((e: any) => [e.kind, e.amount_sun, e.balance_after_sun, e.order_id]),
      [
        ['order_debit', '-2080000', '97920000', o.id],
        ['deposit', '100000000', '100000000', null],
      ],
    );
    const events = await t.request({ method: 'GET', url: `/api/orders/${o.id}/events` });
    assert.deepEqual(events.body.events.map((e: any) => [e.from_status, e.to_status, e.reason]), [[null, 'pending', 'created']]);
  });

  test('user_id may be a decimal string up to int64 and comes back exact', async () => {
    const big = '9223372036854775807';
    await t.deposit(big, 10_000_000n);
    const res = await create({ ...ORDER, user_id: big });
    assert.equal(res.status, 201);
    assert.match(res.text, /"user_id":9223372036854775807[,}]/);
    const list = await t.request({ method: 'GET', url: `/api/orders?user_id=${big}` });
    assert.equal(list.body.orders.length, 1);
  });

  test('when the balance is short, then 402 with price and balance, and nothing is written', async () => {
    await t.deposit(999888, 1_000_000n);
    const before = await tableCounts(t.db);
    const res = await create(ORDER);
    assert.equal(res.status, 402);
    assert.deepEqual(res.body.error, {
      code: 'insufficient_balance',
      message: res.body.error.message,
      price_sun: '2080000',
      balance_sun: '1000000',
    });
    assert.deepEqual(await tableCounts(t.db), before);
    const unknown = await create({ ...ORDER, user_id: 42 });
    assert.equal(unknown.status, 402);
    assert.equal(unknown.body.error.balance_sun, '0');
    assert.deepEqual(await tableCounts(t.db), before);
  });

  test('when the same Idempotency-Key is replayed, then the first order comes back (200) and is charged once', async () => {
    await t.deposit(999888, 100_000_000n);
    const first = await create(ORDER, { 'idempotency-key': 'bot-msg-1' });
    const again = await create(ORDER, { 'idempotency-key': 'bot-msg-1' });
    assert.equal(first.status, 201);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal(first.body.client_order_id, 'bot-msg-1');
    const viaBody = await create({ ...ORDER, client_order_id: 'bot-msg-1' });
    assert.equal(viaBody.status, 200);
    assert.equal(viaBody.body.id, first.body.id);
    assert.equal((await tableCounts(t.db)).orders, 1n);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/999888' })).body.balance_sun, '97920000');
  });

  test('only a keyed order stores its request hash; a key used after a keyless order of the same body still places and replays', async () => {
    await t.deposit(999888, 100_000_000n);
    const keyless = await create(ORDER);
    const keyed = await create(ORDER, { 'idempotency-key': 'after-keyless' });
    const replay = await create(ORDER, { 'idempotency-key': 'after-keyless' });
    assert.deepEqual([keyless.status, keyed.status, replay.status], [201, 201, 200]);
    assert.equal(replay.body.id, keyed.body.id);
    const hashes = await t.db.kysely.selectFrom('orders').select(['id', 'request_hash']).execute();
    const hashOf = new Map(hashes.map((r) => [r.id, r.request_hash]));
    assert.equal(hashOf.get(keyless.body.id), '');
    assert.match(hashOf.get(keyed.body.id) ?? '', /^[0-9a-f]{64}$/);
  });

  test('when a key is reused with a different body, then 409 idempotency_conflict and nothing is written', async () => {
    await t.deposit(999888, 100_000_000n);
    await create({ ...ORDER, client_order_id: 'k1' });
    const before = await tableCounts(t.db);
    const res = await create({ ...ORDER, energy_amount: 64000, client_order_id: 'k1' });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'idempotency_conflict');
    assert.deepEqual(await tableCounts(t.db), before);
    const mismatch = await create({ ...ORDER, client_order_id: 'k2' }, { 'idempotency-key': 'k3' });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error.code, 'idempotency_key_mismatch');
  });

  test('when 20 identical keyed requests arrive at once, then exactly one order and one debit exist', async () => {
    await t.deposit(999888, 100_000_000n);
    const results = await Promise.all(Array.from({ length: 20 }, () => create(ORDER, { 'idempotency-key': 'same' })));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, ...Array(19).fill(200), 201].slice(1).sort());
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    const counts = await tableCounts(t.db);
    assert.equal(counts.orders, 1n);
    assert.equal(counts.ledger_entries, 2n);
  });

  test('when 20 unkeyed orders race for a balance that covers 5, then exactly 5 are placed', async () => {
    await t.deposit(999888, 5n * 2_080_000n);
    const results = await Promise.all(Array.from({ length: 20 }, () => create(ORDER)));
    assert.equal(results.filter((r) => r.status === 201).length, 5);
    assert.equal(results.filter((r) => r.status === 402).length, 15);
    assert.equal((await t.request({ method: 'GET', url: '/api/users/999888' })).body.balance_sun, '0');
  });

  test('bad input gets a 4xx with a stable code, never a 500, and writes nothing', async () => {
    await t.deposit(999888, 100_000_000n);
    const before = await tableCounts(t.db);
    const cases: Array<[unknown, number, string]> = [
      [{ ...ORDER, receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u' }, 400, 'invalid_address'],
      [{ ...ORDER, receive_address: 'ТR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' }, 400, 'invalid_address'],
      [{ ...ORDER, receive_address: `${SEED_ADDRESS}\u200b` }, 400, 'invalid_address'],
      [{ ...ORDER, receive_address: 12345 }, 400, 'invalid_address'],
      [{ ...ORDER, energy_amount: 999 }, 400, 'energy_out_of_range'],
      [{ ...ORDER, energy_amount: 10_000_001 }, 400, 'energy_out_of_range'],
      [{ ...ORDER, energy_amount: -32000 }, 400, 'energy_out_of_range'],
      [{ ...ORDER, energy_amount: 32000.5 }, 400, 'invalid_energy_amount'],
      [{ ...ORDER, energy_amount: '32000' }, 400, 'invalid_energy_amount'],
      [{ ...ORDER, energy_amount: 1e300 }, 400, 'energy_out_of_range'],
      [{ ...ORDER, duration: '2h' }, 400, 'unsupported_duration'],
      [{ ...ORDER, duration: 3600 }, 400, 'unsupported_duration'],
      [{ ...ORDER, user_id: 0 }, 400, 'invalid_user_id'],
      [{ ...ORDER, user_id: -5 }, 400, 'invalid_user_id'],
      [{ ...ORDER, user_id: 1.5 }, 400, 'invalid_user_id'],
      [{ ...ORDER, user_id: 2 ** 60 }, 400, 'invalid_user_id'],
      [{ ...ORDER, user_id: '9223372036854775808' }, 400, 'invalid_user_id'],
      [{ ...ORDER, user_id: true }, 400, 'invalid_user_id'],
      [{ ...ORDER, extra: 1 }, 400, 'unknown_field'],
      [{ energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS }, 400, 'missing_field'],
      [{ ...ORDER, client_order_id: '' }, 400, 'invalid_client_order_id'],
      [{ ...ORDER, client_order_id: 'x'.repeat(129) }, 400, 'invalid_client_order_id'],
      [[ORDER], 400, 'invalid_request'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await create(payload);
      assert.equal(res.status, status, `${JSON.stringify(payload)} -> ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, JSON.stringify(payload));
      assert.equal(typeof res.body.error.message, 'string');
    }
    const raw = (payload: string, contentType = 'application/json') =>
      t.request({ method: 'POST', url: '/api/orders', payload, headers: { 'content-type': contentType } });
    const rawCases: Array<[Promise<{ status: number; body: any }>, number, string]> = [
      [raw('{"user_id": 999888,'), 400, 'invalid_json'],
      [raw(''), 400, 'invalid_json'],
      [raw('{"__proto__": {"x": 1}, "user_id": 999888}'), 400, 'invalid_json'],
      [raw(JSON.stringify(ORDER), 'text/plain'), 415, 'unsupported_media_type'],
      [raw(JSON.stringify({ ...ORDER, pad: 'x'.repeat(17 * 1024) })), 413, 'payload_too_large'],
    ];
    for (const [pending, status, code] of rawCases) {
      const res = await pending;
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
    }
    const badKey = await create(ORDER, { 'idempotency-key': 'has space' });
    assert.equal(badKey.body.error.code, 'invalid_idempotency_key');
    assert.deepEqual(await tableCounts(t.db), before);
  });

  test('when max_price is below the price, then 409 price_above_max with the price and nothing is written; at the price the order is placed, and a keyed retry gets it back whatever max_price it sends', async () => {
    await t.deposit(999888, 100_000_000n);
    const before = await tableCounts(t.db);
    const above = await create({ ...ORDER, max_price: '2079999' }, { 'idempotency-key': 'shown-1' });
    assert.equal(above.status, 409);
    assert.deepEqual(above.body.error, {
      code: 'price_above_max',
      message: above.body.error.message,
      currency: 'TRX',
      price: '2080000',
      max_price: '2079999',
      unit: 'sun',
    });
    for (const bad of ['0', 'two', -5, 1.5]) {
      const res = await create({ ...ORDER, max_price: bad });
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    assert.deepEqual(await tableCounts(t.db), before, 'nothing written for a refusal');
    assert.equal((await t.request({ method: 'GET', url: '/api/users/999888' })).body.balance_sun, '100000000');

    const placed = await create({ ...ORDER, max_price: 2080000 }, { 'idempotency-key': 'shown-2' });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.body.price_sun, '2080000');
    const retried = await create({ ...ORDER, max_price: '1' }, { 'idempotency-key': 'shown-2' });
    assert.equal(retried.status, 200);
    assert.equal(retried.body.id, placed.body.id, 'the order placed at the price agreed, charged once');
    // The key with another order (what a second currency's button of the same confirmation sends): the key's
    // conflict, never "priced above", which reads as nothing placed.
    const other = await create({ ...ORDER, energy_amount: 33000, max_price: '1' }, { 'idempotency-key': 'shown-2' });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_conflict');
    assert.equal((await t.request({ method: 'GET', url: '/api/users/999888' })).body.balance_sun, '97920000');
  });

  test('durations follow ALLOWED_DURATIONS, and prices follow PRICE_TABLE', async () => {
    await reopen({ ALLOWED_DURATIONS: '30s,2d', PRICE_TABLE: '2d:40', PRICE_SUN_PER_ENERGY_DAY: '90' });
    await t.deposit(7, 100_000_000n);
    const short = await create({ ...ORDER, user_id: 7, duration: '30s' });
    assert.equal(short.status, 201);
    assert.equal(short.body.price_sun, String(32000 * 90));
    assert.equal(short.body.duration_seconds, 30);
    const twoDays = await create({ ...ORDER, user_id: 7, duration: '2d' });
    assert.equal(twoDays.body.price_sun, String(32000 * 40 * 2));
    assert.equal((await create({ ...ORDER, user_id: 7 })).body.error.code, 'unsupported_duration');
  });
});
