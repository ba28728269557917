import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { chargeBandwidth, listPoolSnapshots, lowerDelegatable, recordPoolFailure, savePoolSnapshot, type PoolFigures } from '../../src/db/pool-snapshots.js';
import type { ChainTransaction } from '../../src/db/chain-transactions.js';
import { ourStakeMove } from '../../src/engine/pool-stake.js';
import { describeEachDialect } from '../support/dialects.js';
import type { TestApp } from '../support/app.js';

const figures = (staked: bigint): PoolFigures => ({
  staked_sun: staked,
  delegated_sun: 1_000_000n,
  delegatable_sun: staked - 1_000_000n,
  energy_limit: 46_000_000n,
  total_energy_weight: 19_250_000_000n,
  total_energy_limit: 180_000_000_000n,
});

describeEachDialect('pool snapshots', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
  });
  afterEach(() => t.close());

  test("when a node says a pool can delegate less, then its snapshot is lowered and read at no known block: our transactions journaled before count as maybe in it, never twice", async () => {
    await savePoolSnapshot(t.db, 'TPoolB', { ...figures(5_000_000_000_000n), observed_block: 100n });
    const journaledBefore = BigInt(Date.now()) - 1000n;
    await lowerDelegatable(t.db, 'TPoolB', 6_000_000_000_000n);
    assert.equal((await listPoolSnapshots(t.db))[0]!.delegatable_sun, 4_999_999_000_000n, 'never raised');
    await lowerDelegatable(t.db, 'TPoolB', 3_000_000_000_000n);
    const [lowered] = await listPoolSnapshots(t.db);
    assert.deepEqual([lowered!.delegatable_sun, lowered!.observed_block], [3_000_000_000_000n, null]);
    // A delegation and a reclaim of ours that landed in block 105 (after the full read at 100), journaled before
    // the node's figure was read, so already in it: the delegation is taken off again (room unused, never counted
    // twice), the reclaim is not added back; both ask for the pool to be read again.
    const landed = (kind: string) => ({
      tx: { txid: kind, kind, pool_address: 'TPoolB', amount_sun: 1_000_000_000n, created_at: journaledBefore } as unknown as ChainTransaction,
      block: { number: 105n, time: null },
    });
    const delegated = ourStakeMove(lowered, landed('delegate') as never, 'delegated');
    assert.deepEqual([delegated.move?.sun, delegated.refresh], [1_000_000_000n, true]);
    const reclaimed = ourStakeMove(lowered, landed('reclaim') as never, 'reclaimed');
    assert.deepEqual([reclaimed.move, reclaimed.refresh], [undefined, true], 'a reclaim the figure may hold is not added back');
  });

  test('when a pool is read, then its figures are kept with the database time; a failure keeps them and records the error; the next success clears it', async () => {
    await savePoolSnapshot(t.db, 'TPoolB', figures(5_000_000_000_000n));
    const [first] = await listPoolSnapshots(t.db);
    assert.equal(first!.staked_sun, 5_000_000_000_000n);
    assert.equal(first!.delegatable_sun, 4_999_999_000_000n);
    assert.equal(first!.error, null);
    assert.ok(first!.observed_at !== null && Math.abs(Number(first!.observed_at) - Date.now()) < 5000);

    await recordPoolFailure(t.db, 'TPoolB', 'getaccount: timeout of 1500ms exceeded');
    const [failed] = await listPoolSnapshots(t.db);
    assert.equal(failed!.error, 'getaccount: timeout of 1500ms exceeded');
    assert.equal(failed!.staked_sun, 5_000_000_000_000n, 'the last good figures stay');
    assert.equal(failed!.observed_at, first!.observed_at, 'and so does the time they were seen');
    assert.ok(failed!.updated_at >= first!.updated_at);

    await savePoolSnapshot(t.db, 'TPoolB', figures(6_000_000_000_000n));
    const [again] = await listPoolSnapshots(t.db);
    assert.equal(again!.error, null);
    assert.equal(again!.staked_sun, 6_000_000_000_000n);
  });

  test('when a pool has never been read successfully, then its row has no figures and no time, only the error; rows come by address', async () => {
    await savePoolSnapshot(t.db, 'TPoolZ', figures(2_000_000n));
    await recordPoolFailure(t.db, 'TPoolA', 'x'.repeat(2000));
    const rows = await listPoolSnapshots(t.db);
    assert.deepEqual(rows.map((r) => r.address), ['TPoolA', 'TPoolZ']);
    assert.equal(rows[0]!.observed_at, null);
    assert.equal(rows[0]!.staked_sun, 0n);
    assert.equal(rows[0]!.error!.length, 500, 'a long error is cut');
  });

  test('when several of our transactions confirm in the blocks read at once, then each is charged in turn: staked bandwidth, then the free allowance, then TRX burnt', async () => {
    // Staked bandwidth for one transaction of 300 bytes, the free allowance for one more, then burning at 1,000 sun a byte.
    const fees = { balance_sun: 10_000_000n, net_limit: 500n, net_used: 100n, free_net_limit: 600n, free_net_used: 200n, transaction_fee_sun: 1000n, observed_block: 10n };
    await savePoolSnapshot(t.db, 'TPoolB', { ...figures(5_000_000_000_000n), ...fees });
    await savePoolSnapshot(t.db, 'TPoolC', { ...figures(5_000_000_000_000n), ...fees, observed_block: 20n });
    const use = (address: string, block: bigint) => ({ address, bytes: 300n, block });
    const burnt = await t.db.transaction((tx) =>
      chargeBandwidth(tx, [use('TPoolB', 11n), use('TPoolC', 12n), use('TPoolB', 11n), use('TPoolB', 12n), use('TPoolB', 13n)]),
    );
    assert.deepEqual(burnt, [0n, 0n, 0n, 300_000n, 300_000n], 'staked, (already seen), free, burnt, burnt');
    const [b, c] = await listPoolSnapshots(t.db);
    assert.deepEqual([b!.net_used, b!.free_net_used, b!.balance_sun], [400n, 500n, 9_400_000n], 'every charge of the pool kept');
    assert.deepEqual([c!.net_used, c!.free_net_used, c!.balance_sun], [100n, 200n, 10_000_000n], 'a read at or after the block already shows it');
  });
});
