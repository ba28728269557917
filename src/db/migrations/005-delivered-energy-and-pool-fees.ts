import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The energy a confirmed delegation was worth when it landed (the chain
 * rounds a receiver's energy down from live network totals), and what each
 * pool account can pay transaction fees with: its TRX balance and its free
 * and staked bandwidth, and the chain's fee per byte when it burns TRX.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('orders').addColumn('delivered_energy', 'bigint').execute();
  for (const column of ['balance_sun', 'free_net_limit', 'free_net_used', 'net_limit', 'net_used', 'transaction_fee_sun']) {
    await db.schema.alterTable('pool_snapshots').addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  }
}
