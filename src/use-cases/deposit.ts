import type { Db } from '../db/connect.js';
import { isUniqueViolation } from '../db/errors.js';
import { recordDepositWebhook } from '../db/webhook-outbox.js';
import {
  balanceOf,
  creditDeposit,
  ensureUser,
  findDepositByReference,
  findUser,
  insertLedgerEntry,
  MAX_BALANCE_SUN,
  type Balances,
  type LedgerEntry,
} from '../db/users.js';
import { SMALLEST_UNIT, type Currency } from '../domain/currency.js';
import { AppError, conflict } from '../domain/errors.js';

export interface DepositInput {
  userId: bigint;
  currency: Currency;
  /** In the currency's smallest unit (sun, micro-USDT). */
  amount: bigint;
  /** The operator's own reference for this top-up; the same reference is credited once. */
  reference: string;
}

export interface DepositResult {
  entry: LedgerEntry;
  /** The user's balances right after (or, for a replay, now). */
  balances: Balances;
  created: boolean;
}

const referenceTaken = (existing: LedgerEntry) =>
  conflict('idempotency_conflict', 'this deposit reference was already used for a different deposit', { entry_id: existing.id.toString() });

async function replayOrConflict(db: Db, existing: LedgerEntry, input: DepositInput): Promise<DepositResult> {
  if (existing.user_id !== input.userId || existing.amount_sun !== input.amount || existing.currency !== input.currency) throw referenceTaken(existing);
  const user = await findUser(db, input.userId);
  return { entry: existing, balances: { balance_sun: user?.balance_sun ?? 0n, balance_micro_usdt: user?.balance_micro_usdt ?? 0n }, created: false };
}

/** A deposit asked for: the user's row, or none yet and how to make it. */
export type DepositRequest = Omit<DepositInput, 'userId'> & {
  /** The users row credited; undefined: a user the tenant has never had. */
  userId: bigint | undefined;
  /** Makes that user's row; called only once the reference is known to be free. */
  newUser: () => Promise<bigint>;
};

/**
 * Credits a user's prepaid balance in one currency once per reference,
 * creating the user on first deposit: made only once the reference is known
 * to be free, so a refused deposit leaves no user behind.
 */
export async function deposit(db: Db, wanted: DepositRequest): Promise<DepositResult> {
  const existing = await findDepositByReference(db, wanted.reference);
  if (existing && wanted.userId === undefined) throw referenceTaken(existing);
  const input = { ...wanted, userId: wanted.userId ?? (await wanted.newUser()) };
  if (existing) return replayOrConflict(db, existing, input);
  try {
    return await db.transaction(async (trx) => {
      await ensureUser(trx, input.userId);
      const balances = await creditDeposit(trx, input.userId, input.currency, input.amount);
      if (balances === undefined) {
        throw new AppError(
          'balance_limit_exceeded',
          422,
          `this deposit would take the ${input.currency} balance, with what the user's open orders may still refund, past ${MAX_BALANCE_SUN} ${SMALLEST_UNIT[input.currency]}`,
        );
      }
      const entry = await insertLedgerEntry(trx, {
        userId: input.userId,
        kind: 'deposit',
        currency: input.currency,
        amountSun: input.amount,
        balanceAfterSun: balanceOf(balances, input.currency),
        reference: input.reference,
      });
      await recordDepositWebhook(trx, entry);
      return { entry, balances, created: true };
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      const raced = await findDepositByReference(db, input.reference);
      if (raced) return replayOrConflict(db, raced, input);
    }
    throw err;
  }
}
