import { isTronAddress } from './address.js';
import { SUN_PER_TRX } from './amounts.js';
import { parseDuration, type Duration } from './durations.js';

/**
 * Flash rent: pay per order by a TRX transfer. An operator lists offers
 * (`3:65000:1h` = 3 TRX buys 65,000 energy for an hour); a solidified
 * transfer of exactly an offer's amount to the flash-rent address places
 * that order, delivered to the sender or to the address in the transfer's
 * memo. Anything else is given back, minus a fee that pays for the refund.
 */
export interface FlashOffer {
  amountSun: bigint;
  energyAmount: bigint;
  duration: Duration;
}

/** Pay per order by a TRX transfer to an address whose key Joule holds (one of the pools). */
export interface FlashRentTerms {
  /** Where payments go; refunds are sent from it. */
  address: string;
  /** What each exact amount buys, smallest amount first. */
  offers: readonly FlashOffer[];
  /** Kept from every refund (it pays the refund's bandwidth). */
  refundFeeSun: bigint;
}

/** The user flash-rent orders are filed under: 0, which no client can name (client user ids are positive). */
export const FLASH_RENT_USER_ID = 0n;

/** What a payment becomes. */
export type FlashDecision =
  | { kind: 'order'; offer: FlashOffer; receiver: string }
  | { kind: 'refund'; reason: FlashRefundReason; refundSun: bigint }
  /** Too small to give anything back (at most the refund fee): recorded, nothing sent. */
  | { kind: 'keep'; reason: FlashRefundReason };

export const FLASH_REFUND_REASONS = ['flash_amount_not_listed', 'flash_memo_not_an_address'] as const;
export type FlashRefundReason = (typeof FLASH_REFUND_REASONS)[number];

export class FlashTableError extends Error {}

/** Whole TRX with up to 6 decimals ("3", "2.5") in sun; null when it is not one. */
function trxToSun(text: string): bigint | null {
  const m = /^([0-9]{1,12})(?:\.([0-9]{1,6}))?$/.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * SUN_PER_TRX + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/**
 * Parses FLASH_RENT_TABLE: `<TRX>:<energy>:<duration>` entries separated by
 * commas. Every figure positive, every amount listed once (an amount must
 * say which order it buys), the durations among those allowed.
 */
export function parseFlashTable(raw: string, allowed: readonly Duration[], energyRange: { min: bigint; max: bigint }): FlashOffer[] {
  const offers: FlashOffer[] = [];
  for (const entry of raw.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const m = /^([^:\s]+):([0-9]{1,13}):([^:\s]+)$/.exec(entry);
    if (!m) throw new FlashTableError(`"${entry}" is not <TRX>:<energy>:<duration> (e.g. 3:65000:1h)`);
    const amountSun = trxToSun(m[1]!);
    if (amountSun === null || amountSun <= 0n) throw new FlashTableError(`"${entry}": the TRX amount must be a positive number with at most 6 decimals`);
    const energyAmount = BigInt(m[2]!);
    if (energyAmount < energyRange.min || energyAmount > energyRange.max) {
      throw new FlashTableError(`"${entry}": the energy must be within MIN_ENERGY..MAX_ENERGY (${energyRange.min}..${energyRange.max})`);
    }
    const duration = parseDuration(m[3]!);
    const allowedDuration = duration && allowed.find((d) => d.text === duration.text);
    if (!allowedDuration) throw new FlashTableError(`"${entry}": ${m[3]} is not one of ALLOWED_DURATIONS (${allowed.map((d) => d.text).join(', ')})`);
    if (offers.some((o) => o.amountSun === amountSun)) throw new FlashTableError(`the amount ${m[1]} TRX is listed twice`);
    offers.push({ amountSun, energyAmount, duration: allowedDuration });
  }
  if (offers.length === 0) throw new FlashTableError('lists no offer');
  return offers.sort((a, b) => (a.amountSun < b.amountSun ? -1 : 1));
}

/**
 * Decides what a solidified payment of `amountSun` from `sender`, with
 * `memo`, becomes. A memo, once trimmed, is either empty or the receiving
 * address: anything else (a typo, an exchange's note) is refunded rather
 * than delivered to a sender that may be an exchange's hot wallet.
 */
export function decideFlashPayment(offers: readonly FlashOffer[], refundFeeSun: bigint, payment: { amountSun: bigint; sender: string; memo: string | undefined }): FlashDecision {
  const memo = payment.memo?.trim() ?? '';
  const offer = offers.find((o) => o.amountSun === payment.amountSun);
  const reason: FlashRefundReason | undefined = memo !== '' && !isTronAddress(memo) ? 'flash_memo_not_an_address' : offer === undefined ? 'flash_amount_not_listed' : undefined;
  if (reason === undefined) return { kind: 'order', offer: offer!, receiver: memo === '' ? payment.sender : memo };
  const refundSun = payment.amountSun - refundFeeSun;
  return refundSun > 0n ? { kind: 'refund', reason, refundSun } : { kind: 'keep', reason };
}
