import type { Order } from '../db/orders.js';
import type { WaitReason } from '../domain/order-reasons.js';
import type { EngineContext } from './context.js';

/** What one step of an order's execution decided. */
export type Step =
  /** Progress made: run the next step now. */
  | { next: Order }
  /** Nothing to do until later: release the lease and come back in `retryInMs`. */
  | { wait: { retryInMs: number; reason: WaitReason | null } }
  /** Nothing left to do for this order (terminal, or moved on). */
  | { done: Order };

/** One status's step: what a worker holding the order does next. */
export type StepFn = (ctx: EngineContext, held: Order) => Promise<Step>;

export const next = (order: Order): Step => ({ next: order });
export const wait = (retryInMs: number, reason: WaitReason | null): Step => ({ wait: { retryInMs, reason } });
export const done = (order: Order): Step => ({ done: order });
