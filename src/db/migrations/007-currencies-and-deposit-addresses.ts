import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// The list as it was when this migration shipped (a migration never reads live code).
const CURRENCIES = ['TRX', 'USDT'];

const inList = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)));

/**
 * Balances per currency, TRX and USDT, and money that arrives on chain.
 *
 * users.balance_micro_usdt sits next to balance_sun: two currencies are two
 * columns, each with its own not-negative check, and a debit stays one
 * conditional UPDATE. Ledger entries and orders gain a currency; their amount
 * columns keep their names (amount_sun, balance_after_sun, price_sun,
 * rate_sun_per_energy_day, refunded_sun) and now hold the smallest unit of
 * that currency: renaming them would rebuild both tables on SQLite (as 004
 * had to) for a name, and every existing row is TRX, for which the names stay
 * exact. The API writes USDT amounts under currency-neutral names.
 *
 * deposit_addresses: one address per user, derived from DEPOSIT_XPUB at
 * .../0/<derivation_index>; the indexes are handed out without gaps.
 * chain_deposits: every transfer seen to a deposit address, keyed by
 * (txid, event_index) so that each is credited at most once; ones below the
 * minimum are recorded and not credited (ledger_entry_id null).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'sqlite' ? ('integer' as const) : ('bigserial' as const);

  await db.schema
    .alterTable('users')
    .addColumn('balance_micro_usdt', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`balance_micro_usdt >= 0`))
    .execute();
  await db.schema
    .alterTable('ledger_entries')
    .addColumn('currency', 'text', (c) => c.notNull().defaultTo('TRX').check(sql`currency in (${inList(CURRENCIES)})`))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('pay_currency', 'text', (c) => c.notNull().defaultTo('TRX').check(sql`pay_currency in (${inList(CURRENCIES)})`))
    .execute();

  await db.schema
    .createTable('deposit_addresses')
    .addColumn('user_id', 'bigint', (c) => c.primaryKey().references('users.id'))
    .addColumn('derivation_index', 'bigint', (c) => c.notNull().unique())
    .addColumn('address', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('deposit_index_not_hardened', sql`derivation_index >= 0 and derivation_index < 2147483648`)
    .execute();

  await db.schema
    .createTable('chain_deposits')
    .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('txid', 'text', (c) => c.notNull())
    .addColumn('event_index', 'bigint', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('block_time', 'bigint', (c) => c.notNull())
    .addColumn('credited', 'bigint', (c) => c.notNull())
    .addColumn('ledger_entry_id', 'bigint', (c) => c.references('ledger_entries.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('chain_deposits_event', ['txid', 'event_index'])
    .addCheckConstraint('chain_deposits_currency_known', sql`currency in (${inList(CURRENCIES)})`)
    .addCheckConstraint('chain_deposits_amount_positive', sql`amount > 0`)
    // 0 or 1 (an integer: better-sqlite3 binds no booleans), and credited exactly when a ledger entry says so.
    .addCheckConstraint('chain_deposits_credited_has_entry', sql`credited in (0, 1) and (credited = 1) = (ledger_entry_id is not null)`)
    .execute();
  await db.schema.createIndex('chain_deposits_user').on('chain_deposits').columns(['user_id', 'id']).execute();
}
