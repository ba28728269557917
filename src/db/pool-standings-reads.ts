import type { Db } from './connect.js';
import { listPoolStandings, listPoolStandingsForEach, type PoolStanding } from './orders.js';
import { TurnBatches, type Settling } from './turn-batches.js';

/**
 * The pool choice's read (listPoolStandings), gathered on PostgreSQL: the
 * orders that plan together (a batch the sweeper claimed, its first eight
 * started in one turn) read the standings in one statement. Each read
 * still starts after its caller asked: a caller that asks while a read is
 * on its way waits for the next, never takes an older answer. The
 * reservation checks the room again under the pool's lock, however the
 * standings were read.
 */

/** Orders in one read at most. */
const MAX_BATCH = 64;
/** Reads in flight at once, each holding one of the pool's connections while it runs. */
const MAX_IN_FLIGHT = 2;

interface Ask extends Settling<PoolStanding[]> {
  receiver: string | null;
  exceptOrder: string;
}

class PoolStandingsReads extends TurnBatches<Ask> {
  constructor(private readonly db: Db) {
    super(MAX_IN_FLIGHT);
  }

  read(receiver: string | null, exceptOrder: string): Promise<PoolStanding[]> {
    return new Promise((resolve, reject) => this.enqueue({ receiver, exceptOrder, resolve, reject }));
  }

  protected take(): Ask[] {
    return this.queue.splice(0, MAX_BATCH);
  }

  protected async send(batch: Ask[]): Promise<void> {
    try {
      const standings = await listPoolStandingsForEach(this.db, batch);
      for (const ask of batch) ask.resolve(standings.get(ask.exceptOrder) ?? []);
    } catch (err) {
      for (const ask of batch) ask.reject(err);
    }
  }
}

const reads = new WeakMap<Db, PoolStandingsReads>();

/**
 * Every pool's standing for an order's choice (listPoolStandings: `receiver`
 * null asks for no locked rentals, `exceptOrder` is not counted among them).
 * SQLite reads it in-process, at once.
 */
export function readPoolStandings(db: Db, receiver: string | null, exceptOrder: string): Promise<PoolStanding[]> {
  if (db.dialect === 'sqlite') return listPoolStandings(db, receiver, exceptOrder);
  let r = reads.get(db);
  if (r === undefined) reads.set(db, (r = new PoolStandingsReads(db)));
  return r.read(receiver, exceptOrder);
}
