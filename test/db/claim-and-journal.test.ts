import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { test, type TestContext } from 'node:test';
import { findChainTx, insertChainTx } from '../../src/db/chain-transactions.js';
import type { DbHandle } from '../../src/db/connect.js';
import { claimOrderAndJournal } from '../../src/db/order-journal.js';
import { findOrder } from '../../src/db/orders.js';
import { findPoolSnapshot, listPoolSnapshots } from '../../src/db/pool-snapshots.js';
import { stepDelegating, stepPending } from '../../src/engine/delegate.js';
import type { Step } from '../../src/engine/step.js';
import { databasesOnDemand } from '../support/dialects.js';
import { placeUndispatched, startStack, until } from '../support/stack.js';

const databaseFor = databasesOnDemand();

/** Gives the order back, due now, as a worker's release would after a step. */
const giveBack = (db: DbHandle, orderId: string) =>
  db.kysely.updateTable('orders').set({ lease_owner: null, lease_until: null, next_attempt_at: null }).where('id', '=', orderId).execute();

const held = (step: Step) => {
  assert.ok('next' in step, `the step moved the order on (${JSON.stringify(step, (_, v) => (typeof v === 'bigint' ? String(v) : v))})`);
  return step.next;
};

/**
 * A stack whose pools are read, and an order placed on it that the test
 * claims and steps itself (`claim`). The engine's runner would also claim it
 * whenever the follower wakes it, and win it in the moment between a
 * give-back and the test's claim: with the runner closed, the follower's
 * wake-ups go nowhere, and the follower still confirms the delegation.
 */
async function orderSteppedByHand(t: TestContext, dialect: 'sqlite' | 'postgres') {
  const s = await startStack({ ...(await databaseFor(dialect)), env: { SWEEP_INTERVAL_MS: '600000' } });
  t.after(() => s.close());
  await s.deposit(1, 100_000_000n);
  const ctx = s.engine.ctx;
  await until(() => listPoolSnapshots(s.db), (pools) => pools.some((p) => p.observed_at !== null), 'the pools read');
  await s.engine.runner.close();
  const placed = await placeUndispatched(s, '1h');
  const claim = () => claimOrderAndJournal(s.db, placed.id, ctx.workerId, 60_000, ctx.settings.delegateLock);
  return { s, ctx, placed, claim };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when a delegating order is claimed, then it is claimed as claimOrder would, and on PostgreSQL its newest delegation comes with it as the journal holds it, and once confirmed its pool's snapshot`, async (t: TestContext) => {
    const { s, ctx, placed, claim } = await orderSteppedByHand(t, dialect);

    // Pending: nothing journaled, nothing to read.
    const first = await claim();
    assert.ok(first, 'the order is claimed');
    assert.deepEqual(first.order, await findOrder(s.db, placed.id), 'the order as it now reads');
    assert.equal(first.journal, dialect === 'postgres' ? null : undefined);
    assert.equal(await claim(), undefined, 'held: a second claim takes nothing');

    // Delegating, its delegation journaled and sent: the next claim reads it.
    const planned = await stepPending(ctx, first.order, first);
    const delegating = held(planned);
    const sent = await stepDelegating(ctx, delegating, undefined, 'next' in planned ? planned.unsent : undefined);
    assert.ok(!('next' in sent), 'the delegation is sent and the order waits for it');
    await giveBack(s.db, placed.id);
    const woken = await claim();
    assert.ok(woken, 'the order is claimed again');
    assert.equal(woken.order.status, 'delegating');
    assert.deepEqual(woken.order, await findOrder(s.db, placed.id));
    const journaled = await findChainTx(s.db, woken.order.delegate_txid!);
    assert.ok(journaled, 'the delegation is journaled');
    if (dialect === 'postgres') assert.deepEqual(woken.journal, journaled, 'the journal row, column for column');
    else assert.equal(woken.journal, undefined, 'SQLite: the step reads it itself');
    assert.equal(woken.poolSnapshot, undefined, 'not confirmed yet: the pool is not read');

    // Confirmed by the follower: the claim reads it so, and the step activates the order from it.
    await until(() => findChainTx(s.db, journaled.txid), (tx) => tx?.status === 'confirmed', 'the delegation confirmed');
    await giveBack(s.db, placed.id);
    // The pools' reader and the follower's bandwidth charge may write the snapshot meanwhile: the claim's is the one before or after it.
    const before = await findPoolSnapshot(s.db, journaled.pool_address);
    const confirmed = await claim();
    const after = await findPoolSnapshot(s.db, journaled.pool_address);
    assert.ok(confirmed);
    assert.ok(before && after, 'the pool has a snapshot');
    if (dialect === 'postgres') {
      assert.equal(confirmed.journal?.status, 'confirmed');
      assert.ok(
        isDeepStrictEqual(confirmed.poolSnapshot, before) || isDeepStrictEqual(confirmed.poolSnapshot, after),
        'the snapshot of the pool the delegation came from, column for column',
      );
    } else {
      assert.equal(confirmed.poolSnapshot, undefined);
    }
    const activated = await stepDelegating(ctx, confirmed.order, confirmed);
    assert.ok('released' in activated, 'the activation gives the order back until its expiry');
    assert.equal(activated.released.order.status, 'active');
    assert.equal((await findOrder(s.db, placed.id))?.status, 'active');
  });

  test(`[${dialect}] when the database clock stepped back between an order's two delegations, then its step reads the one the order names, not the one journaled at the later time, and signs no third`, async (t: TestContext) => {
    const { s, ctx, placed, claim } = await orderSteppedByHand(t, dialect);
    const first = (await claim())!;
    const planned = await stepPending(ctx, first.order, first);
    const delegating = held(planned);
    await stepDelegating(ctx, delegating, undefined, 'next' in planned ? planned.unsent : undefined);
    const named = (await findOrder(s.db, placed.id))!.delegate_txid!;
    const sent = (await findChainTx(s.db, named))!;
    // An earlier delegation of the order, expired, journaled (as the clock read then) after the one
    // now in flight: what the journal holds when the database's clock stepped back in between.
    const earlier = 'ee'.repeat(32);
    await insertChainTx(s.db, {
      txid: earlier,
      orderId: placed.id,
      paymentTxid: null,
      kind: 'delegate',
      poolAddress: sent.pool_address,
      receiver: sent.receiver,
      amountSun: sent.amount_sun,
      lockBlocks: sent.lock_blocks,
      signedJson: JSON.stringify({ txID: earlier }),
      expiration: sent.expiration,
    });
    await s.db.kysely.updateTable('chain_transactions').set({ status: 'expired', created_at: sent.created_at + 60_000n }).where('txid', '=', earlier).execute();

    await giveBack(s.db, placed.id);
    const woken = (await claim())!;
    if (dialect === 'postgres') assert.equal(woken.journal?.txid, named, 'the claim reads the named delegation');
    await stepDelegating(ctx, woken.order, woken);
    const order = (await findOrder(s.db, placed.id))!;
    assert.equal(order.delegate_txid, named, 'still the delegation in flight');
    const journal = await s.db.kysely.selectFrom('chain_transactions').select('txid').where('order_id', '=', placed.id).execute();
    assert.deepEqual(journal.map((r) => r.txid).sort(), [earlier, named].sort(), 'no third delegation signed');
  });
}
