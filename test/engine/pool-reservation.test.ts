import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { findChainTx, insertChainTx } from '../../src/db/chain-transactions.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { claimOrder } from '../../src/db/order-leases.js';
import { moveHeldOrder } from '../../src/db/order-writes.js';
import { findOrder, roomOnPool } from '../../src/db/orders.js';
import { findPoolSnapshot } from '../../src/db/pool-snapshots.js';
import { LeaseLostError } from '../../src/engine/errors.js';
import { reservePool, type PoolChoice } from '../../src/engine/plan-delegation.js';
import { reserveRoom } from '../../src/engine/pool-reservations.js';
import type { Unsent } from '../../src/engine/step.js';
import { describeEachDialect } from '../support/dialects.js';
import { heldOrderContext, ledgerViolations, poolWithRoom, SEED_ADDRESS, type TestApp } from '../support/app.js';

const POOL = 'TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy';

/** A delegation's transaction id, one per order. */
const txidOf = (orderId: string) => createHash('sha256').update(orderId).digest('hex');

/** What stepPending signs before it reserves: here a stand-in, never broadcast. */
const delegation = (orderId: string): Unsent => ({
  signed: { txid: txidOf(orderId), json: JSON.stringify({ txID: txidOf(orderId) }), expiration: 1_900_000_000_000n },
  meta: { pool: POOL, receiver: SEED_ADDRESS, amountSun: 1_000_000n, lockBlocks: null },
});

