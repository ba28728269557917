import assert from 'node:assert/strict';
import type { Db } from '../../src/db/connect.js';
import { createTenantUser } from '../../src/db/tenants.js';

/** What seed.ts's paidOrder costs. */
export const PRICE = 2_080_000n;

/**
 * Every placed order of the user has exactly its ledger entry and its first
 * event, and each balance went down by what was placed in its currency.
 */
export async function assertWrittenWhole(db: Db, userId: number | bigint, startSun: bigint, startMicroUsdt = 0n): Promise<void> {
  const orders = await db.kysely.selectFrom('orders').select(['id', 'price_sun', 'pay_currency']).where('user_id', '=', BigInt(userId)).execute();
  const ledger = await db.kysely.selectFrom('ledger_entries').select(['order_id', 'amount_sun', 'currency']).where('user_id', '=', BigInt(userId)).execute();
  const events = await db.kysely
    .selectFrom('order_events')
    .select(['order_id', 'to_status', 'reason'])
    .where('order_id', 'in', orders.length > 0 ? orders.map((o) => o.id) : [''])
    .execute();
  assert.deepEqual(ledger.map((l) => `${l.order_id} ${l.currency} ${l.amount_sun}`).sort(), orders.map((o) => `${o.id} ${o.pay_currency} ${-o.price_sun}`).sort());
  assert.deepEqual(events.map((e) => `${e.order_id} ${e.to_status} ${e.reason}`).sort(), orders.map((o) => `${o.id} pending created`).sort());
  const user = await db.kysely.selectFrom('users').select(['balance_sun', 'balance_micro_usdt']).where('id', '=', BigInt(userId)).executeTakeFirstOrThrow();
  const spent = (currency: string) => orders.filter((o) => o.pay_currency === currency).reduce((sum, o) => sum + o.price_sun, 0n);
  assert.equal(user.balance_sun, startSun - spent('TRX'));
  assert.equal(user.balance_micro_usdt, startMicroUsdt - spent('USDT'));
}

/**
 * A tenant (`hooked` unless named) with a webhook URL and `count` users of
 * its own (external ids 1 to count), with no balance yet: their users rows' ids.
 */
export async function hookedTenantUsers(db: Db, count: number, tenantId = 'hooked'): Promise<bigint[]> {
  await db.kysely.insertInto('tenants').values({ id: tenantId, name: tenantId, created_at: 0n, updated_at: 0n }).execute();
  await db.kysely.updateTable('tenants').set({ webhook_url: 'https://example.com/hook', signing_secret: 's' }).where('id', '=', tenantId).execute();
  const users: bigint[] = [];
  for (let external = 1n; external <= BigInt(count); external++) users.push(await createTenantUser(db, tenantId, external));
  return users;
}

/** The webhook events written, each as `tenant type order-id user external-id`, sorted. */
export async function webhookEventsWritten(db: Db): Promise<string[]> {
  const events = await db.kysely.selectFrom('webhook_events').select(['tenant_id', 'type', 'payload']).execute();
  return events
    .map((e) => {
      const { data } = JSON.parse(e.payload) as { data: { id: string; user_id: string | number } };
      return `${e.tenant_id} ${e.type} ${data.id} user ${data.user_id}`;
    })
    .sort();
}
