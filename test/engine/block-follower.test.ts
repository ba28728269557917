import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { advanceCursor, findCursor, holdCursor } from '../../src/db/chain-cursor.js';
import { listOrderTransactions } from '../../src/db/chain-transactions.js';
import { claimOrder, makeOrdersDue, releaseOrder } from '../../src/db/order-leases.js';
import { findOrder } from '../../src/db/orders.js';
import { outcomeOf } from '../../src/engine/block-follower.js';
import { setTenantWebhook } from '../../src/db/webhook-outbox.js';
import { DEFAULT_TENANT } from '../../src/domain/tenant.js';
import { startReceiver } from '../webhooks/receiver.js';
import { describeEachDatabase } from '../support/dialects.js';
import { stackPerTest, startWorker, until } from '../support/stack.js';

const startTestStack = stackPerTest();

interface Calls {
  total: number;
  by_path: Record<string, number>;
}

test('when many orders are in flight, then their transactions are confirmed from the blocks, at most one block read per block and no lookup per transaction', async () => {
  const s = await startTestStack();
  await s.deposit(1, 1_000_000_000n);
  await s.devnetAdmin('DELETE', '/calls');
  const headBefore = s.devnet.headNumber();
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    ids.push((await s.order({ user_id: 1, energy_amount: 32_000 + i, duration: '2s', receive_address: s.customer(i % 3) })).id);
  }
  for (const id of ids) await s.waitFor(id, (o) => o.status === 'completed', 60_000);
  const calls = (await s.devnetAdmin('GET', '/calls')) as Calls;
  const blocks = s.devnet.headNumber() - headBefore;
  assert.equal(calls.by_path['/walletsolidity/gettransactioninfobyid'] ?? 0, 0, 'no transaction looked up by id');
  assert.equal(calls.by_path['/wallet/gettransactioninfobyid'] ?? 0, 0, 'no transaction looked up on the head');
  const blockReads = calls.by_path['/walletsolidity/getblockbylimitnext'] ?? 0;
  assert.ok(blockReads > 0, 'the follower read the blocks');
  assert.ok(blockReads <= blocks + 5, `${blockReads} block reads for ${blocks} blocks and 20 transactions`);
  for (const id of ids) {
    const journal = await listOrderTransactions(s.db, id);
    assert.deepEqual(
      journal.map((j) => [j.kind, j.status]),
      [
        ['delegate', 'confirmed'],
        ['reclaim', 'confirmed'],
      ],
    );
    assert.ok(journal.every((j) => j.block_number !== null && j.confirmed_at !== null), 'each with its block and its time');
  }
});

test('when the worker was down while its delegation landed, then the next one catches up from the cursor in batches of 100 blocks and settles it', async () => {
  // Blocks only on request: nothing lands while we arrange the downtime.
  const s = await startTestStack({ devnet: { blockIntervalMs: 0, solidifyLag: 1 } });
  await s.devnetAdmin('POST', '/mine', { blocks: 2 });
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32_000, duration: '1h', receive_address: s.customer() });
  await s.waitFor(placed.id, (o) => o.status === 'delegating' && o.delegate_tx_status === 'broadcast');
  const cursorBefore = await findCursor(s.db);
  assert.ok(cursorBefore, 'the follower keeps its cursor in the database');
  await s.engine.close();

  // Downtime: the delegation lands, and 250 more blocks go by.
  await s.devnetAdmin('POST', '/mine', { blocks: 251 });
  await s.devnetAdmin('DELETE', '/calls');
  const restarted = startWorker(s, 'after-restart', { chainTimeoutMs: 5000 });
  try {
    const active = await s.waitFor(placed.id, (o) => o.status === 'active');
    const journal = await listOrderTransactions(s.db, placed.id);
    assert.equal(journal.length, 1, 'the same transaction, not a second one');
    assert.equal(journal[0]!.txid, active.delegate_txid);
    const solidHead = s.devnet.headNumber() - 1;
    for (let i = 0; i < 100; i++) {
      if ((await findCursor(s.db))!.block_number === BigInt(solidHead)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cursor = (await findCursor(s.db))!;
    assert.equal(cursor.block_number, BigInt(solidHead), 'caught up to the solidified head');
    assert.equal(cursor.started_at, cursorBefore.started_at, 'the same cursor, carried over the restart');
    const calls = (await s.devnetAdmin('GET', '/calls')) as Calls;
    const reads = calls.by_path['/walletsolidity/getblockbylimitnext'] ?? 0;
    assert.ok(reads >= 3 && reads <= 6, `${reads} block reads for ${solidHead - Number(cursorBefore.block_number)} blocks`);
  } finally {
    await restarted.close();
  }
});

