import { BLOCK_MS } from './energy.js';

/**
 * Cancelling an order: when it may be, and what goes back.
 *
 *   pending (nobody working on it)  -> cancelled, the whole price back
 *   active, its lock run out or none -> reclaimed early, refunded by CANCEL_REFUND_POLICY
 */

/** CANCEL_REFUND_POLICY: what an active order cancelled early gets back. */
export const CANCEL_REFUND_POLICIES = ['none', 'prorata'] as const;
export type CancelRefundPolicy = (typeof CANCEL_REFUND_POLICIES)[number];

/** Why an order cannot be cancelled now: the `reason` of a 409 cancel_not_allowed. */
export const CANCEL_REFUSALS = [
  /** Pending, but a worker holds it right now (it may be signing its delegation): ask again in a moment. */
  'being_processed',
  /** Its delegation is journaled and may land: it can be cancelled once it is active. */
  'delegating',
  /** Active, and the delegation's lock has not run out: `possible_at` says when it will. */
  'locked',
  /** Active, but the rental has already ended: it is being reclaimed anyway. */
  'rental_ended',
  'reclaiming',
  'completed',
  'failed',
] as const;
export type CancelRefusal = (typeof CANCEL_REFUSALS)[number];

/**
 * When a locked delegation lets go, by the clock: the block that holds it
 * (delegated_at) plus lock_blocks blocks of 3 s. Null when it is unlocked.
 * The chain has the last word (a reclaim still waits for the lock on chain).
 */
export function lockEndsAt(delegatedAt: bigint | null, lockBlocks: bigint | null): bigint | null {
  if (lockBlocks === null || delegatedAt === null) return null;
  return delegatedAt + lockBlocks * BLOCK_MS;
}

export interface EarlyCancelRefund {
  policy: CancelRefundPolicy;
  /** Rental time not used: from the reclaim to the rental's end, never below 0 nor above the duration. */
  unusedMs: bigint;
  /** price × unusedMs / duration, rounded down. */
  prorata: bigint;
  /** TRX the pool burnt for the reclaim, taken off a TRX refund. */
  feeSun: bigint;
  /** What goes back: 0 with policy none, else prorata minus the fee, never below 0. */
  refund: bigint;
}

/**
 * The refund of an active order cancelled early, in the currency it was
 * paid in (exact bigint, rounded down):
 *
 *   prorata = price × (expires_at − reclaimed_at) / (duration_seconds × 1000)
 *   refund  = prorata − the reclaim's burnt TRX (TRX orders only), at least 0
 *
 * The fee is in sun, so it is taken only from a refund in TRX: Joule has no
 * TRX/USDT rate at run time. Policy `none` refunds nothing.
 */
export function earlyCancelRefund(input: {
  policy: CancelRefundPolicy;
  price: bigint;
  paidInTrx: boolean;
  durationSeconds: bigint;
  expiresAt: bigint;
  reclaimedAt: bigint;
  reclaimFeeSun: bigint;
}): EarlyCancelRefund {
  const durationMs = input.durationSeconds * 1000n;
  const left = input.expiresAt - input.reclaimedAt;
  const unusedMs = left < 0n ? 0n : left > durationMs ? durationMs : left;
  const prorata = durationMs > 0n ? (input.price * unusedMs) / durationMs : 0n;
  const feeSun = input.paidInTrx && input.reclaimFeeSun > 0n ? input.reclaimFeeSun : 0n;
  const net = prorata - feeSun;
  const refund = input.policy === 'none' || net < 0n ? 0n : net;
  return { policy: input.policy, unusedMs, prorata, feeSun, refund };
}
