import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { recordHeldOrderAccepted, type GiveBack } from '../../src/db/accepted-sends.js';
import { findChainTx } from '../../src/db/chain-transactions.js';
import { claimOrder } from '../../src/db/order-leases.js';
import { findOrder, type Order } from '../../src/db/orders.js';
import { listPoolSnapshots } from '../../src/db/pool-snapshots.js';
import { stepPending } from '../../src/engine/delegate.js';
import { databasesOnDemand } from '../support/dialects.js';
import { placeUndispatched, startStack, until } from '../support/stack.js';

const databaseFor = databasesOnDemand();

/** A stack whose sweeper stays away, and `n` orders each held by this worker with its delegation journaled, not sent. */
async function journaledOrders(t: TestContext, dialect: 'sqlite' | 'postgres', n: number) {
  const s = await startStack({ ...(await databaseFor(dialect)), env: { SWEEP_INTERVAL_MS: '600000' } });
  t.after(() => s.close());
  await s.deposit(1, 1_000_000_000n);
  const ctx = s.engine.ctx;
  await until(() => listPoolSnapshots(s.db), (pools) => pools.some((p) => p.observed_at !== null), 'the pools read');
  const held: Order[] = [];
  for (let i = 0; i < n; i++) {
    const placed = await placeUndispatched(s, '1h');
    const claimed = await claimOrder(s.db, placed.id, ctx.workerId, 60_000);
    assert.ok(claimed, 'the order is claimed');
    const planned = await stepPending(ctx, claimed);
    assert.ok('next' in planned && planned.next.delegate_tx_status === 'signed', 'reserved, its delegation journaled');
    held.push(planned.next);
  }
  return { s, held };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when the node accepts several orders' delegations at once, then each order's acceptance is recorded as if it were alone: a lost lease or a settled row is that order's only`, async (t: TestContext) => {
    const { s, held } = await journaledOrders(t, dialect, 5);
    const [givenBack, kept, takenOver, settled, alsoGivenBack] = held as [Order, Order, Order, Order, Order];
    const giveBack: GiveBack = { leaseMs: 60_000, retryInMs: 30_000, waitReason: 'awaiting_confirmation' };
    // Another worker took one order; the follower settled another's delegation before its acceptance was recorded.
    await s.db.kysely.updateTable('orders').set((eb) => ({ lease_owner: 'worker-b', lease_version: eb('lease_version', '+', 1n) })).where('id', '=', takenOver.id).execute();
    await s.db.kysely.updateTable('chain_transactions').set({ status: 'confirmed' }).where('txid', '=', settled.delegate_txid!).execute();

    // All in one turn, as a burst's broadcasts are answered.
    const [a, b, c, d, e] = await Promise.all([
      recordHeldOrderAccepted(s.db, givenBack, 'delegate', givenBack.delegate_txid!, giveBack),
      recordHeldOrderAccepted(s.db, kept, 'delegate', kept.delegate_txid!),
      recordHeldOrderAccepted(s.db, takenOver, 'delegate', takenOver.delegate_txid!, giveBack),
      recordHeldOrderAccepted(s.db, settled, 'delegate', settled.delegate_txid!, giveBack),
      recordHeldOrderAccepted(s.db, alsoGivenBack, 'delegate', alsoGivenBack.delegate_txid!, giveBack),
    ]);

    for (const [accepted, order] of [
      [a, givenBack],
      [e, alsoGivenBack],
    ] as const) {
      assert.equal(accepted.open, true);
      assert.deepEqual(
        [accepted.order?.id, accepted.order?.delegate_tx_status, accepted.order?.lease_owner, accepted.order?.wait_reason],
        [order.id, 'broadcast', null, 'awaiting_confirmation'],
        'given back to wait for the chain',
      );
      assert.deepEqual(accepted.order, await findOrder(s.db, order.id), 'answered as written');
    }
    assert.equal(b.open, true);
    assert.deepEqual([b.order?.id, b.order?.delegate_tx_status, b.order?.lease_owner], [kept.id, 'broadcast', kept.lease_owner], 'still held, its copy broadcast');
    assert.deepEqual([c.open, c.order], [true, undefined], 'the lease was lost: nothing of the order written');
    assert.equal((await findOrder(s.db, takenOver.id))?.delegate_tx_status, 'signed');
    assert.deepEqual([d.open, d.order], [false, undefined], 'settled first: the order is not written');
    assert.equal((await findOrder(s.db, settled.id))?.delegate_tx_status, 'signed');

    for (const order of held) {
      const row = await findChainTx(s.db, order.delegate_txid!);
      assert.equal(row?.broadcasts, 1n, `each send counted once (${order.id})`);
      assert.equal(row?.status, order === settled ? 'confirmed' : 'broadcast', 'a settled outcome stands; an open one is broadcast');
    }
  });
}
