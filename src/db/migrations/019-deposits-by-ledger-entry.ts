import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * chain_deposits.ledger_entry_id references ledger_entries. When one
 * statement inserts several ledger entries (the orders a turn places on
 * SQLite, db/sqlite-placement-batches.ts), SQLite checks each new entry
 * against its referencing rows, and without an index that read every
 * deposit ever seen, once per entry. Through this index it is a seek.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex('chain_deposits_ledger_entry').on('chain_deposits').column('ledger_entry_id').execute();
}
