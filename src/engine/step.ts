import type { SignedTransaction } from '../chain/gateway.js';
import type { ClaimedOrder } from '../db/order-journal.js';
import type { Order } from '../db/orders.js';
import type { WaitReason } from '../domain/order-reasons.js';
import type { EngineContext } from './context.js';
import type { TransactionMeta } from './journaled-transaction.js';

/**
 * A transaction the step journaled with its order's status change and has
 * not sent yet: the next step's first send of it (journaled-step.ts).
 */
export interface Unsent {
  signed: SignedTransaction;
  meta: TransactionMeta;
}

/** Longest retry backoff after a failed step. */
export const MAX_BACKOFF_MS = 60_000;

/** What one step of an order's execution decided. */
export type Step =
  /** Progress made: run the next step now (`unsent`: with the first send of what this step journaled). */
  | { next: Order; unsent?: Unsent }
  /**
   * Nothing to do until later: release the lease and come back in `retryInMs`.
   * `failed`: this wait follows a failure (a refusal, a pool that cannot pay):
   * it counts as an attempt, and repeated ones back off further.
   */
  | { wait: { retryInMs: number; reason: WaitReason | null; failed: boolean } }
  /**
   * Nothing to do until later, and the step's own write already gave the
   * order back (no lease, its retry time set): the worker releases nothing.
   */
  | { released: { order: Order; retryInMs: number } }
  /** Nothing left to do for this order (terminal, or moved on). */
  | { done: Order };

/**
 * One status's step: what a worker holding the order does next. `claimed`:
 * what the claim read beside the order (ClaimedOrder), for the first step
 * after it only; `unsent`: what the step before it journaled and left to it
 * to send.
 */
export type StepFn = (ctx: EngineContext, held: Order, claimed?: ClaimedOrder, unsent?: Unsent) => Promise<Step>;

export const next = (order: Order, unsent?: Unsent): Step => (unsent === undefined ? { next: order } : { next: order, unsent });
export const wait = (retryInMs: number, reason: WaitReason | null): Step => ({ wait: { retryInMs, reason, failed: false } });
/** A wait after a failure: counted, and backed off from `baseMs` as failures repeat. */
export const retryAfterFailure = (baseMs: number, reason: WaitReason): Step => ({ wait: { retryInMs: baseMs, reason, failed: true } });
export const done = (order: Order): Step => ({ done: order });
export const released = (order: Order, retryInMs: number): Step => ({ released: { order, retryInMs } });
