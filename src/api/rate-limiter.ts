import { localBudget, retryAfterSeconds, windowOf, type RateCounts } from '../domain/rate-limit.js';
import type { Logger } from '../observability/logger.js';

/** How often this process adds what it admitted on its own to the shared counts. */
export const SYNC_MS = 250;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in this window, as this process sees it. */
  remaining: number;
  /** When refused: seconds until the window ends. */
  retryAfterSeconds: number;
}

interface Waiter {
  limit: number;
  resolve(d: RateDecision): void;
}

/** One credential in one window, as this process knows it. */
interface Entry {
  credential: string;
  window: number;
  /** The shared total as the counts last answered it. */
  known: number;
  /** Admitted here and being added to the shared counts now. */
  inflight: number;
  /** Admitted here and not yet sent. */
  unsynced: number;
  /** Requests that wait for the shared counts' answer. */
  waiters: Waiter[];
}

/**
 * Requests per credential per wall-clock minute, shared by every api process
 * through `counts` (the database, or Redis), without a round trip on most
 * requests:
 *
 * - a credential whose window is full, as this process knows it, is refused
 *   here (a window's count only grows, so "full" is never stale);
 * - otherwise a request is admitted here while fewer than `localBudget`
 *   (5 % of the limit) of this process's admissions are unknown to the
 *   counts, and added to them within SYNC_MS, many credentials in one batch;
 * - past that (and always below a limit of 20), it waits for the next batch
 *   (sent at once) and is admitted only if the new total is within the limit.
 *
 * So one process is exact, and N processes together admit at most
 * N × 5 % of the limit past it in a window. When the counts cannot be
 * reached, the limiter fails open to a per-process limit: each process
 * admits up to the limit by its own count (never a 5xx), and adds what it
 * admitted once they answer again.
 */
export class RateLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  private flushing = false;
  private again = false;
  /** The last batch failed: decide here, without waiting, until one succeeds. */
  private failing = false;

  constructor(
    private readonly counts: RateCounts,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.flush(), SYNC_MS);
    this.timer.unref();
  }

  get store(): RateCounts['name'] {
    return this.counts.name;
  }

  /** Counts one request of `credential` against `limit` a minute. */
  take(credential: string, limit: number): RateDecision | Promise<RateDecision> {
    const now = this.now();
    const window = windowOf(now);
    const key = `${window} ${credential}`;
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { credential, window, known: 0, inflight: 0, unsynced: 0, waiters: [] };
      this.entries.set(key, e);
    }
    const used = e.known + e.inflight + e.unsynced;
    if (used >= limit) return refused(limit, now);
    if (this.failing || e.inflight + e.unsynced < localBudget(limit)) {
      e.unsynced++;
      return admitted(limit, limit - used - 1);
    }
    const entry = e;
    return new Promise((resolve) => {
      entry.waiters.push({ limit, resolve });
      void this.flush();
    });
  }

  /** Sends what this process admitted (and what waits) to the counts; one batch in flight at a time. */
  private async flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.again = false;
        await this.sendBatch();
      } while (this.again);
    } finally {
      this.flushing = false;
    }
  }

  private async sendBatch(): Promise<void> {
    const current = windowOf(this.now());
    const batch: Array<{ e: Entry; waiters: Waiter[] }> = [];
    for (const [key, e] of this.entries) {
      if (e.unsynced === 0 && e.waiters.length === 0) {
        if (e.window < current) this.entries.delete(key);
        continue;
      }
      // The counts failed last time: nobody waits on them again (a frozen Redis delays one batch, not every one).
      if (this.failing) for (const w of e.waiters.splice(0)) w.resolve(this.local(e, w.limit));
      batch.push({ e, waiters: e.waiters });
      e.waiters = [];
      e.inflight = e.unsynced;
      e.unsynced = 0;
    }
    if (batch.length === 0) return;
    let totals: number[];
    try {
      totals = await this.counts.add(batch.map(({ e, waiters }) => ({ credential: e.credential, window: e.window, delta: e.inflight + waiters.length })));
    } catch (err) {
      if (!this.failing) {
        this.failing = true;
        this.log.warn(
          { store: this.counts.name, err: (err as Error).message },
          'rate-limit counts cannot be reached: each api process now limits on its own count until they answer again',
        );
      }
      for (const { e, waiters } of batch) {
        e.unsynced += e.inflight;
        e.inflight = 0;
        for (const w of waiters) w.resolve(this.local(e, w.limit));
      }
      return;
    }
    if (this.failing) {
      this.failing = false;
      this.log.info({ store: this.counts.name }, 'rate-limit counts answer again: limits are shared by every api process');
    }
    const now = this.now();
    batch.forEach(({ e, waiters }, i) => {
      const total = totals[i]!;
      e.inflight = 0;
      e.known = Math.max(e.known, total);
      // This batch's own admissions were counted first, then its waiters in arrival order.
      let position = total - waiters.length;
      for (const w of waiters) {
        position++;
        w.resolve(position <= w.limit ? admitted(w.limit, w.limit - position) : refused(w.limit, now));
      }
    });
  }

  /** A decision by this process's own count (the shared counts did not answer). */
  private local(e: Entry, limit: number): RateDecision {
    const used = e.known + e.inflight + e.unsynced;
    if (used >= limit) return refused(limit, this.now());
    e.unsynced++;
    return admitted(limit, limit - used - 1);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    // What is left is sent once; a process going away does not wait on a store that does not answer.
    await this.flush().catch(() => {});
    await this.counts.close();
  }
}

const admitted = (limit: number, remaining: number): RateDecision => ({ allowed: true, limit, remaining: Math.max(0, remaining), retryAfterSeconds: 0 });
const refused = (limit: number, now: number): RateDecision => ({ allowed: false, limit, remaining: 0, retryAfterSeconds: retryAfterSeconds(now) });
