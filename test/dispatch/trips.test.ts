import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_BATCH, tripsFor, type PendingReclaim } from '../../src/dispatch/queue-dispatch.js';

const wakes = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);
const reclaims = (n: number): PendingReclaim[] => Array.from({ length: n }, (_, i) => ({ orderId: `r${i}`, jobId: `reclaim-r${i}`, delay: i }));

test('when a turn asks for no more than a trip carries, then it goes in one trip', () => {
  const w = wakes(MAX_BATCH - 3);
  const r = reclaims(3);
  assert.deepEqual(tripsFor(w, r), [{ wakes: w, reclaims: r }]);
});

test('when a turn asks for more than a trip carries, then each trip carries at most MAX_BATCH, wake-ups first, and every one goes once, in order', () => {
  for (const [nw, nr] of [[MAX_BATCH + 1, 0], [0, 2 * MAX_BATCH + 7], [700, 400], [MAX_BATCH, 1]] as const) {
    const w = wakes(nw);
    const r = reclaims(nr);
    const trips = tripsFor(w, r);
    assert.equal(trips.length, Math.ceil((nw + nr) / MAX_BATCH), `${nw} wake-ups and ${nr} reclaims`);
    for (const t of trips) assert.ok(t.wakes.length + t.reclaims.length <= MAX_BATCH);
    assert.deepEqual(trips.flatMap((t) => t.wakes), w);
    assert.deepEqual(trips.flatMap((t) => t.reclaims), r);
    // A trip carries reclaims only once every wake-up has gone.
    const firstWithReclaims = trips.findIndex((t) => t.reclaims.length > 0);
    if (firstWithReclaims >= 0) for (const t of trips.slice(firstWithReclaims + 1)) assert.equal(t.wakes.length, 0);
  }
});
