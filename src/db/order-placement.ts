import type { Db } from './connect.js';
import type { NewOrder, Order } from './orders.js';
import { PlacementBatches } from './placement-batches.js';
import type { PlacementQueue } from './placement-queue.js';
import { SqlitePlacementBatches } from './sqlite-placement-batches.js';

/** An order paid from its user's balance, as placing it writes it. */
export type PaidOrder = NewOrder & { payment_txid?: undefined };

/**
 * Placed; or not, and nothing was written: because an earlier order took its
 * idempotency key (`existing`, that order), or because the balance
 * (undefined: no such user) does not cover the price.
 */
export type Placement =
  | { order: Order; existing?: undefined }
  | { order?: undefined; existing: Order; balance?: undefined }
  | { order?: undefined; existing?: undefined; balance: bigint | undefined };

/**
 * Places a new order paid from a balance, all or nothing: the debit, the
 * order, its ledger entry, its first event and (when its tenant has a
 * webhook URL) order.created; unless an order with its idempotency key
 * exists, which it answers instead (looked up in the same statement or
 * transaction: a replay costs no round trip of its own).
 *
 * The orders placed in one turn of the event loop are written together.
 * SQLite (sqlite-placement-batches.ts): in one unit of the group commit, a
 * statement per table for all of them. PostgreSQL (placement-batches.ts),
 * where every statement is a round trip and each costs the server a wake-up:
 * in one statement.
 */
export function placePaidOrder(db: Db, o: PaidOrder, actor: string): Promise<Placement> {
  return batchesOf(db).place(o, actor);
}

const batches = new WeakMap<Db, PlacementQueue>();

function batchesOf(db: Db): PlacementQueue {
  let b = batches.get(db);
  if (b === undefined) {
    b = db.dialect === 'postgres' ? new PlacementBatches(db) : new SqlitePlacementBatches(db);
    batches.set(db, b);
  }
  return b;
}
