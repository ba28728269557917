import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, test } from 'node:test';
import { savePoolSnapshot } from '../../src/db/pool-snapshots.js';
import { ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { describeEachDialect } from '../support/dialects.js';
import { seedOrder } from '../support/seed.js';
import { stackPerTest, type Stack } from '../support/stack.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const network = { total_energy_weight: 19_250_000_000n, total_energy_limit: 180_000_000_000n };

describeEachDialect('GET /api/pools', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
  });
  afterEach(() => t.close());

  test('when no admin token is presented, then 401', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-the-admin-token' }]) {
      const res = await t.request({ method: 'GET', url: '/api/pools', headers });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'unauthorized');
    }
  });

  test('when no pool has been read yet, then the list is empty', async () => {
    assert.deepEqual((await t.request({ method: 'GET', url: '/api/pools', headers: admin })).body, { pools: [] });
  });

  test('when pools have snapshots and orders are delegating, then each pool shows its figures, what those orders reserve and the room left', async () => {
    await savePoolSnapshot(t.db, 'TPoolB', {
      staked_sun: 5_000_000_000_000n,
      delegated_sun: 1_000_000_000n,
      delegatable_sun: 4_999_000_000_000n,
      energy_limit: 46_743_896n,
      ...network,
      balance_sun: 1_000_000_000n,
      free_net_limit: 600n,
      free_net_used: 0n,
      net_limit: 0n,
      net_used: 0n,
      transaction_fee_sun: 1000n,
    });
    await savePoolSnapshot(t.db, 'TPoolA', { staked_sun: 10_000_000n, delegated_sun: 0n, delegatable_sun: 10_000_000n, energy_limit: 93n, ...network });
    const now = BigInt(Date.now());
    // Only delegating orders hold room: pending ones have none yet, active ones show in the chain's figures.
    await seedOrder(t.db, { status: 'delegating', createdAt: now, poolAddress: 'TPoolB', delegatedSun: 3_423_000_000n });
    await seedOrder(t.db, { status: 'delegating', createdAt: now, poolAddress: 'TPoolB', delegatedSun: 1_000_000n });
    await seedOrder(t.db, { status: 'active', createdAt: now, poolAddress: 'TPoolB', delegatedSun: 1_000_000_000n, delegatedAt: now });
    await seedOrder(t.db, { status: 'reclaiming', createdAt: now, poolAddress: 'TPoolB', delegatedSun: 2_000_000n, delegatedAt: now });
    await seedOrder(t.db, { status: 'completed', createdAt: now, poolAddress: 'TPoolB', delegatedSun: 3_000_000n, delegatedAt: now });
    await seedOrder(t.db, { status: 'pending', createdAt: now });
    await seedOrder(t.db, { status: 'delegating', createdAt: now, poolAddress: 'TPoolA', delegatedSun: 20_000_000n });

    const res = await t.request({ method: 'GET', url: '/api/pools', headers: admin });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.pools.map((p: any) => p.address), ['TPoolA', 'TPoolB']);
    const [a, b] = res.body.pools;
    assert.ok(Date.parse(b.observed_at) > Date.now() - 60_000 && Date.parse(b.updated_at) >= Date.parse(b.observed_at));
    assert.deepEqual(
      { ...b, observed_at: undefined, updated_at: undefined },
      {
        address: 'TPoolB',
        staked_sun: '5000000000000',
        delegated_sun: '1000000000',
        reserved_sun: '3424000000',
        delegatable_sun: '4999000000000',
        available_sun: '4995576000000',
        energy_per_trx: 9.3506,
        available_energy: 46_711_879, // floor(4,995,576 TRX * 180e9 / 19.25e9)
        energy_limit: '46743896',
        total_energy_weight: '19250000000',
        total_energy_limit: '180000000000',
        observed_at: undefined,
        error: null,
        updated_at: undefined,
        balance_sun: '1000000000',
        free_bandwidth_left: 600,
        staked_bandwidth_left: 0,
        transactions_payable: 3335, // 600 free bytes: 2; 1,000 TRX at 300 bytes x 1,000 sun: 3,333
        transactions_owed: 6, // two delegating: a delegation and a reclaim each; one active and one reclaiming: a reclaim each
        running_dry: false,
        retired: false,
      },
    );
    // Pool A was read with nothing to pay fees with: flagged.
    assert.equal(a.transactions_payable, 0);
    assert.equal(a.running_dry, true);
    // Reserved past what the chain still shows: no room, never a negative.
    assert.equal(a.reserved_sun, '20000000');
    assert.equal(a.available_sun, '0');
    assert.equal(a.available_energy, 0);
  });

  test('when no worker has read a pool for 5 refresh intervals (a pool taken out of the keys), then it is shown retired', async () => {
    await savePoolSnapshot(t.db, 'TPoolGone', { staked_sun: 1n, delegated_sun: 0n, delegatable_sun: 1n, energy_limit: 0n, total_energy_weight: 1n, total_energy_limit: 1n });
    await savePoolSnapshot(t.db, 'TPoolLive', { staked_sun: 1n, delegated_sun: 0n, delegatable_sun: 1n, energy_limit: 0n, total_energy_weight: 1n, total_energy_limit: 1n });
    const minutesAgo = BigInt(Date.now() - 61_000);
    await t.db.kysely.updateTable('pool_snapshots').set({ updated_at: minutesAgo }).where('address', '=', 'TPoolGone').execute();
    const res = await t.request({ method: 'GET', url: '/api/pools', headers: admin });
    assert.deepEqual(res.body.pools.map((p: any) => [p.address, p.retired]), [['TPoolGone', true], ['TPoolLive', false]]);
  });
});

