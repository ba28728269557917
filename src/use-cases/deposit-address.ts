import type { HDKey } from '@scure/bip32';
import type { DbHandle } from '../db/connect.js';
import { findDepositAddress, insertDepositAddress, nextDerivationIndex, type DepositAddress } from '../db/deposit-addresses.js';
import { ensureUser } from '../db/users.js';
import { depositAddressAt, MAX_DEPOSIT_INDEX } from '../domain/deposit-address.js';

/** Past this many lost races in a row something else is wrong; the caller may simply ask again. */
const MAX_ATTEMPTS = 1000;

/**
 * The user's deposit address, created on first call (with the user, at zero
 * balances, if it does not exist yet). Indexes are handed out one past the
 * highest in use, and written with a conditional insert: when concurrent
 * first calls pick the same index, one wins and the others take the next,
 * so there are neither gaps nor duplicates, on either dialect.
 */
export async function depositAddressFor(db: DbHandle, account: HDKey, userId: bigint): Promise<DepositAddress> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await findDepositAddress(db, userId);
    if (existing) return existing;
    await ensureUser(db, userId);
    const index = await nextDerivationIndex(db);
    if (index > BigInt(MAX_DEPOSIT_INDEX)) throw new Error('every non-hardened deposit index is taken');
    await insertDepositAddress(db, userId, index, depositAddressAt(account, Number(index)));
  }
  throw new Error(`no deposit address for user ${userId} after ${MAX_ATTEMPTS} attempts`);
}
