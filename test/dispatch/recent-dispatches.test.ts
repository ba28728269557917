import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECENT_DISPATCHES, RecentDispatches } from '../../src/dispatch/recent-dispatches.js';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('when orders are recorded together, then the list shows the newest first, as if each had been recorded on its own', () => {
  const together = new RecentDispatches();
  const oneByOne = new RecentDispatches();
  const first = ids('a', 7);
  const second = ids('b', 30);
  const third = ids('c', 3);
  together.record('x', 'sweeper');
  oneByOne.record('x', 'sweeper');
  for (const batch of [first, second, third]) {
    together.recordAll(batch, 'queue');
    for (const id of batch) oneByOne.record(id, 'queue');
  }
  const shown = together.list();
  assert.equal(shown.length, RECENT_DISPATCHES);
  assert.deepEqual(
    shown.map((d) => d.orderId),
    [...first, ...second, ...third].slice(-RECENT_DISPATCHES).reverse(),
  );
  assert.deepEqual(
    shown.map((d) => [d.orderId, d.path]),
    oneByOne.list().map((d) => [d.orderId, d.path]),
  );
  for (const d of shown) assert.ok(!Number.isNaN(Date.parse(d.at)));
});

test('when fewer orders than the list holds are recorded together, then the earlier ones stay below them', () => {
  const recent = new RecentDispatches();
  recent.record('x', 'in-process');
  recent.recordAll(['a', 'b'], 'queue');
  assert.deepEqual(
    recent.list().map((d) => [d.orderId, d.path]),
    [['b', 'queue'], ['a', 'queue'], ['x', 'in-process']],
  );
  recent.recordAll([], 'queue');
  assert.equal(recent.list().length, 3);
});
