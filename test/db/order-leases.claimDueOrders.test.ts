import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimDueOrders, claimOrder } from '../../src/db/order-leases.js';
import { SEED_ADDRESS } from '../support/app.js';
import { describeEachDialect } from '../support/dialects.js';

describeEachDialect('sweepers claiming due orders in batches', (newApp) => {
  test('when four sweepers batch-claim at once, then each due order is claimed by exactly one, skipping fresh pending orders inside the grace', async () => {
    const t = await newApp();
    try {
      await t.deposit(1, 1_000_000_000n);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000 + i, duration: '1h', receive_address: SEED_ADDRESS } });
        ids.push(res.body.id);
      }
      assert.deepEqual(await claimDueOrders(t.db, 'w', 30_000, 100, 3_600_000), [], 'every order is inside the grace');
      await t.db.kysely.updateTable('orders').set({ created_at: 1n }).execute();
      const held = await claimOrder(t.db, ids[0]!, 'other', 30_000);
      assert.ok(held);
      const batches = await Promise.all(['a', 'b', 'c', 'd'].map((w) => claimDueOrders(t.db, w, 30_000, 15, 3_600_000)));
      const claimed = batches.flat();
      assert.equal(claimed.length, ids.length - 1, 'every due order claimed, the held one skipped');
      assert.equal(new Set(claimed.map((o) => o.id)).size, claimed.length, 'no order claimed twice');
      for (const o of claimed) {
        assert.equal(o.lease_version, 1n);
        assert.ok(o.lease_owner !== null && o.lease_until !== null);
      }
      assert.deepEqual(await claimDueOrders(t.db, 'late', 30_000, 100), [], 'nothing is due once everything is held');
    } finally {
      await t.close();
    }
  });
});
