// Cancelling orders with the whole of Joule running against the devnet: a
// pending order raced against the worker claiming it, an active rental
// reclaimed early through the journal and refunded by CANCEL_REFUND_POLICY,
// and flash-rent orders, whose payment goes back on chain.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TronWeb } from 'tronweb';
import { databasesOnDemand } from '../support/dialects.js';
import { ADMIN_TOKEN, createTestApp, ledgerViolations } from '../support/app.js';
import { stackPerTest, until, waitForFollower, type Stack } from '../support/stack.js';

const startTestStack = stackPerTest();
const databaseFor = databasesOnDemand();

const landed = (txs: any[]) => txs.filter((t) => t.status === 'included');
const cancel = (s: Stack, id: string, headers: Record<string, string> = {}) => s.request({ method: 'POST', url: `/api/orders/${id}/cancel`, headers });
const row = (s: Stack, id: string) => s.db.kysely.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const events = async (s: Stack, id: string) => (await s.request({ method: 'GET', url: `/api/orders/${id}/events` })).body.events;


for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when 50 cancels race the worker claiming 50 pending orders, then each order is either cancelled and refunded once with nothing delegated, or delegated and not cancelled`, async () => {
    // A solidified view 10 blocks (1 s) behind: every cancel is answered before any delegation is confirmed,
    // so none of them finds an active rental to end early. The worker takes WORKER_CONCURRENCY (8) orders at a
    // time as they are placed, and its sweeper (which leases every due order at once) first looks again after
    // about 3 s: most cancels find their order still waiting, some find it taken. The node budget is mainnet's
    // 10 requests a second, unscaled: at the stacks' 300, the worker can run every order before its cancel comes.
    const s = await startTestStack({
      ...(await databaseFor(dialect)),
      env: { DELEGATE_LOCK: 'false', SWEEP_INTERVAL_MS: '3000', TRON_MAX_RPS: '10' },
      devnet: { solidifyLag: 10 },
    });
    await s.deposit(1, 1_000_000_000n);
    const receivers = s.devnet.accounts.customers.map((c) => c.address);
    // Placed at once, each handed to the worker in this process as it commits (it takes WORKER_CONCURRENCY
    // at a time), and each cancelled as soon as it is placed: the cancel and the worker's claim race.
    const raced = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const order = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: receivers[i % receivers.length] });
        return { order, answer: await cancel(s, order.id) };
      }),
    );
    const placed = raced.map((r) => r.order);
    const answers = raced.map((r) => r.answer);

    const cancelled = new Set<string>();
    for (const [i, answer] of answers.entries()) {
      if (answer.status === 200) {
        assert.equal(answer.body.status, 'cancelled');
        cancelled.add(placed[i].id);
      } else {
        assert.equal(answer.status, 409, JSON.stringify(answer.body));
        assert.equal(answer.body.error.code, 'cancel_not_allowed');
        assert.ok(['being_processed', 'delegating'].includes(answer.body.error.reason), answer.body.error.reason);
      }
    }
    assert.ok(cancelled.size > 0 && cancelled.size < 50, `some cancels won and some lost the race (${cancelled.size} of 50 cancelled)`);

    // Every order the cancel lost comes to be delegated; a cancelled one stays so.
    const final = await Promise.all(placed.map((o) => s.waitFor(o.id, (x) => x.status === 'cancelled' || x.status === 'active', 60_000)));
    await sleep(500); // let the worker run on: nothing more may happen to a cancelled order
    const delegates = landed(await s.chainTxs('DelegateResourceContract'));
    const refunds = await s.db.kysely.selectFrom('ledger_entries').select(['order_id', 'amount_sun']).where('kind', '=', 'refund').execute();
    const journal = await s.db.kysely.selectFrom('chain_transactions').select(['order_id', 'txid', 'kind']).execute();
    for (const o of final) {
      const mine = journal.filter((j) => j.order_id === o.id);
      const refund = refunds.filter((r) => r.order_id === o.id);
      if (cancelled.has(o.id)) {
        assert.equal((await row(s, o.id)).status, 'cancelled');
        assert.deepEqual(mine, [], 'nothing was ever signed for a cancelled order');
        assert.deepEqual(refund.map((r) => r.amount_sun), [BigInt(o.price_sun)]);
      } else {
        assert.equal(o.status, 'active');
        assert.equal(o.cancelled_at, null);
        assert.deepEqual(refund, []);
        assert.equal(mine.length, 1);
        assert.ok(delegates.some((d) => d.txID === mine[0]!.txid), 'its delegation is on chain');
      }
    }
    assert.equal(delegates.length, 50 - cancelled.size, 'one delegation per order not cancelled, and no other');
    assert.deepEqual(await ledgerViolations(s.db), []);
  });
}

test('when an unlocked active rental is cancelled, then it is undelegated once, completes as cancelled, and the unused time is refunded less the fee the pool burnt', async () => {
  const s = await startTestStack({ env: { DELEGATE_LOCK: 'false' } });
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  assert.equal(active.lock_blocks, null);
  // The pool has no bandwidth left: the reclaim burns TRX, which comes off the refund.
  await s.devnetAdmin('POST', '/consume-bandwidth', { address: active.pool_address, net: 'all', free_net: 'all' });

  const asked = await cancel(s, placed.id);
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  assert.equal(asked.body.status, 'active');
  assert.ok(asked.body.cancel_requested_at);
  const done = await s.waitFor(placed.id, (o) => o.status === 'completed', 30_000);
  assert.ok(done.cancelled_at);
  assert.equal(done.reclaim_tx_status, 'confirmed');

  const undelegated = landed(await s.chainTxs('UnDelegateResourceContract'));
  assert.equal(undelegated.length, 1);
  assert.equal(undelegated[0].txID, done.reclaim_txid);
  assert.equal(String(undelegated[0].amount), active.delegated_sun);
  assert.deepEqual((await s.devnetAdmin('GET', '/delegations')).delegations.filter((d: any) => d.to === s.customer()), []);
  const fee = BigInt(undelegated[0].netFee ?? 0);
  assert.ok(fee > 0n, 'the pool burnt TRX for the reclaim');

  // The refund, exactly: price × unused time / duration, rounded down, less the burnt TRX.
  const r = await row(s, placed.id);
  const unused = r.expires_at! - r.reclaimed_at!;
  assert.ok(unused > 0n && unused < 3_600_000n, String(unused));
  const expected = (r.price_sun * unused) / 3_600_000n - fee;
  assert.equal(r.refunded_sun, expected);
  assert.equal(done.refunded_sun, expected.toString());
  assert.equal(r.cancel_requested_at! <= r.reclaimed_at!, true);
  const ledger = (await s.request({ method: 'GET', url: '/api/users/1/ledger' })).body.entries;
  assert.deepEqual(ledger.map((e: any) => [e.kind, e.amount_sun]).at(0), ['refund', expected.toString()]);
  assert.equal((await s.request({ method: 'GET', url: '/api/users/1' })).body.balance_sun, String(100_000_000n - r.price_sun + expected));

  const history = await events(s, placed.id);
  assert.deepEqual(
    history.map((e: any) => `${e.from_status}->${e.to_status}:${e.reason}`).slice(-2),
    ['active->reclaiming:cancel_requested', 'reclaiming->completed:cancelled'],
  );
  const last = history.at(-1).detail;
  assert.equal(last.reclaim, 'reclaim_confirmed');
  assert.equal(last.txid, done.reclaim_txid);
  assert.deepEqual([last.policy, last.unused_ms, last.fee_sun, last.refund], ['prorata', unused.toString(), fee.toString(), expected.toString()]);

  // Cancelling again returns the cancelled order; nothing is reclaimed or refunded twice.
  const again = await cancel(s, placed.id);
  assert.equal(again.status, 200);
  assert.equal(again.body.cancelled_at, done.cancelled_at);
  await sleep(500);
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 1);
  assert.equal(ledger.filter((e: any) => e.kind === 'refund').length, 1);
});

test('with CANCEL_REFUND_POLICY=none, then an early cancel reclaims the energy and refunds nothing', async () => {
  const s = await startTestStack({ env: { DELEGATE_LOCK: 'false', CANCEL_REFUND_POLICY: 'none' } });
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  await s.waitFor(placed.id, (o) => o.status === 'active');
  assert.equal((await cancel(s, placed.id, { authorization: `Bearer ${ADMIN_TOKEN}` })).status, 202);
  const done = await s.waitFor(placed.id, (o) => o.status === 'completed', 30_000);
  assert.ok(done.cancelled_at);
  assert.equal(done.refunded_sun, '0');
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 1);
  const ledger = (await s.request({ method: 'GET', url: '/api/users/1/ledger' })).body.entries;
  assert.deepEqual(ledger.map((e: any) => e.kind), ['order_debit', 'deposit']);
  const last = (await events(s, placed.id)).at(-1);
  assert.equal(last.reason, 'cancelled');
  assert.equal(last.detail.policy, 'none');
  assert.equal(last.detail.refund, '0');
});

test('when a locked active rental is cancelled, then 409 locked says when the lock runs out, and the rental goes on', async () => {
  const s = await startTestStack();
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  assert.ok(active.lock_blocks > 0, 'DELEGATE_LOCK=true locks the rental');
  const res = await cancel(s, placed.id);
  assert.equal(res.status, 409);
  assert.equal(res.body.error.code, 'cancel_not_allowed');
  assert.equal(res.body.error.reason, 'locked');
  assert.equal(res.body.error.possible_at, new Date(Date.parse(active.delegated_at) + active.lock_blocks * 3000).toISOString());
  await sleep(500);
  const still = (await s.request({ method: 'GET', url: `/api/orders/${placed.id}` })).body;
  assert.equal(still.status, 'active');
  assert.equal(still.cancel_requested_at, null);
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 0);
});

// Flash rent: pool 0 takes the transfers and sends the refunds.
const TRX = 1_000_000n;
const FEE = 300_000n;

async function pay(s: Stack, to: string, sun: bigint): Promise<string> {
  const c = s.devnet.accounts.customers[0]!;
  const tronWeb = new TronWeb({ fullHost: s.devnet.url, privateKey: c.privateKey });
  const signed = await tronWeb.trx.sign(await tronWeb.transactionBuilder.sendTrx(to, Number(sun), c.address));
  assert.equal((await tronWeb.trx.sendRawTransaction(signed)).result, true);
  return signed.txID;
}

const paymentRow = (s: Stack, txid: string) => s.db.kysely.selectFrom('flash_payments').selectAll().where('txid', '=', txid).executeTakeFirst();
const orderPaidBy = (s: Stack, txid: string) => s.db.kysely.selectFrom('orders').selectAll().where('payment_txid', '=', txid).executeTakeFirst();

test('when a flash-rent order waiting for capacity is cancelled through an API process without flash-rent settings, then its payment is owed back and refunded on chain once, less the fee it was taken under', async () => {
  // 60M energy is more than any devnet pool has: the order waits for capacity.
  const s = await startTestStack({
    envFor: (devnet) => ({ FLASH_RENT_ADDRESS: devnet.accounts.pools[0]!.address, FLASH_RENT_TABLE: '3:60000000:1h', FLASH_RENT_REFUND_FEE_SUN: FEE.toString() }),
  });
  const flash = s.devnet.accounts.pools[0]!.address;
  await waitForFollower(s);
  const txid = await pay(s, flash, 3n * TRX);
  const order = await until(() => orderPaidBy(s, txid), (o) => o !== undefined, 'the payment never became an order');
  await s.waitFor(order!.id, (o) => o.wait_reason === 'waiting_for_pool_capacity');
  // An `api` process of the same cluster with no FLASH_RENT_* of its own: only workers see the payments.
  const api = await createTestApp({ databaseUrl: s.config.databaseUrl, env: { ALLOWED_DURATIONS: s.config.durations.map((d) => d.text).join(',') } });
  // The worker looks again every 2 s: between its tries the order is free to cancel.
  const res = await until(
    () => api.request({ method: 'POST', url: `/api/orders/${order!.id}/cancel` }),
    (r) => r.status !== 409,
    'the cancel kept finding the order held',
  ).finally(() => api.close());
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, 'cancelled');
  assert.equal(res.body.refunded_sun, String(3n * TRX - FEE));
  const owed = await paymentRow(s, txid);
  assert.ok(owed!.refund_status === 'due' || owed!.refund_status === 'refunded');
  assert.equal(owed!.refund_sun, 3n * TRX - FEE);
  assert.equal(owed!.refund_reason, 'cancelled');
  const refunded = await until(() => paymentRow(s, txid), (p) => p?.refund_status === 'refunded', 'the payment was never refunded', 30_000);
  await sleep(500);
  const sent = landed(await s.chainTxs('TransferContract')).filter((t) => t.owner === flash && t.receiver === s.customer(0));
  assert.equal(sent.length, 1);
  assert.equal(sent[0].txID, refunded!.refund_txid);
  assert.equal(BigInt(sent[0].amount), 3n * TRX - FEE);
  assert.equal(landed(await s.chainTxs('DelegateResourceContract')).length, 0);
});

test('when an active flash-rent order is cancelled early, then its prorata refund is owed back on chain, less the refund fee', async () => {
  const s = await startTestStack({
    env: { DELEGATE_LOCK: 'false' },
    envFor: (devnet) => ({ FLASH_RENT_ADDRESS: devnet.accounts.pools[0]!.address, FLASH_RENT_TABLE: '3:65000:1h', FLASH_RENT_REFUND_FEE_SUN: FEE.toString() }),
  });
  const flash = s.devnet.accounts.pools[0]!.address;
  await waitForFollower(s);
  const txid = await pay(s, flash, 3n * TRX);
  const order = await until(() => orderPaidBy(s, txid), (o) => o !== undefined, 'the payment never became an order');
  await s.waitFor(order!.id, (o) => o.status === 'active');
  assert.equal((await cancel(s, order!.id)).status, 202);
  const done = await s.waitFor(order!.id, (o) => o.status === 'completed', 30_000);
  assert.ok(done.cancelled_at);
  const r = await row(s, order!.id);
  const last = (await events(s, order!.id)).at(-1).detail;
  const prorata = (3n * TRX * (r.expires_at! - r.reclaimed_at!)) / 3_600_000n;
  const net = prorata - BigInt(last.fee_sun);
  assert.equal(last.prorata, prorata.toString());
  assert.equal(r.refunded_sun, net - FEE);
  const refunded = await until(() => paymentRow(s, txid), (p) => p?.refund_status === 'refunded', 'the payment was never refunded', 30_000);
  assert.equal(refunded!.refund_sun, net - FEE);
  assert.equal(refunded!.refund_reason, 'cancelled');
  const sent = landed(await s.chainTxs('TransferContract')).filter((t) => t.owner === flash && t.receiver === s.customer(0));
  assert.deepEqual(sent.map((t) => BigInt(t.amount)), [net - FEE]);
});
