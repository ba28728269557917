import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePositiveInt64, sunToTrx } from '../../src/domain/amounts.js';
import { durationHours, parseDuration } from '../../src/domain/durations.js';
import { billedDays, quote } from '../../src/domain/pricing.js';

test('durations: <n>s|m|h|d, nothing else', () => {
  assert.deepEqual(parseDuration('1h'), { text: '1h', seconds: 3600n });
  assert.deepEqual(parseDuration('30s'), { text: '30s', seconds: 30n });
  assert.deepEqual(parseDuration('30d'), { text: '30d', seconds: 2_592_000n });
  for (const bad of ['', 'h', '0h', '1.5h', '1H', '1w', '01h', ' 1h', '-1h']) assert.equal(parseDuration(bad), null, bad);
  assert.equal(durationHours(5400n), 1.5);
});

test('rentals are billed in whole days, at least one', () => {
  assert.equal(billedDays(30n), 1n);
  assert.equal(billedDays(3600n), 1n);
  assert.equal(billedDays(86_400n), 1n);
  assert.equal(billedDays(86_401n), 2n);
  assert.equal(billedDays(2_592_000n), 30n);
});

test('price = energy * rate * billed days, exact in bigint past 2^53', () => {
  const rates = new Map([['1h', 65n], ['3d', 70n], ['30d', 50n]]);
  assert.equal(quote({ rates }, 32_000n, parseDuration('1h')!).priceSun, 2_080_000n);
  assert.equal(quote({ rates }, 65_000n, parseDuration('3d')!).priceSun, 13_650_000n);
  const big = quote({ rates }, 9_007_199_254_740_993n, parseDuration('30d')!);
  assert.equal(big.priceSun, 9_007_199_254_740_993n * 50n * 30n);
  assert.throws(() => quote({ rates }, 1000n, parseDuration('7d')!));
});

test('sun formats as exact decimal TRX', () => {
  assert.equal(sunToTrx(2_080_000n), '2.08');
  assert.equal(sunToTrx(1_000_000n), '1');
  assert.equal(sunToTrx(1n), '0.000001');
  assert.equal(sunToTrx(0n), '0');
  assert.equal(sunToTrx(-1_500_000n), '-1.5');
  assert.equal(sunToTrx(9_223_372_036_854_775_807n), '9223372036854.775807');
});

test('user ids: positive int64 as number or decimal string; unsafe numbers refused', () => {
  assert.equal(parsePositiveInt64(999888), 999888n);
  assert.equal(parsePositiveInt64('9223372036854775807'), 9_223_372_036_854_775_807n);
  for (const bad of [0, -1, 1.5, 2 ** 53, '9223372036854775808', '0', '01', '1e3', ' 1', true, null, {}]) {
    assert.equal(parsePositiveInt64(bad), null, String(bad));
  }
});
