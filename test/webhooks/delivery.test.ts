import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { request as httpRequest, globalAgent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhooksConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { WebhookDeliveries } from '../../src/webhooks/webhook-deliveries.js';
import { readDbNow } from '../../src/db/clock.js';
import { WEBHOOK_MAX_BACKOFF_MS, WEBHOOK_RETRY_WINDOW_MS } from '../../src/domain/webhook-events.js';
import { ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { describeEachDialect } from '../support/dialects.js';
import { until } from '../support/stack.js';
import { readmeVerifier, startReceiver, type Behaviour, type Receiver } from './receiver.js';

const RECEIVER = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const as = (key: string) => ({ authorization: `Bearer ${key}` });

describeEachDialect('webhook delivery to a real receiver', (newApp) => {
  let t: TestApp;
  const open: Array<{ close(): Promise<void> }> = [];
  beforeEach(async () => {
    // Role api: no worker of its own; each test runs the deliveries it needs.
    t = await newApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterEach(async () => {
    // Receivers first: a request hanging on one ends at once, and the deliveries then close without waiting out its timeout.
    const all = open.splice(0);
    for (const o of all.filter((x) => !(x instanceof WebhookDeliveries))) await o.close();
    for (const o of all.filter((x) => x instanceof WebhookDeliveries)) await o.close();
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

  test('when the receiver fails the first 3 attempts of each event, then refuses connections for 2 s, then comes back on the same port, each event is delivered once, with the same id, body and a valid signature at every attempt', async () => {
    const ids: string[] = [];
    let downAt = 0;
    let upAt = 0;
    // Every request fails until the receiver has been down; it goes down once every event has failed three times.
    const r: Receiver = await receiver((got) => {
      if (upAt !== 0) return 200;
      if (downAt === 0 && ids.length > 0 && ids.every((id) => r.received.filter((x) => x.headers['joule-event-id'] === id).length >= 3)) {
        downAt = Date.now();
        void r.down();
      }
      return 503;
    });
    const a = await issue('flaky shop', r.url);
    await topUp(a.tenant_id, 'flaky-1');
    const placed = await t.request({ method: 'POST', url: '/api/orders', headers: as(a.key), payload: { user_id: 1, energy_amount: 65000, duration: '1h', receive_address: RECEIVER } });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const created = await eventsOf(a.tenant_id);
    assert.deepEqual(created.map((e) => e.type), ['deposit.credited', 'order.created']);
    ids.push(...created.map((e) => e.id));

    // Waits of 5-10, 10-20, 20-40 ms... : the three failures take a moment, the outage a few retries.
    deliveries({ retryBaseMs: 10 });
    await until(async () => downAt, (at) => at > 0, 'every event fails three times and the receiver goes down', 5000);
    const attemptsOf = (id: string) => t.db.kysely.selectFrom('webhook_attempts').selectAll().where('event_id', '=', id).orderBy('id').execute();
    await until(
      async () => Promise.all(ids.map(async (id) => (await attemptsOf(id)).filter((x) => x.status_code === null).length)),
      (refused) => refused.every((n) => n >= 2),
      'each event finds the receiver down',
      5000,
    );
    await sleep(Math.max(0, downAt + 2000 - Date.now()));
    assert.ok(!r.listening);
    const refusedSoFar = r.received.length;
    upAt = Date.now();
    await r.up();
    // Until it listens again, a connection is still refused.
    const listeningAt = Date.now();
    const done = await until(() => eventsOf(a.tenant_id), (e) => e.every((x) => x.status === 'delivered'), 'both events are delivered once it is back', 10_000);
    // Nothing is sent after a 2xx.
    await sleep(300);

    const verify = await readmeVerifier();
    for (const event of done) {
      const log = await attemptsOf(event.id);
      assert.equal(Number(event.attempts), log.length);
      const codes = log.map((x) => (x.status_code === null ? null : Number(x.status_code)));
      const failed = codes.findIndex((c) => c !== 503);
      const back = codes.indexOf(200);
      assert.ok(failed >= 3, `${event.type}: at least three 503s first: ${JSON.stringify(codes)}`);
      assert.ok(back > failed, `${event.type}: then refused, then 200: ${JSON.stringify(codes)}`);
      assert.deepEqual(codes.slice(failed, back), Array(back - failed).fill(null), `${event.type}: nothing answered while down`);
      assert.equal(back, codes.length - 1, `${event.type}: one 200, and the last attempt`);
      for (const x of log.slice(failed, back)) {
        assert.match(x.error!, /ECONNREFUSED|ECONNRESET/, `${event.type}: refused, not answered`);
        // A reset can hit an attempt that connected just before the receiver went down; a refusal cannot.
        const since = /ECONNREFUSED/.test(x.error!) ? downAt : 0;
        assert.ok(Number(x.started_at) >= since && Number(x.started_at) <= listeningAt, `${event.type}: refused while down`);
      }
      assert.ok(log.slice(failed, back).some((x) => /ECONNREFUSED/.test(x.error!)), `${event.type}: a connection was refused`);
      assert.ok(Number(log.at(-1)!.started_at) >= upAt);
      assert.ok(log.every((x) => x.url === r.url), 'the same URL throughout');

      const got = r.received.filter((x) => x.headers['joule-event-id'] === event.id);
      assert.equal(got.length, failed + 1, `${event.type}: every answered request reached the receiver`);
      assert.deepEqual(got.map((x) => x.status), [...Array(failed).fill(503), 200], `${event.type}: delivered once`);
      for (const x of got) {
        assert.equal(x.body, event.payload, 'the same body at every attempt');
        assert.equal(x.json.id, event.id);
        assert.equal(x.headers['joule-event-type'], event.type);
        assert.ok(verify(a.signing_secret, String(x.headers['joule-signature']), x.body), `${event.type}: each attempt is signed`);
      }
      const shown = await t.request({ method: 'GET', url: `/api/admin/webhooks/deliveries/${event.id}`, headers: admin });
      assert.deepEqual([shown.body.status, shown.body.attempts, shown.body.last_status_code], ['delivered', codes.length, 200]);
      assert.deepEqual(shown.body.attempt_log.map((x: any) => x.status_code), codes);
    }
    assert.equal(r.received.filter((x) => x.status === 200).length, 2, 'two events, two deliveries');
    assert.ok(r.received.slice(refusedSoFar).every((x) => x.at >= upAt));
  });

  test('when a receiver never takes an event, retries wait from WEBHOOK_RETRY_BASE_MS doubling each time within their jitter, at most an hour apart, and give up once the next would pass 24 h', async () => {
    const r = await receiver(() => 500);
    const a = await issue('gone for a day', r.url);
    await topUp(a.tenant_id, 'day-1');
    const [first] = await eventsOf(a.tenant_id);
    assert.equal(first!.deadline_at - first!.created_at, BigInt(WEBHOOK_RETRY_WINDOW_MS));
    const base = 10_000;
    deliveries({ retryBaseMs: base });
    const row = () => t.db.kysely.selectFrom('webhook_events').selectAll().where('id', '=', first!.id).executeTakeFirstOrThrow();
    const waits: number[] = [];
    let last = first!;
    for (let k = 1; ; k++) {
      const deadline = Date.now() + 5000;
      while ((last = await row()).attempts < BigInt(k) || last.lease_owner !== null) {
        if (Date.now() > deadline) throw new Error(`attempt ${k} never came; last seen ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
        await sleep(5);
      }
      if (last.status !== 'pending') break;
      assert.ok(last.next_attempt_at! <= last.deadline_at, `attempt ${k}: its retry is within the window`);
      // next_attempt_at is the retry's due time; last_attempt_at when the failed request started (a few ms before).
      waits.push(Number(last.next_attempt_at! - last.last_attempt_at!));
      // The clock jumps to the retry's due time: every time of the row moves back by what is left of its wait.
      const left = last.next_attempt_at! - (await readDbNow(t.db));
      await t.db.kysely
        .updateTable('webhook_events')
        .set((eb) => ({ next_attempt_at: eb('next_attempt_at', '-', left), deadline_at: eb('deadline_at', '-', left), created_at: eb('created_at', '-', left) }))
        .where('id', '=', first!.id)
        .where('attempts', '=', BigInt(k))
        .execute();
    }
    for (const [k, wait] of waits.entries()) {
      const full = Math.min(WEBHOOK_MAX_BACKOFF_MS, base * 2 ** k);
      assert.ok(wait >= full / 2 && wait <= full + 1000, `retry ${k + 1} waited ${wait} ms, not within [${full / 2}, ${full}]`);
    }
    // 10 s × 2^9 passes an hour: from the tenth retry on, each is capped.
    assert.ok(waits.length > 20 && waits.slice(9).every((w) => w <= WEBHOOK_MAX_BACKOFF_MS + 1000));
    assert.deepEqual([last.status, last.next_attempt_at, Number(last.attempts)], ['failed', null, waits.length + 1]);
    // It gave up because the next wait (at most an hour) would pass the deadline: not before 23 h, not after 24 h.
    const ranFor = Number(last.last_attempt_at! - last.created_at);
    assert.ok(ranFor <= WEBHOOK_RETRY_WINDOW_MS && ranFor > WEBHOOK_RETRY_WINDOW_MS - WEBHOOK_MAX_BACKOFF_MS, `gave up ${ranFor / 3_600_000} h after the event`);
    await sleep(200);
    assert.equal(r.received.length, waits.length + 1, 'one request per attempt, none after giving up');
    assert.ok(r.received.every((x) => x.headers['joule-event-id'] === first!.id));
    const shown = await t.request({ method: 'GET', url: `/api/admin/webhooks/deliveries/${first!.id}`, headers: admin });
    assert.equal(shown.body.status, 'failed');
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

  test("when four tenants' receivers hang, with retries always due, every slot they free is not theirs again first: a fifth tenant's event is delivered within a timeout", async () => {
    const dead = await receiver(() => 'hang');
    const alive = await receiver(() => 204);
    const slow = [];
    for (let i = 0; i < 4; i++) slow.push(await issue(`slow shop ${i}`, dead.url));
    for (const [i, a] of slow.entries()) for (let j = 0; j < 3; j++) await topUp(a.tenant_id, `s${i}-${j}`);
    // Four slots, one a tenant: the four hanging tenants fill them, and their retries are due again at once.
    deliveries({ timeoutMs: 1000, concurrency: 4 });
    await until(async () => dead.received.length, (n) => n >= 8, 'the hanging receivers have timed out once each at least');
    const b = await issue('quick shop', alive.url);
    await topUp(b.tenant_id, 'b-0');
    const sent = Date.now();
    await until(() => eventsOf(b.tenant_id), (e) => e.length === 1 && e[0]!.status === 'delivered', "the fifth tenant's event is delivered", 5000);
    // The next slot a timeout frees is its: about one timeout (a second); served longest-waiting first, about three.
    assert.ok(Date.now() - sent < 2000, `delivered in ${Date.now() - sent} ms: within the next slot a timeout frees`);
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

  test("when the process keeps a connection alive to a private host (the TRON node's, say), a webhook URL naming that host does not ride on it: nothing is sent", async () => {
    const r = await receiver();
    const a = await issue('on a kept connection', r.url);
    const privateName = r.url.replace('127.0.0.1', 'localhost');
    await t.db.kysely.updateTable('tenants').set({ webhook_url: privateName }).where('id', '=', a.tenant_id).execute();
    // Another client of the process (as TronWeb's axios does, through Node's global agent) reads that host
    // and keeps its connection open for the next request to the same host and port.
    const answered = await fetchThroughGlobalAgent(`${privateName}/status`);
    assert.equal(answered, 200);
    const before = r.received.length;
    await topUp(a.tenant_id, 'x');
    deliveries({ allowPrivate: false });
    const [event] = await until(() => eventsOf(a.tenant_id), (e) => e[0]?.last_error != null, 'the attempt is recorded');
    assert.match(event!.last_error!, /resolves to a private address/);
    assert.equal(r.received.length, before, 'nothing reached the private host');
  });

  test('when a webhook URL names a private address itself (set while WEBHOOK_ALLOW_PRIVATE was true), nothing is sent and the attempt says why, as for a name that resolves to one', async () => {
    const r = await receiver();
    const a = await issue('literal', r.url);
    assert.match(r.url, /^http:\/\/127\.0\.0\.1:/);
    await topUp(a.tenant_id, 'x');
    deliveries({ allowPrivate: false });
    const [event] = await until(() => eventsOf(a.tenant_id), (e) => e[0]?.last_error != null, 'the attempt is recorded');
    assert.equal(event!.last_error, '127.0.0.1 is a private address');
    assert.equal(event!.status, 'pending', 'retried later, until its window passes');
    assert.equal(r.received.length, 0);
    const attempts = await t.db.kysely.selectFrom('webhook_attempts').select('error').where('event_id', '=', event!.id).execute();
    assert.ok(attempts.length >= 1, 'the attempt is in the delivery log');
    assert.deepEqual(new Set(attempts.map((x) => x.error)), new Set(['127.0.0.1 is a private address']), 'each attempt says why');
  });
});

/** A request (an empty JSON body, as the receiver reads every body) through Node's global agent, its connection kept alive afterwards: its status. */
function fetchThroughGlobalAgent(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: globalAgent, headers: { connection: 'keep-alive', 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
}
