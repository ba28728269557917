import type { Db } from './connect.js';
import { claimOrderAndJournal, claimOrdersAndJournals, type ClaimedOrder } from './order-journal.js';
import { TurnBatches, type Settling } from './turn-batches.js';

/**
 * The claim of an order woken on its own (a new order handed to the engine,
 * a wake from the follower or a timer), with what its first step reads
 * (claimOrderAndJournal). On PostgreSQL the claims made in one turn go in one
 * statement: a burst's orders are woken a few at a time (a batch placed,
 * several slots of the engine freed by one batch of acceptances), and each
 * claim alone was the one statement an order still made by itself on its
 * way to `active`, planned and committed alone. A claim in a batch is the
 * claim alone: the same UPDATE of the same row, fenced on the same DUE
 * condition, waiting as it did for a row another statement is writing.
 * SQLite claims each in-process.
 */

/** Claims in one statement at most. */
const MAX_BATCH = 64;
/** Batches in flight at once, each holding one of the pool's connections while it runs. */
const MAX_IN_FLIGHT = 2;

interface Claim extends Settling<ClaimedOrder | undefined> {
  orderId: string;
  owner: string;
  leaseMs: number;
  lockedRentalsToReceiver: boolean;
}

/** Claims share a statement when they lease to the same owner for as long, with the same reading of standings: one engine's. */
const batchKey = (c: Claim): string => `${c.owner} ${c.leaseMs} ${c.lockedRentalsToReceiver}`;

/** PostgreSQL's claims of woken orders, gathered a turn at a time (TurnBatches). */
class ClaimBatches extends TurnBatches<Claim> {
  constructor(private readonly db: Db) {
    super(MAX_IN_FLIGHT);
  }

  claim(orderId: string, owner: string, leaseMs: number, lockedRentalsToReceiver: boolean): Promise<ClaimedOrder | undefined> {
    return new Promise((resolve, reject) => this.enqueue({ orderId, owner, leaseMs, lockedRentalsToReceiver, resolve, reject }));
  }

  /** Each order once: a second wake of one in the same turn goes in another batch, which may run at the same time; one of the two claims it and the other finds it held, as two claims alone would. */
  protected take(): Claim[] {
    return this.takeAlike(batchKey, (c) => c.orderId, MAX_BATCH);
  }

  /** A batch of one is the claim alone; a batch that fails is claimed again one order at a time, each learning its own outcome. */
  protected send(batch: Claim[]): Promise<void> {
    return this.writeOrEachAlone(
      batch,
      async (claims): Promise<Map<string, ClaimedOrder>> => {
        const { owner, leaseMs, lockedRentalsToReceiver } = claims[0]!;
        if (claims.length > 1) return claimOrdersAndJournals(this.db, claims.map((c) => c.orderId), owner, leaseMs, lockedRentalsToReceiver);
        const alone = await claimOrderAndJournal(this.db, claims[0]!.orderId, owner, leaseMs, lockedRentalsToReceiver);
        return new Map(alone === undefined ? [] : [[alone.order.id, alone]]);
      },
      (claims, claimed) => {
        for (const c of claims) c.resolve(claimed.get(c.orderId));
      },
    );
  }
}

const batches = new WeakMap<Db, ClaimBatches>();

/**
 * Claims a woken order (claimOrderAndJournal): undefined when it is not due
 * or someone else holds it. On PostgreSQL it goes with the other claims made
 * in the same turn.
 */
export function claimWokenOrder(db: Db, orderId: string, owner: string, leaseMs: number, lockedRentalsToReceiver: boolean): Promise<ClaimedOrder | undefined> {
  if (db.dialect === 'sqlite') return claimOrderAndJournal(db, orderId, owner, leaseMs, lockedRentalsToReceiver);
  let b = batches.get(db);
  if (b === undefined) batches.set(db, (b = new ClaimBatches(db)));
  return b.claim(orderId, owner, leaseMs, lockedRentalsToReceiver);
}
