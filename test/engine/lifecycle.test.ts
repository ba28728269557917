import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { TronWeb } from 'tronweb';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { findOrder } from '../../src/db/orders.js';
import { ADMIN_TOKEN, SEED_ADDRESS, walSyncs } from '../support/app.js';
import { assertLedgerSound, drainPool, stackPerTest, startStack, until, type Stack } from '../support/stack.js';

const startTestStack = stackPerTest();
let pg: PostgresServer | undefined;
after(() => pg?.stop());

const landed = (txs: any[]) => txs.filter((t) => t.status === 'included');

test('when an order is placed, then energy is delegated, confirmed, reclaimed at expiry, and the order completes', async () => {
  const s = await startTestStack();
  await s.deposit(1, 100_000_000n);
  const flushed = await walSyncs();
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  assert.equal(placed.status, 'pending');

  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  assert.equal(active.delegate_tx_status, 'confirmed');
  assert.match(active.delegate_txid, /^[0-9a-f]{64}$/);
  assert.equal(active.tx_hash, active.delegate_txid);
  assert.ok(s.devnet.accounts.pools.some((p) => p.address === active.pool_address));
  // 32,000 energy plus the 0.5 % margin (32,160) at the devnet's ~9.35 energy per TRX: ceil(32160 * weight / limit) whole TRX.
  assert.equal(BigInt(active.delegated_sun) % 1_000_000n, 0n);
  assert.ok(BigInt(active.delegated_sun) >= 3_439_000_000n && BigInt(active.delegated_sun) <= 3_441_000_000n, active.delegated_sun);
  assert.ok(active.delivered_energy >= 32_160 && active.delivered_energy < 32_200, String(active.delivered_energy));
  assert.equal(Date.parse(active.expires_at) - Date.parse(active.delegated_at), 2000);
  const onChain = (await s.devnetAdmin('GET', '/delegations')).delegations.filter((d: any) => d.to === s.customer());
  assert.equal(onChain.length, 1);
  assert.equal(String(onChain[0].balance), active.delegated_sun);

  const completed = await s.waitFor(placed.id, (o) => o.status === 'completed');
  assert.equal(completed.reclaim_tx_status, 'confirmed');
  assert.match(completed.reclaim_txid, /^[0-9a-f]{64}$/);
  assert.ok(completed.completed_at !== null && completed.reclaimed_at !== null);
  assert.ok(Date.parse(completed.reclaimed_at) >= Date.parse(active.expires_at));
  // The delegation and the reclaim were each on disk before the node had them (SQLite's WAL flushed).
  assert.ok((await walSyncs()) >= flushed + 2, `WAL flushes: ${(await walSyncs()) - flushed}`);

  const events = (await s.request({ method: 'GET', url: `/api/orders/${placed.id}/events` })).body.events;
  assert.deepEqual(
    events.map((e: any) => `${e.from_status}->${e.to_status}:${e.reason}`),
    [
      'null->pending:created',
      'pending->delegating:pool_selected',
      'delegating->active:delegation_confirmed',
      'active->reclaiming:rental_expired',
      'reclaiming->completed:reclaim_confirmed',
    ],
  );
  // Each event's detail is an object a client reads as it is, not JSON text inside JSON.
  assert.deepEqual(events[2].detail, { txid: active.delegate_txid, block: events[2].detail.block, delivered_energy: events[2].detail.delivered_energy });
  assert.ok(BigInt(events[2].detail.delivered_energy) >= 32_000n);
  assert.match(events[2].detail.block, /^\d+$/);
  assert.equal(events[1].detail.pool, active.pool_address);
  assert.equal(landed(await s.chainTxs('DelegateResourceContract')).length, 1);
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 1);
  assert.equal((await s.devnetAdmin('GET', '/delegations')).delegations.filter((d: any) => d.to === s.customer()).length, 0);
  assert.equal((await s.request({ method: 'GET', url: '/api/users/1' })).body.balance_sun, String(100_000_000 - 32000 * 80));
});

