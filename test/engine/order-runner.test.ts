import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inlineDispatch } from '../../src/dispatch/dispatch.js';
import { OrderRunner } from '../../src/engine/order-runner.js';
import { createLogger } from '../../src/observability/logger.js';
import { sql } from 'kysely';
import { dbNow } from '../../src/db/clock.js';
import { findOrder } from '../../src/db/orders.js';
import { placeUndispatched, startStack, until, type Stack } from '../support/stack.js';

// The runners here run nothing (concurrency 0): what they hold is what was offered.
let s: Stack;
before(async () => {
  s = await startStack();
});
after(() => s.close());

test('a runner holds at most its limit of new orders; past it a new order is refused, and orders under way are still woken', async () => {
  const runner = new OrderRunner(s.engine.ctx, 0, 2);
  assert.equal(runner.offer('order-a'), true);
  assert.equal(runner.offer('order-b'), true);
  assert.equal(runner.offer('order-c'), false);
  // One it holds already is not refused, and is not held twice.
  assert.equal(runner.offer('order-a'), true);
  assert.equal(runner.busy, 2);
  // A wake-up of an order under way (its confirmation, a timer) is never refused.
  runner.wake('order-d', true);
  assert.equal(runner.busy, 3);
  await runner.close();
  assert.equal(runner.offer('order-e'), false);
});

test('when the runner is full, the in-process dispatch logs that the order waits for the sweep, and its status lists it so', async () => {
  const lines: any[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const runner = new OrderRunner(s.engine.ctx, 0, 1);
  const dispatch = inlineDispatch(runner, log);
  dispatch.orderPlaced('order-1');
  dispatch.orderPlaced('order-2');
  assert.deepEqual(
    lines.map((l) => [l.orderId, l.path, l.reason]),
    [
      ['order-1', 'in-process', undefined],
      ['order-2', 'sweeper', 'runner full'],
    ],
  );
  assert.deepEqual(
    dispatch.status!().recent.map((d) => [d.orderId, d.path]),
    [
      ['order-2', 'sweeper'],
      ['order-1', 'in-process'],
    ],
  );
  await runner.close();
});

test('when an order is woken a little before the database says it is due (a timer on a lagging clock), the runner looks again when it is due instead of leaving it to the sweeper', async () => {
  // The sweeper is parked: only the runner can move the order.
  const parked = await startStack({ env: { SWEEP_INTERVAL_MS: '3600000' } });
  try {
    await parked.deposit(1, 1_000_000_000n);
    const order = await placeUndispatched(parked, '1h');
    await sql`update orders set next_attempt_at = ${dbNow(parked.db.dialect)} + 400 where id = ${order.id}`.execute(parked.db.kysely);
    const early = await parked.engine.runner.advance(order.id);
    assert.equal(early?.claimed, false, 'not due yet: the claim is refused');
    assert.equal((await findOrder(parked.db, order.id))?.status, 'pending');
    assert.ok(early.retryInMs !== null && early.retryInMs > 0 && early.retryInMs <= 400, `looks again in ${early.retryInMs} ms`);
    await parked.waitFor(order.id, (o) => o.status === 'active', 15_000);
  } finally {
    await parked.close();
  }
});

test("when an order goes active, the runner keeps no wake-up from its earlier waits: the accepted delegation's backstop would claim the rental for nothing", async () => {
  const own = await startStack({ env: { SWEEP_INTERVAL_MS: '3600000' } });
  try {
    await own.deposit(1, 1_000_000_000n);
    const order = await own.order({ user_id: 1, energy_amount: 32_000, duration: '1h', receive_address: own.customer(0) });
    // Once its delegation was accepted, the order waited for the follower with a look-again backstop
    // on a timer (20 polls: 2 s here); it goes active within a few blocks, long before that.
    await until(() => findOrder(own.db, order.id), (o) => o?.status === 'active' && o.lease_owner === null, 'the order never went active and was given back');
    await sleep(50); // the run that gave it back has returned to the runner
    assert.equal(own.engine.runner.timed, 0, 'the rental is due in an hour: nothing to wake before');
  } finally {
    await own.close();
  }
});
