// The packed index of the devnet's history: where each settled entry starts.
// Keys are told apart by two hashes and, where both match, by the entry
// itself (the history reads its line), so two keys sharing both hashes are
// still two entries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExtentIndex, hashOfNumber, hashOfString } from '../../src/devnet/extent-index.js';

test('when two keys share both hashes, then each is found by its own entry and a missing one is not', () => {
  const index = new ExtentIndex();
  // The entries' lengths stand for what the history's line would say: 10 is key "x", 20 is key "y".
  const is = (length: number) => (_offset: number, stored: number) => stored === length;
  index.set(7, 9, 100, 10, is(10));
  index.set(7, 9, 200, 20, is(20));
  assert.equal(index.size, 2);
  assert.deepEqual(index.get(7, 9, is(10)), { offset: 100, length: 10 });
  assert.deepEqual(index.get(7, 9, is(20)), { offset: 200, length: 20 });
  assert.equal(index.get(7, 9, is(30)), undefined);
  assert.equal(index.get(7, 10, () => true), undefined);
});

test('when a key is written again, then its later place replaces the earlier and it counts once', () => {
  const index = new ExtentIndex();
  const [a, b] = hashOfString('ab'.repeat(32));
  index.set(a, b, 10, 50, () => true);
  index.set(a, b, 900, 51, () => true);
  assert.equal(index.size, 1);
  assert.deepEqual(index.get(a, b, () => true), { offset: 900, length: 51 });
});

test('when the index grows past its first table, then every entry is still found where it was put', () => {
  const index = new ExtentIndex();
  const before = index.bytes;
  const txIDs = Array.from({ length: 20_000 }, (_, i) => i.toString(16).padStart(64, '0'));
  txIDs.forEach((txID, i) => {
    const [a, b] = hashOfString(txID);
    index.set(a, b, i * 1_000, 100 + (i % 500), () => false);
  });
  // Sequential block numbers, and one past 2^32, in an index of their own.
  const blocks = new ExtentIndex();
  for (const n of [...Array.from({ length: 5_000 }, (_, i) => i), 2 ** 32 + 3]) blocks.set(...hashOfNumber(n), n, 1, () => true);

  assert.equal(index.size, 20_000);
  assert.ok(index.bytes > before);
  // At most 53 bytes an entry: a quarter of what a Map of the txIDs to objects held.
  assert.ok(index.bytes / index.size <= 53, `${index.bytes / index.size} bytes an entry`);
  txIDs.forEach((txID, i) => {
    const [a, b] = hashOfString(txID);
    assert.deepEqual(index.get(a, b, () => true), { offset: i * 1_000, length: 100 + (i % 500) }, txID);
  });
  assert.equal(index.get(...hashOfString('f'.repeat(64)), () => true), undefined);
  assert.deepEqual(blocks.get(...hashOfNumber(4_999), () => true), { offset: 4_999, length: 1 });
  assert.deepEqual(blocks.get(...hashOfNumber(2 ** 32 + 3), () => true), { offset: 2 ** 32 + 3, length: 1 });
  assert.equal(blocks.get(...hashOfNumber(3), () => true)?.offset, 3, 'block 3 and block 2^32 + 3 are two entries');
  assert.equal(blocks.get(...hashOfNumber(5_000), () => true), undefined);
});
