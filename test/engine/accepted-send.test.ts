import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { claimOrder } from '../../src/db/order-leases.js';
import { findOrder } from '../../src/db/orders.js';
import { findChainTx } from '../../src/db/chain-transactions.js';
import { stepDelegating, stepPending } from '../../src/engine/delegate.js';
import { LeaseLostError } from '../../src/engine/errors.js';
import { orderHolder } from '../../src/engine/journaled-step.js';
import { journalAndBroadcast, type JournalHolder } from '../../src/engine/journaled-transaction.js';
import type { Order } from '../../src/db/orders.js';
import type { DbHandle } from '../../src/db/connect.js';
import { listPoolSnapshots } from '../../src/db/pool-snapshots.js';
import { databasesOnDemand } from '../support/dialects.js';
import { placeUndispatched, startStack, until } from '../support/stack.js';

const databaseFor = databasesOnDemand();

/** Another worker claims the order: its lease and version move on. */
const takeOver = (db: DbHandle, orderId: string) =>
  db.kysely.updateTable('orders').set((eb) => ({ lease_owner: 'worker-b', lease_version: eb('lease_version', '+', 1n) })).where('id', '=', orderId).execute();

/**
 * A stack whose sweeper stays out of the way (the test holds the order
 * itself), with one order claimed by this worker and its pool reserved
 * (delegating): what the delegating step starts from.
 */
async function reservedOrder(t: TestContext, dialect: 'sqlite' | 'postgres') {
  const s = await startStack({ ...(await databaseFor(dialect)), env: { SWEEP_INTERVAL_MS: '600000' } });
  t.after(() => s.close());
  await s.deposit(1, 100_000_000n);
  const ctx = s.engine.ctx;
  await until(() => listPoolSnapshots(s.db), (pools) => pools.some((p) => p.observed_at !== null), 'the pools read');
  const placed = await placeUndispatched(s, '1h');
  const claimed = await claimOrder(s.db, placed.id, ctx.workerId, 60_000);
  assert.ok(claimed, 'the order is claimed');
  const planned = await stepPending(ctx, claimed);
  assert.ok('next' in planned && planned.next.status === 'delegating', `a pool is reserved (${JSON.stringify(planned, (_, v) => (typeof v === 'bigint' ? String(v) : v))})`);
  const held = planned.next;
  const pool = ctx.pools.find((p) => p.address === held.pool_address)!;
  const meta = { pool: pool.address, receiver: held.receive_address, amountSun: held.delegated_sun!, lockBlocks: held.lock_blocks };
  return { s, ctx, held, meta, sign: () => ctx.chain.buildDelegate(pool, held.receive_address, held.delegated_sun!, held.lock_blocks) };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when another worker takes the order while the node accepts its delegation, then the journal still records the send and the first holder learns its lease is lost`, async (t: TestContext) => {
    const { s, ctx, held, meta, sign } = await reservedOrder(t, dialect);
    const signed = await sign();

    // Recording the node's acceptance is the holder's last write: just before it, another worker claims the order.
    const takenOverBeforeAcceptance = (h: JournalHolder<Order>): JournalHolder<Order> => ({
      ...h,
      async journal(db, row) {
        return takenOverBeforeAcceptance(await h.journal(db, row));
      },
      async accepted(db, txid) {
        await takeOver(db, held.id);
        return h.accepted(db, txid);
      },
    });
    await assert.rejects(journalAndBroadcast(ctx, takenOverBeforeAcceptance(orderHolder(ctx, held, 'delegate')), signed, meta), LeaseLostError);

    const journaled = await findChainTx(s.db, signed.txid);
    assert.equal(journaled?.status, 'broadcast', 'the journal says the node accepted it');
    assert.equal(journaled?.broadcasts, 1n, 'and counts the send');
    const order = await findOrder(s.db, held.id);
    assert.equal(order?.lease_owner, 'worker-b');
    assert.equal(order?.delegate_txid, signed.txid, 'the journal entry is the order’s');
    assert.equal(order?.delegate_tx_status, 'signed', 'the first holder wrote nothing after losing the lease');
    assert.ok((await s.chainTxs('DelegateResourceContract')).some((t) => t.txID === signed.txid), 'the node has the delegation');
  });

  test(`[${dialect}] when another worker takes the order just before its signed delegation is journaled, then neither the journal row nor the order's txid is written, and nothing is sent`, async (t: TestContext) => {
    const { s, ctx, held, meta, sign } = await reservedOrder(t, dialect);
    const signed = await sign();
    const holder = orderHolder(ctx, held, 'delegate');
    const takenOverBeforeJournal: JournalHolder<Order> = {
      ...holder,
      async journal(db, row) {
        await takeOver(db, held.id);
        return holder.journal(db, row);
      },
    };
    await assert.rejects(journalAndBroadcast(ctx, takenOverBeforeJournal, signed, meta), LeaseLostError);

    assert.equal(await findChainTx(s.db, signed.txid), undefined, 'no journal row');
    const order = await findOrder(s.db, held.id);
    assert.equal(order?.lease_owner, 'worker-b');
    assert.equal(order?.delegate_txid, null, 'the order names no transaction');
    assert.ok(!(await s.chainTxs('DelegateResourceContract')).some((t) => t.txID === signed.txid), 'the node never got it');
  });

  test(`[${dialect}] when the node accepts the delegation, then the write that records it also gives the order back to wait for the chain`, async (t: TestContext) => {
    const { s, ctx, held } = await reservedOrder(t, dialect);

    const step = await stepDelegating(ctx, held);
    assert.ok('released' in step, `the step gave the order back itself (${Object.keys(step).join()})`);
    const order = (await findOrder(s.db, held.id))!;
    assert.equal(order.delegate_tx_status, 'broadcast');
    assert.equal(order.lease_owner, null);
    assert.equal(order.lease_until, null);
    assert.equal(order.wait_reason, 'awaiting_confirmation');
    assert.equal(order.lease_version, held.lease_version, 'given back, not claimed again');
    assert.equal((await findChainTx(s.db, order.delegate_txid!))?.status, 'broadcast');
    // Due again at the backstop, or at once if the follower has seen it land meanwhile.
    const now = BigInt(Date.now());
    assert.ok(order.next_attempt_at !== null && order.next_attempt_at <= now + BigInt(step.released.retryInMs) + 1000n, `due by the backstop: ${order.next_attempt_at}`);
  });
}
