import type { Db } from '../db/connect.js';
import { countSavedAddresses, findSavedAddress, upsertSavedAddress, wantReceiverRead } from '../db/saved-addresses.js';
import { ensureUser, lockUser } from '../db/users.js';
import { AppError } from '../domain/errors.js';

/** Saved addresses a user may keep. */
export const MAX_SAVED_ADDRESSES = 20;

/**
 * Saves a receiver under a label (a saved one gets the new label), creating
 * the user if needed. The count is checked with the user's row held, so two
 * saves at once cannot take a user past the limit. A new address is read
 * for its energy as soon as a worker can.
 */
export async function saveAddress(db: Db, userId: bigint, address: string, label: string): Promise<{ created: boolean }> {
  return db.transaction(async (tx) => {
    await ensureUser(tx, userId);
    await lockUser(tx, userId);
    const existing = await findSavedAddress(tx, userId, address);
    if (existing === undefined && (await countSavedAddresses(tx, userId)) >= MAX_SAVED_ADDRESSES) {
      throw new AppError('too_many_addresses', 409, `a user keeps at most ${MAX_SAVED_ADDRESSES} saved addresses; delete one first`, { limit: MAX_SAVED_ADDRESSES });
    }
    await upsertSavedAddress(tx, userId, address, label);
    if (existing === undefined) await wantReceiverRead(tx, address);
    return { created: existing === undefined };
  });
}
