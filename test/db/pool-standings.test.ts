// What a pool choice reads, in one statement: each pool's snapshot with the
// sun our delegating orders reserve on it, and our locked rentals under way
// to the order's receiver, not counting the order itself.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { claimOrderAndJournal } from '../../src/db/order-journal.js';
import { listPoolStandings } from '../../src/db/orders.js';
import { readPoolStandings } from '../../src/db/pool-standings-reads.js';
import { savePoolSnapshot } from '../../src/db/pool-snapshots.js';
import { describeEachDialect } from '../support/dialects.js';
import { SEED_ADDRESS, type TestApp } from '../support/app.js';

const FIGURES = { staked_sun: 50_000_000n, delegated_sun: 0n, delegatable_sun: 40_000_000n, energy_limit: 0n, total_energy_weight: 1n, total_energy_limit: 1n };

describeEachDialect('pool standings', (newApp) => {
  let t: TestApp;
  const ids: string[] = [];
  beforeEach(async () => {
    t = await newApp();
    await t.deposit(1, 1_000_000_000n);
    ids.length = 0;
    for (let i = 0; i < 5; i++) {
      const placed = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
      assert.equal(placed.status, 201);
      ids.push(placed.body.id);
    }
    const set = (id: string, status: 'delegating' | 'active' | 'completed', pool: string, sun: bigint, lockBlocks: bigint | null) =>
      t.db.kysely.updateTable('orders').set({ status, pool_address: pool, delegated_sun: sun, lock_blocks: lockBlocks }).where('id', '=', id).execute();
    await set(ids[0]!, 'delegating', 'TPoolOne', 1_000_000n, 100n);
    await set(ids[1]!, 'delegating', 'TPoolOne', 2_000_000n, null);
    await set(ids[2]!, 'active', 'TPoolTwo', 4_000_000n, 100n);
    await set(ids[3]!, 'delegating', 'TPoolGone', 8_000_000n, 100n);
    // ids[4] stays pending: the order choosing a pool.
    await savePoolSnapshot(t.db, 'TPoolOne', FIGURES);
    await savePoolSnapshot(t.db, 'TPoolTwo', FIGURES);
    await savePoolSnapshot(t.db, 'TPoolThree', FIGURES);
  });
  afterEach(() => t.close());

  const view = (rows: Awaited<ReturnType<typeof listPoolStandings>>) => rows.map((r) => [r.snapshot.address, r.reservedSun, r.lockedRentals, r.snapshot.delegatable_sun]);

  test('when orders delegate and hold locked rentals to the receiver, then each snapshot comes with what they reserve and how many locks it carries', async () => {
    assert.deepEqual(view(await listPoolStandings(t.db, SEED_ADDRESS, ids[4]!)), [
      ['TPoolOne', 3_000_000n, 1, 40_000_000n],
      ['TPoolThree', 0n, 0, 40_000_000n],
      ['TPoolTwo', 0n, 1, 40_000_000n],
    ]);
  });

  test('when a pending order is claimed, then on PostgreSQL the claim reads the same standings with it, counting locked rentals only when asked; another status\'s claim reads none', async () => {
    const expected = await listPoolStandings(t.db, SEED_ADDRESS, ids[4]!);
    const claimed = await claimOrderAndJournal(t.db, ids[4]!, 'worker-a', 30_000, true);
    assert.equal(claimed?.order.status, 'pending');
    if (t.db.dialect === 'sqlite') {
      assert.equal(claimed.standings, undefined, 'SQLite: the step reads them itself, in-process');
      return;
    }
    assert.deepEqual(claimed.standings, expected, 'the pool choice reads these, snapshot for snapshot');
    await t.db.kysely.updateTable('orders').set({ lease_owner: null, lease_until: null }).where('id', '=', ids[4]!).execute();
    const unlocked = await claimOrderAndJournal(t.db, ids[4]!, 'worker-a', 30_000, false);
    assert.deepEqual(view(unlocked!.standings!), [
      ['TPoolOne', 3_000_000n, 0, 40_000_000n],
      ['TPoolThree', 0n, 0, 40_000_000n],
      ['TPoolTwo', 0n, 0, 40_000_000n],
    ]);
    const delegating = await claimOrderAndJournal(t.db, ids[1]!, 'worker-a', 30_000, true);
    assert.equal(delegating?.order.status, 'delegating');
    assert.equal(delegating.standings, undefined, 'read only for a pending order');
  });

  test('when the order itself holds a locked rental there, or no receiver is asked about, then no lock is counted for it', async () => {
    assert.deepEqual(view(await listPoolStandings(t.db, SEED_ADDRESS, ids[0]!)), [
      ['TPoolOne', 3_000_000n, 0, 40_000_000n],
      ['TPoolThree', 0n, 0, 40_000_000n],
      ['TPoolTwo', 0n, 1, 40_000_000n],
    ]);
    assert.deepEqual(
      (await listPoolStandings(t.db, null, ids[4]!)).map((r) => r.lockedRentals),
      [0, 0, 0],
    );
  });

  test('when several orders choose at once, then each reads the standings it would read alone (on PostgreSQL in one statement): its own receiver\'s locks, not counting itself', async () => {
    const asks = [
      [SEED_ADDRESS, ids[4]!],
      [SEED_ADDRESS, ids[0]!],
      [null, ids[3]!],
      ['TNobodyRentsHere', ids[2]!],
    ] as const;
    const alone = [];
    for (const [receiver, order] of asks) alone.push(view(await listPoolStandings(t.db, receiver, order)));
    const together = await Promise.all(asks.map(([receiver, order]) => readPoolStandings(t.db, receiver, order)));
    assert.deepEqual(together.map(view), alone);
    assert.deepEqual(
      together.map((rows) => rows.map((r) => r.lockedRentals)),
      [
        [1, 0, 1],
        [0, 0, 1],
        [0, 0, 0],
        [0, 0, 0],
      ],
    );
  });
});
