/**
 * Rental durations are written `<n><unit>` with unit s, m, h or d ("1h",
 * "30d", "30s" for tests). Canonical text is what operators configured.
 */
const UNIT_SECONDS = { s: 1n, m: 60n, h: 3600n, d: 86_400n } as const;
const DURATION_RE = /^([1-9][0-9]{0,6})([smhd])$/;

export interface Duration {
  /** As written in ALLOWED_DURATIONS, e.g. "1h". */
  readonly text: string;
  readonly seconds: bigint;
}

/** Parses "1h" -> {text: "1h", seconds: 3600n}; null if the syntax is wrong. */
export function parseDuration(text: string): Duration | null {
  const m = DURATION_RE.exec(text);
  if (!m) return null;
  const unit = m[2] as keyof typeof UNIT_SECONDS;
  return { text, seconds: BigInt(m[1]!) * UNIT_SECONDS[unit] };
}

export const SECONDS_PER_DAY = UNIT_SECONDS.d;

/** Hours as the replaced system reported them (fractional for sub-hour test durations). */
export function durationHours(seconds: bigint): number {
  return Number(seconds) / 3600;
}
