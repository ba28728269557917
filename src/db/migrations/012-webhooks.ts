import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// The lists as they were when this migration shipped (a migration never reads live code).
const EVENT_TYPES = ['order.created', 'order.active', 'order.completed', 'order.failed', 'order.cancelled', 'deposit.credited'];
const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'];

const inList = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)));

/**
 * Signed webhooks: an outbox of events, each written in the transaction of
 * the change it tells about, and delivered to its tenant's webhook URL.
 *
 * tenants.webhook_url: where the tenant's events go (null: none are
 * recorded). tenants.signing_secret: the HMAC key of its signatures, made
 * when a URL is first set (or on rotation), shown once.
 *
 * webhook_events: one row per event and its delivery state. `pending` with
 * `next_attempt_at` is due; a worker holds it by a lease (as orders are
 * held); `delivered` on a 2xx; `failed` once `deadline_at` (24 h after the
 * event, or after a redelivery) has passed without one.
 *
 * webhook_attempts: every request made, with its answer, for the log.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'sqlite' ? ('integer' as const) : ('bigserial' as const);

  await db.schema.alterTable('tenants').addColumn('webhook_url', 'text').execute();
  await db.schema.alterTable('tenants').addColumn('signing_secret', 'text').execute();

  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('deadline_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('lease_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('last_status_code', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('last_duration_ms', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('webhook_events_type_known', sql`type in (${inList(EVENT_TYPES)})`)
    .addCheckConstraint('webhook_events_status_known', sql`status in (${inList(DELIVERY_STATUSES)})`)
    .execute();
  // What the workers look for: due deliveries (partial: settled ones are most of the table).
  await db.schema
    .createIndex('webhook_events_due')
    .on('webhook_events')
    .columns(['next_attempt_at'])
    .where(sql.ref('status'), '=', sql.lit('pending'))
    .execute();
  await db.schema.createIndex('webhook_events_tenant').on('webhook_events').columns(['tenant_id', 'id']).execute();
  // Pruning settled rows by age.
  await db.schema.createIndex('webhook_events_created').on('webhook_events').columns(['created_at']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('event_id', 'text', (c) => c.notNull().references('webhook_events.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('status_code', 'bigint')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('webhook_attempts_event').on('webhook_attempts').columns(['event_id', 'id']).execute();
}