const startTestStack = stackPerTest();

async function pools(stack: Stack, until: (pools: any[]) => boolean, timeoutMs = 10_000): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = await stack.request({ method: 'GET', url: '/api/pools', headers: admin });
    assert.equal(last.status, 200);
    if (until(last.body.pools)) return last.body.pools;
    await sleep(25);
  }
  throw new Error(`GET /api/pools never showed the expected state; last: ${JSON.stringify(last?.body)}`);
}

test('when an order is delegating, then its pool shows the stake reserved; once active, the chain figures drop by the delegation and nothing stays reserved', async () => {
  // Blocks only when the test mines them, so the delegating phase lasts as long as it needs.
  const s = await startTestStack({ devnet: { blockIntervalMs: 0 }, env: { POOL_REFRESH_MS: '300' } });
  const initial = await pools(s, (p) => p.length === 2 && p.every((x) => x.observed_at !== null));
  for (const p of initial) {
    assert.equal(p.delegatable_sun, '5000000000000');
    assert.equal(p.reserved_sun, '0');
    assert.equal(p.available_sun, p.delegatable_sun);
    assert.ok(p.energy_per_trx > 9.3 && p.energy_per_trx < 9.4, String(p.energy_per_trx));
    assert.ok(p.available_energy > 46_000_000);
  }
  await s.deposit(1, 100_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  const delegating = await s.waitFor(placed.id, (o) => o.delegate_tx_status === 'broadcast');
  assert.equal(delegating.status, 'delegating');
  const sun = BigInt(delegating.delegated_sun);

  const during = (await s.request({ method: 'GET', url: '/api/pools', headers: admin })).body.pools;
  const pool = during.find((p: any) => p.address === delegating.pool_address);
  assert.equal(pool.reserved_sun, delegating.delegated_sun);
  const room = BigInt(pool.delegatable_sun) - sun;
  assert.equal(pool.available_sun, String(room > 0n ? room : 0n));
  for (const other of during.filter((p: any) => p.address !== delegating.pool_address)) assert.equal(other.reserved_sun, '0');

  for (let i = 0; i < 50 && (await s.waitFor(placed.id, () => true)).status !== 'active'; i++) {
    await s.devnet.mine(1);
    await sleep(100);
  }
  await s.waitFor(placed.id, (o) => o.status === 'active', 1000);
  const after = (await pools(s, (p) => p.find((x) => x.address === delegating.pool_address).delegated_sun === delegating.delegated_sun)).find(
    (p: any) => p.address === delegating.pool_address,
  );
  const before = initial.find((p: any) => p.address === delegating.pool_address);
  assert.equal(after.reserved_sun, '0');
  assert.equal(after.delegatable_sun, String(BigInt(before.delegatable_sun) - sun));
  assert.equal(after.available_sun, after.delegatable_sun);
  assert.equal(after.staked_sun, before.staked_sun);
  assert.ok(after.available_energy < before.available_energy);
  assert.ok(before.available_energy - after.available_energy >= 32_000, 'at least the energy the order rented is gone');
});
