import { hash as digestOf } from 'node:crypto';
import type { Db } from '../db/connect.js';
import { isUniqueViolation } from '../db/errors.js';
import { uuidv7 } from '../db/ids.js';
import { placePaidOrder, type Placement } from '../db/order-placement.js';
import { findOrderByIdempotencyKey, type Order } from '../db/orders.js';
import { SMALLEST_UNIT, type Currency } from '../domain/currency.js';
import type { Duration } from '../domain/durations.js';
import { AppError, conflict } from '../domain/errors.js';
import { priceTableFor, quote, type Prices } from '../domain/pricing.js';

export interface PlaceOrderInput {
  /** The users row that pays; null: a user with none yet (nothing to pay with). */
  userId: bigint | null;
  /** The tenant whose key places it, which owns that user. */
  tenantId: string;
  energyAmount: bigint;
  duration: Duration;
  receiveAddress: string;
  /** What the balance is debited in; TRX when not given. */
  payCurrency?: Currency;
  /** The most the order may cost, in the smallest unit of payCurrency (the price its customer was shown). */
  maxPrice?: bigint;
  /** From the Idempotency-Key header or client_order_id; null when the client sent neither. */
  idempotencyKey: string | null;
}

export interface PlaceOrderResult {
  order: Order;
  /** False when an earlier request with the same key already placed this order. */
  created: boolean;
}

/** orders.request_hash of an order placed without an idempotency key: nothing will ever be compared with it. */
export const NO_REQUEST_HASH = '';

/** What a keyed order's request is compared by: the fields that make it this order. */
export type OrderRequest = Pick<PlaceOrderInput, 'userId' | 'energyAmount' | 'receiveAddress' | 'payCurrency'> & { durationText: string };

function requestHash(i: Omit<OrderRequest, 'durationText'>, durationText: string): string {
  // A TRX order hashes as it did before orders had a currency, so that keys used then still replay.
  const currency = (i.payCurrency ?? 'TRX') === 'TRX' ? '' : `|${i.payCurrency}`;
  // The one-shot hash: a createHash object per order cost more than the hashing (as in domain/address.ts).
  return digestOf('sha256', `${i.userId}|${i.energyAmount}|${durationText}|${i.receiveAddress}${currency}`, 'hex');
}

/**
 * The order an earlier request with this key placed, when `request` is that
 * same request; else undefined. For a keyed request refused before placing:
 * its order may have been placed under the settings of its first try (a
 * duration since withdrawn, a maximum since lowered), and a retry must get
 * that order back, as it would have a moment before, not a refusal that
 * reads as "no order was placed".
 */
export async function earlierOrderFor(db: Db, idempotencyKey: string, request: OrderRequest): Promise<Order | undefined> {
  const existing = await findOrderByIdempotencyKey(db, idempotencyKey);
  return existing !== undefined && existing.request_hash === requestHash(request, request.durationText) ? existing : undefined;
}

function replayOrConflict(existing: Order, hash: string): PlaceOrderResult {
  if (existing.request_hash !== hash) {
    throw conflict('idempotency_conflict', 'this idempotency key was already used for a different order', {
      order_id: existing.id,
    });
  }
  return { order: existing, created: false };
}

/**
 * Prices the order, debits the user's balance and records the order, its
 * ledger entry and its first event all or nothing (placePaidOrder): the
 * order exists exactly when its debit does. A replay of the same idempotency key returns
 * the first order; a reuse of the key for another request is a conflict.
 */
export async function placeOrder(db: Db, prices: Prices, input: PlaceOrderInput): Promise<PlaceOrderResult> {
  // Only a key is ever replayed, so only a keyed order's request is hashed: an
  // order without one stores NO_REQUEST_HASH, and a sha256 an order is saved.
  const hash = input.idempotencyKey === null ? NO_REQUEST_HASH : requestHash(input, input.duration.text);
  // With a user, placing looks the key up itself, in the statement that places the order.
  if (input.idempotencyKey !== null && input.userId === null) {
    const existing = await findOrderByIdempotencyKey(db, input.idempotencyKey);
    if (existing) return replayOrConflict(existing, hash);
  }
  const currency = input.payCurrency ?? 'TRX';
  // In the smallest unit of `currency`, as the order's price_sun and rate columns hold it.
  const { priceSun, rateSunPerEnergyDay } = quote(priceTableFor(prices, currency), input.energyAmount, input.duration);
  // Priced above what its customer agreed to (the operator's prices changed since they were shown): nothing is
  // written. Its key is looked up first, as placing would: an order it placed comes back, and a key already
  // used for another order is that conflict, not this one (a client told "not placed" would place again).
  if (input.maxPrice !== undefined && priceSun > input.maxPrice) {
    const existing = input.idempotencyKey === null || input.userId === null ? undefined : await findOrderByIdempotencyKey(db, input.idempotencyKey);
    if (existing) return replayOrConflict(existing, hash);
    throw conflict('price_above_max', `this order costs ${priceSun} in the smallest unit of ${currency}, above max_price ${input.maxPrice}`, {
      currency,
      price: priceSun.toString(),
      max_price: input.maxPrice.toString(),
      unit: SMALLEST_UNIT[currency],
    });
  }
  const id = uuidv7();
  try {
    const placed: Placement =
      input.userId === null
        ? { balance: undefined }
        : await placePaidOrder(
            db,
            {
              id,
              user_id: input.userId,
              tenant_id: input.tenantId,
              status: 'pending',
              energy_amount: input.energyAmount,
              duration: input.duration.text,
              duration_seconds: input.duration.seconds,
              receive_address: input.receiveAddress,
              pay_currency: currency,
              price_sun: priceSun,
              rate_sun_per_energy_day: rateSunPerEnergyDay,
              idempotency_key: input.idempotencyKey,
              request_hash: hash,
            },
            'api',
          );
    if (placed.existing !== undefined) return replayOrConflict(placed.existing, hash);
    if (placed.order === undefined) {
      const held = placed.balance ?? 0n;
      throw new AppError(
        'insufficient_balance',
        402,
        `the ${currency} balance does not cover the price of this order`,
        currency === 'TRX'
          ? { price_sun: priceSun.toString(), balance_sun: held.toString() }
          : { currency, price: priceSun.toString(), balance: held.toString(), unit: SMALLEST_UNIT[currency] },
      );
    }
    return { order: placed.order, created: true };
  } catch (err) {
    // Two requests with one key raced: the loser's transaction rolled back whole.
    if (input.idempotencyKey !== null && isUniqueViolation(err)) {
      const existing = await findOrderByIdempotencyKey(db, input.idempotencyKey);
      if (existing) return replayOrConflict(existing, hash);
    }
    throw err;
  }
}
