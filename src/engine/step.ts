import type { Order } from '../db/orders.js';

/** What one step of an order's execution decided. */
export type Step =
  /** Progress made: run the next step now. */
  | { next: Order }
  /** Nothing to do until later: release the lease and come back in `retryInMs`. */
  | { wait: { retryInMs: number; reason: string | null } }
  /** Nothing left to do for this order (terminal, or moved on). */
  | { done: Order };

export const next = (order: Order): Step => ({ next: order });
export const wait = (retryInMs: number, reason: string | null): Step => ({ wait: { retryInMs, reason } });
export const done = (order: Order): Step => ({ done: order });
