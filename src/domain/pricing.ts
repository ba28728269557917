import type { Currency } from './currency.js';
import { SECONDS_PER_DAY, type Duration } from './durations.js';
import { AppError } from './errors.js';

/**
 * Prices are quoted the way the energy market quotes them: sun per unit of
 * energy per day, one rate per rental duration (longer rentals are cheaper
 * per day). A rental is billed in whole days, at least one: energy reclaimed
 * early still reduces the receiver's recovered energy for the day, which is
 * why the market charges sub-day rentals a full day's rate.
 *
 *   price_sun = energy_amount * rate_sun_per_energy_day(duration) * billed_days
 *   billed_days = max(1, ceil(duration_seconds / 86400))
 */
export const PRICE_FORMULA =
  'price_sun = energy_amount * rate_sun_per_energy_day(duration) * max(1, ceil(duration_seconds / 86400))';

export interface PriceTable {
  /** Rate in sun per energy per day, keyed by duration text ("1h"). */
  readonly rates: ReadonlyMap<string, bigint>;
}

/** The rate tables per currency, as the configuration holds them. */
export interface Prices extends PriceTable {
  /** Micro-USDT per energy per day; undefined: USDT is not accepted. */
  readonly ratesUsdt?: ReadonlyMap<string, bigint> | undefined;
}

/**
 * The table an order paid in `currency` is priced by; the same formula
 * applies, in that currency's smallest unit. Refuses USDT when no USDT table
 * is set.
 */
export function priceTableFor(prices: Prices, currency: Currency): PriceTable {
  if (currency === 'TRX') return prices;
  if (prices.ratesUsdt === undefined) {
    throw new AppError('currency_not_accepted', 422, 'this Joule does not price orders in USDT (PRICE_TABLE_USDT is not set); pay in TRX');
  }
  return { rates: prices.ratesUsdt };
}

export interface Quote {
  readonly energyAmount: bigint;
  readonly duration: Duration;
  /** In the smallest unit of the table's currency (sun for the TRX table). */
  readonly rateSunPerEnergyDay: bigint;
  readonly billedDays: bigint;
  readonly priceSun: bigint;
}

export function billedDays(seconds: bigint): bigint {
  const days = (seconds + SECONDS_PER_DAY - 1n) / SECONDS_PER_DAY;
  return days < 1n ? 1n : days;
}

/** The caller has already checked that the duration is allowed, hence priced. */
export function quote(table: PriceTable, energyAmount: bigint, duration: Duration): Quote {
  const rate = table.rates.get(duration.text);
  if (rate === undefined) throw new Error(`no rate for duration ${duration.text}`);
  const days = billedDays(duration.seconds);
  return { energyAmount, duration, rateSunPerEnergyDay: rate, billedDays: days, priceSun: energyAmount * rate * days };
}
