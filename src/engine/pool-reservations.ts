import type { Order } from '../db/orders.js';
import { TurnBatches, type Settling } from '../db/turn-batches.js';
import type { EngineContext } from './context.js';
import { LeaseLostError } from './errors.js';
import { reservePool, reservePoolTogether, type PoolChoice, type Reserving } from './plan-delegation.js';
import type { Unsent } from './step.js';

/**
 * The reservations of orders that chose the same pool in one turn (a
 * sweeper's batch planned together, its standings read in one statement),
 * made together on PostgreSQL: one transaction under the pool's lock, one
 * statement for their moves, events and journal rows, where each order took
 * a lock and a statement of its own. The room is checked for them all at
 * once; when it is not there for all, or the statement fails (a txid
 * another order journaled first), each is made again alone, as before, and
 * learns its own outcome. SQLite, in-process, reserves each alone.
 */

/** Reservations in one statement at most. */
const MAX_BATCH = 64;
/** Batches in flight at once: two on one pool wait for each other on its lock. */
const MAX_IN_FLIGHT = 2;

interface Waiting extends Reserving, Settling<Order | undefined> {}

class PoolReservations extends TurnBatches<Waiting> {
  constructor(private readonly ctx: EngineContext) {
    super(MAX_IN_FLIGHT);
  }

  reserve(held: Order, choice: PoolChoice, delegation: Unsent): Promise<Order | undefined> {
    return new Promise((resolve, reject) => this.enqueue({ held, choice, delegation, resolve, reject }));
  }

  /** The oldest reservation's pool, each order once. */
  protected take(): Waiting[] {
    return this.takeAlike(
      (w) => w.choice.pool.address,
      (w) => w.held.id,
      MAX_BATCH,
    );
  }

  protected send(batch: Waiting[]): Promise<void> {
    return this.writeOrEachAlone(
      batch,
      async (b) => (b.length === 1 ? [await reservePool(this.ctx, b[0]!.held, b[0]!.choice, b[0]!.delegation)] : reservePoolTogether(this.ctx, b)),
      async (b, written) => {
        if (written === undefined) {
          // No room for them all: each alone takes what room there is, in the order they came.
          for (const w of b) await reservePool(this.ctx, w.held, w.choice, w.delegation).then(w.resolve, w.reject);
          return;
        }
        // Alone, undefined is no room (a lost lease throws); together, a lost lease is its error.
        b.forEach((w, i) => {
          const outcome = written[i];
          if (outcome instanceof LeaseLostError) w.reject(outcome);
          else w.resolve(outcome);
        });
      },
    );
  }
}

const reservations = new WeakMap<EngineContext, PoolReservations>();

/**
 * pending -> delegating on the chosen pool, with the delegation signed for
 * its room (reservePool): on PostgreSQL together with the orders that
 * reserve on the same pool in the same turn. Undefined when the room went
 * to someone else meanwhile; LeaseLostError when the lease was lost.
 */
export function reserveRoom(ctx: EngineContext, held: Order, choice: PoolChoice, delegation: Unsent): Promise<Order | undefined> {
  if (ctx.db.dialect === 'sqlite') return reservePool(ctx, held, choice, delegation);
  let r = reservations.get(ctx);
  if (r === undefined) reservations.set(ctx, (r = new PoolReservations(ctx)));
  return r.reserve(held, choice, delegation);
}