test('when nothing of ours is in flight after a downtime, then the follower still catches up in back-to-back reads, not one batch a minute', async () => {
  const s = await startTestStack({ devnet: { blockIntervalMs: 0, solidifyLag: 1 } });
  await s.devnetAdmin('POST', '/mine', { blocks: 2 });
  await until(() => findCursor(s.db), (c) => c !== undefined, 'the follower never started');
  await s.engine.close();
  const cursorBefore = (await findCursor(s.db))!;
  // Downtime with nothing in flight: deposits and flash payments in these blocks wait for the follower.
  await s.devnetAdmin('POST', '/mine', { blocks: 251 });
  await s.devnetAdmin('DELETE', '/calls');
  // Idle, it reads the chain 20 polls apart: 20 s here. Catching up, it must not wait them between batches.
  const restarted = startWorker(s, 'after-restart', { engine: { confirmPollMs: 1000 }, chainTimeoutMs: 5000 });
  try {
    const solidHead = BigInt(s.devnet.headNumber() - 1);
    await until(() => findCursor(s.db), (c) => c!.block_number === solidHead, 'the follower read one batch an idle interval', 10_000);
    const reads = ((await s.devnetAdmin('GET', '/calls')) as Calls).by_path['/walletsolidity/getblockbylimitnext'] ?? 0;
    assert.ok(reads >= 3 && reads <= 4, `${reads} block reads for ${solidHead - cursorBefore.block_number} blocks`);
  } finally {
    await restarted.close();
  }
});

describeEachDatabase('the block follower\'s cursor', (freshDatabase) => {
  test('one follower at a time: the cursor is held by a lease; another worker takes it only when the lease runs out or is given back', async () => {
    const databaseUrl = await freshDatabase();
    const s = await startTestStack(databaseUrl === undefined ? {} : { databaseUrl });
    // The stack's own worker follows: a second one is refused while its lease runs.
    for (let i = 0; i < 100 && (await findCursor(s.db)) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await findCursor(s.db))!.lease_owner, 'test-worker');
    assert.equal(await holdCursor(s.db, 'second', 60_000), undefined);
    await s.engine.close(); // gives the cursor back
    const taken = await holdCursor(s.db, 'second', 60_000);
    assert.equal(taken?.lease_owner, 'second');
    assert.equal(await holdCursor(s.db, 'third', 60_000), undefined, 'refused while the second holds it');
    // The second stops renewing: a lease of 1 ms runs out at once, and the third takes the cursor over.
    assert.equal((await holdCursor(s.db, 'second', 1))?.lease_owner, 'second');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = { number: taken!.block_number + 1n, timestamp: taken!.block_time + 3000n };
    assert.equal((await holdCursor(s.db, 'third', 60_000))?.lease_owner, 'third', 'taken once the lease ran out');
    assert.equal(await advanceCursor(s.db, 'second', next), false, 'the second may no longer move the cursor');
    assert.equal(await advanceCursor(s.db, 'third', next), true);
    assert.equal((await findCursor(s.db))!.block_number, next.number);
  });
});

