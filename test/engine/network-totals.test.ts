// The network's energy totals an engine prices and records delegations with:
// from a pool snapshot read within two refresh intervals. The pool choice
// reads every snapshot for each order; the activation that follows uses the
// totals it found while they are that fresh, and reads again once they are not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { listPoolSnapshots, savePoolSnapshot, type PoolFigures } from '../../src/db/pool-snapshots.js';
import type { EngineContext } from '../../src/engine/context.js';
import { networkTotals } from '../../src/engine/network-totals.js';
import { createTestApp, type TestApp } from '../support/app.js';

const POOL = 'TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy';
const REFRESH_MS = 60_000;
const figures = (totalEnergyWeight: bigint): PoolFigures => ({
  staked_sun: 5_000_000_000_000n,
  delegated_sun: 0n,
  delegatable_sun: 5_000_000_000_000n,
  energy_limit: 46_000_000n,
  total_energy_weight: totalEnergyWeight,
  total_energy_limit: 180_000_000_000n,
});

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test('when the pool choice has read the snapshots, then later totals come from what it found while that is fresh, and from the database again once it is not', async () => {
  const ctx = {
    db: t.db,
    settings: { poolRefreshMs: REFRESH_MS },
    pools: [{ address: POOL }],
    chain: {
      networkEnergy: () => assert.fail('a fresh snapshot is in the database: the node is not asked'),
    },
  } as unknown as EngineContext;
  await savePoolSnapshot(t.db, POOL, figures(19_000_000_000n));
  const read = await listPoolSnapshots(t.db);
  const seenAt = read[0]!.observed_at!;
  assert.equal((await networkTotals(ctx, seenAt, read)).totalEnergyWeight, 19_000_000_000n, 'from the snapshots the caller read');

  // The pool is read again later (its time set ahead, so it is fresh whatever the clock below).
  await savePoolSnapshot(t.db, POOL, figures(21_000_000_000n));
  await t.db.kysely.updateTable('pool_snapshots').set({ observed_at: seenAt + 10n * BigInt(REFRESH_MS) }).where('address', '=', POOL).execute();

  const soon = await networkTotals(ctx, seenAt + BigInt(REFRESH_MS));
  assert.equal(soon.totalEnergyWeight, 19_000_000_000n, 'within two refresh intervals: what the choice found, no read');
  const late = await networkTotals(ctx, seenAt + 2n * BigInt(REFRESH_MS) + 1n);
  assert.equal(late.totalEnergyWeight, 21_000_000_000n, 'past them: the database read again, its fresher snapshot used');
  assert.equal((await networkTotals(ctx, seenAt + 3n * BigInt(REFRESH_MS))).totalEnergyWeight, 21_000_000_000n, 'and remembered');
});
