import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { WebhooksConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { WebhookDeliveries } from '../../src/webhooks/webhook-deliveries.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/app.js';
import { until } from '../support/stack.js';
import { readmeVerifier, startReceiver, type Behaviour, type Receiver } from './receiver.js';

const RECEIVER = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('webhook delivery to a real receiver', () => {
  let t: TestApp;
  const open: Array<{ close(): Promise<void> }> = [];
  beforeEach(async () => {
    // Role api: no worker of its own; each test runs the deliveries it needs.
    t = await createTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    await t.close();
  });

  const receiver = async (b?: Behaviour): Promise<Receiver> => {
    const r = await startReceiver(b);
    open.push(r);
    return r;
  };
  const deliveries = (config: Partial<WebhooksConfig> = {}, workerId = 'test-webhooks') => {
    const d = new WebhookDeliveries(t.db, { allowPrivate: true, timeoutMs: 2000, retryBaseMs: 50, concurrency: 8, ...config }, createLogger('silent'), workerId, 20);
    open.push(d);
    d.start();
    return d;
  };
  const issue = async (name: string, webhookUrl: string) => {
    const res = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name, webhook_url: webhookUrl } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const topUp = async (tenantId: string, reference: string, sun = 100_000_000) => {
    const res = await t.request({ method: 'POST', url: '/api/users/1/deposits', headers: admin, payload: { amount_sun: String(sun), reference, tenant_id: tenantId } });
    assert.equal(res.status, 201);
  };
  const eventsOf = (tenantId: string) => t.db.kysely.selectFrom('webhook_events').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();

  test('when the receiver answers 500 and then 200, the event is retried and delivered once, with the same id and body, each request signed as the README verifies', async () => {
    const r = await receiver((_req, n) => (n === 1 ? 500 : 200));
    const a = await issue('shop', r.url);
    await topUp(a.tenant_id, 'first');
    deliveries();
    const [event] = await until(() => eventsOf(a.tenant_id), (e) => e[0]?.status === 'delivered', 'the event is delivered');
    assert.equal(r.received.length, 2);
    const verify = await readmeVerifier();
    for (const got of r.received) {
      assert.equal(got.headers['joule-event-id'], event!.id);
      assert.equal(got.headers['joule-event-type'], 'deposit.credited');
      assert.equal(got.headers['content-type'], 'application/json');
      assert.equal(got.body, event!.payload, 'the same body at every attempt');
      assert.equal(got.json.id, event!.id);
      assert.equal(got.json.type, 'deposit.credited');
      assert.equal(got.json.data.user_id, 1);
      const header = String(got.headers['joule-signature']);
      assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.ok(verify(a.signing_secret, header, got.body), 'the README snippet accepts it');
      assert.ok(!verify(a.signing_secret, header, got.body.replace('"1"', '"2"').replace('100000000', '900000000')), 'a changed body is refused');
      assert.ok(!verify('whsec_other', header, got.body), 'another secret is refused');
      const old = Math.floor(Date.now() / 1000) - 3600;
      const stale = `t=${old},v1=${createHmac('sha256', a.signing_secret).update(`${old}.${got.body}`).digest('hex')}`;
      assert.ok(!verify(a.signing_secret, stale, got.body), 'an old signature is refused');
    }
    const log = await t.request({ method: 'GET', url: `/api/admin/webhooks/deliveries/${event!.id}`, headers: admin });
    assert.deepEqual(log.body.attempt_log.map((x: any) => x.status_code), [500, 200]);
    assert.deepEqual([log.body.status, log.body.attempts, log.body.last_status_code], ['delivered', 2, 200]);

    // Redelivery sends the same event again, same id.
    const again = await t.request({ method: 'POST', url: `/api/admin/webhooks/deliveries/${event!.id}/redeliver`, headers: admin });
    assert.equal(again.status, 202);
    await until(async () => r.received.length, (n) => n === 3, 'the event is sent again');
    assert.equal(r.received[2]!.headers['joule-event-id'], event!.id);
    await until(() => eventsOf(a.tenant_id), (e) => e[0]?.status === 'delivered', 'and delivered again');
  });

  test("when one tenant's receiver never answers, another tenant's events are delivered at once, and orders are placed as fast as ever", async () => {
    const dead = await receiver(() => 'hang');
    const alive = await receiver(() => 204);
    const a = await issue('slow shop', dead.url);
    const b = await issue('quick shop', alive.url);
    for (let i = 0; i < 10; i++) await topUp(a.tenant_id, `a-${i}`);
    deliveries({ timeoutMs: 3000 });
    // A's requests are hanging now.
    await until(async () => dead.received.length, (n) => n >= 2, "A's receiver is being called");

    const started = Date.now();
    const placed = await t.request({ method: 'POST', url: '/api/orders', headers: as(a.key), payload: { user_id: 1, energy_amount: 65000, duration: '1h', receive_address: RECEIVER } });
    assert.equal(placed.status, 201);
    assert.ok(Date.now() - started < 1000, `order placed in ${Date.now() - started} ms while A's receiver hangs`);

    for (let i = 0; i < 3; i++) await topUp(b.tenant_id, `b-${i}`);
    const sent = Date.now();
    await until(() => eventsOf(b.tenant_id), (e) => e.length === 3 && e.every((x) => x.status === 'delivered'), "B's events are delivered", 2500);
    assert.ok(Date.now() - sent < 2000, `B delivered in ${Date.now() - sent} ms, well within A's 3 s timeout`);
    assert.equal(alive.received.length, 3);
    assert.ok(dead.received.length <= 2, `A holds at most its share of the slots (${dead.received.length} requests in flight)`);

    const timedOut = await until(() => eventsOf(a.tenant_id), (e) => e.some((x) => x.last_error !== null), "A's first attempts time out", 6000);
    assert.match(timedOut.find((x) => x.last_error !== null)!.last_error!, /no answer within 3000 ms/);
    assert.ok(timedOut.every((x) => x.status === 'pending'), 'and are retried later');
  });

  test('when a webhook URL resolves to a private address at delivery time, nothing is sent and the attempt says why', async () => {
    const r = await receiver();
    const a = await issue('rebinding', r.url);
    // A name that resolves to loopback (as a name whose DNS record changed after it was set would).
    await t.db.kysely.updateTable('tenants').set({ webhook_url: r.url.replace('127.0.0.1', 'localhost') }).where('id', '=', a.tenant_id).execute();
    await topUp(a.tenant_id, 'x');
    deliveries({ allowPrivate: false });
    const [event] = await until(() => eventsOf(a.tenant_id), (e) => e[0]?.last_error != null, 'the attempt is recorded');
    assert.match(event!.last_error!, /resolves to a private address/);
    assert.equal(event!.status, 'pending');
    assert.equal(r.received.length, 0);
  });
});