describeEachDatabase('activation by the block follower', (freshDatabase) => {
  test('when a block confirms the delegations of orders nobody holds, then the follower moves them to active itself, without claiming them; an order held as its delegation lands is left to its holder, which activates it once it has it', async () => {
    const databaseUrl = await freshDatabase();
    // Blocks only on request; an accepted delegation's backstop (20 polls) well after the block; a
    // sweep every 50 ms, so that an order made due before the follower activates it is claimed.
    const s = await startTestStack({
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
      devnet: { blockIntervalMs: 0, solidifyLag: 1 },
      env: { CONFIRM_POLL_MS: '500', SWEEP_INTERVAL_MS: '50', WEBHOOK_ALLOW_PRIVATE: 'true' },
    });
    const receiver = await startReceiver();
    after(() => receiver.close());
    await setTenantWebhook(s.db, DEFAULT_TENANT, receiver.url, 'whsec_test');
    await s.devnetAdmin('POST', '/mine', { blocks: 2 });
    await s.deposit(1, 1_000_000_000n);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await s.order({ user_id: 1, energy_amount: 32_000, duration: '1h', receive_address: s.customer(i) })).id);
    for (const id of ids) await s.waitFor(id, (o) => o.status === 'delegating' && o.delegate_tx_status === 'broadcast');
    // Another worker holds the third as its delegation lands.
    const heldId = ids[2]!;
    const held = await s.db.transaction(async (tx) => {
      await makeOrdersDue(tx, [heldId]);
      return claimOrder(tx, heldId, 'another-worker', 60_000);
    });
    assert.ok(held, 'the other worker holds the third order');
    const before = await Promise.all(ids.map(async (id) => (await findOrder(s.db, id))!));

    await s.devnetAdmin('POST', '/mine', { blocks: 2 });
    for (const [i, id] of ids.slice(0, 2).entries()) {
      const shown = await s.waitFor(id, (o) => o.status === 'active');
      const row = (await findOrder(s.db, id))!;
      assert.equal(row.lease_version, before[i]!.lease_version, 'activated without a claim');
      assert.equal(row.lease_owner, null, 'given back');
      assert.equal(row.next_attempt_at, row.expires_at, 'due at its expiry');
      assert.equal(row.expires_at! - row.delegated_at!, 3_600_000n, 'an hour from its block');
      assert.equal(row.delegate_tx_status, 'confirmed');
      assert.ok(row.delivered_energy! >= 32_000n, `${row.delivered_energy} energy delivered`);
      const events = await s.db.kysely.selectFrom('order_events').select(['from_status', 'reason', 'actor', 'detail']).where('order_id', '=', id).where('to_status', '=', 'active').execute();
      assert.equal(events.length, 1);
      assert.deepEqual([events[0]!.from_status, events[0]!.reason, events[0]!.actor], ['delegating', 'delegation_confirmed', 'test-worker']);
      assert.equal(JSON.parse(events[0]!.detail!).txid, shown.delegate_txid);
    }
    const stillHeld = (await findOrder(s.db, heldId))!;
    assert.deepEqual([stillHeld.status, stillHeld.lease_owner], ['delegating', 'another-worker'], 'left to its holder');

    // The other worker gives it back meaning to look in a minute; the follower made it due while it
    // was held, so it stays due (retryOnRelease): the engine claims it and activates it as its holder.
    await releaseOrder(s.db, held, 60_000, { retryInMs: 60_000, waitReason: null });
    await s.waitFor(heldId, (o) => o.status === 'active');
    const row = (await findOrder(s.db, heldId))!;
    assert.ok(row.lease_version > held.lease_version, 'claimed by the engine');
    const events = await s.db.kysely.selectFrom('order_events').select(['reason']).where('order_id', '=', heldId).where('to_status', '=', 'active').execute();
    assert.deepEqual(events.map((e) => e.reason), ['delegation_confirmed']);
    for (const id of ids) assert.equal((await listOrderTransactions(s.db, id)).length, 1, 'one delegation each');
    // The operator's receiver hears each order go active once, the order as it was moved.
    const heard = async () => receiver.received.filter((r) => r.json.type === 'order.active').map((r) => r.json.data);
    const active = await until(heard, (list) => list.length >= 3, 'the receiver hears every activation', 10_000);
    assert.deepEqual(active.map((o) => o.id).sort(), [...ids].sort(), 'once each');
    for (const o of active) {
      const row = (await findOrder(s.db, o.id))!;
      assert.deepEqual([o.status, o.delegate_txid, o.expires_at], ['active', row.delegate_txid, new Date(Number(row.expires_at)).toISOString()]);
    }
  });
});

test('a transaction in a solidified block is settled by its result code, else its receipt, and left open when neither says', () => {
  assert.equal(outcomeOf('SUCCESS', undefined), true);
  assert.equal(outcomeOf('OUT_OF_ENERGY', undefined), false, 'the block says it failed');
  assert.equal(outcomeOf(undefined, { success: true }), true);
  assert.equal(outcomeOf('REVERT', { success: false }), false);
  // No code in the block and no receipt from the node yet: not a failure (a failure would be signed again).
  assert.equal(outcomeOf(undefined, undefined), undefined);
});
