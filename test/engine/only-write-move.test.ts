// A status change that is its transaction's only write (the activation, a
// completion without a refund) asks to be the transaction's last statement:
// on PostgreSQL its COMMIT goes with it, a round trip fewer. An event for a
// tenant's webhook has to be written after the move, so for such a tenant
// the move is refused, nothing is written, and the transaction runs again
// the ordinary way; the process then remembers the tenant and goes the
// ordinary way at once. It learns what it remembers from every status
// change's answer on PostgreSQL (the reservation's too), so each test here
// starts from what its own orders' reservations taught it.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { sql } from 'kysely';
import { claimOrder } from '../../src/db/order-leases.js';
import { findOrder, type Order } from '../../src/db/orders.js';
import { reservePool, type PoolChoice } from '../../src/engine/plan-delegation.js';
import { onlyWriteMovingEnergy } from '../../src/engine/transition.js';
import { describeEachDialect } from '../support/dialects.js';
import { heldOrderContext, ledgerViolations, poolWithRoom, SEED_ADDRESS, type TestApp } from '../support/app.js';

const POOL = 'TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy';

describeEachDialect('a status change that is its transaction’s only write', (newApp, dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
    await t.deposit(1, 1_000_000_000n);
  });
  afterEach(async () => {
    assert.deepEqual(await ledgerViolations(t.db), []);
    await t.close();
  });

  /** An order placed, claimed and given room on the pool: delegating, held by worker-a. */
  async function delegatingOrder(): Promise<Order> {
    const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
    assert.equal(res.status, 201);
    const claimed = (await claimOrder(t.db, res.body.id, 'worker-a', 30_000))!;
    const ctx = heldOrderContext(t.db, 'worker-a');
    await poolWithRoom(t.db, POOL, 100_000_000n);
    const choice: PoolChoice = { pool: { address: POOL } as PoolChoice['pool'], sun: 1_000_000n, lockBlocks: null };
    const held = await reservePool(ctx, claimed, choice);
    assert.equal(held?.status, 'delegating');
    return held!;
  }

  /** The activation as the engine writes it; `runs` counts the transaction's runs, `statusAtAnswer` what another connection saw as the move answered. */
  async function activate(held: Order) {
    let runs = 0;
    let statusAtAnswer: string | undefined;
    const active = await onlyWriteMovingEnergy(t.db, async (tx, moveEnergy) => {
      runs++;
      const moved = await moveEnergy(
        tx,
        held,
        'active',
        { reason: 'delegation_confirmed', actor: 'worker-a' },
        { delegate_tx_status: 'confirmed', delivered_energy: 32_000n, delegated_at: held.created_at, expires_at: held.created_at + 3_600_000n },
        {},
      );
      if (moved === 'hooked') return moved;
      // Another connection of the pool (SQLite's single writer would wait for this transaction: asked on PostgreSQL only).
      if (dialect === 'postgres') statusAtAnswer = (await findOrder(t.db, held.id))!.status;
      return moved.order;
    });
    return { active, runs, statusAtAnswer };
  }

  const activeEvents = async (orderId: string) =>
    (await t.db.kysely.selectFrom('webhook_events').select(['type', 'payload']).where('type', '=', 'order.active').execute()).filter((e) =>
      e.payload.includes(orderId),
    ).length;

  test('when the tenant has no webhook URL, then the order is active, on PostgreSQL committed by the time the move answered, in one run of the transaction', async () => {
    const held = await delegatingOrder();
    const { active, runs, statusAtAnswer } = await activate(held);
    assert.equal(active.status, 'active');
    assert.equal(runs, 1);
    if (dialect === 'postgres') assert.equal(statusAtAnswer, 'active', 'the COMMIT went with the move');
    assert.equal((await findOrder(t.db, held.id))!.status, 'active');
    const events = await t.db.kysely.selectFrom('order_events').select('to_status').where('order_id', '=', held.id).where('to_status', '=', 'active').execute();
    assert.equal(events.length, 1, 'its event row, once');
  });

  test('when the tenant has a webhook URL, then order.active is written once with the move; on PostgreSQL the first run is refused and the next order of the tenant goes the ordinary way at once', async () => {
    const first = await delegatingOrder();
    const second = await delegatingOrder();
    // Given after the orders' reservations, which taught the process that the tenant had none.
    await sql`update tenants set webhook_url = 'https://example.com/hook', signing_secret = 'test-secret' where id = 'default'`.execute(t.db.kysely);

    const a = await activate(first);
    assert.equal(a.active.status, 'active');
    assert.equal(await activeEvents(first.id), 1, 'its webhook event, once');
    assert.equal(a.runs, dialect === 'postgres' ? 2 : 1, 'refused once on PostgreSQL, written the ordinary way');

    const b = await activate(second);
    assert.equal(b.active.status, 'active');
    assert.equal(await activeEvents(second.id), 1);
    assert.equal(b.runs, 1, 'the tenant is known to have a webhook URL: no refused run');
    const events = await t.db.kysely.selectFrom('order_events').select('order_id').where('to_status', '=', 'active').execute();
    assert.deepEqual(events.map((e) => e.order_id).sort(), [first.id, second.id].sort(), 'one event row an order');
  });

  test('when the tenant’s webhook URL is removed, then the next activation commits with its move again and writes no event', async () => {
    await sql`update tenants set webhook_url = 'https://example.com/hook', signing_secret = 'test-secret' where id = 'default'`.execute(t.db.kysely);
    const hooked = await activate(await delegatingOrder());
    assert.equal(await activeEvents(hooked.active.id), 1);
    await sql`update tenants set webhook_url = null where id = 'default'`.execute(t.db.kysely);
    const held = await delegatingOrder();
    const { runs, statusAtAnswer } = await activate(held);
    assert.equal(runs, 1);
    if (dialect === 'postgres') assert.equal(statusAtAnswer, 'active', 'the COMMIT went with the move again');
    assert.equal(await activeEvents(held.id), 0);
  });
});
