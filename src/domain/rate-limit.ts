/**
 * Request rate limits per client credential: requests per wall-clock minute,
 * counted in fixed windows (every process's clock must agree to within a
 * second or so: NTP). Pure: the counting itself lives in api/, the shared
 * counts in db/ or dispatch/ (Redis).
 */

export const RATE_WINDOW_MS = 60_000;

/** The start of the window `nowMs` falls in. */
export const windowOf = (nowMs: number): number => nowMs - (nowMs % RATE_WINDOW_MS);

/** Whole seconds until the window `nowMs` falls in ends (at least 1): a refused client may retry then. */
export const retryAfterSeconds = (nowMs: number): number => Math.max(1, Math.ceil((windowOf(nowMs) + RATE_WINDOW_MS - nowMs) / 1000));

/**
 * Requests a process may admit on its own, before the shared count has
 * heard of them: 5 % of the limit (none below 20, where every request asks
 * the shared count first). This bounds what several processes together can
 * admit past the limit in one window.
 */
export const localBudget = (limitPerMin: number): number => Math.floor(limitPerMin / 20);

/** Requests of one credential in one window, to be added to the shared count. */
export interface RateCount {
  credential: string;
  window: number;
  delta: number;
}

/**
 * Where every `api` process's counts meet: the database, or Redis with
 * background tasks on. `add` adds each delta and answers each new total, in
 * the order given; it rejects when the counts cannot be reached.
 */
export interface RateCounts {
  readonly name: 'database' | 'redis';
  add(batch: readonly RateCount[]): Promise<number[]>;
  close(): Promise<void>;
}
