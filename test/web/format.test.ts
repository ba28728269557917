import assert from 'node:assert/strict';
import { test } from 'node:test';
import { short, span, trx } from '../../web/src/format.js';

test('TRX is shown exactly from sun, past the range of a float', () => {
  assert.equal(trx('1'), '0.000001');
  assert.equal(trx('2080000'), '2.08');
  assert.equal(trx('-2080000'), '-2.08');
  assert.equal(trx('0'), '0');
  assert.equal(trx('123456789012345678'), '123,456,789,012.345678');
  assert.equal(trx(null), '—');
});

test('durations and long ids read at a glance', () => {
  assert.equal(span(850), '850 ms');
  assert.equal(span(12_400), '12.4 s');
  assert.equal(span(192_000), '3.2 min');
  assert.equal(span(null), '—');
  assert.equal(short('TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX'), 'TS8yE1…i1EX');
  assert.equal(short('short'), 'short');
});
