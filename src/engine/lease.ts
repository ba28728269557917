import type { DbHandle } from '../db/connect.js';
import { renewLease as renewLeaseRow } from '../db/order-leases.js';
import type { Order } from '../db/orders.js';
import { LeaseLostError } from './errors.js';

/**
 * Extends a held lease before another step, so a pass longer than the lease
 * (slow node calls) keeps its order. Returns the order with its new
 * lease_until; throws LeaseLostError when someone else took it meanwhile.
 */
export async function renewLease(db: DbHandle, held: Order, leaseMs: number): Promise<Order> {
  const leaseUntil = await renewLeaseRow(db, held, leaseMs);
  if (leaseUntil === undefined) throw new LeaseLostError(held.id);
  return { ...held, lease_until: leaseUntil };
}

/** The database clock when the order was claimed: the lease runs from there, so `now` needs no second clock. */
export const claimedAt = (held: Order, leaseMs: number): bigint => held.lease_until! - BigInt(leaseMs);
