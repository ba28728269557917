import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// The lists as they were when this migration shipped (a migration never reads live code).
const CHAIN_TX_KINDS = ['delegate', 'reclaim', 'refund'];
const CHAIN_TX_STATUSES = ['signed', 'broadcast', 'confirmed', 'failed', 'expired'];
const REFUND_STATUSES = ['due', 'refunded'];

const inList = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)));

/**
 * Pay per order by transfer ("flash rent").
 *
 * flash_payments: every solidified TRX transfer to FLASH_RENT_ADDRESS, once
 * per txid (the primary key is what makes a transfer served at most once,
 * across restarts and workers). It either paid an order (orders.payment_txid
 * names it) or is owed back: refund_status 'due' until the refund is
 * confirmed on chain, then 'refunded'. The refund is a chain transaction
 * like any other, journaled before it is broadcast; the payment row is its
 * holder (a lease, as orders have).
 *
 * chain_transactions: a third kind, `refund` (a TRX transfer back to the
 * payer), held by a payment (payment_txid) and, when the refund is for an
 * order that could not be delivered, by that order too: order_id becomes
 * nullable. SQLite cannot change a CHECK or a NOT NULL in place, so the
 * journal is rebuilt: nothing references it, so a new table renamed to its
 * name keeps every row and needs no deferred checks (unlike orders in 004).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('flash_payments')
    .addColumn('txid', 'text', (c) => c.primaryKey())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('memo', 'text')
    .addColumn('amount_sun', 'bigint', (c) => c.notNull())
    .addColumn('block_number', 'bigint', (c) => c.notNull())
    .addColumn('block_time', 'bigint', (c) => c.notNull())
    .addColumn('refund_status', 'text')
    .addColumn('refund_reason', 'text')
    .addColumn('refund_sun', 'bigint')
    .addColumn('refund_txid', 'text')
    .addColumn('refund_tx_status', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('lease_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('wait_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('flash_payments_amount_positive', sql`amount_sun > 0`)
    .addCheckConstraint('flash_payments_refund_status_known', sql`refund_status is null or refund_status in (${inList(REFUND_STATUSES)})`)
    .addCheckConstraint('flash_payments_refund_positive', sql`(refund_status is null) = (refund_sun is null) and (refund_sun is null or refund_sun > 0)`)
    .execute();
  await db.schema.createIndex('flash_payments_created_at').on('flash_payments').column('created_at').execute();
  await db.schema
    .createIndex('flash_payments_refund_due')
    .on('flash_payments')
    .column('next_attempt_at')
    .where(sql.ref('refund_status'), '=', 'due')
    .execute();

  await db.schema.alterTable('orders').addColumn('payment_txid', 'text', (c) => c.references('flash_payments.txid')).execute();
  await db.schema
    .createIndex('orders_payment_txid')
    .on('orders')
    .column('payment_txid')
    .unique()
    .where(sql.ref('payment_txid'), 'is not', null)
    .execute();

  if (dialect === 'postgres') {
    await db.schema.alterTable('chain_transactions').dropConstraint('chain_tx_kind_known').execute();
    await db.schema.alterTable('chain_transactions').addCheckConstraint('chain_tx_kind_known', sql`kind in (${inList(CHAIN_TX_KINDS)})`).execute();
    await db.schema.alterTable('chain_transactions').alterColumn('order_id', (c) => c.dropNotNull()).execute();
    await db.schema.alterTable('chain_transactions').addColumn('payment_txid', 'text', (c) => c.references('flash_payments.txid')).execute();
    await db.schema
      .alterTable('chain_transactions')
      .addCheckConstraint('chain_tx_has_holder', sql`order_id is not null or payment_txid is not null`)
      .execute();
  } else {
    await rebuildSqliteJournal(db);
  }
  await db.schema.createIndex('chain_tx_payment').on('chain_transactions').columns(['payment_txid', 'kind', 'created_at']).execute();
}

async function rebuildSqliteJournal(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('chain_transactions_008')
    .addColumn('txid', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.references('orders.id'))
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
    .addColumn('payment_txid', 'text', (c) => c.references('flash_payments.txid'))
    .addCheckConstraint('chain_tx_kind_known', sql`kind in (${inList(CHAIN_TX_KINDS)})`)
    .addCheckConstraint('chain_tx_status_known', sql`status in (${inList(CHAIN_TX_STATUSES)})`)
    .addCheckConstraint('chain_tx_has_holder', sql`order_id is not null or payment_txid is not null`)
    .execute();
  const { rows } = await sql<{ name: string }>`select name from pragma_table_info('chain_transactions') order by cid`.execute(db);
  const columns = sql.join(rows.map((r) => sql.ref(r.name)));
  await sql`insert into "chain_transactions_008" (${columns}) select ${columns} from "chain_transactions"`.execute(db);
  await sql`drop table "chain_transactions"`.execute(db);
  await sql`alter table "chain_transactions_008" rename to "chain_transactions"`.execute(db);
  await db.schema.createIndex('chain_tx_order').on('chain_transactions').columns(['order_id', 'kind', 'created_at']).execute();
  await db.schema.createIndex('chain_tx_status_expiration').on('chain_transactions').columns(['status', 'expiration']).execute();
}
