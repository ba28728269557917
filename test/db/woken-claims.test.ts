import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { DbHandle } from '../../src/db/connect.js';
import type { ClaimedOrder } from '../../src/db/order-journal.js';
import { claimOrder } from '../../src/db/order-leases.js';
import { listPoolSnapshots } from '../../src/db/pool-snapshots.js';
import { claimWokenOrder } from '../../src/db/woken-claims.js';
import { stepPending } from '../../src/engine/delegate.js';
import { databasesOnDemand } from '../support/dialects.js';
import { placeUndispatched, startStack, until } from '../support/stack.js';

const databaseFor = databasesOnDemand();

/** A claim's answer with the lease's end left out: claims made a moment apart end their leases a moment apart. */
const shown = (c: ClaimedOrder | undefined) => (c === undefined ? undefined : { ...c, order: { ...c.order, lease_until: null } });

/** Undoes this worker's claims of these orders: no lease, the version as before, due as before. */
const unclaim = (db: DbHandle, ids: string[]) =>
  db.kysely
    .updateTable('orders')
    .set((eb) => ({ lease_owner: null, lease_until: null, lease_version: eb('lease_version', '-', 1n) }))
    .where('id', 'in', ids)
    .execute();

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when several orders are woken in one turn, then each is claimed as it would be alone, with what its first step reads: one held elsewhere, one not due and a second wake of one claimed are not claimed`, async (t: TestContext) => {
    const s = await startStack({ ...(await databaseFor(dialect)), env: { SWEEP_INTERVAL_MS: '600000' } });
    t.after(() => s.close());
    await s.deposit(1, 1_000_000_000n);
    const ctx = s.engine.ctx;
    await until(() => listPoolSnapshots(s.db), (pools) => pools.some((p) => p.observed_at !== null), 'the pools read');
    // The test claims the orders itself: the runner would claim them on the follower's wakes.
    await s.engine.runner.close();
    const [pending, heldElsewhere, delegating, notDue, alsoPending] = await Promise.all([0, 1, 2, 3, 4].map(() => placeUndispatched(s, '1h')));
    assert.ok(await claimOrder(s.db, heldElsewhere!.id, 'worker-b', 60_000), 'another worker holds one');
    // One reserved a pool and journaled its delegation (not sent), then was given back due now.
    const claimed = await claimOrder(s.db, delegating!.id, ctx.workerId, 60_000);
    const planned = await stepPending(ctx, claimed!);
    assert.ok('next' in planned && planned.next.delegate_tx_status === 'signed', 'reserved, its delegation journaled');
    await s.db.kysely.updateTable('orders').set({ lease_owner: null, lease_until: null, next_attempt_at: null }).where('id', '=', delegating!.id).execute();
    await s.db.kysely.updateTable('orders').set({ next_attempt_at: 9_999_999_999_999n }).where('id', '=', notDue!.id).execute();

    const woken = [pending!, heldElsewhere!, delegating!, notDue!, alsoPending!, pending!].map((o) => o.id);
    const claimAll = () => Promise.all(woken.map((id) => claimWokenOrder(s.db, id, ctx.workerId, 60_000, ctx.settings.delegateLock)));
    // The two wakes of one order go in two batches, which may run at once: one of them claims it.
    const woke = await claimAll();
    assert.equal([woke[0], woke[5]].filter((c) => c !== undefined).length, 1, 'the order woken twice is claimed once');
    // Laid out as claims made one after the other would answer: the first wake's claim, the second's nothing.
    const together = [woke[0] ?? woke[5], ...woke.slice(1, 5), undefined];
    assert.deepEqual(
      together.map((c) => c?.order.lease_owner),
      [ctx.workerId, undefined, ctx.workerId, undefined, ctx.workerId, undefined],
      'claimed: the due ones nobody held, each once',
    );
    if (dialect === 'postgres') {
      assert.equal(together[0]!.standings!.length > 0, true, 'a pending order comes with its pool standings');
      assert.equal(together[2]!.journal?.txid, planned.next.delegate_txid, 'a delegating one with its journaled delegation');
    }
    // The same claims one at a time, from the same rows: the same answers.
    await unclaim(s.db, [pending!.id, delegating!.id, alsoPending!.id]);
    const alone = [];
    for (const id of woken) alone.push(await claimWokenOrder(s.db, id, ctx.workerId, 60_000, ctx.settings.delegateLock));
    assert.deepEqual(together.map(shown), alone.map(shown));
  });
}
