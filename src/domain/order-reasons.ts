/**
 * Why an order waits, why it failed, and why it moved: declared once, beside
 * ORDER_STATUSES. The engine writes only these; the API schema documents them
 * and the dashboard labels each one (a test holds it to that).
 */

/** An order that failed with one of these was refunded: certainly nothing of it landed or can land. */
export const FAILURE_CODES = [
  'receiver_not_activated',
  'receiver_is_contract',
  'no_pool_capacity',
  'delegation_refused',
  'pool_removed',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** Why a working order is not moving right now (`orders.wait_reason`). */
export const WAIT_REASONS = [
  'waiting_for_pool_capacity',
  'awaiting_confirmation',
  'awaiting_reclaim_confirmation',
  'lock_not_expired',
  /**
   * A node said the delegation to reclaim is no longer on chain: looked at
   * again, on the solidified view too, before the order is completed without
   * a reclaim (a node behind the others has not seen it yet).
   */
  'delegation_not_seen',
  'reclaim_pool_key_missing',
  /** The pool has neither bandwidth nor TRX left to pay for the transaction; retried with backoff. */
  'pool_cannot_pay_fee',
  'chain_unavailable',
  /** Another order journaled a byte-identical transaction first; this one is built again. */
  'txid_clash',
  /** An unexpected error; the step is retried with backoff and the error is logged. */
  'internal_error',
  /** An alert: the reclaim has failed RECLAIM_ALERT_AFTER times in a row and keeps being retried. */
  'reclaim_retrying',
  /** A flash-rent refund is on its way to the payer. */
  'awaiting_refund_confirmation',
  /** FLASH_RENT_ADDRESS is not among the pools (any more): nothing can sign the refund. */
  'flash_key_missing',
] as const;

/**
 * The node refused a first broadcast; the wait reason carries its code,
 * `delegation_refused:CONTRACT_VALIDATE_ERROR`.
 */
export const REFUSAL_PREFIXES = ['delegation_refused', 'reclaim_refused', 'refund_refused'] as const;
export type RefusalPrefix = (typeof REFUSAL_PREFIXES)[number];

export type WaitReason = (typeof WAIT_REASONS)[number] | `${RefusalPrefix}:${string}`;

export const refusedWith = (prefix: RefusalPrefix, nodeCode: string): WaitReason => `${prefix}:${nodeCode}`;

/** Why an order changed status (`order_events.reason`): a step of the lifecycle, or a failure code. */
export const TRANSITION_REASONS = [
  'created',
  'pool_selected',
  /**
   * delegating -> pending: the pool cannot delegate the reserved stake any more (moved outside Joule), or
   * cannot pay for the delegation (BANDWITH_ERROR), nothing of ours on the way; the order chooses again.
   */
  'pool_short',
  'delegation_confirmed',
  'rental_expired',
  'reclaim_confirmed',
  'already_reclaimed',
  /** active -> reclaiming before the rental's end: the customer or the operator cancelled it. */
  'cancel_requested',
  /** pending -> cancelled, and reclaiming -> completed after an early cancel: refunded (see domain/cancel.ts). */
  'cancelled',
] as const;
export type TransitionReason = (typeof TRANSITION_REASONS)[number] | FailureCode;

/** After this many failed reclaim attempts in a row the order shows the alert `reclaim_retrying`. */
export const RECLAIM_ALERT_AFTER = 5;
