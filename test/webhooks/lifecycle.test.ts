import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { databasesOnDemand } from '../support/dialects.js';
import { ADMIN_TOKEN, SEED_ADDRESS } from '../support/app.js';
import { stackPerTest, until, type Stack } from '../support/stack.js';
import { readmeVerifier, startReceiver, type Receiver } from './receiver.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const startStack = stackPerTest();
const databaseFor = databasesOnDemand();


/** A tenant with its key and signing secret, its receiver at `receiver`, and user 42 topped up. */
async function tenantWithHook(s: Stack, receiver: Receiver) {
  const issued = await s.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name: 'bot', webhook_url: receiver.url } });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  const { key, tenant_id: tenantId, signing_secret: secret } = issued.body;
  assert.match(secret, /^whsec_/);
  const deposited = await s.request({ method: 'POST', url: '/api/users/42/deposits', headers: admin, payload: { amount_sun: '500000000', reference: 'top-1', tenant_id: tenantId } });
  assert.equal(deposited.status, 201);
  const asTenant = { authorization: `Bearer ${key}` };
  return { key, tenantId: tenantId as string, secret: secret as string, asTenant };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when a tenant's order runs its whole life on the devnet, its receiver hears order.created, order.active and order.completed, each signed, with the tenant's own user id`, async () => {
    const receiver = await startReceiver();
    try {
      const s = await startStack({ ...(await databaseFor(dialect)), env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
      const { tenantId, secret, asTenant } = await tenantWithHook(s, receiver);
      const placed = await s.request({
        method: 'POST',
        url: '/api/orders',
        headers: asTenant,
        payload: { user_id: 42, energy_amount: 65000, duration: '2s', receive_address: s.customer(0), client_order_id: 'life-1' },
      });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      await until(async () => (await s.request({ method: 'GET', url: `/api/orders/${placed.body.id}`, headers: asTenant })).body, (o) => o.status === 'completed', 'the order completes', 30_000);

      const orderEvents = () => receiver.received.filter((r) => r.json.data.id === placed.body.id);
      await until(async () => orderEvents().map((r) => r.json.type), (types) => types.includes('order.completed'), 'the receiver hears the order complete', 10_000);
      // The deposit and the order's creation may be sent together (in either order); the order's changes are seconds apart.
      assert.deepEqual(receiver.received.map((r) => r.json.type).sort(), ['deposit.credited', 'order.active', 'order.completed', 'order.created']);
      assert.deepEqual(orderEvents().map((r) => r.json.type), ['order.created', 'order.active', 'order.completed']);
      const verify = await readmeVerifier();
      for (const r of receiver.received) {
        assert.ok(verify(secret, String(r.headers['joule-signature']), r.body), `${r.json.type} is signed`);
        assert.equal(r.headers['joule-event-id'], r.json.id);
        assert.equal(r.json.data.user_id, 42);
        assert.equal(r.json.data.tenant_id, tenantId);
      }
      const [created, active, completed] = orderEvents().map((r) => r.json.data);
      assert.deepEqual([created.status, active.status, completed.status], ['pending', 'active', 'completed']);
      assert.equal(created.client_order_id, 'life-1');
      assert.ok(active.delegate_txid, 'active carries its delegation');
      assert.ok(active.expires_at);
      assert.ok(completed.reclaim_txid);
      assert.equal(new Set(receiver.received.map((r) => r.json.id)).size, 4, 'one id per event');
      // The receiver has each body before its delivery is settled (the settle follows the answer): wait for the log.
      const log = await until(
        () => s.request({ method: 'GET', url: `/api/admin/webhooks/deliveries?tenant_id=${tenantId}`, headers: admin }),
        (l) => l.body.deliveries.every((d: any) => d.status !== 'pending'),
        'every delivery is settled',
      );
      assert.deepEqual(log.body.deliveries.map((d: any) => [d.type, d.status]), [
        ['order.completed', 'delivered'],
        ['order.active', 'delivered'],
        ['order.created', 'delivered'],
        ['deposit.credited', 'delivered'],
      ]);
    } finally {
      await receiver.close();
    }
  });

  test(`[${dialect}] when one order fails on the devnet (its receiver is a contract) and an active one is cancelled early, the receiver hears order.failed with the reason and order.cancelled once, with no order.completed for it`, async () => {
    const receiver = await startReceiver();
    try {
      const s = await startStack({ ...(await databaseFor(dialect)), env: { WEBHOOK_ALLOW_PRIVATE: 'true', DELEGATE_LOCK: 'false' } });
      const { tenantId, secret, asTenant } = await tenantWithHook(s, receiver);
      const place = async (receiveAddress: string) => {
        const res = await s.request({ method: 'POST', url: '/api/orders', headers: asTenant, payload: { user_id: 42, energy_amount: 65000, duration: '1h', receive_address: receiveAddress } });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body;
      };
      const read = async (id: string) => (await s.request({ method: 'GET', url: `/api/orders/${id}`, headers: asTenant })).body;
      const toContract = await place(SEED_ADDRESS);
      const rented = await place(s.customer(0));
      const failed = await until(() => read(toContract.id), (o) => o.status === 'failed', 'the order to a contract fails', 20_000);
      assert.equal(failed.error_code, 'receiver_is_contract');
      await until(() => read(rented.id), (o) => o.status === 'active', 'the other goes active', 20_000);
      const asked = await s.request({ method: 'POST', url: `/api/orders/${rented.id}/cancel`, headers: asTenant });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const cancelled = await until(() => read(rented.id), (o) => o.status === 'completed', 'the early reclaim completes', 30_000);
      assert.ok(cancelled.cancelled_at);

      const typesOf = (id: string) => receiver.received.filter((r) => r.json.data.id === id).map((r) => r.json.type);
      await until(async () => [typesOf(toContract.id), typesOf(rented.id)], ([a, b]) => a!.includes('order.failed') && b!.includes('order.cancelled'), 'the receiver hears both', 10_000);
      // Deliveries run every 200 ms here: long enough for a second event or a repeat to arrive.
      await sleep(1000);
      assert.deepEqual(typesOf(toContract.id), ['order.created', 'order.failed']);
      assert.deepEqual(typesOf(rented.id), ['order.created', 'order.active', 'order.cancelled'], 'order.cancelled once, and no order.completed');
      assert.equal(new Set(receiver.received.map((r) => r.json.id)).size, receiver.received.length, 'no event sent twice');

      const data = (id: string, type: string) => receiver.received.find((r) => r.json.data.id === id && r.json.type === type)!.json.data;
      const f = data(toContract.id, 'order.failed');
      assert.deepEqual(
        [f.status, f.error_code, f.refunded, f.price, f.delegate_txid, f.user_id, f.tenant_id],
        ['failed', 'receiver_is_contract', failed.price, failed.price, null, 42, tenantId],
      );
      assert.match(f.error_message, /contract/);
      assert.equal(f.failed_at, failed.failed_at);
      const c = data(rented.id, 'order.cancelled');
      // An active order cancelled early ends completed; the event says it was a cancel, with its refund and reclaim.
      assert.deepEqual(
        [c.status, c.refunded, c.reclaim_txid, c.delegate_txid, c.cancelled_at, c.user_id, c.tenant_id],
        ['completed', cancelled.refunded, cancelled.reclaim_txid, cancelled.delegate_txid, cancelled.cancelled_at, 42, tenantId],
      );
      assert.ok(BigInt(c.refunded) > 0n && BigInt(c.refunded) < BigInt(c.price), 'a pro-rata refund of the unused time');
      const verify = await readmeVerifier();
      for (const r of receiver.received) assert.ok(verify(secret, String(r.headers['joule-signature']), r.body), `${r.json.type} is signed`);
      // The receiver has each body before its delivery is settled (the settle follows the answer): wait for the log.
      const log = await until(
        () => s.request({ method: 'GET', url: `/api/admin/webhooks/deliveries?tenant_id=${tenantId}`, headers: admin }),
        (l) => l.body.deliveries.every((d: any) => d.status !== 'pending'),
        'every delivery is settled',
      );
      assert.ok(log.body.deliveries.every((d: any) => d.status === 'delivered'));
      assert.equal(log.body.deliveries.filter((d: any) => d.type === 'order.cancelled').length, 1);
      assert.equal(log.body.deliveries.filter((d: any) => d.type === 'order.completed').length, 0);
    } finally {
      await receiver.close();
    }
  });
}
