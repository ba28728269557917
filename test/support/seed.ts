import { uuidv7 } from '../../src/db/ids.js';
import type { Db } from '../../src/db/connect.js';
import type { PaidOrder } from '../../src/db/order-placement.js';
import type { OrderStatus } from '../../src/domain/order-status.js';

/**
 * Writes an order row as it would be mid-flight, straight into the table (no
 * debit, no events): for tests that read what the engine leaves behind.
 */
export async function seedOrder(
  db: Db,
  o: {
    status: OrderStatus;
    createdAt: bigint;
    userId?: bigint;
    poolAddress?: string | null;
    delegatedSun?: bigint | null;
    delegatedAt?: bigint | null;
    failedAt?: bigint | null;
    completedAt?: bigint | null;
    cancelledAt?: bigint | null;
  },
): Promise<string> {
  const userId = o.userId ?? 1n;
  await db.kysely
    .insertInto('users')
    .values({ id: userId, balance_sun: 0n, created_at: o.createdAt, updated_at: o.createdAt })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const id = uuidv7(Number(o.createdAt));
  await db.kysely
    .insertInto('orders')
    .values({
      id,
      user_id: userId,
      status: o.status,
      energy_amount: 32_000n,
      duration: '1h',
      duration_seconds: 3600n,
      receive_address: 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX',
      price_sun: 2_080_000n,
      rate_sun_per_energy_day: 65n,
      idempotency_key: null,
      request_hash: 'seeded',
      pool_address: o.poolAddress ?? null,
      delegated_sun: o.delegatedSun ?? null,
      delegate_txid: null,
      reclaim_txid: null,
      lease_owner: null,
      lease_until: null,
      next_attempt_at: null,
      error_code: o.failedAt ? 'no_pool_capacity' : null,
      error_message: null,
      refunded_sun: null,
      created_at: o.createdAt,
      updated_at: o.createdAt,
      delegated_at: o.delegatedAt ?? null,
      expires_at: o.delegatedAt ? o.delegatedAt + 3_600_000n : null,
      reclaimed_at: null,
      completed_at: o.completedAt ?? null,
      failed_at: o.failedAt ?? null,
      cancelled_at: o.cancelledAt ?? null,
      delegate_tx_status: null,
      reclaim_tx_status: null,
      lock_blocks: null,
      wait_reason: null,
    })
    .execute();
  return id;
}

/** A new order of 32,000 energy for 1h, paid from user `userId`'s balance, as placePaidOrder takes it. */
export function paidOrder(userId: number | bigint, extra: Partial<PaidOrder> = {}): PaidOrder {
  return {
    id: uuidv7(),
    user_id: BigInt(userId),
    tenant_id: 'default',
    status: 'pending',
    energy_amount: 32_000n,
    duration: '1h',
    duration_seconds: 3600n,
    receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
    pay_currency: 'TRX',
    price_sun: 2_080_000n,
    rate_sun_per_energy_day: 65n,
    idempotency_key: null,
    request_hash: 'h',
    ...extra,
  };
}
