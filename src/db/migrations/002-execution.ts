import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// The lists as they were when this migration shipped. A migration never reads
// live code: when a kind or status is added, a new migration changes the CHECK.
const CHAIN_TX_KINDS = ['delegate', 'reclaim'];
const CHAIN_TX_STATUSES = ['signed', 'broadcast', 'confirmed', 'failed', 'expired'];

const inList = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)));

/**
 * Order execution: the journal of every chain transaction (written before it
 * is broadcast), and the order fields the worker keeps.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('chain_transactions')
    .addColumn('txid', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('pool_address', 'text', (c) => c.notNull())
    .addColumn('receiver', 'text', (c) => c.notNull())
    .addColumn('amount_sun', 'bigint', (c) => c.notNull())
    .addColumn('lock_blocks', 'bigint')
    .addColumn('signed_json', 'text', (c) => c.notNull())
    .addColumn('expiration', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('result_code', 'text')
    .addColumn('result_message', 'text')
    .addColumn('block_number', 'bigint')
    .addColumn('broadcasts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addCheckConstraint('chain_tx_kind_known', sql`kind in (${inList(CHAIN_TX_KINDS)})`)
    .addCheckConstraint('chain_tx_status_known', sql`status in (${inList(CHAIN_TX_STATUSES)})`)
    .execute();
  await db.schema.createIndex('chain_tx_order').on('chain_transactions').columns(['order_id', 'kind', 'created_at']).execute();

  for (const [name, type] of [
    ['delegate_tx_status', 'text'],
    ['reclaim_tx_status', 'text'],
    ['lock_blocks', 'bigint'],
    ['wait_reason', 'text'],
    ['reclaim_attempts', 'bigint'],
  ] as const) {
    await db.schema.alterTable('orders').addColumn(name, type, (c) => (name === 'reclaim_attempts' ? c.notNull().defaultTo(0) : c)).execute();
  }
  // Rentals due for reclaim, for the sweeper. Partial, so placing an order (pending) never pays for it;
  // pending, delegating and reclaiming orders are few and found through orders_status.
  await db.schema.createIndex('orders_expiry').on('orders').column('expires_at').where(sql.ref('status'), '=', 'active').execute();
}
