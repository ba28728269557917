import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * A tenant's page of users (GET /api/users?tenant_id=) walks its users in
 * id order from the cursor. tenant_users was keyed by the tenant's own ids
 * and its user ids were unique across tenants, so the page read every user
 * of the tenant (SQLite) or every tenant's users below the cursor
 * (PostgreSQL): 22 ms for a page of a tenant with 50,000 users. Through
 * this index it reads the page's own rows.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex('tenant_users_tenant_user').on('tenant_users').columns(['tenant_id', 'user_id']).execute();
}
