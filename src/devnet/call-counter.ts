// How many /wallet and /walletsolidity requests the node has answered, by
// path: what a test reads to see what a client costs a rate-limited node
// (TronGrid counts every request against the key's daily quota). Requests
// the rate limit refused never reached the node: they are counted apart.

/** Distinct paths remembered; a client inventing paths cannot grow the table past this. */
const MAX_PATHS = 1000;
const OTHER = '(other)';

export interface CallCounts {
  total: number;
  by_path: Record<string, number>;
  /** Requests refused by the rate limit (profile `trongrid`), not in `total`. */
  rate_limited: number;
}

export class CallCounter {
  private total = 0;
  private rateLimited = 0;
  private readonly byPath = new Map<string, number>();

  count(path: string): void {
    this.total += 1;
    const key = this.byPath.has(path) || this.byPath.size < MAX_PATHS ? path : OTHER;
    this.byPath.set(key, (this.byPath.get(key) ?? 0) + 1);
  }

  countRateLimited(): void {
    this.rateLimited += 1;
  }

  reset(): void {
    this.total = 0;
    this.rateLimited = 0;
    this.byPath.clear();
  }

  snapshot(): CallCounts {
    const byPath: Record<string, number> = {};
    for (const [path, n] of [...this.byPath].sort(([a], [b]) => a.localeCompare(b))) byPath[path] = n;
    return { total: this.total, by_path: byPath, rate_limited: this.rateLimited };
  }
}
