import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { listOrderTransactions } from '../../src/db/chain-transactions.js';
import { findOrder } from '../../src/db/orders.js';
import { stackPerTest } from '../support/stack.js';

const startTestStack = stackPerTest();

/**
 * Each devnet fault mode, injected before an order is placed. Whatever the
 * node does, the order ends active with exactly one delegation on chain.
 */
async function orderThroughFault(fault: string, body: Record<string, unknown>, env: Record<string, string> = {}) {
  const s = await startTestStack({ env });
  await s.deposit(1, 100_000_000n);
  await s.devnetAdmin('POST', `/faults/${fault}`, body);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active', 30_000);
  const included = (await s.chainTxs('DelegateResourceContract')).filter((t) => t.status === 'included');
  assert.equal(included.length, 1, `exactly one delegation landed: ${JSON.stringify(await s.chainTxs())}`);
  assert.equal(included[0].txID, active.delegate_txid, 'the order records the transaction that landed');
  const journal = await listOrderTransactions(s.db, placed.id);
  return { placed, active, journal };
}

test('when the node answers 503 to broadcasts, then the same signed delegation is sent again until it lands', async () => {
  const { journal } = await orderThroughFault('http-error', { status: 503, count: 2, pathPrefix: '/wallet/broadcasttransaction' });
  assert.equal(journal.length, 1, 'no second transaction was signed');
  assert.equal(journal[0]!.status, 'confirmed');
  assert.ok(journal[0]!.broadcasts >= 1n);
});

test('when the broadcast lands but its answer is lost (5xx after processing), then the order settles on that transaction', async () => {
  const { journal } = await orderThroughFault('http-error', { status: 502, count: 1, pathPrefix: '/wallet/broadcasttransaction', when: 'after' });
  assert.equal(journal.length, 1);
  assert.equal(journal[0]!.status, 'confirmed');
});

test('when the node hangs past the client timeout, then the in-doubt delegation is settled, not repeated', async () => {
  const { journal } = await orderThroughFault('hang', { ms: 2500, count: 1, pathPrefix: '/wallet/broadcasttransaction' }, { CHAIN_TIMEOUT_MS: '800' });
  assert.equal(journal.length, 1);
});

test('when an accepted broadcast is dropped, then the same transaction is re-broadcast and lands', async () => {
  const { journal } = await orderThroughFault('drop', { count: 1 });
  assert.equal(journal.length, 1);
  assert.ok(journal[0]!.broadcasts >= 2n, 'sent at least twice');
});

test('when an accepted broadcast is dropped, then the block follower wakes the order to send it again, before its own timer would have looked', async () => {
  // Blocks and polls of 1 s: the chain clock runs 3x, so a transaction lives 20 s, and the timer
  // of an order whose transaction was accepted is 20 polls off.
  const s = await startTestStack({ devnet: { blockIntervalMs: 1000, solidifyLag: 1 }, env: { CONFIRM_POLL_MS: '1000' } });
  await s.deposit(1, 100_000_000n);
  await s.devnetAdmin('POST', '/faults/drop', { count: 1 });
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  await s.waitFor(placed.id, (o) => o.delegate_tx_status === 'broadcast' && o.wait_reason === 'awaiting_confirmation');
  const timer = (await findOrder(s.db, placed.id))!.next_attempt_at!;
  await s.waitFor(placed.id, (o) => o.status === 'active', 30_000);
  const journal = await listOrderTransactions(s.db, placed.id);
  assert.deepEqual(
    journal.map((j) => [j.status, j.broadcasts]),
    [['confirmed', 2n]],
    'the same transaction, sent again',
  );
  const [activated] = await s.db.kysely.selectFrom('order_events').select('at').where('order_id', '=', placed.id).where('to_status', '=', 'active').execute();
  assert.ok(activated!.at < timer, `active ${Number(timer - activated!.at)} ms before the order's timer`);
});

test('when inclusion is slow, then the order waits for it (re-broadcasts are duplicates) and one delegation lands', async () => {
  const { journal } = await orderThroughFault('delay', { blocks: 8, count: 1 });
  assert.equal(journal.length, 1);
});

