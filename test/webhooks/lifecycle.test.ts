import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_TOKEN } from '../support/app.js';
import { stackPerTest, until } from '../support/stack.js';
import { readmeVerifier, startReceiver } from './receiver.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const startStack = stackPerTest();

test("when a tenant's order runs its whole life on the devnet, its receiver hears order.created, order.active and order.completed, each signed, with the tenant's own user id", async () => {
  const receiver = await startReceiver();
  try {
    const s = await startStack({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    const issued = await s.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name: 'bot', webhook_url: receiver.url } });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    const { key, tenant_id: tenantId, signing_secret: secret } = issued.body;
    assert.match(secret, /^whsec_/);
    const deposited = await s.request({ method: 'POST', url: '/api/users/42/deposits', headers: admin, payload: { amount_sun: '500000000', reference: 'top-1', tenant_id: tenantId } });
    assert.equal(deposited.status, 201);
    const placed = await s.request({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: `Bearer ${key}` },
      payload: { user_id: 42, energy_amount: 65000, duration: '2s', receive_address: s.customer(0), client_order_id: 'life-1' },
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const asTenant = { authorization: `Bearer ${key}` };
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
    const log = await s.request({ method: 'GET', url: `/api/admin/webhooks/deliveries?tenant_id=${tenantId}`, headers: admin });
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
