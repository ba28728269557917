import type { Selectable, Updateable } from 'kysely';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import type { ChainTransactionsTable, ChainTxKind } from './schema.js';

export type ChainTransaction = Selectable<ChainTransactionsTable>;

/** The newest journaled transaction of this kind for the order, if any. */
export function latestChainTx(db: DbHandle, orderId: string, kind: ChainTxKind): Promise<ChainTransaction | undefined> {
  return db.kysely
    .selectFrom('chain_transactions')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('kind', '=', kind)
    .orderBy('created_at', 'desc')
    .orderBy('txid')
    .limit(1)
    .executeTakeFirst();
}

/** A journal row as people may see it: everything but the signed transaction. */
export type ChainTransactionView = Omit<ChainTransaction, 'signed_json'>;

/**
 * An order's transactions, oldest first (a delegation before its reclaim),
 * without `signed_json`: it never leaves the database for display.
 */
export function listOrderTransactions(db: DbHandle, orderId: string): Promise<ChainTransactionView[]> {
  return db.kysely
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

export async function insertChainTx(db: DbHandle, t: NewChainTx): Promise<void> {
  await db.kysely
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
      created_at: dbNow(db.dialect),
      updated_at: dbNow(db.dialect),
    })
    .execute();
}

export async function updateChainTx(
  db: DbHandle,
  txid: string,
  fields: Omit<Updateable<ChainTransactionsTable>, 'txid' | 'updated_at'>,
): Promise<void> {
  await db.kysely.updateTable('chain_transactions').set({ ...fields, updated_at: dbNow(db.dialect) }).where('txid', '=', txid).execute();
}
