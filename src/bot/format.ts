import { sunToTrx } from '../domain/amounts.js';

/** Energy as people read it: 65,000. */
export function energyText(amount: number | bigint | string): string {
  return BigInt(amount).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A preset's button: 65K, 1M. */
export function energyShort(amount: number): string {
  if (amount >= 1_000_000 && amount % 100_000 === 0) return `${amount / 1_000_000}M`;
  if (amount >= 1000 && amount % 1000 === 0) return `${amount / 1000}K`;
  return energyText(amount);
}

/**
 * What a user types for an amount of energy: 65000, 65,000, 65 000, 65k,
 * 1.5m. Undefined for anything else (a whole number must come out).
 */
export function parseEnergyInput(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([km]?)$/i.exec(text.trim().replace(/[\s,_]/g, ''));
  if (!m) return undefined;
  // Exactly, in decimal: 1.005m is 1,005,000, which floating point makes 1,004,999.9999999999.
  const zeros = { '': 0, k: 3, m: 6 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
  const [whole, fraction = ''] = m[1]!.split('.') as [string, string?];
  if (fraction.replace(/0+$/, '').length > zeros) return undefined;
  const value = Number(BigInt(whole + fraction.padEnd(zeros, '0').slice(0, zeros)));
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** TXYZ12…89ab: enough to recognise an address on a phone. */
export function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/**
 * An order's id as the bot shows it: its last 8 characters. Its first ones
 * are its time (a UUIDv7's milliseconds), the same for every order placed
 * within a minute or so; its last ones are random.
 */
export const shortId = (id: string): string => id.slice(-8);

/** TRX from a sun string, exactly. */
export const trxOf = (sun: string | bigint): string => sunToTrx(BigInt(sun));

/** 2026-12-01 14:05 (UTC). */
export function timeText(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