describeEachDialect('reserving room on a pool', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
    await t.deposit(1, 1_000_000_000n);
  });
  afterEach(async () => {
    assert.deepEqual(await ledgerViolations(t.db), []);
    await t.close();
  });
  /** What the orders reserving on POOL have reserved, as the reservation reads it. */
  const reservedOnPool = async () => (await roomOnPool(t.db, POOL)).reserved;

  test('when twelve workers reserve at once on a pool with room for three, each with the delegation it signed, then exactly three orders get it, each with its delegation journaled, and the rest are left as they were with nothing journaled', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
      assert.equal(res.status, 201);
      ids.push(res.body.id);
    }
    const held = await Promise.all(ids.map(async (id, i) => (await claimOrder(t.db, id, `worker-${i}`, 30_000))!));
    await poolWithRoom(t.db, POOL, 3_000_000n);
    const choice: PoolChoice = { pool: { address: POOL } as PoolChoice['pool'], sun: 1_000_000n, lockBlocks: null };
    const reserved = await Promise.all(held.map((order, i) => reservePool(heldOrderContext(t.db, `worker-${i}`), order, choice, delegation(order.id))));

    const won = reserved.filter((o) => o !== undefined);
    assert.equal(won.length, 3, 'as many as the room holds, no more');
    assert.equal(await reservedOnPool(), 3_000_000n);
    for (const [i, id] of ids.entries()) {
      const row = (await findOrder(t.db, id))!;
      const journaled = await findChainTx(t.db, txidOf(id));
      if (reserved[i] === undefined) {
        assert.equal(row.status, 'pending');
        assert.equal(row.pool_address, null);
        assert.equal(row.delegated_sun, null);
        assert.equal(row.delegate_txid, null);
        assert.equal(journaled, undefined, 'no room, nothing journaled: its signature is never sent');
      } else {
        assert.equal(row.status, 'delegating');
        assert.equal(row.pool_address, POOL);
        assert.deepEqual([row.delegate_txid, row.delegate_tx_status], [txidOf(id), 'signed'], 'the order names its delegation');
        assert.deepEqual(
          [journaled?.order_id, journaled?.kind, journaled?.status, journaled?.pool_address, journaled?.amount_sun, journaled?.broadcasts],
          [id, 'delegate', 'signed', POOL, 1_000_000n, 0n],
          'journaled by the reservation, not sent yet',
        );
        assert.deepEqual(reserved[i], row, 'the reservation answers the order as written');
      }
    }
    assert.equal((await t.db.kysely.selectFrom('chain_transactions').select('txid').execute()).length, 3, 'three rows in the journal, no more');
    const selected = await t.db.kysely.selectFrom('order_events').select('order_id').where('reason', '=', 'pool_selected').execute();
    assert.deepEqual(selected.map((e) => e.order_id).sort(), won.map((o) => o!.id).sort(), 'an event only for the orders that got room');
  });

  test('when another worker took the order meanwhile, then the reservation says the lease is lost, not that the room is gone, and spends nothing', async () => {
    const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
    const held = (await claimOrder(t.db, res.body.id, 'worker-a', 30_000))!;
    // What another worker's claim after an expired lease leaves: a new lease version.
    await t.db.kysely.updateTable('orders').set({ lease_owner: 'worker-b', lease_version: held.lease_version + 1n }).where('id', '=', held.id).execute();
    const ctx = heldOrderContext(t.db, 'worker-a');
    await poolWithRoom(t.db, POOL, 3_000_000n);
    const choice: PoolChoice = { pool: { address: POOL } as PoolChoice['pool'], sun: 1_000_000n, lockBlocks: null };
    await assert.rejects(reservePool(ctx, held, choice, delegation(held.id)), LeaseLostError);
    const row = (await findOrder(t.db, held.id))!;
    assert.equal(row.status, 'pending');
    assert.equal(row.lease_owner, 'worker-b');
    assert.equal(row.delegate_txid, null);
    assert.equal(await reservedOnPool(), 0n);
    assert.equal(await findChainTx(t.db, txidOf(held.id)), undefined, 'nothing journaled');
  });

  /** `n` orders placed and claimed by one worker, and their choice of POOL, a million sun each. */
  async function heldByOneWorker(n: number) {
    const held = [];
    for (let i = 0; i < n; i++) {
      const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
      assert.equal(res.status, 201);
      held.push((await claimOrder(t.db, res.body.id, 'worker-a', 30_000))!);
    }
    const choice: PoolChoice = { pool: { address: POOL } as PoolChoice['pool'], sun: 1_000_000n, lockBlocks: null };
    return { held, choice, ctx: heldOrderContext(t.db, 'worker-a') };
  }

  test('when one worker reserves for several orders on one pool at once, then each is moved and journaled as if alone (on PostgreSQL together), its lease renewed', async () => {
    await poolWithRoom(t.db, POOL, 5_000_000n);
    const { held, choice, ctx } = await heldByOneWorker(5);
    const reserved = await Promise.all(held.map((order) => reserveRoom(ctx, order, choice, delegation(order.id))));

    assert.equal(await reservedOnPool(), 5_000_000n);
    for (const [i, order] of held.entries()) {
      const row = (await findOrder(t.db, order.id))!;
      assert.deepEqual([row.status, row.pool_address, row.delegated_sun, row.delegate_txid, row.delegate_tx_status], ['delegating', POOL, 1_000_000n, txidOf(order.id), 'signed']);
      assert.equal(row.lease_version, order.lease_version, 'still held by the worker');
      assert.ok(row.lease_until! > order.lease_until! - 1000n && row.attempts === 0n, 'its lease renewed by the move');
      assert.deepEqual(reserved[i], row, 'the reservation answers the order as written');
      const journaled = await findChainTx(t.db, txidOf(order.id));
      assert.deepEqual([journaled?.order_id, journaled?.status, journaled?.amount_sun, journaled?.signed_json], [order.id, 'signed', 1_000_000n, delegation(order.id).signed.json]);
    }
    const events = await t.db.kysely.selectFrom('order_events').select(['order_id', 'from_status', 'to_status', 'actor', 'detail']).where('reason', '=', 'pool_selected').execute();
    assert.deepEqual(
      events.map((e) => [e.order_id, e.from_status, e.to_status, e.actor, JSON.parse(e.detail!)]).sort(),
      held.map((o) => [o.id, 'pending', 'delegating', 'worker-a', { pool: POOL, delegated_sun: '1000000', lock_blocks: null }]).sort(),
      'one event an order',
    );
  });

  test('when one worker reserves for six orders at once on a pool with room for four, then the first four get it and the other two are left as they were, nothing journaled for them', async () => {
    await poolWithRoom(t.db, POOL, 4_000_000n);
    const { held, choice, ctx } = await heldByOneWorker(6);
    const reserved = await Promise.all(held.map((order) => reserveRoom(ctx, order, choice, delegation(order.id))));

    assert.deepEqual(
      reserved.map((o) => o?.status),
      ['delegating', 'delegating', 'delegating', 'delegating', undefined, undefined],
    );
    assert.equal(await reservedOnPool(), 4_000_000n);
    for (const order of held.slice(4)) {
      const row = (await findOrder(t.db, order.id))!;
      assert.deepEqual([row.status, row.pool_address, row.delegate_txid], ['pending', null, null]);
      assert.equal(await findChainTx(t.db, txidOf(order.id)), undefined);
    }
    assert.equal((await t.db.kysely.selectFrom('chain_transactions').select('txid').execute()).length, 4);
    // One more alone: no room, said as no room (not as a lost lease).
    assert.equal(await reserveRoom(ctx, held[4]!, choice, delegation(held[4]!.id)), undefined);
  });

  test('when a delegation on the pool is confirmed between the orders choosing it and reserving on it, then they are given the room the pool has now: the confirmed stake is not counted as free twice', async () => {
    // The pool as read from the node: room for three orders of a million sun.
    await poolWithRoom(t.db, POOL, 3_000_000n);
    // One order reserves on it: two left.
    const first = await heldByOneWorker(1);
    const delegating = (await reservePool(first.ctx, first.held[0]!, first.choice, delegation(first.held[0]!.id)))!;
    assert.equal(delegating.status, 'delegating');
    // Three more choose the pool, each reading two million free (3 delegatable, 1 reserved).
    const { held, choice, ctx } = await heldByOneWorker(3);
    // Then the first one's delegation is confirmed, as its activation writes it: the order leaves
    // `delegating` and the snapshot takes the stake off what the pool can delegate, in one write.
    const moved = await t.db.transaction((tx) =>
      moveHeldOrder(tx, delegating, 'active', { reason: 'delegation_confirmed', actor: 'worker-a' }, { delegated_at: 1n }, { energy: { stake: { pool: POOL, sun: 1_000_000n, energy: 0n } } }),
    );
    assert.equal(typeof moved === 'object' && moved.order.status, 'active');
    assert.equal((await findPoolSnapshot(t.db, POOL))?.delegatable_sun, 2_000_000n);

    const reserved = await Promise.all(held.map((order) => reserveRoom(ctx, order, choice, delegation(order.id))));
    assert.deepEqual(
      reserved.map((o) => o?.status),
      ['delegating', 'delegating', undefined],
      'two million sun of room: two orders, not three',
    );
    assert.equal(await reservedOnPool(), 2_000_000n);
    // One more alone, after them: no room either.
    assert.equal(await reservePool(ctx, held[2]!, choice, delegation(held[2]!.id)), undefined);
  });

  /** Orders to `receivers` (one each), placed and claimed by one worker. */
  async function heldTo(receivers: string[]) {
    const held = [];
    for (const receiver of receivers) {
      const res = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: receiver } });
      assert.equal(res.status, 201);
      held.push((await claimOrder(t.db, res.body.id, 'worker-a', 30_000))!);
    }
    return held;
  }
  const locked: PoolChoice = { pool: { address: POOL } as PoolChoice['pool'], sun: 1_000_000n, lockBlocks: 1200n };
  const unlocked: PoolChoice = { ...locked, lockBlocks: null };

  test('when two orders to one receiver chose the pool with a lock at once, then one reserves its locked delegation and the other is refused, nothing written for it: a second lock would restart the first one’s or be refused by the chain', async () => {
    await poolWithRoom(t.db, POOL, 10_000_000n);
    const held = await heldTo([SEED_ADDRESS, SEED_ADDRESS]);
    const reserved = await Promise.all(held.map((order, i) => reservePool(heldOrderContext(t.db, `worker-${i}`), order, locked, delegation(order.id))));

    assert.equal(reserved.filter((o) => o !== undefined).length, 1, 'one locked rental to the receiver on the pool');
    const refused = held[reserved.findIndex((o) => o === undefined)]!;
    const row = (await findOrder(t.db, refused.id))!;
    assert.deepEqual([row.status, row.pool_address, row.lock_blocks, row.delegate_txid], ['pending', null, null, null]);
    assert.equal(await findChainTx(t.db, txidOf(refused.id)), undefined, 'nothing journaled');
    assert.equal(await reservedOnPool(), 1_000_000n, 'its room not spent');
    // Chosen again, as the pool choice then sees the locked rental: unlocked, beside it.
    const beside = await reservePool(heldOrderContext(t.db, 'worker-a'), refused, unlocked, delegation(refused.id));
    assert.deepEqual([beside?.status, beside?.lock_blocks], ['delegating', null]);
  });

  test('when orders reserved at once on a pool include two locked ones to one receiver, then the second of those two is refused and the rest are reserved', async () => {
    await poolWithRoom(t.db, POOL, 10_000_000n);
    const other = 'TU137pdAowDb8JTqX8Q1ZHUMZPid2Mk7j6';
    const held = await heldTo([SEED_ADDRESS, other, SEED_ADDRESS, SEED_ADDRESS]);
    const ctx = heldOrderContext(t.db, 'worker-a');
    const choices = [locked, locked, locked, unlocked];
    const reserved = await Promise.all(held.map((order, i) => reserveRoom(ctx, order, choices[i]!, delegation(order.id))));

    assert.deepEqual(
      reserved.map((o) => (o === undefined ? undefined : [o.status, o.lock_blocks])),
      [['delegating', 1200n], ['delegating', 1200n], undefined, ['delegating', null]],
    );
    assert.equal(await findChainTx(t.db, txidOf(held[2]!.id)), undefined, 'nothing journaled for the refused one');
    assert.equal(await reservedOnPool(), 3_000_000n);
  });

  test('when another worker took one of several orders reserved at once, then that one learns its lease is lost and the others are reserved', async () => {
    await poolWithRoom(t.db, POOL, 10_000_000n);
    const { held, choice, ctx } = await heldByOneWorker(4);
    const taken = held[2]!;
    await t.db.kysely.updateTable('orders').set({ lease_owner: 'worker-b', lease_version: taken.lease_version + 1n }).where('id', '=', taken.id).execute();
    const outcomes = await Promise.allSettled(held.map((order) => reserveRoom(ctx, order, choice, delegation(order.id))));

    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value?.status : (o.reason as Error).constructor.name)),
      ['delegating', 'delegating', 'LeaseLostError', 'delegating'],
    );
    const row = (await findOrder(t.db, taken.id))!;
    assert.deepEqual([row.status, row.lease_owner, row.delegate_txid], ['pending', 'worker-b', null]);
    assert.equal(await findChainTx(t.db, txidOf(taken.id)), undefined, 'nothing journaled for it');
    assert.equal(await reservedOnPool(), 3_000_000n, 'its room not spent');
  });

  test('when one of several orders reserved at once signed a transaction whose id is already journaled, then that one fails with the clash and nothing of it is written, and the others are reserved', async () => {
    await poolWithRoom(t.db, POOL, 10_000_000n);
    const { held, choice, ctx } = await heldByOneWorker(4);
    const clashing = held[1]!;
    // Another order journaled a byte-identical transaction first.
    await insertChainTx(t.db, { ...delegationRow(held[3]!.id), txid: txidOf(clashing.id) });
    const outcomes = await Promise.allSettled(held.map((order) => reserveRoom(ctx, order, choice, delegation(order.id))));

    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value?.status : isUniqueViolation(o.reason) ? 'clash' : String(o.reason))),
      ['delegating', 'clash', 'delegating', 'delegating'],
    );
    const row = (await findOrder(t.db, clashing.id))!;
    assert.deepEqual([row.status, row.delegate_txid, row.lease_owner], ['pending', null, 'worker-a'], 'left as it was, still held');
    assert.equal(await reservedOnPool(), 3_000_000n, 'its room not spent');
    assert.equal((await findChainTx(t.db, txidOf(clashing.id)))?.order_id, held[3]!.id, 'the journal row is the other order’s');
  });
});

/** A journal row for an order's delegation, as the reservation writes it. */
const delegationRow = (orderId: string) => ({
  txid: txidOf(orderId),
  orderId,
  paymentTxid: null,
  kind: 'delegate' as const,
  poolAddress: POOL,
  receiver: SEED_ADDRESS,
  amountSun: 1_000_000n,
  lockBlocks: null,
  signedJson: JSON.stringify({ txID: txidOf(orderId) }),
  expiration: 1_900_000_000_000n,
});
