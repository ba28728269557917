// Chain time between blocks: the head block's timestamp plus the share of its
// 3 s slot the wall clock has run through, so it moves 30x the clock on
// 100 ms blocks and agrees with every block timestamp the node reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainTimeNow } from '../../src/devnet/chain-clock.js';

test('chain time runs from the head block at 3 s a block interval, never past the next block, and stands still without an interval', () => {
  const head = 1_000_000;
  const producedAt = 5_000;
  assert.equal(chainTimeNow(head, producedAt, 100, producedAt), head);
  assert.equal(chainTimeNow(head, producedAt, 100, producedAt + 50), head + 1500);
  assert.equal(chainTimeNow(head, producedAt, 100, producedAt + 500), head + 3000, 'a late block: it waits at the next slot');
  assert.equal(chainTimeNow(head, producedAt, 3000, producedAt + 1200), head + 1200, 'mainnet timing: the wall clock');
  assert.equal(chainTimeNow(head, producedAt, 0, producedAt + 60_000), head, 'blocks on request');
});