test("when the receiver is the seed's USDT contract, then the order is created (201 pending) and fails with receiver_is_contract and a refund", async () => {
  const s = await startTestStack();
  await s.deposit(2, 10_000_000n);
  const placed = await s.order({ user_id: 2, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS });
  assert.equal(placed.status, 'pending');
  const failed = await s.waitFor(placed.id, (o) => o.status === 'failed');
  assert.equal(failed.error_code, 'receiver_is_contract');
  assert.match(failed.error_message, /contract/);
  assert.equal(failed.refunded_sun, failed.price_sun);
  assert.equal((await s.request({ method: 'GET', url: '/api/users/2' })).body.balance_sun, '10000000');
  const ledger = (await s.request({ method: 'GET', url: '/api/users/2/ledger' })).body.entries.map((e: any) => e.kind);
  assert.deepEqual(ledger, ['refund', 'order_debit', 'deposit']);
  assert.equal((await s.chainTxs('DelegateResourceContract')).length, 0);
});

test('when the receiver was never activated, then the order fails with receiver_not_activated and a refund, and nothing is signed', async () => {
  const s = await startTestStack();
  await s.deposit(3, 10_000_000n);
  const fresh = (await TronWeb.createAccount()).address.base58;
  const placed = await s.order({ user_id: 3, energy_amount: 32000, duration: '1h', receive_address: fresh });
  const failed = await s.waitFor(placed.id, (o) => o.status === 'failed');
  assert.equal(failed.error_code, 'receiver_not_activated');
  assert.equal(failed.delegate_txid, null);
  assert.equal((await s.chainTxs('DelegateResourceContract')).length, 0);
});

test('when no pool can delegate that much, then the order waits with a visible reason, then fails with no_pool_capacity and a refund', async () => {
  const s = await startTestStack({ env: { POOL_WAIT_TIMEOUT_MS: '1500' } });
  await s.deposit(4, 100_000_000_000n);
  // Each devnet pool has about 46.8M energy of stake.
  const placed = await s.order({ user_id: 4, energy_amount: 60_000_000, duration: '1h', receive_address: s.customer() });
  const waiting = await s.waitFor(placed.id, (o) => o.wait_reason !== null || o.status === 'failed');
  assert.equal(waiting.status, 'pending');
  assert.equal(waiting.wait_reason, 'waiting_for_pool_capacity');
  const failed = await s.waitFor(placed.id, (o) => o.status === 'failed');
  assert.equal(failed.error_code, 'no_pool_capacity');
  assert.equal(failed.refunded_sun, failed.price_sun);
  assert.equal((await s.chainTxs('DelegateResourceContract')).length, 0);
});

/**
 * Two pools read once at start, then not again for an hour unless something
 * asks; then the first (the one an order of a size both can serve goes to
 * first) delegates most of its stake to someone else, by its owner's hand:
 * its snapshot still says it can delegate all of it.
 */
