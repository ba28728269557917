import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linePath, lonePoints, niceCeiling, runs } from '../../web/src/chart.js';

const x = (i: number) => i * 10;
const y = (v: number) => v;

test('a line joins neighbouring minutes only: a minute without a value breaks it', () => {
  const values = [5, 6, null, null, 7, 8, 9, null, 4];
  assert.deepEqual(
    runs(values).map((r) => r.map((p) => p.i)),
    [[0, 1], [4, 5, 6], [8]],
  );
  assert.equal(linePath(values, x, y), 'M0.0,5.0 L10.0,6.0 M40.0,7.0 L50.0,8.0 L60.0,9.0 M80.0,4.0');
  assert.deepEqual(lonePoints(values), [{ i: 8, v: 4 }]);
});

test('no value at all draws nothing; every minute with one draws one line', () => {
  assert.equal(linePath([null, null], x, y), '');
  assert.equal(linePath([1, 2, 3], x, y), 'M0.0,1.0 L10.0,2.0 L20.0,3.0');
  assert.deepEqual(lonePoints([1, 2, 3]), []);
});

test('an axis of counts ends on a round number at or above the largest', () => {
  assert.deepEqual([0, 1, 2, 3, 7, 10, 11, 40, 120].map(niceCeiling), [1, 1, 2, 5, 10, 10, 20, 50, 200]);
});
