/**
 * The order lifecycle, declared once. The TypeScript type and the API schema
 * derive from ORDER_STATUSES. The SQL CHECK is a literal copy in a frozen
 * migration (test/db/migrations.frozen.test.ts holds the two equal): a new
 * status needs a migration of its own.
 *
 *   pending -> delegating -> active -> reclaiming -> completed
 *   pending | delegating -> failed (refunded)
 */
export const ORDER_STATUSES = ['pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses in which an order still has work for a worker: the ones with a step in the engine. */
export const WORKING_STATUSES = ['pending', 'delegating', 'active', 'reclaiming'] as const satisfies readonly OrderStatus[];
export type WorkingStatus = (typeof WORKING_STATUSES)[number];

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['delegating', 'failed'],
  delegating: ['active', 'failed'],
  active: ['reclaiming'],
  reclaiming: ['completed'],
  completed: [],
  failed: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => TRANSITIONS[from].includes(to);
