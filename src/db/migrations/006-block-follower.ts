import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The block follower's place on the solidified chain: the last block it has
 * settled our transactions from, held by one worker of the cluster at a time
 * (a lease on the database clock). And the index it finds the transactions
 * still open by, to declare dead the ones whose expiration the chain passed.
 * Pool snapshots record the head block they were read at, so that our own
 * confirmed transactions are applied to them only where the read did not
 * already see them.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('chain_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('block_time', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('pool_snapshots').addColumn('observed_block', 'bigint').execute();
  await db.schema.createIndex('chain_tx_status_expiration').on('chain_transactions').columns(['status', 'expiration']).execute();
}
