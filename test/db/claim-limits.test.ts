// Every batch claim (due orders, webhook deliveries, flash-rent refunds,
// receiver reads) takes at most the number asked for, even with many more
// due, and concurrent claims take different rows: how a sweeper leaves the
// rest of a backlog to other workers, and how one tenant's webhooks keep to
// their share of the slots.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimDueRefunds } from '../../src/db/flash-payments.js';
import { claimDueOrders } from '../../src/db/order-leases.js';
import { claimDueReceivers } from '../../src/db/saved-addresses.js';
import { claimDueWebhooks } from '../../src/db/webhook-outbox.js';
import { ADMIN_TOKEN, SEED_ADDRESS, type TestApp } from '../support/app.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

const DUE = 12;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** One claim of `limit` alone, then three of `limit` at once: each at most its limit, all different rows, the rest left due. */
async function assertClaimsKeepToLimits(what: string, claim: (limit: number) => Promise<string[]>): Promise<void> {
  const one = await claim(2);
  assert.equal(one.length, 2, `${what}: a claim of 2 with ${DUE} due takes 2 (took ${one.length})`);
  const batches = await Promise.all([claim(3), claim(3), claim(3)]);
  for (const b of batches) assert.ok(b.length <= 3, `${what}: a claim of 3 took ${b.length}`);
  const all = [one, ...batches].flat();
  assert.equal(new Set(all).size, all.length, `${what}: no row claimed twice`);
  assert.equal(all.length, 11, `${what}: 2 + 3 × 3 claimed`);
  assert.equal((await claim(5)).length, 1, `${what}: the one left`);
}

describeEachDialect('batch claims keep to their limit', (newApp) => {
  let t: TestApp;
  appPerTest(newApp, (app) => (t = app));

  test(`when ${DUE} orders, webhook deliveries, refunds and receiver reads are due, then each claim takes at most its limit`, async () => {
    await t.deposit(1, 1_000_000_000n);
    const issued = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name: 'shop', webhook_url: 'https://hooks.example.com/in' } });
    assert.equal(issued.status, 201);
    for (let i = 0; i < DUE; i++) {
      const placed = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
      assert.equal(placed.status, 201);
      const credited = await t.request({ method: 'POST', url: '/api/users/1/deposits', headers: admin, payload: { amount_sun: '1000000', reference: `d-${i}`, tenant_id: issued.body.tenant_id } });
      assert.equal(credited.status, 201);
    }
    const now = BigInt(Date.now());
    await t.db.kysely
      .insertInto('flash_payments')
      .values(Array.from({ length: DUE }, (_, i) => ({ txid: `${i}`.padStart(64, 'f'), sender: SEED_ADDRESS, amount_sun: 5_000_000n, block_number: 1n, block_time: now, refund_status: 'due' as const, refund_reason: 'test', refund_sun: 4_000_000n, next_attempt_at: 0n, created_at: now, updated_at: now })))
      .execute();
    await t.db.kysely
      .insertInto('receiver_energy')
      .values(Array.from({ length: DUE }, (_, i) => ({ address: `T${String(i).padStart(33, 'x')}`, due_at: 0n, updated_at: now })))
      .execute();

    await assertClaimsKeepToLimits('orders', async (n) => (await claimDueOrders(t.db, 'w', 60_000, n)).map((o) => o.id));
    await assertClaimsKeepToLimits('webhook deliveries', async (n) => (await claimDueWebhooks(t.db, issued.body.tenant_id, 'w', 60_000, n)).map((e) => e.id));
    await assertClaimsKeepToLimits('flash-rent refunds', async (n) => (await claimDueRefunds(t.db, 'w', 60_000, n)).map((p) => p.txid));
    await assertClaimsKeepToLimits('receiver reads', async (n) => (await claimDueReceivers(t.db, n, 60_000)).map((r) => r.address));
    // Claimed rows are no longer due: the ledger check after the test still holds for the orders.
  });
});
