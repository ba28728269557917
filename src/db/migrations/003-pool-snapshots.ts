import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * What the chain last said about each pool account, refreshed in the
 * background by the workers so that the API never asks the chain; and the
 * indexes the per-minute delay report reads its ranges from.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('pool_snapshots')
    .addColumn('address', 'text', (c) => c.primaryKey())
    .addColumn('staked_sun', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('delegated_sun', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('delegatable_sun', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('energy_limit', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('total_energy_weight', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('total_energy_limit', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('observed_at', 'bigint')
    .addColumn('error', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // GET /api/status/delays counts orders by the minute they were created, went active or failed.
  // created_at covers every order; the other two are partial, so only those transitions pay for them
  // (a range on the column implies IS NOT NULL, which both planners use to pick a partial index).
  await db.schema.createIndex('orders_created_at').on('orders').column('created_at').execute();
  await db.schema
    .createIndex('orders_delegated_at')
    .on('orders')
    .columns(['delegated_at', 'created_at'])
    .where(sql.ref('delegated_at'), 'is not', null)
    .execute();
  await db.schema.createIndex('orders_failed_at').on('orders').column('failed_at').where(sql.ref('failed_at'), 'is not', null).execute();
}
