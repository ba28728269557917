import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimOrder } from '../../src/db/order-leases.js';
import { findOrder } from '../../src/db/orders.js';
import { MAX_BALANCE_SUN } from '../../src/db/users.js';
import { failAndRefund } from '../../src/engine/fail-order.js';
import { createLogger } from '../../src/observability/logger.js';
import { ADMIN_TOKEN, SEED_ADDRESS, type TestApp } from '../support/app.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

/**
 * The balance ceiling binds deposits only, and it counts what the user's
 * open orders may still refund: so a refund always fits, however full the
 * balance was made while the order was in flight.
 */
describeEachDialect('refunds are never blocked by the balance ceiling', (newApp) => {
  let t: TestApp;
  appPerTest(newApp, (app) => (t = app));

  const depositRaw = (amountSun: bigint, reference: string) =>
    t.request({
      method: 'POST',
      url: '/api/users/1/deposits',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { amount_sun: amountSun.toString(), reference },
    });

  test('when deposits fill the balance while an order is in flight, then the deposit past the room is refused and the refund still goes through', async () => {
    await t.deposit(1, 100_000_000n);
    const placed = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
    assert.equal(placed.status, 201);
    const price = BigInt(placed.body.price_sun);

    // Room left for deposits: the ceiling minus the balance minus the pending order's price.
    // One deposit is at most 10^17 sun: fill in steps.
    let room = MAX_BALANCE_SUN - (100_000_000n - price) - price;
    for (let i = 0; room > 0n; i++) {
      const step = room < 100_000_000_000_000_000n ? room : 100_000_000_000_000_000n;
      assert.equal((await depositRaw(step, `fill-${i}`)).status, 201);
      room -= step;
    }
    const tooMuch = await depositRaw(1n, 'fill-too-much');
    assert.equal(tooMuch.status, 422, 'the pending order keeps its refund room');
    assert.equal(tooMuch.body.error.code, 'balance_limit_exceeded');
    assert.equal(BigInt((await t.request({ method: 'GET', url: '/api/users/1' })).body.balance_sun), MAX_BALANCE_SUN - price);

    const held = (await claimOrder(t.db, placed.body.id, 'w', 30_000))!;
    await failAndRefund({ db: t.db, log: createLogger('silent'), workerId: 'w' }, held, 'no_pool_capacity', 'no room');
    const order = (await findOrder(t.db, placed.body.id))!;
    assert.equal(order.status, 'failed');
    assert.equal(order.refunded_sun, price);
    assert.equal(BigInt((await t.request({ method: 'GET', url: '/api/users/1' })).body.balance_sun), MAX_BALANCE_SUN);
    // Full now, with nothing left open: not one more sun.
    assert.equal((await depositRaw(1n, 'one-more')).status, 422);
  });
});
