/**
 * Exponential backoff with equal jitter: the wait is `base × 2^attempt`,
 * capped at `capMs`, and the delay a random point in its upper half (from
 * half the wait to all of it, never shorter: "full" jitter would pick from
 * zero). Retries that started together (many orders, many processes after
 * one outage) spread out instead of arriving in step, and each retry still
 * waits at least as long as the one before could have.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
