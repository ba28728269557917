import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimDueWebhooks, dueWebhookTenants, pruneWebhookEvents, recordAttempt, type AttemptOutcome } from '../../src/db/webhook-outbox.js';
import { ADMIN_TOKEN, tableCounts, type TestApp } from '../support/app.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

const RECEIVER = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const HOOK = 'https://hooks.example.com/joule';

describeEachDialect('webhook outbox', (newApp) => {
  let t: TestApp;
  appPerTest(newApp, (app) => (t = app));

  const issue = async (name: string, webhookUrl?: string) => {
    const res = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name, ...(webhookUrl ? { webhook_url: webhookUrl } : {}) } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const setHook = (tenantId: string, url: string | null) => t.request({ method: 'PUT', url: `/api/admin/tenants/${tenantId}/webhook`, headers: admin, payload: { url } });
  const topUp = (tenantId: string, userId: number, sun: number, reference: string) =>
    t.request({ method: 'POST', url: `/api/users/${userId}/deposits`, headers: admin, payload: { amount_sun: String(sun), reference, tenant_id: tenantId } });
  const order = (key: string, body: Record<string, unknown> = {}) =>
    t.request({ method: 'POST', url: '/api/orders', headers: as(key), payload: { user_id: 1, energy_amount: 65000, duration: '1h', receive_address: RECEIVER, ...body } });
  const events = () => t.db.kysely.selectFrom('webhook_events').selectAll().orderBy('id').execute();

  test('when a webhook URL is loopback, private, link-local or not http(s), then it is refused with 400 webhook_url_not_allowed and nothing is written', async () => {
    const before = await tableCounts(t.db);
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://10.1.2.3/hook',
      'http://192.168.1.10/hook',
      'http://172.20.0.1/hook',
      'http://100.64.0.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://0.0.0.0/hook',
      'http://[::1]/hook',
      'http://[fd00::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[64:ff9b::a9fe:a9fe]/latest/meta-data',
      'http://[2002:7f00:1::]/hook',
      'http://2130706433/hook',
      'ftp://hooks.example.com/x',
      'https://user:pass@hooks.example.com/x',
      'not a url',
    ]) {
      const res = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name: 'x', webhook_url: url } });
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'webhook_url_not_allowed', url);
      const put = await setHook('default', url);
      assert.equal(put.status, 400, url);
      assert.equal(put.body.error.code, 'webhook_url_not_allowed', url);
    }
    assert.deepEqual(await tableCounts(t.db), before);
    assert.equal((await t.db.kysely.selectFrom('tenants').select('webhook_url').where('id', '=', 'default').executeTakeFirstOrThrow()).webhook_url, null);
  });

  test('when a pending order is cancelled, then order.cancelled is written with it (and nothing for a cancel refused)', async () => {
    const a = await issue('shop', HOOK);
    assert.equal((await topUp(a.tenant_id, 1, 100_000_000, 'c-1')).status, 201);
    const placed = await order(a.key);
    assert.equal(placed.status, 201);
    const cancelled = await t.request({ method: 'POST', url: `/api/orders/${placed.body.id}/cancel`, headers: as(a.key) });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'cancelled');
    // Asking again changes nothing: no second event.
    assert.equal((await t.request({ method: 'POST', url: `/api/orders/${placed.body.id}/cancel`, headers: as(a.key) })).status, 200);
    const types = (await events()).filter((e) => e.tenant_id === a.tenant_id).map((e) => e.type);
    assert.deepEqual(types, ['deposit.credited', 'order.created', 'order.cancelled']);
  });

  test('when a tenant is given its first webhook URL, then its signing secret is answered once; a new URL keeps it, rotation replaces it, and no list shows it', async () => {
    const a = await issue('shop', HOOK);
    assert.match(a.signing_secret, /^whsec_[0-9a-f]{64}$/);
    assert.equal((await issue('no hook')).signing_secret, null);
    const moved = await setHook(a.tenant_id, 'https://other.example.com/in');
    assert.equal(moved.status, 200);
    assert.deepEqual(moved.body, { tenant_id: a.tenant_id, webhook_url: 'https://other.example.com/in', signing_secret: null });
    const rotated = await t.request({ method: 'POST', url: `/api/admin/tenants/${a.tenant_id}/signing-secret`, headers: admin });
    assert.equal(rotated.status, 201);
    assert.match(rotated.body.signing_secret, /^whsec_/);
    assert.notEqual(rotated.body.signing_secret, a.signing_secret);
    const stored = await t.db.kysely.selectFrom('tenants').select('signing_secret').where('id', '=', a.tenant_id).executeTakeFirstOrThrow();
    assert.equal(stored.signing_secret, rotated.body.signing_secret);
    const list = await t.request({ method: 'GET', url: '/api/admin/tenants', headers: admin });
    assert.ok(!JSON.stringify(list.body).includes('whsec_'));
    assert.equal(list.body.tenants.find((x: any) => x.id === a.tenant_id).webhook_url, 'https://other.example.com/in');
    assert.equal((await setHook('t_nosuchtenant', HOOK)).status, 404);
    assert.equal((await t.request({ method: 'POST', url: '/api/admin/tenants/t_nosuchtenant/signing-secret', headers: admin })).status, 404);
    // Only the admin token.
    assert.equal((await t.request({ method: 'PUT', url: `/api/admin/tenants/${a.tenant_id}/webhook`, headers: as(a.key), payload: { url: HOOK } })).status, 401);
    const cleared = await setHook(a.tenant_id, null);
    assert.deepEqual(cleared.body, { tenant_id: a.tenant_id, webhook_url: null, signing_secret: null });
  });

  test('when changes commit, their events are in the outbox with the tenant\'s own user id; a change that rolls back (402) writes none, and a tenant without a URL gets none', async () => {
    const a = await issue('with hook', HOOK);
    const b = await issue('without');
    assert.equal((await topUp(b.tenant_id, 1, 50_000_000, 'b-1')).status, 201);
    assert.equal((await order(b.key)).status, 201);
    assert.deepEqual(await events(), [], 'B has no URL');

    const refused = await order(a.key);
    assert.equal(refused.status, 402);
    assert.deepEqual(await events(), [], 'a refused order writes no event');

    assert.equal((await topUp(a.tenant_id, 1, 50_000_000, 'a-1')).status, 201);
    const placed = await order(a.key, { client_order_id: 'shop-1' });
    assert.equal(placed.status, 201);
    const rows = await events();
    assert.deepEqual(rows.map((e) => [e.tenant_id, e.type, e.status]), [
      [a.tenant_id, 'deposit.credited', 'pending'],
      [a.tenant_id, 'order.created', 'pending'],
    ]);
    const deposit = JSON.parse(rows[0]!.payload);
    assert.equal(deposit.id, rows[0]!.id);
    assert.deepEqual([deposit.data.user_id, deposit.data.tenant_id, deposit.data.amount, deposit.data.reference, deposit.data.currency], [1, a.tenant_id, '50000000', 'a-1', 'TRX']);
    const created = JSON.parse(rows[1]!.payload);
    assert.equal(created.type, 'order.created');
    assert.equal(created.id, rows[1]!.id);
    assert.deepEqual(
      [created.data.id, created.data.user_id, created.data.status, created.data.energy_amount, created.data.client_order_id, created.data.price],
      [placed.body.id, 1, 'pending', 65000, 'shop-1', placed.body.price],
    );
    // A replay changes nothing: no second event.
    assert.equal((await order(a.key, { client_order_id: 'shop-1' })).status, 200);
    assert.equal((await events()).length, 2);
    // Once the URL is cleared, changes are not recorded.
    await setHook(a.tenant_id, null);
    assert.equal((await topUp(a.tenant_id, 1, 1_000_000, 'a-2')).status, 201);
    assert.equal((await events()).length, 2);
  });

  test('when workers claim due deliveries, each is held by one of them under a lease; a stale holder cannot settle it; a failure past the deadline gives up; redelivery makes it due again; old settled events are pruned', async () => {
    const a = await issue('A', HOOK);
    const b = await issue('B', HOOK);
    for (let i = 0; i < 6; i++) assert.equal((await topUp(a.tenant_id, 1, 1_000_000, `a-${i}`)).status, 201);
    assert.equal((await topUp(b.tenant_id, 1, 1_000_000, 'b-0')).status, 201);
    assert.deepEqual(new Set(await dueWebhookTenants(t.db, 10)), new Set([a.tenant_id, b.tenant_id]));

    const [one, two] = await Promise.all([claimDueWebhooks(t.db, a.tenant_id, 'w1', 60_000, 4), claimDueWebhooks(t.db, a.tenant_id, 'w2', 60_000, 4)]);
    const ids = [...one!, ...two!].map((e) => e.id);
    assert.equal(ids.length, 6, 'every due event of A claimed once');
    assert.equal(new Set(ids).size, 6, 'by one worker each');
    assert.deepEqual(await claimDueWebhooks(t.db, a.tenant_id, 'w3', 60_000, 10), [], 'leased ones are not due');
    assert.deepEqual(await dueWebhookTenants(t.db, 10), [b.tenant_id]);

    const held = [...one!, ...two!][0]!;
    const attempt = (next: AttemptOutcome['next']): AttemptOutcome => ({ url: HOOK, worker: 'w1', startedAt: BigInt(Date.now()), durationMs: 12, statusCode: 500, error: null, next });
    const retried = await recordAttempt(t.db, held, attempt({ status: 'pending', retryInMs: 60_000 }));
    assert.deepEqual([retried?.status, retried?.attempts, retried?.last_status_code, retried?.lease_owner], ['pending', 1n, 500n, null]);
    assert.ok(retried!.next_attempt_at! > BigInt(Date.now()) + 50_000n);
    assert.equal(await recordAttempt(t.db, held, attempt({ status: 'delivered' })), undefined, 'the old lease settles nothing');

    // Past the 24 h window, a failure gives up.
    const [again] = await (async () => {
      await t.db.kysely.updateTable('webhook_events').set({ next_attempt_at: 0n, deadline_at: BigInt(Date.now() + 1000) }).where('id', '=', held.id).execute();
      return claimDueWebhooks(t.db, a.tenant_id, 'w1', 60_000, 1);
    })();
    assert.equal(again!.id, held.id);
    const gaveUp = await recordAttempt(t.db, again!, attempt({ status: 'pending', retryInMs: 60_000 }));
    assert.deepEqual([gaveUp?.status, gaveUp?.next_attempt_at, gaveUp?.attempts], ['failed', null, 2n]);
    const log = await t.db.kysely.selectFrom('webhook_attempts').selectAll().where('event_id', '=', held.id).execute();
    assert.equal(log.length, 3, 'every attempt is in the log, the stale one too');

    const redone = await t.request({ method: 'POST', url: `/api/admin/webhooks/deliveries/${held.id}/redeliver`, headers: admin });
    assert.equal(redone.status, 202);
    assert.deepEqual([redone.body.status, redone.body.attempts, redone.body.id], ['pending', 0, held.id]);
    assert.equal((await claimDueWebhooks(t.db, a.tenant_id, 'w1', 60_000, 10)).length, 1);
    assert.equal((await t.request({ method: 'POST', url: '/api/admin/webhooks/deliveries/nope/redeliver', headers: admin })).status, 404);

    // The log as the admin reads it.
    const list = await t.request({ method: 'GET', url: `/api/admin/webhooks/deliveries?tenant_id=${a.tenant_id}&limit=4`, headers: admin });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.deliveries.length, 4);
    assert.ok(list.body.next_before);
    const rest = await t.request({ method: 'GET', url: `/api/admin/webhooks/deliveries?tenant_id=${a.tenant_id}&before=${list.body.next_before}`, headers: admin });
    assert.equal(rest.body.deliveries.length, 2);
    assert.equal(rest.body.next_before, null);
    const one1 = await t.request({ method: 'GET', url: `/api/admin/webhooks/deliveries/${held.id}`, headers: admin });
    assert.deepEqual(one1.body.attempt_log.map((x: any) => x.status_code), [500, 500, 500]);
    assert.equal(one1.body.payload.id, held.id);
    const bad = await t.request({ method: 'GET', url: '/api/admin/webhooks/deliveries?status=lost', headers: admin });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_status');

    // Settled events older than the retention go, with their attempts; pending ones stay whatever their age.
    await t.db.kysely.updateTable('webhook_events').set({ status: 'delivered', created_at: 1n }).where('tenant_id', '=', b.tenant_id).execute();
    await t.db.kysely.updateTable('webhook_events').set({ created_at: 1n }).where('id', '=', held.id).execute();
    assert.equal(await t.db.transaction((tx) => pruneWebhookEvents(tx, 1000, 100)), 1);
    assert.equal((await events()).length, 6);
  });
});
