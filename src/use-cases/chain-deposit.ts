import type { Db, DbHandle } from '../db/connect.js';
import { creditedChainDeposits, markChainDepositCredited, recordChainDeposit, type ChainDepositRow } from '../db/chain-deposits.js';
import { depositAddressOwners } from '../db/deposit-addresses.js';
import { recordDepositWebhook } from '../db/webhook-outbox.js';
import { creditArrived, insertLedgerEntry, type LedgerEntry } from '../db/users.js';
import { isCurrency } from '../domain/currency.js';

/** A solidified transfer of TRX or USDT (TRC-20) to an address, as the block watcher found it. */
export interface ChainDeposit {
  address: string;
  currency: 'TRX' | 'USDT';
  /** In the currency's smallest unit: sun, or micro-USDT. */
  amount: bigint;
  txid: string;
  /** Which transfer of the transaction: 0 for a TRX transfer, the log index for a TRC-20 Transfer event. */
  eventIndex: number;
  blockNumber: bigint;
  /** Chain time of the block, ms. */
  blockTime: bigint;
}

export type ChainDepositOutcome = 'credited' | 'below_minimum' | 'duplicate' | 'unknown_address';

/** Ledger references of deposits seen on chain; an operator's top-up may not take one (the API refuses the prefix). */
export const CHAIN_REFERENCE_PREFIX = 'chain:';

export const chainDepositReference = (txid: string, eventIndex: number) => `${CHAIN_REFERENCE_PREFIX}${txid}:${eventIndex}`;

/** The txid in a chain deposit's ledger reference; undefined for any other reference. */
function chainDepositTxid(reference: string | null): string | undefined {
  if (reference === null || !reference.startsWith(CHAIN_REFERENCE_PREFIX)) return undefined;
  return reference.slice(CHAIN_REFERENCE_PREFIX.length, reference.lastIndexOf(':'));
}

/**
 * The chain deposits behind these ledger entries, keyed by entry id: where a
 * deposit seen on chain came from (txid, block). One read for a page.
 */
export function chainDepositsBehind(db: DbHandle, entries: readonly LedgerEntry[]): Promise<Map<bigint, ChainDepositRow>> {
  const txids = new Set<string>();
  for (const e of entries) {
    const txid = chainDepositTxid(e.reference);
    if (txid !== undefined) txids.add(txid);
  }
  return creditedChainDeposits(db, [...txids]);
}

/** Which of these addresses are deposit addresses, and whose. */
export function depositOwners(db: DbHandle, addresses: readonly string[]): Promise<Map<string, bigint>> {
  return depositAddressOwners(db, addresses);
}

const isDb = (db: DbHandle): db is Db => typeof (db as Partial<Db>).transaction === 'function';

/**
 * Credits a solidified transfer to a deposit address exactly once, keyed by
 * (txid, eventIndex): a second call with the same key changes nothing and
 * answers 'duplicate'. Below the minimum for its currency it is recorded
 * (with its txid and block) but not credited. In the caller's transaction
 * when given a transaction handle (a DbHandle that is not the Db itself);
 * given the Db, it opens its own.
 *
 * An address that is not a deposit address writes nothing: the watcher
 * may hand over every transfer it sees.
 */
export function creditChainDeposit(db: DbHandle, d: ChainDeposit, minimums: { TRX: bigint; USDT: bigint }): Promise<ChainDepositOutcome> {
  if (!isCurrency(d.currency)) throw new Error(`chain deposit ${d.txid}: unknown currency ${String(d.currency)}`);
  if (d.amount <= 0n) throw new Error(`chain deposit ${d.txid}:${d.eventIndex}: amount must be positive, got ${d.amount}`);
  if (!Number.isSafeInteger(d.eventIndex) || d.eventIndex < 0) throw new Error(`chain deposit ${d.txid}: bad event index ${d.eventIndex}`);
  return isDb(db) ? db.transaction((tx) => credit(tx, d, minimums)) : credit(db, d, minimums);
}

async function credit(tx: DbHandle, d: ChainDeposit, minimums: { TRX: bigint; USDT: bigint }): Promise<ChainDepositOutcome> {
  const userId = (await depositAddressOwners(tx, [d.address])).get(d.address);
  if (userId === undefined) return 'unknown_address';
  // The key is claimed first: whoever records it is the one who may credit it.
  const id = await recordChainDeposit(tx, { ...d, userId });
  if (id === undefined) return 'duplicate';
  if (d.amount < minimums[d.currency]) return 'below_minimum';
  const balance = await creditArrived(tx, userId, d.currency, d.amount);
  if (balance === undefined) throw new Error(`chain deposit ${d.txid}:${d.eventIndex}: user ${userId} does not exist`);
  const entry = await insertLedgerEntry(tx, {
    userId,
    kind: 'deposit',
    currency: d.currency,
    amountSun: d.amount,
    balanceAfterSun: balance,
    reference: chainDepositReference(d.txid, d.eventIndex),
  });
  await markChainDepositCredited(tx, id, entry.id);
  await recordDepositWebhook(tx, entry, { txid: d.txid, eventIndex: d.eventIndex, address: d.address });
  return 'credited';
}
