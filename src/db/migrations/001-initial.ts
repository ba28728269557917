import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// The lists as they were when this migration shipped. A migration never reads
// live code: when a status or kind is added, a new migration changes the CHECK.
const ORDER_STATUSES = ['pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed'];
const LEDGER_KINDS = ['deposit', 'order_debit', 'refund'];

const inList = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)));

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  // An auto-numbered bigint key on both dialects.
  const serial = dialect === 'sqlite' ? ('integer' as const) : ('bigserial' as const);

  await db.schema
    .createTable('users')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('balance_sun', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('users_balance_not_negative', sql`balance_sun >= 0`)
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount_sun', 'bigint', (c) => c.notNull())
    .addColumn('balance_after_sun', 'bigint', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('reference', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('ledger_kind_known', sql`kind in (${inList(LEDGER_KINDS)})`)
    .addCheckConstraint('ledger_amount_not_zero', sql`amount_sun <> 0`)
    .execute();
  await db.schema.createIndex('ledger_user').on('ledger_entries').columns(['user_id', 'id']).execute();
  // One deposit per reference (partial: order debits and refunds have none); at most one debit and one refund per order.
  await db.schema
    .createIndex('ledger_deposit_reference')
    .on('ledger_entries')
    .column('reference')
    .unique()
    .where(sql.ref('reference'), 'is not', null)
    .execute();
  await db.schema.createIndex('ledger_order_kind').on('ledger_entries').columns(['order_id', 'kind']).unique().execute();

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
    .addCheckConstraint('orders_status_known', sql`status in (${inList(ORDER_STATUSES)})`)
    .addCheckConstraint('orders_amounts_positive', sql`energy_amount > 0 and price_sun > 0 and duration_seconds > 0`)
    .execute();
  // Partial: most orders carry no key, and an index entry costs every insert.
  await db.schema
    .createIndex('orders_idempotency_key')
    .on('orders')
    .column('idempotency_key')
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();
  // Keyset pagination (newest first; ids are time-ordered UUIDv7) and the sweeper's scans.
  await db.schema.createIndex('orders_user').on('orders').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('orders_status').on('orders').columns(['status', 'id']).execute();
  await db.schema.createIndex('orders_receiver').on('orders').columns(['receive_address', 'id']).execute();

  await db.schema
    .createTable('order_events')
    .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('events_to_known', sql`to_status in (${inList(ORDER_STATUSES)})`)
    .execute();
  await db.schema.createIndex('order_events_order').on('order_events').columns(['order_id', 'id']).execute();
}
