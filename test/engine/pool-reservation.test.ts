import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { findChainTx } from '../../src/db/chain-transactions.js';
import { claimOrder } from '../../src/db/order-leases.js';
import { findOrder, reservedOnPool } from '../../src/db/orders.js';
import { LeaseLostError } from '../../src/engine/errors.js';
import { reservePool, type PoolChoice } from '../../src/engine/plan-delegation.js';
import type { Unsent } from '../../src/engine/step.js';
import { describeEachDialect } from '../support/dialects.js';
import { heldOrderContext, ledgerViolations, SEED_ADDRESS, type TestApp } from '../support/app.js';

const POOL = 'TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy';

/** A delegation's transaction id, one per order. */
const txidOf = (orderId: string) => createHash('sha256').update(orderId).digest('hex');

/** What stepPending signs before it reserves: here a stand-in, never broadcast. */
const delegation = (orderId: string): Unsent => ({
  signed: { txid: txidOf(orderId), json: JSON.stringify({ txID: txidOf(orderId) }), expiration: 1_900_000_000_000n },
  meta: { pool: POOL, receiver: SEED_ADDRESS, amountSun: 1_000_000n, lockBlocks: null },
});

describeEachDialect('reserving room on a pool', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
    await t.deposit(1, 1_000_000_000n);
  });
  afterEach(async () => {
    assert.deepEqual(await ledgerViolations(t.db), []);
    await t.close();
  });

  test('when twelve workers reserve at once on a pool with room for three, each with the delegation it signed, then exactly three orders get it, each with its delegation journaled, and the rest are left as they were with nothing journaled', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
      assert.equal(res.status, 201);
      ids.push(res.body.id);
    }
    const held = await Promise.all(ids.map(async (id, i) => (await claimOrder(t.db, id, `worker-${i}`, 30_000))!));
    const choice: PoolChoice = { pool: { address: POOL } as PoolChoice['pool'], sun: 1_000_000n, lockBlocks: null, delegatableSun: 3_000_000n };
    const reserved = await Promise.all(held.map((order, i) => reservePool(heldOrderContext(t.db, `worker-${i}`), order, choice, delegation(order.id))));

    const won = reserved.filter((o) => o !== undefined);
    assert.equal(won.length, 3, 'as many as the room holds, no more');
    assert.equal(await reservedOnPool(t.db, POOL), 3_000_000n);
    for (const [i, id] of ids.entries()) {
      const row = (await findOrder(t.db, id))!;
      const journaled = await findChainTx(t.db, txidOf(id));
      if (reserved[i] === undefined) {
        assert.equal(row.status, 'pending');
        assert.equal(row.pool_address, null);
        assert.equal(row.delegated_sun, null);
        assert.equal(row.delegate_txid, null);
        assert.equal(journaled, undefined, 'no room, nothing journaled: its signature is never sent');
      } else {
        assert.equal(row.status, 'delegating');
        assert.equal(row.pool_address, POOL);
        assert.deepEqual([row.delegate_txid, row.delegate_tx_status], [txidOf(id), 'signed'], 'the order names its delegation');
        assert.deepEqual(
          [journaled?.order_id, journaled?.kind, journaled?.status, journaled?.pool_address, journaled?.amount_sun, journaled?.broadcasts],
          [id, 'delegate', 'signed', POOL, 1_000_000n, 0n],
          'journaled by the reservation, not sent yet',
        );
        assert.deepEqual(reserved[i], row, 'the reservation answers the order as written');
      }
    }
    assert.equal((await t.db.kysely.selectFrom('chain_transactions').select('txid').execute()).length, 3, 'three rows in the journal, no more');
    const selected = await t.db.kysely.selectFrom('order_events').select('order_id').where('reason', '=', 'pool_selected').execute();
    assert.deepEqual(selected.map((e) => e.order_id).sort(), won.map((o) => o!.id).sort(), 'an event only for the orders that got room');
  });

  test('when another worker took the order meanwhile, then the reservation says the lease is lost, not that the room is gone, and spends nothing', async () => {
    const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
    const held = (await claimOrder(t.db, res.body.id, 'worker-a', 30_000))!;
    // What another worker's claim after an expired lease leaves: a new lease version.
    await t.db.kysely.updateTable('orders').set({ lease_owner: 'worker-b', lease_version: held.lease_version + 1n }).where('id', '=', held.id).execute();
    const ctx = heldOrderContext(t.db, 'worker-a');
    const choice: PoolChoice = { pool: { address: POOL } as PoolChoice['pool'], sun: 1_000_000n, lockBlocks: null, delegatableSun: 3_000_000n };
    await assert.rejects(reservePool(ctx, held, choice, delegation(held.id)), LeaseLostError);
    const row = (await findOrder(t.db, held.id))!;
    assert.equal(row.status, 'pending');
    assert.equal(row.lease_owner, 'worker-b');
    assert.equal(row.delegate_txid, null);
    assert.equal(await reservedOnPool(t.db, POOL), 0n);
    assert.equal(await findChainTx(t.db, txidOf(held.id)), undefined, 'nothing journaled');
  });
});
