/**
 * Exponential backoff with full jitter: `base × 2^attempt`, capped at
 * `capMs`, then a random point in its upper half. Retries that started
 * together (many orders, many processes after one outage) spread out
 * instead of arriving in step.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
