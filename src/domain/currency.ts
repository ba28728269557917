/**
 * What a balance is held in and an order paid with. Every amount is an
 * integer in the currency's smallest unit: sun for TRX (10^-6 TRX), and
 * micro-USDT for USDT (10^-6 USDT, the TRC-20 token's own 6 decimals). Both
 * have six decimals, so one formatter writes either as a decimal string.
 */
export const CURRENCIES = ['TRX', 'USDT'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** One of something per currency, made by `make` (e.g. a statement for each balance column). */
export const byCurrency = <T>(make: (currency: Currency) => T): Record<Currency, T> =>
  Object.fromEntries(CURRENCIES.map((c) => [c, make(c)])) as Record<Currency, T>;

export const isCurrency = (value: unknown): value is Currency => (CURRENCIES as readonly unknown[]).includes(value);

/** The smallest unit's name, for messages and the API reference. */
export const SMALLEST_UNIT: Readonly<Record<Currency, string>> = { TRX: 'sun', USDT: 'micro-USDT' };

/**
 * Highest balance deposits may bring a user to, in the currency's smallest
 * unit, counting what the user's open orders may still refund: far below
 * int64, so no sum of entries can overflow. No price may pass it either.
 */
export const MAX_BALANCE = 1_000_000_000_000_000_000n;

/**
 * What an order gave back, as the API's order view and the webhooks' order
 * data both name it: `refunded` in the order's own currency's smallest unit,
 * `refunded_sun` (its older name, which says sun) only for an order paid in
 * TRX.
 */
export const refundFields = (refunded: bigint | null, payCurrency: string): { refunded: string | null; refunded_sun: string | null } => ({
  refunded: refunded === null ? null : refunded.toString(),
  refunded_sun: refunded === null || payCurrency !== 'TRX' ? null : refunded.toString(),
});
