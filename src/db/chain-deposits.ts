import type { Selectable } from 'kysely';
import type { Currency } from '../domain/currency.js';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import type { ChainDepositsTable } from './schema.js';

export type ChainDepositRow = Selectable<ChainDepositsTable>;

export interface NewChainDeposit {
  txid: string;
  eventIndex: number;
  address: string;
  userId: bigint;
  currency: Currency;
  amount: bigint;
  blockNumber: bigint;
  blockTime: bigint;
}

/**
 * Records a transfer as not (yet) credited, unless its (txid, event index)
 * is already recorded. Returns the new row's id, or undefined for a
 * duplicate. On PostgreSQL a concurrent insert of the same key waits for the
 * first transaction and then finds it: the key is claimed exactly once.
 */
export async function recordChainDeposit(db: DbHandle, d: NewChainDeposit): Promise<bigint | undefined> {
  const row = await db.kysely
    .insertInto('chain_deposits')
    .values({
      txid: d.txid,
      event_index: BigInt(d.eventIndex),
      address: d.address,
      user_id: d.userId,
      currency: d.currency,
      amount: d.amount,
      block_number: d.blockNumber,
      block_time: d.blockTime,
      credited: 0n,
      ledger_entry_id: null,
      created_at: dbNow(db.dialect),
    })
    .onConflict((oc) => oc.columns(['txid', 'event_index']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

export async function markChainDepositCredited(db: DbHandle, id: bigint, ledgerEntryId: bigint): Promise<void> {
  await db.kysely.updateTable('chain_deposits').set({ credited: 1n, ledger_entry_id: ledgerEntryId }).where('id', '=', id).execute();
}

export function findChainDeposit(db: DbHandle, txid: string, eventIndex: number): Promise<ChainDepositRow | undefined> {
  return db.kysely
    .selectFrom('chain_deposits')
    .selectAll()
    .where('txid', '=', txid)
    .where('event_index', '=', BigInt(eventIndex))
    .executeTakeFirst();
}

/** The credited deposits of these transactions, keyed by their ledger entry's id (one read, by the txid index). */
export async function creditedChainDeposits(db: DbHandle, txids: readonly string[]): Promise<Map<bigint, ChainDepositRow>> {
  if (txids.length === 0) return new Map();
  const rows = await db.kysely.selectFrom('chain_deposits').selectAll().where('txid', 'in', txids).where('ledger_entry_id', 'is not', null).execute();
  return new Map(rows.map((r) => [r.ledger_entry_id!, r]));
}
