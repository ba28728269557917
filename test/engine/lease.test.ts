import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { findOrder, listOrderEvents } from '../../src/db/orders.js';
import { LeaseLostError } from '../../src/engine/errors.js';
import { failAndRefund } from '../../src/engine/fail-order.js';
import { claimDueOrders, claimOrder, makeOrdersDue, releaseOrder, unheldOnLandedDelegations } from '../../src/db/order-leases.js';
import { renewLease } from '../../src/engine/lease.js';
import { countAcceptedSend, findChainTx } from '../../src/db/chain-transactions.js';
import type { BroadcastOutcome } from '../../src/chain/gateway.js';
import type { EngineContext } from '../../src/engine/context.js';
import { orderHolder } from '../../src/engine/journaled-step.js';
import { firstBroadcast, journalRow } from '../../src/engine/journaled-transaction.js';
import { transition } from '../../src/engine/transition.js';
import { createLogger } from '../../src/observability/logger.js';
import { describeEachDialect } from '../support/dialects.js';
import { heldOrderContext, ledgerViolations, SEED_ADDRESS, type TestApp } from '../support/app.js';

describeEachDialect('claims, leases and fencing', (newApp) => {
  let t: TestApp;
  let orderId: string;
  beforeEach(async () => {
    t = await newApp();
    await t.deposit(1, 100_000_000n);
    const res = await t.request({
      method: 'POST',
      url: '/api/orders',
      payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS },
    });
    orderId = res.body.id;
  });
  afterEach(async () => {
    assert.deepEqual(await ledgerViolations(t.db), []);
    await t.close();
  });

  const setRow = (fields: Record<string, unknown>) =>
    t.db.kysely.updateTable('orders').set(fields as never).where('id', '=', orderId).execute();
  const events = async () =>
    (await t.db.kysely.selectFrom('order_events').select(['from_status', 'to_status']).where('order_id', '=', orderId).execute()).length;

  test('a claim takes a lease on the database clock and bumps the version; a second claim gets nothing', async () => {
    const before = await sql<{ now: bigint }>`select ${t.db.dialect === 'sqlite' ? sql`cast(unixepoch('subsec') * 1000 as integer)` : sql`cast(extract(epoch from clock_timestamp()) * 1000 as bigint)`} as now`.execute(t.db.kysely);
    const held = await claimOrder(t.db, orderId, 'worker-a', 30_000);
    assert.ok(held);
    assert.equal(held.lease_owner, 'worker-a');
    assert.equal(held.lease_version, 1n);
    const drift = Number(held.lease_until! - BigInt(before.rows[0]!.now) - 30_000n);
    assert.ok(drift >= 0 && drift < 5000, `lease_until is now + 30 s on the database clock (drift ${drift} ms)`);
    assert.equal(await claimOrder(t.db, orderId, 'worker-b', 30_000), undefined);
  });

  test('when 20 workers claim one order at once, then exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claimOrder(t.db, orderId, `w${i}`, 30_000)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal((await findOrder(t.db, orderId))!.lease_version, 1n);
  });

  test('when a lease expires and another worker claims, then every write of the first holder is fenced off', async () => {
    const first = (await claimOrder(t.db, orderId, 'worker-a', 30_000))!;
    await setRow({ lease_until: 0n }); // the lease ran out (a stalled worker)
    const second = (await claimOrder(t.db, orderId, 'worker-b', 30_000))!;
    assert.equal(second.lease_version, 2n);
    const eventsBefore = await events();
    await assert.rejects(
      t.db.transaction((tx) => transition(tx, first, 'delegating', { reason: 'pool_selected', actor: 'worker-a' }, { pool_address: 'Tstale' })),
      LeaseLostError,
    );
    await assert.rejects(failAndRefund({ db: t.db, log: createLogger('silent'), workerId: 'worker-a' }, first, 'no_pool_capacity', 'stale worker'), LeaseLostError);
    await releaseOrder(t.db, first, 30_000, { retryInMs: 60_000, waitReason: 'internal_error' });
    const row = (await findOrder(t.db, orderId))!;
    assert.equal(row.status, 'pending');
    assert.equal(row.pool_address, null);
    assert.equal(row.lease_owner, 'worker-b');
    assert.equal(row.wait_reason, null);
    assert.equal(row.refunded_sun, null);
    assert.equal(await events(), eventsBefore, 'no event row from a fenced-off write');
    assert.equal((await t.request({ method: 'GET', url: '/api/users/1' })).body.balance_sun, String(100_000_000 - 2_080_000));
  });

  test('when a lease expires and the block follower activates the order without a claim, then the first holder can neither give it back nor renew its lease', async () => {
    const claimed = (await claimOrder(t.db, orderId, 'worker-a', 30_000))!;
    const txid = 'ab'.repeat(32);
    const delegating = await t.db.transaction((tx) =>
      transition(tx, claimed, 'delegating', { reason: 'pool_selected', actor: 'worker-a' }, { pool_address: 'Tpool', delegated_sun: 1_000_000n, delegate_txid: txid }, 30_000),
    );
    await setRow({ lease_until: 0n }); // the lease ran out (a stalled worker)
    // The follower: its delegation landed and nobody holds it, so it is moved to active as its holder
    // would, with no claim of its own, and given back due at its expiry.
    const expiresAt = 4_000_000_000_000n;
    const active = await t.db.transaction(async (tx) => {
      const { orders } = await unheldOnLandedDelegations(tx, [{ orderId, txid }]);
      assert.equal(orders.length, 1, 'nobody holds it');
      return transition(
        tx,
        orders[0]!,
        'active',
        { reason: 'delegation_confirmed', actor: 'follower' },
        { delegate_tx_status: 'confirmed', expires_at: expiresAt, lease_owner: null, lease_until: null, next_attempt_at: expiresAt },
      );
    });
    assert.equal(active.status, 'active');

    // worker-a wakes up and gives back, or renews, the order it held as delegating.
    await releaseOrder(t.db, delegating, 30_000, { retryInMs: 1_000, waitReason: 'awaiting_confirmation', attempts: 3n });
    await assert.rejects(renewLease(t.db, delegating, 30_000), LeaseLostError);
    const row = (await findOrder(t.db, orderId))!;
    assert.deepEqual(
      [row.status, row.next_attempt_at, row.wait_reason, row.attempts, row.lease_owner, row.lease_until],
      ['active', expiresAt, active.wait_reason, active.attempts, null, null],
      'due at its expiry and claimable then, as the follower left it',
    );
  });

  test('when a first broadcast is held up past the lease and another worker sends the same transaction, then the stale copy\'s refusal fails nothing', async () => {
    const claimed = (await claimOrder(t.db, orderId, 'worker-a', 30_000))!;
    const delegating = await t.db.transaction((tx) =>
      transition(tx, claimed, 'delegating', { reason: 'pool_selected', actor: 'worker-a' }, { pool_address: 'Tpool', delegated_sun: 1_000_000n }, 30_000),
    );
    const signed = { txid: 'cd'.repeat(32), json: '{"txID":"cd"}', expiration: 4_000_000_000_000n };
    const meta = { pool: 'Tpool', receiver: SEED_ADDRESS, amountSun: 1_000_000n, lockBlocks: null };
    const ctxOf = (workerId: string, broadcast: () => Promise<BroadcastOutcome>) =>
      ({ ...heldOrderContext(t.db, workerId), settings: { leaseMs: 30_000, confirmPollMs: 1_000 }, chain: { broadcast } }) as unknown as EngineContext;
    const holderA = await orderHolder(ctxOf('worker-a', async () => ({ accepted: true })), delegating, 'delegate').journal(
      t.db,
      journalRow({ orderId, paymentTxid: null }, 'delegate', signed, meta),
    );
    // worker-a's send waits (a rate limit's pause) past its lease; worker-b claims the order, sends the same
    // transaction and a node accepts it. Then worker-a's copy reaches a node that never saw it, after the first
    // copy spent the pool's stake: refused as invalid.
    const stale = ctxOf('worker-a', async () => {
      await setRow({ lease_until: 0n });
      assert.ok(await claimOrder(t.db, orderId, 'worker-b', 30_000), 'worker-b holds it');
      assert.equal(await countAcceptedSend(t.db, signed.txid), true);
      return { accepted: false, code: 'CONTRACT_VALIDATE_ERROR', message: 'delegateBalance must be less than or equal to available FreezeV2 balance' };
    });
    await assert.rejects(firstBroadcast(stale, holderA, signed, meta), LeaseLostError);
    const row = (await findChainTx(t.db, signed.txid))!;
    assert.equal(row.status, 'broadcast', 'still open: it may land, and nothing new is signed while it can');
    const order = (await findOrder(t.db, orderId))!;
    assert.deepEqual([order.delegate_tx_status, order.lease_owner], ['signed', 'worker-b']);
  });

  test('a held lease can be renewed; a lost one cannot', async () => {
    const held = (await claimOrder(t.db, orderId, 'worker-a', 1000))!;
    const renewed = await renewLease(t.db, held, 60_000);
    assert.ok(renewed.lease_until! >= held.lease_until! + 50_000n);
    assert.equal((await findOrder(t.db, orderId))!.lease_until, renewed.lease_until);
    await setRow({ lease_until: 0n });
    await claimOrder(t.db, orderId, 'worker-b', 30_000);
    await assert.rejects(renewLease(t.db, held, 60_000), LeaseLostError);
  });

  test('a status change the next step follows renews the lease in its own UPDATE; a lost lease gets neither', async () => {
    const held = (await claimOrder(t.db, orderId, 'worker-a', 1000))!;
    const moved = await t.db.transaction((tx) =>
      transition(tx, held, 'delegating', { reason: 'pool_selected', actor: 'worker-a', detail: { pool: 'Tpool' } }, { pool_address: 'Tpool' }, 60_000),
    );
    assert.equal(moved.status, 'delegating');
    assert.equal(moved.lease_version, held.lease_version, 'a renewal, not a claim');
    assert.ok(moved.lease_until! >= held.lease_until! + 50_000n, 'a minute from the change, not a second from the claim');
    assert.equal((await findOrder(t.db, orderId))!.lease_until, moved.lease_until);
    const written = (await listOrderEvents(t.db, orderId)).at(-1)!;
    assert.deepEqual(
      { from: written.from_status, to: written.to_status, reason: written.reason, actor: written.actor, detail: written.detail },
      { from: 'pending', to: 'delegating', reason: 'pool_selected', actor: 'worker-a', detail: '{"pool":"Tpool"}' },
      'the change wrote its event',
    );
    const eventsBefore = await events();

    await setRow({ lease_until: 0n });
    const theirs = (await claimOrder(t.db, orderId, 'worker-b', 30_000))!;
    await assert.rejects(
      t.db.transaction((tx) => transition(tx, moved, 'failed', { reason: 'no_pool_capacity', actor: 'worker-a' }, {}, 60_000)),
      LeaseLostError,
    );
    const row = (await findOrder(t.db, orderId))!;
    assert.equal(row.status, 'delegating');
    assert.equal(row.lease_owner, 'worker-b');
    assert.equal(row.lease_until, theirs.lease_until, "the other worker's lease stands");
    assert.equal(await events(), eventsBefore, 'and no event of the change that did not happen');
  });

  test('an order made due while it is held is given back due; otherwise it is given back with its retry time', async () => {
    const held = (await claimOrder(t.db, orderId, 'worker-a', 30_000))!;
    await sleep(5);
    await makeOrdersDue(t.db, [orderId]); // the follower settled its transaction meanwhile
    await releaseOrder(t.db, held, 30_000, { retryInMs: 60_000, waitReason: 'awaiting_confirmation' });
    const woken = (await findOrder(t.db, orderId))!;
    assert.ok(woken.next_attempt_at! <= held.lease_until!, 'due at the wake, not a minute on');
    assert.equal(woken.wait_reason, 'awaiting_confirmation');
    await sleep(5); // the next claim comes after the wake
    assert.equal((await claimOrder(t.db, orderId, 'worker-a', 30_000))?.id, orderId, 'claimable at once');

    const again = (await findOrder(t.db, orderId))!;
    await releaseOrder(t.db, again, 30_000, { retryInMs: 60_000, waitReason: 'awaiting_confirmation' });
    const waiting = (await findOrder(t.db, orderId))!;
    assert.ok(waiting.next_attempt_at! >= again.lease_until! - 30_000n + 60_000n, 'no wake: a minute on');
    assert.equal(await claimOrder(t.db, orderId, 'worker-a', 30_000), undefined);
  });

  test('only due orders are claimed: not while a retry time or the rental is ahead, never when terminal', async () => {
    await setRow({ next_attempt_at: 99_999_999_999_999n });
    assert.equal(await claimOrder(t.db, orderId, 'w', 30_000), undefined);
    assert.deepEqual(await claimDueOrders(t.db, 'w', 30_000, 10), []);
    await setRow({ next_attempt_at: null, status: 'active', expires_at: 99_999_999_999_999n });
    assert.equal(await claimOrder(t.db, orderId, 'w', 30_000), undefined);
    await setRow({ expires_at: 1n });
    assert.deepEqual((await claimDueOrders(t.db, 'w', 30_000, 10)).map((o) => o.id), [orderId]);
    await setRow({ status: 'completed', lease_until: null });
    assert.equal(await claimOrder(t.db, orderId, 'w', 30_000), undefined);
    assert.deepEqual(await claimDueOrders(t.db, 'w', 30_000, 10), []);
  });

  test('failing an order refunds it in the same transaction, with exact columns', async () => {
    const held = (await claimOrder(t.db, orderId, 'w', 30_000))!;
    await failAndRefund({ db: t.db, log: createLogger('silent'), workerId: 'w' }, held, 'receiver_is_contract', 'a contract');
    const row = (await findOrder(t.db, orderId))!;
    assert.equal(row.status, 'failed');
    assert.equal(row.error_code, 'receiver_is_contract');
    assert.equal(row.refunded_sun, 2_080_000n);
    assert.equal(row.lease_owner, null);
    assert.ok(row.failed_at !== null);
    const ledger = await t.db.kysely.selectFrom('ledger_entries').select(['kind', 'amount_sun', 'balance_after_sun']).where('order_id', '=', orderId).orderBy('id').execute();
    assert.deepEqual(ledger, [
      { kind: 'order_debit', amount_sun: -2_080_000n, balance_after_sun: 97_920_000n },
      { kind: 'refund', amount_sun: 2_080_000n, balance_after_sun: 100_000_000n },
    ]);
    // A second refund of the same order is impossible: the database refuses it.
    await assert.rejects(
      t.db.kysely
        .insertInto('ledger_entries')
        .values({ user_id: 1n, kind: 'refund', amount_sun: 1n, balance_after_sun: 0n, order_id: orderId, created_at: 0n })
        .execute(),
    );
  });
});
