import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Saved addresses (a user's own list of receivers, with a label) and the
 * latest read of each saved address's energy.
 *
 * receiver_energy holds one row per saved address, whoever saved it: the
 * figures of its last read (getaccountresource), and `due_at`, when it
 * should be read next — null while nobody has asked since the last read, so
 * an address nobody looks at costs no request.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('saved_addresses')
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('saved_addresses_pkey', ['user_id', 'address'])
    .addCheckConstraint('saved_addresses_label_length', sql`length(label) between 1 and 64`)
    .execute();
  await db.schema.createIndex('saved_addresses_address').on('saved_addresses').column('address').execute();

  await db.schema
    .createTable('receiver_energy')
    .addColumn('address', 'text', (c) => c.primaryKey())
    .addColumn('activated', 'bigint')
    .addColumn('energy_limit', 'bigint')
    .addColumn('energy_used', 'bigint')
    .addColumn('observed_at', 'bigint')
    .addColumn('due_at', 'bigint')
    .addColumn('error', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('receiver_energy_activated_flag', sql`activated is null or activated in (0, 1)`)
    .execute();
  await db.schema.createIndex('receiver_energy_due').on('receiver_energy').column('due_at').where(sql.ref('due_at'), 'is not', null).execute();
}
