/**
 * The order lifecycle, declared once. The TypeScript type and the API schema
 * derive from ORDER_STATUSES. The SQL CHECK is a literal copy in a frozen
 * migration (test/db/migrations.frozen.test.ts holds the two equal): a new
 * status needs a migration of its own.
 *
 *   pending -> delegating -> active -> reclaiming -> completed
 *   pending | delegating -> failed (refunded)
 *   delegating -> pending (the pool cannot delegate the stake any more, nothing of ours can land: chosen again)
 *   pending -> cancelled (refunded; use-cases/cancel-order.ts)
 *
 * An active order cancelled early is reclaimed through the same steps
 * (active -> reclaiming, reason cancel_requested) and completes with reason
 * `cancelled`, its `cancelled_at` set and its refund recorded.
 */
export const ORDER_STATUSES = ['pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses in which an order still has work for a worker: the ones with a step in the engine. */
export const WORKING_STATUSES = ['pending', 'delegating', 'active', 'reclaiming'] as const satisfies readonly OrderStatus[];
export type WorkingStatus = (typeof WORKING_STATUSES)[number];

/** Statuses an order never leaves (no transition out): its row keeps its status for good. */
export const FINISHED_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies readonly OrderStatus[];
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['delegating', 'failed', 'cancelled'],
  delegating: ['active', 'failed', 'pending'],
  active: ['reclaiming'],
  reclaiming: ['completed'],
  completed: [],
  failed: [],
  cancelled: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => TRANSITIONS[from].includes(to);