test('when the node refuses a fresh broadcast with an answer that proves it can never land, then that transaction is dead and a new one is signed', async () => {
  const { journal } = await orderThroughFault('fail-broadcast', { count: 1, code: 'TAPOS_ERROR' });
  assert.deepEqual(journal.map((j) => [j.status, j.result_code]), [
    ['failed', 'TAPOS_ERROR'],
    ['confirmed', null],
  ]);
});

test('when the node answers SERVER_BUSY without pooling the transaction, then it stays in doubt: the same transaction is sent again and lands, no second one is signed', async () => {
  const { journal } = await orderThroughFault('fail-broadcast', { count: 1, code: 'SERVER_BUSY' });
  assert.equal(journal.length, 1, 'no second transaction was signed');
  assert.equal(journal[0]!.status, 'confirmed');
  assert.equal(journal[0]!.result_code, 'SERVER_BUSY', 'the answer is kept in the journal');
  assert.ok(journal[0]!.broadcasts >= 2n, 'sent again');
});

test('when the solidified view answers 5xx for a while, then confirmation waits and completes', async () => {
  const { journal } = await orderThroughFault('http-error', { status: 500, count: 6, pathPrefix: '/walletsolidity' });
  assert.equal(journal.length, 1);
});

test('when every broadcast is dropped until the transaction expires, then only after expiry on the solidified chain is a new one signed', async () => {
  const s = await startTestStack();
  await s.deposit(1, 100_000_000n);
  await s.devnetAdmin('POST', '/faults/drop', {});
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  // Transactions expire 60 s of chain time (20 blocks, ~2 s here) after their reference block.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const journal = await listOrderTransactions(s.db, placed.id);
    if (journal.some((j) => j.status === 'expired')) break;
    assert.ok(journal.length <= 1, 'no second transaction while the first could still land');
    await sleep(50);
  }
  await s.devnetAdmin('POST', '/faults/clear', {});
  const active = await s.waitFor(placed.id, (o) => o.status === 'active', 20_000);
  const journal = await listOrderTransactions(s.db, placed.id);
  const statuses = journal.map((j) => j.status);
  assert.equal(statuses.at(-1), 'confirmed');
  assert.ok(statuses.slice(0, -1).length >= 1 && statuses.slice(0, -1).every((st) => st === 'expired'), statuses.join());
  assert.equal(journal.at(-1)!.txid, active.delegate_txid);
  const included = (await s.chainTxs('DelegateResourceContract')).filter((t) => t.status === 'included');
  assert.equal(included.length, 1);
});

test('when reclaiming keeps failing, then it retries with backoff, shows reclaim_retrying, and completes once the node recovers', async () => {
  const s = await startTestStack({ env: { DELEGATE_LOCK: 'false' } });
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  await s.waitFor(placed.id, (o) => o.status === 'active');
  // Every read of the delegation fails from now on: the reclaim cannot even start.
  await s.devnetAdmin('POST', '/faults/http-error', { status: 503, pathPrefix: '/wallet/getdelegatedresourcev2' });
  const alerting = await s.waitFor(placed.id, (o) => o.wait_reason === 'reclaim_retrying', 30_000);
  assert.ok(['active', 'reclaiming'].includes(alerting.status));
  assert.equal(alerting.refunded_sun, null, 'a reclaim problem never refunds');
  await s.devnetAdmin('POST', '/faults/clear', {});
  const done = await s.waitFor(placed.id, (o) => o.status === 'completed', 30_000);
  assert.equal(done.wait_reason, null);
  assert.equal((await s.chainTxs('UnDelegateResourceContract')).filter((t) => t.status === 'included').length, 1);
});

// java-tron may pool a transaction and then fail to relay it (Wallet.broadcastTransaction): the
// answer is a failure, yet the transaction lands. Signing a second one then would delegate twice.
for (const code of ['NOT_ENOUGH_EFFECTIVE_CONNECTION', 'SERVER_BUSY', 'OTHER_ERROR', 'NO_CONNECTION']) {
  test(`when the node pools the delegation and then answers ${code}, then exactly one delegation lands and nothing is refunded`, async () => {
    const { journal, active } = await orderThroughFault('accept-then-fail', { count: 1, code });
    assert.equal(journal.length, 1, 'no second transaction was signed');
    assert.deepEqual([journal[0]!.status, journal[0]!.result_code], ['confirmed', code]);
    assert.equal(active.refunded_sun, null);
  });
}
