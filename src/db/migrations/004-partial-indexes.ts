import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Brings a database created before migrations 001 and 002 were edited in place
 * (they had shipped) to the schema a new database gets:
 *
 *   ledger_entries.reference   full unique index          -> unique where reference is not null
 *   orders.idempotency_key     UNIQUE column constraint   -> unique index orders_idempotency_key where not null
 *   orders_due                 (status, next_attempt_at)  -> dropped
 *   orders_expiry              (status, expires_at)       -> (expires_at) where status = 'active'
 *
 * What is unique does not change (NULLs never collide in a unique index); the
 * partial indexes only make placing an order cheaper. Each step looks before it
 * acts, so on a database that already has this shape (any created since) this
 * migration changes nothing, and running it twice is the same as once.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await ensurePartial(db, dialect, 'ledger_entries', 'ledger_deposit_reference', () =>
    db.schema
      .createIndex('ledger_deposit_reference')
      .ifNotExists()
      .on('ledger_entries')
      .column('reference')
      .unique()
      .where(sql.ref('reference'), 'is not', null)
      .execute(),
  );

  if (dialect === 'postgres') {
    // The partial index first, so that the key is unique at every step.
    await createOrdersIdempotencyKey(db);
    for (const name of await postgresUniqueConstraintsOnIdempotencyKey(db)) {
      await db.schema.alterTable('orders').dropConstraint(name).execute();
    }
  } else if (await sqliteHasUniqueIdempotencyKey(db)) {
    await rebuildSqliteOrders(db);
  }

  await db.schema.dropIndex('orders_due').ifExists().execute();
  await ensurePartial(db, dialect, 'orders', 'orders_expiry', () =>
    db.schema.createIndex('orders_expiry').ifNotExists().on('orders').column('expires_at').where(sql.ref('status'), '=', 'active').execute(),
  );
  await createOrdersIndexes(db);
}

/** Creates `index` with `create` when it is missing, and first drops it when it exists but is not partial. */
async function ensurePartial(db: Kysely<any>, dialect: Dialect, table: string, index: string, create: () => Promise<void>): Promise<void> {
  if ((await isPartial(db, dialect, table, index)) === false) await db.schema.dropIndex(index).execute();
  await create();
}

/** Whether `index` has a WHERE clause; undefined when there is no such index. */
async function isPartial(db: Kysely<any>, dialect: Dialect, table: string, index: string): Promise<boolean | undefined> {
  if (dialect === 'postgres') {
    const { rows } = await sql<{ partial: boolean }>`
      select indpred is not null as partial from pg_index where indexrelid = to_regclass(${index})`.execute(db);
    return rows[0]?.partial;
  }
  const { rows } = await sql<{ partial: bigint }>`select partial from pragma_index_list(${table}) where name = ${index}`.execute(db);
  return rows[0] === undefined ? undefined : Number(rows[0].partial) === 1;
}

function createOrdersIdempotencyKey(db: Kysely<any>): Promise<void> {
  return db.schema
    .createIndex('orders_idempotency_key')
    .ifNotExists()
    .on('orders')
    .column('idempotency_key')
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();
}

