import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Due deliveries found per tenant, from the top of one index: which tenants
 * have a delivery due (one probe per tenant) and a tenant's oldest due
 * deliveries (the claim) cost the same with ten events waiting or ten
 * thousand. With only webhook_events_due (next_attempt_at) both read every
 * due event of every tenant, and deliveries look after every event they
 * settle: a backlog made each delivery slower the longer it grew.
 *
 * It replaces webhook_events_due, which nothing else reads, so writing an
 * event costs no more index entries than before.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('webhook_events_tenant_due')
    .on('webhook_events')
    .columns(['tenant_id', 'next_attempt_at', 'id'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.dropIndex('webhook_events_due').execute();
}
