import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import { dbNow } from './clock.js';
import type { Dialect } from './connect.js';
import type { ChainTransactionsTable, ChainTxKind, Database } from './schema.js';

export type ChainTransaction = Selectable<ChainTransactionsTable>;

/** The newest journaled transaction of this kind for the order, if any. */
export function latestChainTx(db: Kysely<Database>, orderId: string, kind: ChainTxKind): Promise<ChainTransaction | undefined> {
  return db
    .selectFrom('chain_transactions')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('kind', '=', kind)
    .orderBy('created_at', 'desc')
    .orderBy('txid')
    .limit(1)
    .executeTakeFirst();
}

export function listChainTxs(db: Kysely<Database>, orderId: string): Promise<ChainTransaction[]> {
  return db.selectFrom('chain_transactions').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute();
}

/** A journal row as people may see it: everything but the signed transaction. */
export type ChainTransactionView = Omit<ChainTransaction, 'signed_json'>;

/**
 * An order's transactions, oldest first (a delegation before its reclaim),
 * without `signed_json`: it never leaves the database for display.
 */
export function listOrderTransactions(db: Kysely<Database>, orderId: string): Promise<ChainTransactionView[]> {
  return db
    .selectFrom('chain_transactions')
    .select([
      'txid',
      'order_id',
      'kind',
      'pool_address',
      'receiver',
      'amount_sun',
      'lock_blocks',
      'expiration',
      'status',
      'result_code',
      'result_message',
      'block_number',
      'broadcasts',
      'created_at',
      'updated_at',
      'confirmed_at',
    ])
    .where('order_id', '=', orderId)
    .orderBy('created_at')
    .orderBy('kind')
    .orderBy('txid')
    .execute();
}

export interface NewChainTx {
  txid: string;
  orderId: string;
  kind: ChainTxKind;
  poolAddress: string;
  receiver: string;
  amountSun: bigint;
  lockBlocks: bigint | null;
  signedJson: string;
  expiration: bigint;
}

export async function insertChainTx(db: Kysely<Database>, dialect: Dialect, t: NewChainTx): Promise<void> {
  await db
    .insertInto('chain_transactions')
    .values({
      txid: t.txid,
      order_id: t.orderId,
      kind: t.kind,
      pool_address: t.poolAddress,
      receiver: t.receiver,
      amount_sun: t.amountSun,
      lock_blocks: t.lockBlocks,
      signed_json: t.signedJson,
      expiration: t.expiration,
      status: 'signed',
      created_at: dbNow(dialect),
      updated_at: dbNow(dialect),
    })
    .execute();
}

export async function updateChainTx(
  db: Kysely<Database>,
  dialect: Dialect,
  txid: string,
  fields: Omit<Updateable<ChainTransactionsTable>, 'txid' | 'updated_at'>,
): Promise<void> {
  await db.updateTable('chain_transactions').set({ ...fields, updated_at: dbNow(dialect) }).where('txid', '=', txid).execute();
}

/** Sun reserved on a pool by orders whose delegation is not yet confirmed. */
export async function reservedOnPool(db: Kysely<Database>, pool: string): Promise<bigint> {
  const row = await db
    .selectFrom('orders')
    .select(sql<bigint | string>`coalesce(sum(delegated_sun), 0)`.as('total'))
    .where('pool_address', '=', pool)
    .where('status', '=', 'delegating')
    .executeTakeFirstOrThrow();
  return BigInt(row.total);
}

/** How many of our rentals from this pool to this receiver are delegated or being delegated. */
export async function openRentalsOnPair(db: Kysely<Database>, pool: string, receiver: string, exceptOrder: string): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('pool_address', '=', pool)
    .where('receive_address', '=', receiver)
    .where('status', 'in', ['delegating', 'active', 'reclaiming'])
    .where('id', '<>', exceptOrder)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
