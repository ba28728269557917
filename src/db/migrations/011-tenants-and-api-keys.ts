import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Tenants (the businesses on top: a bot, a wallet, a payment processor) and
 * their API keys, kept in the database.
 *
 * tenants: one row per tenant; `default` is the one every row before this
 * migration belongs to, and the one API_KEYS from the environment speak for.
 *
 * api_keys: a key is stored as its sha256 only (the key itself is shown
 * once), with a short prefix to tell keys apart in a list.
 *
 * tenant_users: a user id is the tenant's own, unique within the tenant.
 * The default tenant's users keep their ids as the users table holds them
 * (its clients' ids, all positive); another tenant's user is a users row
 * with an id below zero, which no client id can be, mapped here from the
 * tenant's own id. So no existing row moves and no table is rebuilt.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  const now = BigInt(Date.now());
  await db.insertInto('tenants').values({ id: 'default', name: 'default', created_at: now, updated_at: now }).execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('rotated_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_tenant').on('api_keys').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('tenant_users')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('external_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull().unique().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenant_users_pkey', ['tenant_id', 'external_id'])
    .addCheckConstraint('tenant_users_ids', sql`external_id > 0 and user_id < 0`)
    .execute();
}
