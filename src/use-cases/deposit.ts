import type { Db } from '../db/connect.js';
import { isUniqueViolation } from '../db/errors.js';
import {
  creditDeposit,
  ensureUser,
  findDepositByReference,
  findUser,
  insertLedgerEntry,
  MAX_BALANCE_SUN,
  type LedgerEntry,
} from '../db/users.js';
import { AppError, conflict } from '../domain/errors.js';

export interface DepositInput {
  userId: bigint;
  amountSun: bigint;
  /** The operator's own reference for this top-up; the same reference is credited once. */
  reference: string;
}

export interface DepositResult {
  entry: LedgerEntry;
  balanceSun: bigint;
  created: boolean;
}

async function replayOrConflict(db: Db, existing: LedgerEntry, input: DepositInput): Promise<DepositResult> {
  if (existing.user_id !== input.userId || existing.amount_sun !== input.amountSun) {
    throw conflict('idempotency_conflict', 'this deposit reference was already used for a different deposit', {
      entry_id: existing.id.toString(),
    });
  }
  const user = await findUser(db, input.userId);
  return { entry: existing, balanceSun: user?.balance_sun ?? 0n, created: false };
}

/** Credits a user's prepaid balance once per reference, creating the user on first deposit. */
export async function deposit(db: Db, input: DepositInput): Promise<DepositResult> {
  const existing = await findDepositByReference(db, input.reference);
  if (existing) return replayOrConflict(db, existing, input);
  try {
    return await db.transaction(async (trx) => {
      await ensureUser(trx, input.userId);
      const balance = await creditDeposit(trx, input.userId, input.amountSun);
      if (balance === undefined) {
        throw new AppError(
          'balance_limit_exceeded',
          422,
          `this deposit would take the balance, with what the user's open orders may still refund, past ${MAX_BALANCE_SUN} sun`,
        );
      }
      const entry = await insertLedgerEntry(trx, {
        userId: input.userId,
        kind: 'deposit',
        amountSun: input.amountSun,
        balanceAfterSun: balance,
        reference: input.reference,
      });
      return { entry, balanceSun: balance, created: true };
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      const raced = await findDepositByReference(db, input.reference);
      if (raced) return replayOrConflict(db, raced, input);
    }
    throw err;
  }
}
