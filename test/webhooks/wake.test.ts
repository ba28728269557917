// An event committed in this process wakes the deliveries of this process:
// they look at once instead of at their next interval. Here the interval is
// a minute, so an event delivered within the test's wait was delivered
// because its commit woke them; and a transaction that rolls back wakes
// nobody (nor leaves an event).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { onWebhookWritten, recordDepositWebhook } from '../../src/db/webhook-outbox.js';
import { createLogger } from '../../src/observability/logger.js';
import { WebhookDeliveries } from '../../src/webhooks/webhook-deliveries.js';
import { ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { describeEachDialect } from '../support/dialects.js';
import { until } from '../support/stack.js';
import { startReceiver } from './receiver.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describeEachDialect('webhook deliveries woken by a commit', (newApp) => {
  let t: TestApp;
  const open: Array<() => Promise<void> | void> = [];
  beforeEach(async () => {
    t = await newApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterEach(async () => {
    for (const close of open.splice(0).reverse()) await close();
    await t.close();
  });

  test('when an event commits, the deliveries of the process look at once and deliver it; a rolled-back change announces nothing', async () => {
    const receiver = await startReceiver();
    open.push(() => receiver.close());
    const key = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name: 'shop', webhook_url: receiver.url } });
    assert.equal(key.status, 201);
    const tenant = key.body.tenant_id as string;

    // Announcements are heard only after the commit: the event is then visible to any reader.
    const heard: Array<number> = [];
    const stop = onWebhookWritten(() => {
      heard.push(1);
    });
    open.push(stop);
    const deposit = (reference: string, amount = '5000000') =>
      t.request({ method: 'POST', url: '/api/users/1/deposits', headers: admin, payload: { amount_sun: amount, reference, tenant_id: tenant } });
    assert.equal((await deposit('first')).status, 201);
    assert.equal(heard.length, 1, 'one event committed, one announcement');
    // A change that writes its event and then rolls back: no event, no announcement.
    const entry = await t.db.kysely.selectFrom('ledger_entries').selectAll().where('reference', 'like', '% first').executeTakeFirstOrThrow();
    await assert.rejects(
      t.db.transaction(async (tx) => {
        await recordDepositWebhook(tx, entry);
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(heard.length, 1, 'nothing announced for a change that rolled back');
    const events = await t.db.kysely.selectFrom('webhook_events').selectAll().where('tenant_id', '=', tenant).execute();
    assert.equal(events.length, 1);

    // Deliveries that look once a minute, woken as a process's own are.
    const deliveries = new WebhookDeliveries(t.db, { allowPrivate: true, timeoutMs: 2000, retryBaseMs: 50, concurrency: 8 }, createLogger('silent'), 'test-webhooks', 60_000);
    deliveries.start();
    open.push(() => deliveries.close());
    open.push(onWebhookWritten(() => deliveries.wake()));
    await until(() => Promise.resolve(receiver.received.length), (n) => n === 1, 'the event written before the deliveries started is delivered at their first look');

    assert.equal((await deposit('second')).status, 201);
    await until(() => Promise.resolve(receiver.received.length), (n) => n === 2, 'the next event is delivered without waiting for the next interval');
    assert.equal(receiver.received[1]!.json.data.reference, 'second');
  });
});
