import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { test, type TestContext } from 'node:test';
import { latestChainTx } from '../../src/db/chain-transactions.js';
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

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when a delegating order is claimed, then it is claimed as claimOrder would, and on PostgreSQL its newest delegation comes with it as the journal holds it, and once confirmed its pool's snapshot`, async (t: TestContext) => {
    const s = await startStack({ ...(await databaseFor(dialect)), env: { SWEEP_INTERVAL_MS: '600000' } });
    t.after(() => s.close());
    await s.deposit(1, 100_000_000n);
    const ctx = s.engine.ctx;
    await until(() => listPoolSnapshots(s.db), (pools) => pools.some((p) => p.observed_at !== null), 'the pools read');
    // This test claims and steps the order itself. The engine's runner would also claim it whenever the follower wakes
    // it, and win it in the moment between a give-back and the test's claim: with the runner closed, the follower's
    // wake-ups go nowhere, and the follower still confirms the delegation.
    await s.engine.runner.close();
    const placed = await placeUndispatched(s, '1h');
    const claim = () => claimOrderAndJournal(s.db, placed.id, ctx.workerId, 60_000, ctx.settings.delegateLock);

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
    const journaled = await latestChainTx(s.db, placed.id, 'delegate');
    assert.ok(journaled, 'the delegation is journaled');
    if (dialect === 'postgres') assert.deepEqual(woken.journal, journaled, 'the journal row, column for column');
    else assert.equal(woken.journal, undefined, 'SQLite: the step reads it itself');
    assert.equal(woken.poolSnapshot, undefined, 'not confirmed yet: the pool is not read');

    // Confirmed by the follower: the claim reads it so, and the step activates the order from it.
    await until(() => latestChainTx(s.db, placed.id, 'delegate'), (tx) => tx?.status === 'confirmed', 'the delegation confirmed');
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
}
