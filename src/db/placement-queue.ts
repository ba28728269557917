import type { Db } from './connect.js';
import type { PaidOrder, Placement } from './order-placement.js';
import { TurnBatches } from './turn-batches.js';

/** An order waiting for its batch, and how its caller learns the outcome. */
export interface Waiting {
  order: PaidOrder;
  actor: string;
  resolve(placement: Placement): void;
  reject(err: unknown): void;
}

/**
 * The orders placed in one turn of the event loop, gathered into batches
 * (TurnBatches) that each dialect writes its own way (placement-batches.ts
 * for PostgreSQL, sqlite-placement-batches.ts). A caller learns its outcome
 * only once its batch has committed.
 */
export abstract class PlacementQueue extends TurnBatches<Waiting> {
  constructor(
    protected readonly db: Db,
    maxInFlight: number,
  ) {
    super(maxInFlight);
  }

  place(order: PaidOrder, actor: string): Promise<Placement> {
    return new Promise((resolve, reject) => this.enqueue({ order, actor, resolve, reject }));
  }
}