async function firstPoolStakeGone(databaseUrl?: string) {
  const s = await startTestStack({ poolCount: 2, env: { POOL_REFRESH_MS: '3600000', DELEGATE_LOCK: 'false' }, ...(databaseUrl ? { databaseUrl } : {}) });
  await s.deposit(9, 100_000_000_000n);
  const [first, second] = s.devnet.accounts.pools;
  await until(
    async () => (await s.request({ method: 'GET', url: '/api/pools', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body.pools,
    (pools: any[]) => pools.length === 2 && pools.every((p) => p.observed_at !== null),
    'both pools read',
  );
  const tw = new TronWeb({ fullHost: s.devnet.url, privateKey: first!.privateKey });
  const max = BigInt((await tw.trx.getCanDelegatedMaxSize(first!.address, 'ENERGY')).max_size ?? 0);
  const away = await tw.trx.sendRawTransaction(await tw.trx.sign(await tw.transactionBuilder.delegateResource(Number((max * 9n) / 10n), s.customer(2), 'ENERGY', first!.address)));
  assert.equal((away as any).result, true);
  return { s, first: first!, second: second! };
}

/** The order becomes active on `second`, its delegation refused once on `first` and never signed there again. */
async function servedByTheOtherPool(s: Stack, orderId: string, first: string, second: string): Promise<void> {
  const active = await s.waitFor(orderId, (o) => o.status === 'active' || o.status === 'failed', 30_000);
  assert.equal(active.status, 'active', `${active.error_code}: ${active.error_message}`);
  assert.equal(active.pool_address, second, 'served by the pool that has the stake');
  const journal = (await s.request({ method: 'GET', url: `/api/orders/${orderId}/transactions` })).body.transactions;
  assert.deepEqual(
    journal.map((t: any) => [t.pool_address, t.status]),
    [
      [first, 'failed'],
      [second, 'confirmed'],
    ],
    'refused once on the first pool, never signed there again',
  );
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when the pool an order reserved on has delegated its stake elsewhere, outside Joule, then its refused delegation is not signed there again: the order chooses again and is served by another pool`, async () => {
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      pg ??= await startPostgres();
      databaseUrl = await createDatabase(pg.url);
    }
    const { s, first, second } = await firstPoolStakeGone(databaseUrl);

    const placed = await s.order({ user_id: 9, energy_amount: 30_000_000, duration: '1h', receive_address: s.customer() });
    await servedByTheOtherPool(s, placed.id, first.address, second.address);
    const events = (await s.request({ method: 'GET', url: `/api/orders/${placed.id}/events` })).body.events;
    assert.deepEqual(
      events.map((e: any) => [e.from_status, e.to_status, e.reason]),
      [
        [null, 'pending', 'created'],
        ['pending', 'delegating', 'pool_selected'],
        ['delegating', 'pending', 'pool_short'],
        ['pending', 'delegating', 'pool_selected'],
        ['delegating', 'active', 'delegation_confirmed'],
      ],
    );
  });
}

test('when the pool an order reserved on has delegated its stake elsewhere and its read is held up (a rate limit), then the order is not refused there again and again: it is served by another pool', async () => {
  const { s, first, second } = await firstPoolStakeGone();
  // Every read of a pool's resources from now on is held up, as a node's rate limit holds them.
  await s.devnetAdmin('POST', '/faults/hang', { pathPrefix: '/wallet/getaccountresource', ms: 10_000 });

  const placed = await s.order({ user_id: 9, energy_amount: 30_000_000, duration: '1h', receive_address: s.customer() });
  try {
    await servedByTheOtherPool(s, placed.id, first.address, second.address);
  } finally {
    await s.devnetAdmin('DELETE', '/faults');
  }
});

test('when the pool an order reserved on cannot pay for the delegation (its TRX swept, its bandwidth spent, after its snapshot was read), then the order chooses again and is served by another pool', async () => {
  const s = await startTestStack({ poolCount: 2, env: { POOL_REFRESH_MS: '3600000' } });
  await s.deposit(9, 100_000_000_000n);
  const [first, second] = s.devnet.accounts.pools;
  await until(
    async () => (await s.request({ method: 'GET', url: '/api/pools', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body.pools,
    (pools: any[]) => pools.length === 2 && pools.every((p) => p.observed_at !== null && p.transactions_payable > 2),
    'both pools read, each able to pay',
  );
  await drainPool(s, first!.address);
  const placed = await s.order({ user_id: 9, energy_amount: 30_000_000, duration: '1h', receive_address: s.customer() });
  await servedByTheOtherPool(s, placed.id, first!.address, second!.address);
  const events = (await s.request({ method: 'GET', url: `/api/orders/${placed.id}/events` })).body.events;
  assert.deepEqual(
    events.map((e: any) => [e.from_status, e.to_status, e.reason, e.detail?.cannot_pay_fee ?? null]),
    [
      [null, 'pending', 'created', null],
      ['pending', 'delegating', 'pool_selected', null],
      ['delegating', 'pending', 'pool_short', true],
      ['pending', 'delegating', 'pool_selected', null],
      ['delegating', 'active', 'delegation_confirmed', null],
    ],
  );
});

test('when two large orders each need most of a pool, then they are served by different pools', async () => {
  const s = await startTestStack();
  await s.deposit(5, 100_000_000_000n);
  const a = await s.order({ user_id: 5, energy_amount: 30_000_000, duration: '1h', receive_address: s.customer(0) });
  const b = await s.order({ user_id: 5, energy_amount: 30_000_000, duration: '1h', receive_address: s.customer(1) });
  const [ra, rb] = await Promise.all([s.waitFor(a.id, (o) => o.status === 'active'), s.waitFor(b.id, (o) => o.status === 'active')]);
  assert.notEqual(ra.pool_address, rb.pool_address);
  assert.equal(landed(await s.chainTxs('DelegateResourceContract')).length, 2);
});

test('when overlapping rentals go to one receiver, then they use different pools, so no lock holds up a reclaim', async () => {
  const s = await startTestStack();
  await s.deposit(6, 100_000_000n);
  const short = await s.order({ user_id: 6, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  await s.waitFor(short.id, (o) => o.status === 'active');
  const long = await s.order({ user_id: 6, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  const longActive = await s.waitFor(long.id, (o) => o.status === 'active');
  const shortDone = await s.waitFor(short.id, (o) => o.status === 'completed');
  assert.notEqual(longActive.pool_address, shortDone.pool_address);
});

test('when overlapping locked rentals must share the one pool, then the earlier reclaim waits for the reset lock and still completes', async () => {
  const s = await startTestStack({ poolCount: 1 });
  await s.deposit(7, 100_000_000n);
  const first = await s.order({ user_id: 7, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  await s.waitFor(first.id, (o) => o.status === 'active');
  // 10 s rental: its lock (4 blocks, 12 s of chain time) restarts the lock of the whole aggregate.
  const second = await s.order({ user_id: 7, energy_amount: 32000, duration: '10s', receive_address: s.customer() });
  const secondActive = await s.waitFor(second.id, (o) => o.status === 'active');
  assert.equal(secondActive.pool_address, (await s.waitFor(first.id, () => true)).pool_address);
  const firstDone = await s.waitFor(first.id, (o) => o.status === 'completed', 30_000);
  const secondDone = await s.waitFor(second.id, (o) => o.status === 'completed', 30_000);
  assert.equal(firstDone.reclaim_tx_status, 'confirmed');
  assert.equal(secondDone.reclaim_tx_status, 'confirmed');
  assert.equal(landed(await s.chainTxs('DelegateResourceContract')).length, 2);
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 2);
  assert.equal((await s.devnetAdmin('GET', '/delegations')).delegations.filter((d: any) => d.to === s.customer()).length, 0);
});

for (const emptyReads of [1, 2]) {
test(`when a node behind the others answers that the delegation is gone (${emptyReads === 1 ? 'once' : 'twice, the solidified view showing it'}), then the reclaim looks again and still undelegates it`, async () => {
  const s = await startTestStack();
  await s.deposit(8, 100_000_000n);
  const placed = await s.order({ user_id: 8, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  await s.waitFor(placed.id, (o) => o.status === 'active');
  // The reclaim's reads of the delegation reach a node that has not seen it (behind a load balancer): the
  // first only, or the look a minute later too, when the solidified view, read then, still shows it.
  await s.devnetAdmin('POST', '/faults/empty-read', { pathPrefix: '/wallet/getdelegatedresourcev2', count: emptyReads });
  await until(() => s.request({ method: 'GET', url: `/api/orders/${placed.id}` }), (r) => r.body.wait_reason === 'delegation_not_seen', 'the reclaim never met the node behind');
  const done = await s.waitFor(placed.id, (o) => o.status === 'completed', 20_000);
  assert.ok(done.reclaim_txid, 'reclaimed by a transaction of ours');
  assert.equal(done.reclaim_tx_status, 'confirmed');
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 1);
  assert.deepEqual((await s.devnetAdmin('GET', '/delegations')).delegations.filter((d: any) => d.to === s.customer()), [], 'no energy left with the receiver');
});
}

test('when the delegation was reclaimed by hand, then the reclaim records it as already reclaimed instead of retrying forever', async () => {
  const s = await startTestStack({ env: { DELEGATE_LOCK: 'false' } });
  await s.deposit(8, 100_000_000n);
  const placed = await s.order({ user_id: 8, energy_amount: 32000, duration: '5s', receive_address: s.customer() });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  assert.equal(active.lock_blocks ?? null, null);
  const pool = s.devnet.accounts.pools.find((p) => p.address === active.pool_address)!;
  const tw = new TronWeb({ fullHost: s.devnet.url, privateKey: pool.privateKey });
  const tx = await tw.transactionBuilder.undelegateResource(Number(active.delegated_sun), s.customer(), 'ENERGY', pool.address);
  const r = await tw.trx.sendRawTransaction(await tw.trx.sign(tx));
  assert.equal((r as any).result, true);
  const done = await s.waitFor(placed.id, (o) => o.status === 'completed', 20_000);
  assert.equal(done.reclaim_txid, null);
  const events = (await s.request({ method: 'GET', url: `/api/orders/${placed.id}/events` })).body.events;
  assert.equal(events.at(-1).reason, 'already_reclaimed');
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 1, 'the hand reclaim alone');
});

test('when a delegation is solidified a while after its block, then the rental runs from the block, not from when it was seen', async () => {
  // Blocks only when asked: the block that holds the delegation is made first, its solidification seconds later.
  const s = await startTestStack({ devnet: { blockIntervalMs: 0, solidifyLag: 1 } });
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  await s.waitFor(placed.id, (o) => o.delegate_tx_status === 'broadcast');
  // Past the genesis block's next slot, so the block's time is the wall clock's, as on mainnet.
  await new Promise((r) => setTimeout(r, 3500));
  await s.devnetAdmin('POST', '/mine', { blocks: 1 });
  const [delegation] = landed(await s.chainTxs('DelegateResourceContract'));
  const block = (await (await fetch(`${s.devnet.url}/wallet/getblockbynum`, { method: 'POST', body: JSON.stringify({ num: delegation.block }) })).json()) as any;
  const blockTime = Number(block.block_header.raw_data.timestamp);
  await new Promise((r) => setTimeout(r, 2000));
  await s.devnetAdmin('POST', '/mine', { blocks: 1 });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  assert.equal(Date.parse(active.delegated_at), blockTime, 'the rental starts at the block');
  assert.equal(Date.parse(active.expires_at), blockTime + 3_600_000, 'and ends an hour after it');
  assert.ok(Date.parse(active.updated_at) - blockTime >= 1500, 'although it was seen solidified seconds later');
});

test('when other stakers make the network heavier during a rental, then the receiver keeps the ordered energy as far as the margin covers', async () => {
  for (const [margin, move, keeps] of [
    ['100', 1.0, true], // a 1 % heavier network, a 1 % margin
    ['50', 0.4, true], // the default margin covers a 0.4 % move
    ['0', 1.0, false], // without a margin the receiver falls short
  ] as const) {
    const s = await startStack({ env: { ENERGY_MARGIN_BPS: margin } });
    try {
      await s.deposit(1, 100_000_000n);
      const placed = await s.order({ user_id: 1, energy_amount: 200_000, duration: '1h', receive_address: s.customer() });
      const active = await s.waitFor(placed.id, (o) => o.status === 'active');
      const resources = async () =>
        (await (await fetch(`${s.devnet.url}/wallet/getaccountresource`, { method: 'POST', body: JSON.stringify({ address: s.customer(), visible: true }) })).json()) as any;
      const before = await resources();
      await s.devnetAdmin('POST', '/network/energy-weight', { delta_trx: Math.ceil((Number(before.TotalEnergyWeight) * move) / 100) });
      await s.devnetAdmin('POST', '/mine', { blocks: 2 });
      const after = await resources();
      assert.ok(Number(after.TotalEnergyWeight) > Number(before.TotalEnergyWeight), 'the network got heavier');
      assert.ok(active.delivered_energy >= 200_000, `delivered ${active.delivered_energy}`);
      assert.equal(Number(after.EnergyLimit) >= 200_000, keeps, `margin ${margin} bps, ${move} % heavier: ${after.EnergyLimit} energy`);
      await assertLedgerSound(s);
    } finally {
      await s.close();
    }
  }
});

test('on mainnet timing (3 s blocks, solidified 19 behind; the chain clock run 30x), an order stays delegating with its delegation broadcast until it is solidified, then goes active and completes', async () => {
  const s = await startTestStack({ devnet: { profile: 'mainnet', blockIntervalMs: 100, solidifyLag: undefined } });
  assert.equal((await s.devnetAdmin('GET', '/status')).profile, 'mainnet');
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  const seen = new Set<string>();
  const deadline = Date.now() + 30_000;
  let order: any;
  do {
    order = (await s.request({ method: 'GET', url: `/api/orders/${placed.id}` })).body;
    seen.add(`${order.status}/${order.delegate_tx_status}`);
    await new Promise((r) => setTimeout(r, 25));
  } while (order.status !== 'active' && Date.now() < deadline);
  assert.ok(seen.has('delegating/broadcast'), `broadcast, not yet solidified, was shown: ${[...seen].join(' ')}`);
  assert.equal(order.delegate_tx_status, 'confirmed');
  const done = await s.waitFor(placed.id, (o) => o.status === 'completed', 60_000);
  assert.equal(done.reclaim_tx_status, 'confirmed');
  // Each transaction waits ~20 blocks for the solidified view; the block follower wakes the order
  // when it is there, so the order is not claimed and looked at once a block meanwhile.
  const { lease_version: claims } = (await findOrder(s.db, placed.id))!;
  assert.ok(claims <= 8n, `claimed ${claims} times from placed to completed (placing, confirming and the expiry, for two transactions)`);
});
