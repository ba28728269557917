// The response codes of java-tron's broadcasttransaction (api.proto,
// Return.response_code) and the messages Wallet.broadcastTransaction gives
// them. Some prove the transaction can never land; the others say nothing
// about it: java-tron answers NOT_ENOUGH_EFFECTIVE_CONNECTION ("P2P broadcast
// failed.") or OTHER_ERROR after the transaction is already in its pending
// pool, and behind a load balancer any of them can come from one node while
// another already holds the transaction.

/** Codes after which the transaction may still land. */
export const NOT_FINAL_CODES = [
  'NOT_ENOUGH_EFFECTIVE_CONNECTION',
  'SERVER_BUSY',
  'OTHER_ERROR',
  'NO_CONNECTION',
  'BLOCK_UNSOLIDIFIED',
] as const;

export type NotFinalCode = (typeof NOT_FINAL_CODES)[number];

/** What java-tron says when it refuses before the transaction enters its pending pool. */
const REFUSAL_MESSAGES: Readonly<Record<string, string>> = {
  BLOCK_UNSOLIDIFIED: 'Block unsolidified.',
  NO_CONNECTION: 'No connection.',
  NOT_ENOUGH_EFFECTIVE_CONNECTION: 'Effective connection:0 lt minEffectiveConnection:1',
  SERVER_BUSY: 'Server busy.',
  // An exception with no message, as a NullPointerException would give.
  OTHER_ERROR: 'Error: null',
  SIGERROR: 'Validate signature error: sig error',
  CONTRACT_VALIDATE_ERROR: 'Contract validate error : ',
  CONTRACT_EXE_ERROR: 'Contract execute error : ',
  BANDWITH_ERROR: 'Account resource insufficient error.',
  DUP_TRANSACTION_ERROR: 'Dup transaction.',
  TAPOS_ERROR: 'Tapos check error.',
  TRANSACTION_EXPIRATION_ERROR: 'Transaction expired',
};

/** What java-tron says when the transaction is already in its pending pool and relaying it fails. */
const AFTER_POOL_MESSAGES: Readonly<Record<string, string>> = {
  NOT_ENOUGH_EFFECTIVE_CONNECTION: 'P2P broadcast failed.',
};

export function isNotFinalCode(code: string): code is NotFinalCode {
  return (NOT_FINAL_CODES as readonly string[]).includes(code);
}

/** java-tron's message for a refusal with this code. */
export function refusalMessage(code: string): string {
  return REFUSAL_MESSAGES[code] ?? `devnet injected ${code}`;
}

/** java-tron's message for this code answered about a transaction it has pooled. */
export function afterPoolMessage(code: NotFinalCode): string {
  return AFTER_POOL_MESSAGES[code] ?? refusalMessage(code);
}
