import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// The lists as they were when this migration shipped (a migration never reads live code).
const ORDER_STATUSES = ['pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed', 'cancelled'];
const CURRENCIES = ['TRX', 'USDT'];

const inList = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)));

/**
 * Cancelling an order.
 *
 * orders.status and order_events.to_status accept a seventh status,
 * `cancelled`: a pending order cancelled before any delegation, refunded.
 * orders.cancel_requested_at: when an active order's early cancel was asked
 * for (the engine reclaims it then); orders.cancelled_at: when a cancel took
 * effect (the pending order cancelled, or the early reclaim completed with its
 * refund, which refunded_sun records).
 *
 * PostgreSQL changes the two CHECKs and adds the columns in place. SQLite
 * cannot change a CHECK: both tables are rebuilt. orders is referenced by
 * order_events and chain_transactions, so it is rebuilt as 004 did it (rows
 * set aside, the table dropped and created again under its own name with the
 * foreign key checks deferred to the commit, rows put back); nothing
 * references order_events, so a new table takes its name, as 008 did for the
 * journal. This copies both tables under the write lock once: about as long
 * as 004 took (15 s for a million orders with their events on 2 cores).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await db.schema.alterTable('orders').addColumn('cancel_requested_at', 'bigint').execute();
    await db.schema.alterTable('orders').addColumn('cancelled_at', 'bigint').execute();
    await db.schema.alterTable('orders').dropConstraint('orders_status_known').execute();
    await db.schema.alterTable('orders').addCheckConstraint('orders_status_known', sql`status in (${inList(ORDER_STATUSES)})`).execute();
    await db.schema.alterTable('order_events').dropConstraint('events_to_known').execute();
    await db.schema.alterTable('order_events').addCheckConstraint('events_to_known', sql`to_status in (${inList(ORDER_STATUSES)})`).execute();
    return;
  }
  await rebuildSqliteOrders(db);
  await rebuildSqliteOrderEvents(db);
}

/** orders as 001 to 008 left it, its CHECK on the new list, the two new columns last. */
async function rebuildSqliteOrders(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ name: string }>`select name from pragma_table_info('orders') order by cid`.execute(db);
  const columns = sql.join(rows.map((r) => sql.ref(r.name)));
  const { rows: indexes } = await sql<{ name: string }>`
    select name from sqlite_master where type = 'index' and tbl_name = 'orders' and sql is not null`.execute(db);
  for (const { name } of indexes) await db.schema.dropIndex(name).execute();
  await sql`pragma defer_foreign_keys = on`.execute(db);
  await sql`create table "orders_before_009" as select * from "orders"`.execute(db);
  await sql`drop table "orders"`.execute(db);
  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('energy_amount', 'bigint', (c) => c.notNull())
    .addColumn('duration', 'text', (c) => c.notNull())
    .addColumn('duration_seconds', 'bigint', (c) => c.notNull())
    .addColumn('receive_address', 'text', (c) => c.notNull())
    .addColumn('price_sun', 'bigint', (c) => c.notNull())
    .addColumn('rate_sun_per_energy_day', 'bigint', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('pool_address', 'text')
    .addColumn('delegated_sun', 'bigint')
    .addColumn('delegate_txid', 'text')
    .addColumn('reclaim_txid', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('lease_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('refunded_sun', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delegated_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('reclaimed_at', 'bigint')
    .addColumn('completed_at', 'bigint')
    .addColumn('failed_at', 'bigint')
    .addColumn('delegate_tx_status', 'text')
    .addColumn('reclaim_tx_status', 'text')
    .addColumn('lock_blocks', 'bigint')
    .addColumn('wait_reason', 'text')
    .addColumn('reclaim_attempts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('delivered_energy', 'bigint')
    .addColumn('pay_currency', 'text', (c) => c.notNull().defaultTo('TRX').check(sql`pay_currency in (${inList(CURRENCIES)})`))
    .addColumn('payment_txid', 'text', (c) => c.references('flash_payments.txid'))
    .addColumn('cancel_requested_at', 'bigint')
    .addColumn('cancelled_at', 'bigint')
    .addCheckConstraint('orders_status_known', sql`status in (${inList(ORDER_STATUSES)})`)
    .addCheckConstraint('orders_amounts_positive', sql`energy_amount > 0 and price_sun > 0 and duration_seconds > 0`)
    .execute();
  await sql`insert into "orders" (${columns}) select ${columns} from "orders_before_009"`.execute(db);
  await sql`drop table "orders_before_009"`.execute(db);
  await sql`pragma defer_foreign_keys = off`.execute(db);

  // Every index orders had after 008, as 001 to 008 created them.
  await db.schema
    .createIndex('orders_idempotency_key')
    .on('orders')
    .column('idempotency_key')
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();
  await db.schema.createIndex('orders_user').on('orders').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('orders_status').on('orders').columns(['status', 'id']).execute();
  await db.schema.createIndex('orders_receiver').on('orders').columns(['receive_address', 'id']).execute();
  await db.schema.createIndex('orders_expiry').on('orders').column('expires_at').where(sql.ref('status'), '=', 'active').execute();
  await db.schema.createIndex('orders_created_at').on('orders').column('created_at').execute();
  await db.schema
    .createIndex('orders_delegated_at')
    .on('orders')
    .columns(['delegated_at', 'created_at'])
    .where(sql.ref('delegated_at'), 'is not', null)
    .execute();
  await db.schema.createIndex('orders_failed_at').on('orders').column('failed_at').where(sql.ref('failed_at'), 'is not', null).execute();
  await db.schema
    .createIndex('orders_payment_txid')
    .on('orders')
    .column('payment_txid')
    .unique()
    .where(sql.ref('payment_txid'), 'is not', null)
    .execute();
}

/** order_events with its CHECK on the new list; its ids, and the counter behind them, carry over. */
async function rebuildSqliteOrderEvents(db: Kysely<any>): Promise<void> {
  const { rows: seq } = await sql<{ seq: bigint }>`select seq from sqlite_sequence where name = 'order_events'`.execute(db);
  await db.schema
    .createTable('order_events_009')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('events_to_known', sql`to_status in (${inList(ORDER_STATUSES)})`)
    .execute();
  const { rows } = await sql<{ name: string }>`select name from pragma_table_info('order_events') order by cid`.execute(db);
  const columns = sql.join(rows.map((r) => sql.ref(r.name)));
  await sql`insert into "order_events_009" (${columns}) select ${columns} from "order_events"`.execute(db);
  await sql`drop table "order_events"`.execute(db);
  await sql`alter table "order_events_009" rename to "order_events"`.execute(db);
  // Ids are never handed out twice, even those of rows no longer there.
  if (seq[0] !== undefined) {
    await sql`update sqlite_sequence set seq = ${seq[0].seq} where name = 'order_events' and seq < ${seq[0].seq}`.execute(db);
  }
  await db.schema.createIndex('order_events_order').on('order_events').columns(['order_id', 'id']).execute();
}
