import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Request rate limits.
 *
 * api_keys.rate_limit_per_min: the key's own limit in requests a minute;
 * null: RATE_LIMIT_PER_MIN.
 *
 * rate_limit_counts: requests per credential (a database key's id, or the
 * hash of an API_KEYS key) in each wall-clock minute, shared by every `api`
 * process on this database when background tasks (Redis) are off. Rows of
 * past minutes are deleted as the minutes pass.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('rate_limit_per_min', 'bigint').execute();
  await db.schema
    .createTable('rate_limit_counts')
    .addColumn('credential', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limit_counts_pkey', ['credential', 'window_start'])
    .execute();
}
