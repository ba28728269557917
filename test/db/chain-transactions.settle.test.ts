// The block follower settles every row of ours a batch of blocks holds at
// once (one statement on PostgreSQL): each row only while its outcome is
// open, a confirmed one with its block and time, a failed one with its block
// and message.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { findChainTx, insertChainTx, settleFromBlocks, updateOpenChainTx } from '../../src/db/chain-transactions.js';
import { describeEachDialect } from '../support/dialects.js';
import { SEED_ADDRESS, type TestApp } from '../support/app.js';

const journal = (t: TestApp, orderId: string, txid: string) =>
  insertChainTx(t.db, {
    txid,
    orderId,
    paymentTxid: null,
    kind: 'delegate',
    poolAddress: 'TPool',
    receiver: 'TReceiver',
    amountSun: 1_000_000n,
    lockBlocks: null,
    signedJson: '{}',
    expiration: 1_000n,
  });

describeEachDialect('journal rows settled from blocks', (newApp) => {
  let t: TestApp;
  let orderId: string;
  beforeEach(async () => {
    t = await newApp();
    await t.deposit(1, 100_000_000n);
    const placed = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
    assert.equal(placed.status, 201);
    orderId = placed.body.id;
  });
  afterEach(() => t.close());

  test('when a batch of blocks holds three of our rows, one already settled, then the two open ones are written and named, and the settled one keeps its outcome', async () => {
    for (const txid of ['aa', 'bb', 'cc']) await journal(t, orderId, txid);
    await updateOpenChainTx(t.db, 'cc', { status: 'expired' });

    const written = await settleFromBlocks(t.db, [
      { txid: 'aa', status: 'confirmed', blockNumber: 41n, blockTime: 123_000n, failure: null },
      { txid: 'bb', status: 'failed', blockNumber: 42n, blockTime: 126_000n, failure: 'REVERT opcode executed' },
      { txid: 'cc', status: 'confirmed', blockNumber: 42n, blockTime: 126_000n, failure: null },
    ]);

    assert.deepEqual([...written].sort(), ['aa', 'bb']);
    const [aa, bb, cc] = await Promise.all(['aa', 'bb', 'cc'].map((txid) => findChainTx(t.db, txid)));
    assert.deepEqual([aa!.status, aa!.block_number, aa!.confirmed_at, aa!.result_message], ['confirmed', 41n, 123_000n, null]);
    assert.deepEqual([bb!.status, bb!.block_number, bb!.confirmed_at, bb!.result_message], ['failed', 42n, null, 'REVERT opcode executed']);
    assert.deepEqual([cc!.status, cc!.block_number], ['expired', null], 'whoever came first stands');
    assert.deepEqual(await settleFromBlocks(t.db, []), new Set(), 'an empty batch writes nothing');
  });
});
