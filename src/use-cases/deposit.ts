import type { Db, DbHandle } from '../db/connect.js';
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

/** A deposit asked for: how to find the user's row, and how to make it when there is none yet. */
export type DepositRequest = Omit<DepositInput, 'userId'> & {
  /** The users row credited; undefined: a user the tenant has never had. Asked again after a race. */
  userRow: () => Promise<bigint | undefined>;
  /** Makes that user's row in the deposit's own transaction, so that a refused deposit leaves none. */
  newUser: (tx: DbHandle) => Promise<bigint>;
};

/** Tries of a deposit whose new user raced another transaction making users (a unique key lost). */
const USER_RACE_TRIES = 100;

/**
 * Credits a user's prepaid balance in one currency once per reference,
 * creating the user on first deposit, in the same transaction: a deposit
 * refused (its reference taken, even by a deposit made at the same moment)
 * leaves no user behind.
 */
export async function deposit(db: Db, wanted: DepositRequest): Promise<DepositResult> {
  for (let attempt = 1; ; attempt++) {
    const existing = await findDepositByReference(db, wanted.reference);
    const userId = await wanted.userRow();
    if (existing) {
      if (userId === undefined) throw referenceTaken(existing);
      return replayOrConflict(db, existing, { ...wanted, userId });
    }
    try {
      return await creditOnce(db, wanted, userId);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // The reference was taken meanwhile: its deposit stands, and this one is its replay or a conflict.
      const raced = await findDepositByReference(db, wanted.reference);
      if (raced) {
        const now = userId ?? (await wanted.userRow());
        if (now === undefined) throw referenceTaken(raced);
        return replayOrConflict(db, raced, { ...wanted, userId: now });
      }
      // The new user's row raced another one made at the same moment: all rolled back, tried again.
      if (userId !== undefined || attempt >= USER_RACE_TRIES) throw err;
    }
  }
}

/** The deposit's transaction: the user made if it has no row (`userId` undefined), the balance credited, the entry and its webhook written. */
function creditOnce(db: Db, wanted: DepositRequest, known: bigint | undefined): Promise<DepositResult> {
  return db.transaction(async (trx) => {
    const input = { ...wanted, userId: known ?? (await wanted.newUser(trx)) };
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
}