/** Every other index orders has after 003; after a rebuild none is left. Each is created only when missing. */
async function createOrdersIndexes(db: Kysely<any>): Promise<void> {
  await createOrdersIdempotencyKey(db);
  await db.schema.createIndex('orders_user').ifNotExists().on('orders').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('orders_status').ifNotExists().on('orders').columns(['status', 'id']).execute();
  await db.schema.createIndex('orders_receiver').ifNotExists().on('orders').columns(['receive_address', 'id']).execute();
  await db.schema.createIndex('orders_created_at').ifNotExists().on('orders').column('created_at').execute();
  await db.schema
    .createIndex('orders_delegated_at')
    .ifNotExists()
    .on('orders')
    .columns(['delegated_at', 'created_at'])
    .where(sql.ref('delegated_at'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('orders_failed_at')
    .ifNotExists()
    .on('orders')
    .column('failed_at')
    .where(sql.ref('failed_at'), 'is not', null)
    .execute();
}

/** The UNIQUE constraints on exactly orders(idempotency_key): `orders_idempotency_key_key` on a database from the first 001. */
async function postgresUniqueConstraintsOnIdempotencyKey(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.conname as name from pg_constraint c
    join pg_attribute a on a.attrelid = c.conrelid and a.attname = 'idempotency_key'
    where c.conrelid = to_regclass('orders') and c.contype = 'u' and c.conkey = array[a.attnum]`.execute(db);
  return rows.map((r) => r.name);
}

/** Whether orders still has the index SQLite made for a UNIQUE on idempotency_key in the table's definition. */
async function sqliteHasUniqueIdempotencyKey(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ name: string }>`select name from pragma_index_list('orders') where origin = 'u'`.execute(db);
  for (const { name } of rows) {
    const { rows: columns } = await sql<{ name: string }>`select name from pragma_index_info(${name})`.execute(db);
    if (columns.length === 1 && columns[0]!.name === 'idempotency_key') return true;
  }
  return false;
}

/**
 * SQLite cannot drop the index behind a UNIQUE in a table's definition, only
 * rebuild the table without it. migrate() runs inside a transaction, where
 * foreign key enforcement cannot be switched off, and order_events and
 * chain_transactions reference orders(id); so the checks are deferred to the
 * commit, the rows are set aside in a plain table, orders is dropped and
 * created again under its own name, and the rows are put back, which
 * satisfies every reference again before the commit checks them. (Building
 * a new table and renaming it to orders would not do: the commit would still
 * count every event and journal row as pointing at a deleted order.)
 *
 * This runs once, and only on a database created by the first 001. It copies
 * orders twice under the write lock: about 15 s for a million orders with
 * their events on a 2-core machine. Another process opening the database
 * meanwhile gives up after its 5 s busy timeout: start one process first.
 */
async function rebuildSqliteOrders(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ name: string }>`select name from pragma_table_info('orders') order by cid`.execute(db);
  const columns = sql.join(rows.map((r) => sql.ref(r.name)));
  // Its indexes go first: the drop below deletes every row (and would update them all), and they are made again after.
  const { rows: indexes } = await sql<{ name: string }>`
    select name from sqlite_master where type = 'index' and tbl_name = 'orders' and sql is not null`.execute(db);
  for (const { name } of indexes) await db.schema.dropIndex(name).execute();
  await sql`pragma defer_foreign_keys = on`.execute(db);
  await sql`create table "orders_before_004" as select * from "orders"`.execute(db);
  await sql`drop table "orders"`.execute(db);
  // orders as 001 and 002 define it today (002's columns last, as its ALTER TABLE put them), without the UNIQUE.
  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('energy_amount', 'bigint', (c) => c.notNull())
    .addColumn('duration', 'text', (c) => c.notNull())
    .addColumn('duration_seconds', 'bigint', (c) => c.notNull())
    .addColumn('receive_address', 'text', (c) => c.notNull())
    .addColumn('price_sun', 'bigint', (c) => c.notNull())
    .addColumn('rate_sun_per_energy_day', 'bigint', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('pool_address', 'text')
    .addColumn('delegated_sun', 'bigint')
    .addColumn('delegate_txid', 'text')
    .addColumn('reclaim_txid', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('lease_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('refunded_sun', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delegated_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('reclaimed_at', 'bigint')
    .addColumn('completed_at', 'bigint')
    .addColumn('failed_at', 'bigint')
    .addColumn('delegate_tx_status', 'text')
    .addColumn('reclaim_tx_status', 'text')
    .addColumn('lock_blocks', 'bigint')
    .addColumn('wait_reason', 'text')
    .addColumn('reclaim_attempts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addCheckConstraint(
      'orders_status_known',
      sql`status in (${sql.join(['pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed'].map((v) => sql.lit(v)))})`,
    )
    .addCheckConstraint('orders_amounts_positive', sql`energy_amount > 0 and price_sun > 0 and duration_seconds > 0`)
    .execute();
  await sql`insert into "orders" (${columns}) select ${columns} from "orders_before_004"`.execute(db);
  await sql`drop table "orders_before_004"`.execute(db);
  await sql`pragma defer_foreign_keys = off`.execute(db);
}
