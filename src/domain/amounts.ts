/** Sun is TRX's smallest unit: 1 TRX = 1,000,000 sun. Always bigint. */
export const SUN_PER_TRX = 1_000_000n;

/** Exact decimal TRX string for an amount of sun: 1500000n -> "1.5", 2000000n -> "2". */
export function sunToTrx(sun: bigint): string {
  const negative = sun < 0n;
  const abs = negative ? -sun : sun;
  const whole = abs / SUN_PER_TRX;
  const frac = (abs % SUN_PER_TRX).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

export const INT64_MAX = 9_223_372_036_854_775_807n;

/**
 * Parses a strictly positive integer given as a JSON number or a decimal
 * string, up to int64. Numbers past 2^53 cannot have arrived exactly, so they
 * are refused and the caller is told to send a string. Returns null when the
 * value is not acceptable.
 */
export function parsePositiveInt64(value: unknown): bigint | null {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value <= 0) return null;
    return BigInt(value);
  }
  if (typeof value === 'string') {
    if (!/^[1-9][0-9]{0,18}$/.test(value)) return null;
    const n = BigInt(value);
    return n <= INT64_MAX ? n : null;
  }
  return null;
}
