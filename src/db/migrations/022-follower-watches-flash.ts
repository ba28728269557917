import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Who may follow the chain. The block cursor is the cluster's: a block read
 * once is never read again. A worker without FLASH_RENT_ADDRESS that follows
 * moves the cursor past the customers' payments to that address, and they
 * are never served (no order, no refund). So the cursor's row says which
 * flash-rent address its holder watches (`lease_flash_address`, null for
 * none), and until when a worker that watches one has been seen following
 * (`flash_watched_until`). A worker that watches one takes the cursor from
 * a holder that does not; a worker that does not leaves it alone until that
 * time has passed (db/chain-cursor.ts, holdCursor).
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('chain_cursors').addColumn('lease_flash_address', 'text').execute();
  await db.schema.alterTable('chain_cursors').addColumn('flash_watched_until', 'bigint').execute();
}
