// What java-tron enforces that a kind devnet would not: a shorter lock after
// a longer one is refused, and every transaction's bandwidth must be paid for.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { drainPool, stackPerTest, type Stack } from '../support/stack.js';

const startTestStack = stackPerTest();
let pg: PostgresServer | undefined;
after(() => pg?.stop());
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const landed = (txs: any[]) => txs.filter((t) => t.status === 'included');

async function poolSeen(s: Stack, address: string, until: (p: any) => boolean): Promise<any> {
  const deadline = Date.now() + 15_000;
  let last: any;
  while (Date.now() < deadline) {
    last = (await s.request({ method: 'GET', url: '/api/pools', headers: admin })).body.pools.find((p: any) => p.address === address);
    if (last && until(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pool ${address} never reached the expected state: ${JSON.stringify(last)}`);
}


test('when a long rental holds a lock on the one pool, then a shorter rental to the same receiver is delegated unlocked and reclaimed at its own end', async () => {
  const s = await startTestStack({ poolCount: 1, env: { POOL_REFRESH_MS: '500' } });
  await s.deposit(1, 1_000_000_000n);
  const long = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  const longActive = await s.waitFor(long.id, (o) => o.status === 'active');
  assert.ok(longActive.lock_blocks > 0, 'the first rental is locked');
  const short = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  const shortActive = await s.waitFor(short.id, (o) => o.status === 'active');
  assert.equal(shortActive.lock_blocks, null, 'delegated unlocked, beside the locked one');
  assert.equal(shortActive.pool_address, longActive.pool_address);
  const done = await s.waitFor(short.id, (o) => o.status === 'completed', 30_000);
  assert.equal(done.reclaim_tx_status, 'confirmed');
  assert.equal((await s.request({ method: 'GET', url: `/api/orders/${long.id}` })).body.status, 'active', 'the long rental keeps its energy');
  assert.equal(landed(await s.chainTxs('DelegateResourceContract')).length, 2);
  // Nothing was refused on the way: no refusal was journaled.
  const journal = (await s.request({ method: 'GET', url: `/api/orders/${short.id}/transactions` })).body.transactions;
  assert.deepEqual(journal.map((t: any) => t.status), ['confirmed', 'confirmed']);
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when rentals to one receiver are placed at once on the one pool, then one of them is locked and the others go unlocked beside it, each reclaimed at its own end`, async () => {
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      pg ??= await startPostgres();
      databaseUrl = await createDatabase(pg.url);
    }
    const s = await startTestStack({ poolCount: 1, ...(databaseUrl ? { databaseUrl } : {}) });
    await s.deposit(1, 1_000_000_000n);
    const durations = ['1h', '2s', '5s', '1h'];
    const placed = await Promise.all(durations.map((duration) => s.order({ user_id: 1, energy_amount: 32000, duration, receive_address: s.customer() })));
    const active = await Promise.all(placed.map((o) => s.waitFor(o.id, (x) => x.status === 'active' || x.status === 'completed' || x.status === 'failed', 30_000)));
    assert.deepEqual(active.map((o) => o.status === 'failed' ? `failed: ${o.failure_reason}` : 'delegated'), durations.map(() => 'delegated'));
    assert.equal(active.filter((o) => o.lock_blocks !== null).length, 1, `one locked rental to the receiver: ${JSON.stringify(active.map((o) => o.lock_blocks))}`);
    for (const [i, duration] of durations.entries()) {
      if (duration === '1h') continue;
      const done = await s.waitFor(placed[i]!.id, (o) => o.status === 'completed', 30_000);
      assert.equal(done.reclaim_tx_status, 'confirmed', `the ${duration} rental reclaimed at its own end`);
    }
  });

  test(`[${dialect}] when a pool cannot pay for a transaction, then no order is planned on it; its reclaim waits with pool_cannot_pay_fee, raises reclaim_retrying, and completes once the pool is funded`, async () => {
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      pg ??= await startPostgres();
      databaseUrl = await createDatabase(pg.url);
    }
    await cannotPay(await startTestStack({ poolCount: 2, env: { POOL_REFRESH_MS: '300' }, ...(databaseUrl ? { databaseUrl } : {}) }));
  });
}

