import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from '../../src/api/rate-limiter.js';
import type { RateCount, RateCounts } from '../../src/domain/rate-limit.js';
import { createLogger } from '../../src/observability/logger.js';

const log = createLogger('silent');
/** A minute's middle, so no test crosses into the next window. */
const now = () => 30_000;

/** Counts in memory, as Redis or the database keeps them, answering after a turn of the event loop. */
function memoryCounts(): RateCounts & { calls: number } {
  const totals = new Map<string, number>();
  return {
    name: 'database',
    calls: 0,
    async add(batch: readonly RateCount[]) {
      this.calls++;
      await new Promise((r) => setImmediate(r));
      return batch.map((b) => {
        const key = `${b.credential} ${b.window}`;
        totals.set(key, (totals.get(key) ?? 0) + b.delta);
        return totals.get(key)!;
      });
    },
    async close() {},
  };
}

const down: RateCounts = { name: 'redis', add: () => Promise.reject(new Error('down')), close: async () => {} };

/** `n` requests of one credential at once on each limiter; how many were admitted in all. */
async function burst(limiters: RateLimiter[], credential: string, limit: number, n: number): Promise<number> {
  const decisions = await Promise.all(limiters.flatMap((l) => Array.from({ length: n }, () => l.take(credential, limit))));
  return decisions.filter((d) => d.allowed).length;
}

test('when one process takes a burst, then it admits exactly the limit, with few round trips', async () => {
  const counts = memoryCounts();
  const l = new RateLimiter(counts, log, now);
  assert.equal(await burst([l], 'k', 100, 300), 100);
  assert.ok(counts.calls < 100, `${counts.calls} round trips for 300 requests`);
  assert.equal(await burst([l], 'k', 100, 5), 0);
  await l.close();
});

test('when three processes share the counts, then together they admit at most 5 % of the limit each over it', async () => {
  const counts = memoryCounts();
  const ls = [0, 1, 2].map(() => new RateLimiter(counts, log, now));
  for (const limit of [100, 600, 7]) {
    const admitted = await burst(ls, `k${limit}`, limit, limit);
    const bound = limit + 3 * Math.floor(limit / 20);
    assert.ok(admitted >= limit && admitted <= bound, `limit ${limit}: ${admitted} admitted (bound ${bound})`);
  }
  for (const l of ls) await l.close();
});

test('when the counts cannot be reached, then each process limits by its own count, and no request fails', async () => {
  const ls = [new RateLimiter(down, log, now), new RateLimiter(down, log, now)];
  assert.equal(await burst(ls, 'k', 5, 10), 10, 'five in each of two processes');
  assert.equal(await burst(ls, 'k2', 100, 150), 200);
  for (const l of ls) await l.close();
});
