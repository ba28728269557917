import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { claimOrder } from '../../src/db/order-leases.js';
import { findOrder } from '../../src/db/orders.js';
import { findChainTx } from '../../src/db/chain-transactions.js';
import { stepDelegating, stepPending } from '../../src/engine/delegate.js';
import { claimedAt } from '../../src/engine/lease.js';
import { choosePool, reservePool } from '../../src/engine/plan-delegation.js';
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
 * itself), with one order placed and claimed by this worker (pending).
 */
async function claimedOrder(t: TestContext, dialect: 'sqlite' | 'postgres') {
  const s = await startStack({ ...(await databaseFor(dialect)), env: { SWEEP_INTERVAL_MS: '600000' } });
  t.after(() => s.close());
  await s.deposit(1, 100_000_000n);
  const ctx = s.engine.ctx;
  await until(() => listPoolSnapshots(s.db), (pools) => pools.some((p) => p.observed_at !== null), 'the pools read');
  const placed = await placeUndispatched(s, '1h');
  const claimed = await claimOrder(s.db, placed.id, ctx.workerId, 60_000);
  assert.ok(claimed, 'the order is claimed');
  return { s, ctx, claimed };
}

const shown = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));

/**
 * The order's pool reserved (delegating) with nothing journaled: what the
 * delegating step starts from once a transaction died (it signs the next
 * one and journals it on its own), or for an order an earlier version
 * reserved.
 */
async function reservedOrder(t: TestContext, dialect: 'sqlite' | 'postgres') {
  const { s, ctx, claimed } = await claimedOrder(t, dialect);
  const choice = await choosePool(ctx, claimed, claimedAt(claimed, ctx.settings.leaseMs));
  assert.ok(choice, 'a pool has room');
  const held = await reservePool(ctx, claimed, choice);
  assert.ok(held?.status === 'delegating' && held.delegate_txid === null, `a pool is reserved, nothing journaled (${shown(held)})`);
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

  test(`[${dialect}] when a pending order is planned, then its delegation is signed and journaled by the reservation itself, and sent only by the step after it`, async (t: TestContext) => {
    const { s, ctx, claimed } = await claimedOrder(t, dialect);

    const planned = await stepPending(ctx, claimed);
    assert.ok('next' in planned && planned.unsent !== undefined, `reserved, with a delegation to send (${shown(planned)})`);
    const held = planned.next;
    const { signed, meta } = planned.unsent;
    assert.deepEqual([held.status, held.delegate_txid, held.delegate_tx_status], ['delegating', signed.txid, 'signed'], 'the order names its delegation');
    assert.deepEqual([meta.pool, meta.receiver, meta.amountSun, meta.lockBlocks], [held.pool_address, held.receive_address, held.delegated_sun, held.lock_blocks]);
    const journaled = await findChainTx(s.db, signed.txid);
    assert.deepEqual(
      [journaled?.order_id, journaled?.status, journaled?.broadcasts, journaled?.pool_address, journaled?.amount_sun, journaled?.signed_json],
      [held.id, 'signed', 0n, held.pool_address, held.delegated_sun, signed.json],
      'journaled as signed, not sent',
    );
    assert.ok(!(await s.chainTxs('DelegateResourceContract')).some((tx) => tx.txID === signed.txid), 'the node has not got it yet');
    const moves = await s.db.kysely.selectFrom('order_events').select(['to_status', 'reason']).where('order_id', '=', held.id).where('from_status', '=', 'pending').execute();
    assert.deepEqual(moves, [{ to_status: 'delegating', reason: 'pool_selected' }], 'one move out of pending, with its event');
  });

  test(`[${dialect}] when another worker takes the order while its delegation is being signed, then the reservation writes nothing: no room spent, no journal row, nothing sent`, async (t: TestContext) => {
    const { s, ctx, claimed } = await claimedOrder(t, dialect);
    let signedTxid: string | undefined;
    // The chain as the step sees it, but the order is taken over as soon as the delegation is signed.
    const chain = new Proxy(ctx.chain, {
      get(target, prop) {
        if (prop === 'buildDelegate') {
          return async (...args: Parameters<typeof target.buildDelegate>) => {
            const signed = await target.buildDelegate(...args);
            signedTxid = signed.txid;
            await takeOver(s.db, claimed.id);
            return signed;
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

    await assert.rejects(stepPending({ ...ctx, chain }, claimed), LeaseLostError);

    assert.ok(signedTxid, 'a delegation was signed');
    assert.equal(await findChainTx(s.db, signedTxid), undefined, 'no journal row');
    const order = (await findOrder(s.db, claimed.id))!;
    assert.deepEqual([order.status, order.lease_owner, order.pool_address, order.delegate_txid], ['pending', 'worker-b', null, null], 'the order is as the other worker took it');
    assert.ok(!(await s.chainTxs('DelegateResourceContract')).some((tx) => tx.txID === signedTxid), 'the node never got it');
  });

  test(`[${dialect}] when the node accepts the delegation, then the write that records it also gives the order back to wait for the chain`, async (t: TestContext) => {
    const { s, ctx, claimed } = await claimedOrder(t, dialect);
    const planned = await stepPending(ctx, claimed);
    assert.ok('next' in planned && planned.unsent !== undefined, `reserved, with a delegation to send (${shown(planned)})`);
    const held = planned.next;

    const step = await stepDelegating(ctx, held, undefined, planned.unsent);
    assert.ok('released' in step, `the step gave the order back itself (${Object.keys(step).join()})`);
    assert.ok((await s.chainTxs('DelegateResourceContract')).some((tx) => tx.txID === planned.unsent!.signed.txid), 'the node has the delegation the reservation journaled');
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