test('when a reclaim is refused because its pool cannot pay (the snapshot read before its TRX went), then no rental is planned on that pool until a read says it can pay again', async () => {
  const s = await startTestStack({ poolCount: 1, env: { POOL_REFRESH_MS: '3600000', DELEGATE_LOCK: 'false' } });
  await s.deposit(1, 1_000_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  const pool = (await s.waitFor(placed.id, (o) => o.status === 'active')).pool_address;
  await drainPool(s, pool);
  await s.waitFor(placed.id, (o) => o.wait_reason === 'pool_cannot_pay_fee', 20_000);

  const next = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer(1) });
  const waiting = await s.waitFor(next.id, (o) => o.wait_reason === 'waiting_for_pool_capacity');
  assert.equal(waiting.status, 'pending');
  const journal = (await s.request({ method: 'GET', url: `/api/orders/${next.id}/transactions` })).body.transactions;
  assert.deepEqual(journal, [], 'nothing signed on a pool the node said cannot pay');

  // Funded, and read again (the waiting order asks for it): the reclaim and the rental go through.
  await s.devnetAdmin('POST', '/accounts/set-balance', { address: pool, balance_sun: '100000000' });
  assert.equal((await s.waitFor(placed.id, (o) => o.status === 'completed', 60_000)).reclaim_tx_status, 'confirmed');
  assert.equal((await s.waitFor(next.id, (o) => o.status === 'active', 60_000)).pool_address, pool);
});

test('when a reclaim is refused because its pool cannot pay, then once the pool is funded the reclaim goes through at its next try, not at the pool\'s next periodic read', async () => {
  // No other order: nothing else asks for the pool to be read.
  const s = await startTestStack({ poolCount: 1, env: { POOL_REFRESH_MS: '3600000', DELEGATE_LOCK: 'false' } });
  await s.deposit(1, 1_000_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  const pool = (await s.waitFor(placed.id, (o) => o.status === 'active')).pool_address;
  await drainPool(s, pool);
  await s.waitFor(placed.id, (o) => o.wait_reason === 'pool_cannot_pay_fee', 20_000);
  // Read from the node after the refusal (the refusal alone leaves the balance just below a transaction's burn).
  await poolSeen(s, pool, (p) => p.transactions_payable === 0 && p.balance_sun === '0');
  await s.devnetAdmin('POST', '/accounts/set-balance', { address: pool, balance_sun: '100000000' });
  assert.equal((await s.waitFor(placed.id, (o) => o.status === 'completed', 30_000)).reclaim_tx_status, 'confirmed');
});

test('when many reclaims wait on a pool that cannot pay, then the pool is read a few times, not at every try of each: the node budget is not spent on it', async () => {
  const s = await startTestStack({ poolCount: 1, env: { POOL_REFRESH_MS: '3600000', DELEGATE_LOCK: 'false' } });
  await s.deposit(1, 1_000_000_000n);
  const placed = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer(i % 3) })));
  const pool = (await s.waitFor(placed[0]!.id, (o) => o.status === 'active')).pool_address;
  await Promise.all(placed.map((o) => s.waitFor(o.id, (x) => x.status === 'active' || x.status === 'reclaiming')));
  await drainPool(s, pool);
  for (const o of placed) await s.waitFor(o.id, (x) => x.wait_reason === 'pool_cannot_pay_fee', 20_000);
  // Each of the six tries again at its backoff's pace (from half a second), and each try finds the pool cannot
  // pay. When the node reads the pool is watched for 4 s.
  const readsSoFar = async () => ((await s.devnetAdmin('GET', '/calls')) as any).by_path['/wallet/getaccountresource'] ?? 0;
  const readAt: number[] = [];
  let count = await readsSoFar();
  for (const end = Date.now() + 4000; Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 25));
    // Kept dry: its staked bandwidth recovers within seconds at the devnet's pace, and a reclaim it could pay
    // would land, and have the pool read again at once (the prompt read after a stake move), not waited on.
    await s.devnetAdmin('POST', '/consume-bandwidth', { address: pool, net: 'all', free_net: 'all' });
    const now = await readsSoFar();
    for (; count < now; count++) readAt.push(Date.now());
  }
  // Asked at most once per 10 block intervals (1 s here), the reads are that far apart (less the watch's own lag).
  const gaps = readAt.slice(1).map((t, i) => t - readAt[i]!);
  assert.ok(readAt.length >= 2, `the dry pool is still read (funded meanwhile, it is found): ${readAt.length} reads in 4 s`);
  assert.ok(Math.min(...gaps) >= 700, `reads of the dry pool ${JSON.stringify(gaps)} ms apart`);
  // (Funded, the reclaims complete: the tests before show it.)
});

