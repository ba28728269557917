/**
 * Per Telegram user: at most `perMinute` actions (commands, taps, typed
 * messages) in a minute's window. The first refusal of a window is said to
 * the user; the rest are dropped without a word, so a flood costs Joule
 * nothing and the chat one line.
 */
import { windowOf } from '../domain/rate-limit.js';

export type LimitVerdict = 'allowed' | 'refused-first' | 'refused';

/** Users remembered at once; past it the oldest windows are dropped (they are over anyway or soon). */
const MAX_USERS = 100_000;

export class UserLimiter {
  private readonly counts = new Map<number, { window: number; count: number }>();

  constructor(private readonly perMinute: number) {}

  take(userId: number, nowMs: number): LimitVerdict {
    const window = windowOf(nowMs);
    const entry = this.counts.get(userId);
    if (entry === undefined || entry.window !== window) {
      if (this.counts.size >= MAX_USERS) this.prune(window);
      this.counts.set(userId, { window, count: 1 });
      return 'allowed';
    }
    entry.count++;
    if (entry.count <= this.perMinute) return 'allowed';
    return entry.count === this.perMinute + 1 ? 'refused-first' : 'refused';
  }

  private prune(window: number): void {
    for (const [user, entry] of this.counts) if (entry.window < window || this.counts.size >= MAX_USERS) this.counts.delete(user);
  }
}

