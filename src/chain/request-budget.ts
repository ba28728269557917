/**
 * One budget for every request this process sends to the node. Operators
 * run on a provider's quota (TronGrid's free key: about 15 requests a second
 * and 100,000 a day, then 403s and a suspension), so requests are paced at
 * TRON_MAX_RPS, one at a time apart (never a burst above the rate in any
 * second), and the ones that move orders go first. When the node answers
 * that the rate was exceeded, the whole budget pauses for as long as the
 * answer asks: every caller waits, instead of each order backing off on its
 * own while the others keep hitting the limit.
 */

/** Who goes first when requests queue: broadcasts and the block follower, then the rest. */
export type RequestPriority = 'high' | 'normal';

/** Longest pause a rate-limit answer can impose; a provider asking for more is asked again after this. */
const MAX_PAUSE_MS = 300_000;

export interface BudgetObserver {
  /** A request had to wait for its turn this long (ms). */
  waited?(ms: number, priority: RequestPriority): void;
}

export class RequestBudget {
  private readonly intervalMs: number;
  /** When the next request may go (performance.now() clock). */
  private nextSlot = 0;
  private pausedUntil = 0;
  private readonly queues: Record<RequestPriority, Array<() => void>> = { high: [], normal: [] };
  private timer: NodeJS.Timeout | undefined;

  /** `ratePerSecond`: Infinity for no limit (a devnet of our own). */
  constructor(
    readonly ratePerSecond: number,
    private readonly observer: BudgetObserver = {},
  ) {
    if (!(ratePerSecond > 0)) throw new Error('ratePerSecond must be positive');
    this.intervalMs = Number.isFinite(ratePerSecond) ? 1000 / ratePerSecond : 0;
  }

  get unlimited(): boolean {
    return this.intervalMs === 0;
  }

  /** Requests waiting for their turn. */
  get waiting(): number {
    return this.queues.high.length + this.queues.normal.length;
  }

  /** Resolves when the caller may send one request. */
  take(priority: RequestPriority = 'normal'): Promise<void> {
    const now = performance.now();
    if (this.waiting === 0 && now >= this.pausedUntil && now >= this.nextSlot) {
      this.nextSlot = now + this.intervalMs;
      return Promise.resolve();
    }
    const queuedAt = now;
    return new Promise((resolve) => {
      this.queues[priority].push(() => {
        this.observer.waited?.(performance.now() - queuedAt, priority);
        resolve();
      });
      this.schedule();
    });
  }

  /** The node said the rate was exceeded: nobody sends for `ms`. */
  pause(ms: number): void {
    const until = performance.now() + Math.min(Math.max(ms, 0), MAX_PAUSE_MS);
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  /** Milliseconds left in a pause (0 when not paused). */
  get pausedForMs(): number {
    return Math.max(0, this.pausedUntil - performance.now());
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waiting === 0) return;
    const at = Math.max(this.nextSlot, this.pausedUntil);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.release();
    }, Math.max(0, at - performance.now()));
  }

  private release(): void {
    const now = performance.now();
    while (this.waiting > 0 && now >= this.pausedUntil && now >= this.nextSlot) {
      const next = (this.queues.high.length > 0 ? this.queues.high : this.queues.normal).shift()!;
      this.nextSlot = Math.max(this.nextSlot, now) + this.intervalMs;
      next();
      // Unlimited: everyone queued behind a pause goes at once.
      if (this.intervalMs > 0) break;
    }
    this.schedule();
  }
}

/**
 * How long a rate-limit answer asks us to wait: its Retry-After header
 * (seconds or an HTTP date), else the "suspended for Ns" TronGrid writes in
 * its body, else 30 s (TronGrid's suspension).
 */
export function pauseAsked(retryAfter: string | undefined, body: string): number {
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  const suspended = /suspended for (\d+(?:\.\d+)?)\s*s/i.exec(body);
  if (suspended) return Number(suspended[1]) * 1000;
  return 30_000;
}