async function cannotPay(s: Stack): Promise<void> {
  await s.deposit(1, 1_000_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  const pool = active.pool_address;
  const other = s.devnet.accounts.pools.map((p) => p.address).find((a) => a !== pool)!;

  await drainPool(s, pool);
  const dry = await poolSeen(s, pool, (p) => p.running_dry);
  assert.equal(dry.transactions_payable, 0);

  // A new order goes to the pool that can pay.
  const next = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer(1) });
  assert.equal((await s.waitFor(next.id, (o) => o.status === 'active')).pool_address, other);

  // The reclaim cannot be paid: it waits, counts, and after five failures in a row raises the alert.
  const stuck = await s.waitFor(placed.id, (o) => o.wait_reason === 'reclaim_retrying', 40_000);
  assert.equal(stuck.status, 'reclaiming');
  assert.ok(stuck.reclaim_attempts >= 5, `reclaim_attempts ${stuck.reclaim_attempts}`);
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 0, 'nothing was signed that could not be paid');

  await s.devnetAdmin('POST', '/accounts/set-balance', { address: pool, balance_sun: '100000000' });
  const completed = await s.waitFor(placed.id, (o) => o.status === 'completed', 60_000);
  assert.equal(completed.reclaim_tx_status, 'confirmed');
  assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, 1);
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when a pool can pay for only a few transactions, then it takes only the rentals whose reclaims it can still pay: every one delegated is reclaimed at its end, the others wait for the pool to be funded`, async () => {
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      pg ??= await startPostgres();
      databaseUrl = await createDatabase(pg.url);
    }
    const s = await startTestStack({ poolCount: 1, env: { POOL_REFRESH_MS: '300' }, ...(databaseUrl ? { databaseUrl } : {}) });
    await s.deposit(1, 1_000_000_000n);
    const pool = s.devnet.accounts.pools[0]!.address;
    // No bandwidth left, and TRX to burn for five transactions of 300 bytes at 1,000 sun a byte.
    await drainPool(s, pool);
    await s.devnetAdmin('POST', '/accounts/set-balance', { address: pool, balance_sun: String(5 * 300 * 1000) });
    const read = await poolSeen(s, pool, (p) => p.balance_sun === '1500000');
    assert.equal(read.transactions_payable, 5);

    // Four rentals at once: one pays its delegation and its reclaim, so two fit (a third only if the pool's
    // bandwidth recovered a transaction's worth meanwhile); before, all four were delegated and three reclaims
    // could not be paid.
    const placed = await Promise.all([0, 1, 2, 3].map(() => s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() })));
    const isDelegated = (o: any) => o.delegate_tx_status !== null;
    const until = Date.now() + 20_000;
    let seen: any[] = [];
    while (Date.now() < until) {
      seen = await Promise.all(placed.map(async (o) => (await s.request({ method: 'GET', url: `/api/orders/${o.id}` })).body));
      if (seen.filter(isDelegated).length >= 2 && seen.filter(isDelegated).every((o) => o.status === 'completed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const delegated = seen.filter(isDelegated);
    assert.ok(delegated.length >= 2 && delegated.length <= 3, `two rentals taken (three at most): ${JSON.stringify(seen.map((o) => [o.status, o.wait_reason]))}`);
    for (const o of delegated) {
      assert.equal(o.status, 'completed', `reclaimed at its end: ${JSON.stringify([o.status, o.wait_reason, o.reclaim_attempts])}`);
      assert.equal(o.reclaim_attempts, 0, 'its reclaim was paid the first time');
    }
    for (const o of seen.filter((x) => !isDelegated(x))) assert.equal(o.status, 'pending', 'the others wait for a pool');
    assert.equal(landed(await s.chainTxs('UnDelegateResourceContract')).length, delegated.length);

    // Funded, the pool takes the others.
    await s.devnetAdmin('POST', '/accounts/set-balance', { address: pool, balance_sun: '100000000' });
    for (const o of placed) assert.equal((await s.waitFor(o.id, (x) => x.status === 'completed', 60_000)).reclaim_tx_status, 'confirmed');
  });
}
