/**
 * What a node's answer to a broadcast says about the transaction's fate.
 * java-tron can answer some failures after the transaction entered its
 * pending pool (Wallet.broadcastTransaction), and a timeout or a 5xx says
 * nothing at all; so a transaction is dead only on an answer that proves it
 * can never land. Everything else leaves it in doubt until the solidified
 * chain passes its expiration.
 */

/** Refusals that prove the transaction can never land: it failed a check every node would make. */
export const DEAD_BROADCAST_CODES = [
  'SIGERROR',
  'CONTRACT_VALIDATE_ERROR',
  'CONTRACT_EXE_ERROR',
  'BANDWITH_ERROR',
  'TAPOS_ERROR',
  'TOO_BIG_TRANSACTION_ERROR',
  'TRANSACTION_EXPIRATION_ERROR',
] as const;

export type BroadcastVerdict =
  /** In the node's pool (accepted, or already known: DUP_TRANSACTION_ERROR). */
  | 'accepted'
  /** Can never land: a new transaction may be signed. */
  | 'dead'
  /** May land or not (NOT_ENOUGH_EFFECTIVE_CONNECTION, SERVER_BUSY, OTHER_ERROR, NO_CONNECTION, any unknown code). */
  | 'in_doubt';

export function judgeBroadcast(outcome: { accepted: true } | { accepted: false; code: string }): BroadcastVerdict {
  if (outcome.accepted || outcome.code === 'DUP_TRANSACTION_ERROR') return 'accepted';
  return (DEAD_BROADCAST_CODES as readonly string[]).includes(outcome.code) ? 'dead' : 'in_doubt';
}
