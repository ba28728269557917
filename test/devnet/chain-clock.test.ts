// Chain time between blocks: the head block's timestamp plus the share of its
// 3 s slot the wall clock has run through, so it moves 30x the clock on
// 100 ms blocks and agrees with every block timestamp the node reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chainTimeNow } from '../../src/devnet/chain-clock.js';
import { startDevnet } from '../../src/devnet/index.js';
import { admin, client } from './tronweb-client.js';

test('chain time runs from the head block at 3 s a block interval, never past the next block, and stands still without an interval', () => {
  const head = 1_000_000;
  const producedAt = 5_000;
  assert.equal(chainTimeNow(head, producedAt, 100, producedAt), head);
  assert.equal(chainTimeNow(head, producedAt, 100, producedAt + 50), head + 1500);
  assert.equal(chainTimeNow(head, producedAt, 100, producedAt + 500), head + 3000, 'a late block: it waits at the next slot');
  assert.equal(chainTimeNow(head, producedAt, 3000, producedAt + 1200), head + 1200, 'mainnet timing: the wall clock');
  assert.equal(chainTimeNow(head, producedAt, 0, producedAt + 60_000), head, 'blocks on request');
});

test('on 100 ms blocks the chain time the limits use lies between the head block timestamps a client reads around it', async () => {
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: 100 });
  try {
    const tw = client(devnet, devnet.accounts.pools[0]!.privateKey);
    for (let i = 0; i < 5; i++) {
      const before = (await tw.trx.getCurrentBlock()).block_header.raw_data.timestamp;
      const { chainTime } = await admin(devnet, 'GET', '/rate-limit');
      const after = (await tw.trx.getCurrentBlock()).block_header.raw_data.timestamp;
      assert.ok(before <= chainTime && chainTime <= after + 3000, `${before} <= ${chainTime} <= ${after} + 3000`);
      await sleep(37);
    }
  } finally {
    await devnet.close();
  }
});
