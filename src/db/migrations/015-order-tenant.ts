import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Each order names its tenant, indexed with its id, so a tenant's newest
 * orders (GET /api/orders?tenant_id=, and what a tenant's key lists without
 * a user) are read from the top of one index instead of gathering every
 * order of every user of the tenant and sorting them: the page costs the
 * same with ten orders or a million behind it.
 *
 * Until now an order's tenant was its user's (users rows at zero and above
 * are the default tenant's, others are mapped in tenant_users); placing an
 * order writes it from the key that placed it. Existing orders of other
 * tenants' users are filled in here (the default tenant's need no write:
 * the column's default). The default is for this backfill; every insert
 * names the tenant.
 *
 * SQLite adds a column with a constant default without rewriting the
 * table, as PostgreSQL 11 and later do.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('orders')
    .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo('default'))
    .execute();
  await sql`update orders set tenant_id = (select tenant_id from tenant_users where tenant_users.user_id = orders.user_id)
    where user_id < 0`.execute(db);
  await db.schema.createIndex('orders_tenant').on('orders').columns(['tenant_id', 'id']).execute();
}
