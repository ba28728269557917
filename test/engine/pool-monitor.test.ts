import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { TronWebGateway } from '../../src/chain/tronweb-gateway.js';
import { listPoolSnapshots, type PoolSnapshot } from '../../src/db/pool-snapshots.js';
import { databasesOnDemand } from '../support/dialects.js';
import { type Stack, stackPerTest } from '../support/stack.js';

const startTestStack = stackPerTest();
const databaseFor = databasesOnDemand();

/** Polls the pool snapshots until `until` holds. */
async function snapshots(stack: Stack, until: (rows: PoolSnapshot[]) => boolean, timeoutMs = 10_000): Promise<PoolSnapshot[]> {
  const deadline = Date.now() + timeoutMs;
  let rows: PoolSnapshot[] = [];
  while (Date.now() < deadline) {
    rows = await listPoolSnapshots(stack.db);
    if (until(rows)) return rows;
    await sleep(25);
  }
  throw new Error(`pool snapshots never reached the expected state; last seen: ${JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

const row = (rows: PoolSnapshot[], address: string) => rows.find((r) => r.address === address)!;
const allObserved = (count: number) => (rows: PoolSnapshot[]) => rows.length === count && rows.every((r) => r.observed_at !== null);

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`when an order goes active and then completes, then its pool snapshot follows each from what Joule knows, without asking the node [${dialect}]`, async () => {
    // One read at start; the snapshot moves after that only by our own confirmed transactions.
    const s = await startTestStack({ ...(await databaseFor(dialect)), env: { POOL_REFRESH_MS: '3600000' } });
    const initial = await snapshots(s, allObserved(2));
    for (const r of initial) {
      assert.equal(r.staked_sun, 5_000_000_000_000n);
      assert.equal(r.delegated_sun, 0n);
      assert.equal(r.delegatable_sun, 5_000_000_000_000n);
      assert.equal(r.total_energy_limit, 180_000_000_000n);
      assert.ok(r.energy_limit > 46_000_000n && r.total_energy_weight > 19_000_000_000n);
      assert.equal(r.error, null);
    }
    const poolReads = async () => ((await s.devnetAdmin('GET', '/calls')) as { by_path: Record<string, number> }).by_path['/wallet/getcandelegatedmaxsize'] ?? 0;
    const readsBefore = await poolReads();
    await s.deposit(1, 100_000_000n);
    const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '5s', receive_address: s.customer() });
    const active = await s.waitFor(placed.id, (o) => o.status === 'active');
    const sun = BigInt(active.delegated_sun);
    const before = row(initial, active.pool_address);

    const afterActive = row(await snapshots(s, (rows) => row(rows, active.pool_address).delegated_sun === sun, 3000), active.pool_address);
    assert.equal(afterActive.delegatable_sun, before.delegatable_sun - sun);
    assert.equal(afterActive.staked_sun, before.staked_sun, 'delegated stake is still staked');
    assert.ok(afterActive.energy_limit < before.energy_limit, 'the pool keeps less energy for itself');
    assert.ok(afterActive.net_used > before.net_used || afterActive.free_net_used > before.free_net_used, 'the delegation\'s bandwidth is charged');
    assert.equal(afterActive.observed_at, before.observed_at, 'not read from the node again');

    await s.waitFor(placed.id, (o) => o.status === 'completed', 30_000);
    const afterReclaim = row(await snapshots(s, (rows) => row(rows, active.pool_address).delegated_sun === 0n, 3000), active.pool_address);
    assert.equal(afterReclaim.delegatable_sun, before.delegatable_sun);
    assert.equal(afterReclaim.energy_limit, before.energy_limit);
    assert.equal(await poolReads(), readsBefore, 'no pool was read from the node for either');

    // The node agrees with what was kept: a read now changes neither figure.
    await s.engine.poolMonitor.refreshAll();
    const reread = row(await snapshots(s, () => true), active.pool_address);
    assert.equal(reread.delegatable_sun, afterReclaim.delegatable_sun);
    assert.equal(reread.delegated_sun, 0n);
  });
}

test('when a pool account does not exist on chain, then its error is recorded and retried, while the other pools and orders go on', async () => {
  const strangerKey = '11'.repeat(32);
  const stranger = TronWebGateway.addressOf(strangerKey);
  const s = await startTestStack({ env: { POOL_REFRESH_MS: '300' }, extraPoolKeys: [strangerKey] });
  const first = await snapshots(s, (rows) => rows.length === 3 && rows.filter((r) => r.observed_at !== null).length === 2);
  const bad = row(first, stranger);
  assert.match(bad.error!, /does not exist on chain/);
  assert.equal(bad.observed_at, null);
  assert.equal(bad.staked_sun, 0n);
  for (const r of first.filter((r) => r.address !== stranger)) assert.equal(r.error, null);

  // The loop goes on: good pools are read again, the stranger is tried again.
  await snapshots(s, (rows) =>
    rows.every((r) => (r.address === stranger ? r.updated_at > bad.updated_at : r.observed_at! > row(first, r.address).observed_at!)),
  );
  await s.deposit(2, 100_000_000n);
  const placed = await s.order({ user_id: 2, energy_amount: 32000, duration: '1h', receive_address: s.customer() });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  assert.notEqual(active.pool_address, stranger);
});

test('when the node fails, then every pool records the error and keeps its last figures; when it recovers, the error clears', async () => {
  const s = await startTestStack({ env: { POOL_REFRESH_MS: '300' } });
  await snapshots(s, allObserved(2));
  await s.devnetAdmin('POST', '/faults/http-error', { status: 503, pathPrefix: '/wallet/getaccount' });
  const failing = await snapshots(s, (rows) => rows.every((r) => r.error !== null));
  for (const r of failing) {
    assert.match(r.error!, /503/);
    assert.equal(r.staked_sun, 5_000_000_000_000n, 'the last good figures stay');
    assert.ok(r.observed_at !== null);
  }
  // The refresh keeps trying (each try stamps the row), and nothing new is observed meanwhile.
  const still = await snapshots(s, (rows) => rows.every((r) => r.updated_at > row(failing, r.address).updated_at), 5000);
  for (const r of still) assert.equal(r.observed_at, row(failing, r.address).observed_at, 'no new observation while the node fails');
  await s.devnetAdmin('POST', '/faults/clear');
  await snapshots(s, (rows) => rows.every((r) => r.error === null && r.observed_at! > row(failing, r.address).observed_at!));
});

test('when reads are slow and refreshes are asked for again and again, then rounds never overlap', async () => {
  const s = await startTestStack({ env: { POOL_REFRESH_MS: '100' } });
  await snapshots(s, allObserved(2));
  const chain = s.engine.ctx.chain;
  const read = chain.poolResources.bind(chain);
  const inFlight = new Map<string, number>();
  let most = 0;
  let reads = 0;
  chain.poolResources = async (address) => {
    inFlight.set(address, (inFlight.get(address) ?? 0) + 1);
    most = Math.max(most, inFlight.get(address)!);
    reads++;
    try {
      return await read(address);
    } finally {
      inFlight.set(address, inFlight.get(address)! - 1);
    }
  };
  await s.devnetAdmin('POST', '/faults/hang', { ms: 300, pathPrefix: '/wallet/getaccount' });
  for (let i = 0; i < 40; i++) {
    s.engine.poolMonitor.refreshSoon();
    await sleep(25);
  }
  await s.devnetAdmin('POST', '/faults/clear');
  assert.equal(most, 1, 'one read of a pool at a time');
  assert.ok(reads >= 2 * 2, `rounds went on (${reads} reads)`);
  assert.ok(reads <= 2 * 8, `each round waits for the last (${reads} reads in 1 s of 300 ms reads)`);
});
