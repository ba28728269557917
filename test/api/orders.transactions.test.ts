import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uuidv7 } from '../../src/db/ids.js';
import { createTestApp } from '../support/app.js';
import { type Stack, stackPerTest } from '../support/stack.js';

const startTestStack = stackPerTest();

const transactionsOf = async (stack: Stack, orderId: string) => {
  const res = await stack.request({ method: 'GET', url: `/api/orders/${orderId}/transactions` });
  assert.equal(res.status, 200);
  assert.doesNotMatch(res.text, /signed_json|raw_data|signature/, 'the signed transaction never leaves the database');
  return res.body;
};

test('when an order runs its course, then its transactions show the delegation confirmed, then the reclaim confirmed, and never the signed transaction', async () => {
  const s = await startTestStack();
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  assert.deepEqual(await transactionsOf(s, placed.id), { order_id: placed.id, transactions: [] });

  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  const whileActive = (await transactionsOf(s, placed.id)).transactions;
  assert.equal(whileActive.length, 1);
  const delegate = whileActive[0];
  assert.equal(delegate.txid, active.delegate_txid);
  assert.equal(delegate.kind, 'delegate');
  assert.equal(delegate.status, 'confirmed');
  assert.equal(delegate.pool_address, active.pool_address);
  assert.equal(delegate.receiver, s.customer());
  assert.equal(delegate.amount_sun, active.delegated_sun);
  assert.equal(delegate.lock_blocks, active.lock_blocks);
  assert.equal(typeof delegate.lock_blocks, 'number');
  assert.ok(Number.isInteger(delegate.broadcasts) && delegate.broadcasts >= 1);
  assert.match(delegate.block_number, /^[0-9]+$/);
  assert.equal(delegate.result_code, null);
  assert.equal(delegate.result_message, null);
  for (const field of ['expiration', 'created_at', 'updated_at', 'confirmed_at']) assert.ok(!Number.isNaN(Date.parse(delegate[field])), field);

  const completed = await s.waitFor(placed.id, (o) => o.status === 'completed');
  const done = (await transactionsOf(s, placed.id)).transactions;
  assert.deepEqual(done.map((t: any) => [t.kind, t.status, t.txid]), [
    ['delegate', 'confirmed', completed.delegate_txid],
    ['reclaim', 'confirmed', completed.reclaim_txid],
  ]);
  assert.equal(done[1].amount_sun, completed.delegated_sun);
  assert.equal(done[1].lock_blocks, null);
  assert.ok(BigInt(done[1].block_number) > BigInt(done[0].block_number));
});

test('when the node refused the first delegation, then both attempts are listed, oldest first, with what the node said', async () => {
  const s = await startTestStack();
  await s.deposit(1, 100_000_000n);
  await s.devnetAdmin('POST', '/faults/fail-broadcast', { count: 1, code: 'TAPOS_ERROR', message: 'Tapos check error.' });
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active', 30_000);
  const { transactions } = await transactionsOf(s, placed.id);
  assert.deepEqual(transactions.map((t: any) => [t.kind, t.status, t.result_code]), [
    ['delegate', 'failed', 'TAPOS_ERROR'],
    ['delegate', 'confirmed', null],
  ]);
  assert.equal(transactions[0].result_message, 'Tapos check error.');
  assert.equal(transactions[0].block_number, null);
  assert.equal(transactions[0].confirmed_at, null);
  assert.equal(transactions[1].txid, active.delegate_txid);
});

test('when the order does not exist or the id is not one, then 404 and 400; with API_KEYS, the key is needed', async () => {
  const t = await createTestApp({ env: { API_KEYS: 'client-key-000000001' } });
  try {
    const key = { authorization: 'Bearer client-key-000000001' };
    const missing = await t.request({ method: 'GET', url: `/api/orders/${uuidv7()}/transactions`, headers: key });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    const bad = await t.request({ method: 'GET', url: '/api/orders/not-an-id/transactions', headers: key });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_order_id');
    const anonymous = await t.request({ method: 'GET', url: `/api/orders/${uuidv7()}/transactions` });
    assert.equal(anonymous.status, 401);
  } finally {
    await t.close();
  }
});
