import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs } from '../../src/domain/backoff.js';
import { WEBHOOK_MAX_BACKOFF_MS } from '../../src/domain/webhook-events.js';

/** Many draws of one attempt's delay: the jitter is random, so its range is checked over enough of them to reach both ends. */
function draws(attempt: number, baseMs: number, capMs: number, n = 2000): number[] {
  return Array.from({ length: n }, () => backoffMs(attempt, baseMs, capMs));
}

test('the wait doubles with each attempt, and the delay is a whole number of ms in its upper half (equal jitter), reaching near both ends', () => {
  const base = 10_000;
  for (let attempt = 0; attempt <= 8; attempt++) {
    const wait = base * 2 ** attempt;
    const got = draws(attempt, base, WEBHOOK_MAX_BACKOFF_MS);
    for (const d of got) {
      assert.ok(Number.isInteger(d), `attempt ${attempt}: ${d} is not whole ms`);
      assert.ok(d >= wait / 2 && d <= wait, `attempt ${attempt}: ${d} outside [${wait / 2}, ${wait}]`);
    }
    // Spread over the whole upper half, not stuck at one point: within 5 % of each end.
    assert.ok(Math.min(...got) < wait / 2 + wait * 0.05, `attempt ${attempt}: lowest ${Math.min(...got)}`);
    assert.ok(Math.max(...got) > wait - wait * 0.05, `attempt ${attempt}: highest ${Math.max(...got)}`);
    assert.ok(new Set(got).size > 100, `attempt ${attempt}: only ${new Set(got).size} distinct delays`);
  }
});

test('each retry waits at least as long as the one before could have: the shortest delay of attempt n+1 is the longest of attempt n', () => {
  const base = 50;
  let longestBefore = 0;
  for (let attempt = 0; attempt <= 15; attempt++) {
    const got = draws(attempt, base, 1_000_000_000, 500);
    assert.ok(Math.min(...got) >= longestBefore, `attempt ${attempt}: ${Math.min(...got)} < ${longestBefore}`);
    longestBefore = base * 2 ** attempt;
  }
});

test('the cap holds: past it every delay is between half the cap and the cap, however many attempts, and a negative attempt counts as the first', () => {
  const base = 10_000;
  const cap = WEBHOOK_MAX_BACKOFF_MS;
  // 10 s × 2^9 = 85 min: the first attempt past an hour.
  for (const attempt of [9, 10, 30, 31, 1000, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
    const got = draws(attempt, base, cap, 500);
    for (const d of got) assert.ok(d >= cap / 2 && d <= cap, `attempt ${attempt}: ${d} outside [${cap / 2}, ${cap}]`);
    assert.ok(Math.min(...got) < cap * 0.55 && Math.max(...got) > cap * 0.95, `attempt ${attempt}: jitter still spans the capped wait`);
  }
  for (const d of draws(-5, base, cap, 200)) assert.ok(d >= base / 2 && d <= base, `attempt -5: ${d}`);
  // A cap below the base wins too.
  for (const d of draws(0, 10_000, 1000, 200)) assert.ok(d >= 500 && d <= 1000, `cap below the base: ${d}`);
});
