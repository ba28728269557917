// The Stake 2.0 rules on the state directly: energy per TRX, linear 24 h
// recovery, aggregation per (owner, receiver), and the lock reset of TIP-542.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyContract } from '../../src/devnet/broadcast.js';
import { processTransaction } from '../../src/devnet/process-transaction.js';
import { increaseUsage } from '../../src/devnet/resource-usage.js';
import { DevnetNode } from '../../src/devnet/devnet-node.js';
import { delegatableEnergySun, energyFromStake, recoveredUsage } from '../../src/devnet/energy.js';
import { resolveGenesis } from '../../src/devnet/genesis.js';

const TRX = 1_000_000n;

function node() {
  const genesis = resolveGenesis({
    seed: 'state-rules',
    restOfNetworkEnergyWeight: '19240000000',
    accounts: [
      { name: 'pool', balance: String(1000n * TRX), stakeEnergy: String(10_000_000n * TRX) },
      { name: 'alice', balance: String(10n * TRX) },
    ],
  });
  const n = new DevnetNode({ genesis, totalEnergyLimit: 180_000_000_000n, solidifyLag: 0, log: () => {}, signatureThreads: 0 });
  const [pool, alice] = genesis.accounts.map((a) => a.hex) as [string, string];
  return { n, pool, alice };
}

function delegate(n: DevnetNode, owner: string, receiver: string, balance: bigint, lock = false, lockPeriod = 0): void {
  applyContract(n.state, 'DelegateResourceContract', {
    owner_address: owner,
    receiver_address: receiver,
    balance: Number(balance),
    resource: 'ENERGY',
    lock,
    lock_period: lockPeriod,
  });
}

describe('energy', () => {
  test('energy per staked TRX is TotalEnergyLimit / TotalEnergyWeight, rounded down', () => {
    const totals = { totalEnergyLimit: 180_000_000_000n, totalEnergyWeight: 19_250_000_000n };
    assert.equal(energyFromStake(100n * TRX, totals), 935n);
    // Stake 2.0 counts fractions of a TRX (calculateGlobalEnergyLimitV2): 0.999999 × 9.35 → 9.
    assert.equal(energyFromStake(TRX - 1n, totals), 9n);
    assert.equal(energyFromStake(TRX, { ...totals, totalEnergyWeight: 0n }), 0n, 'no stake on the network, no energy');
    const { n } = node();
    const view = n.state.latest();
    assert.equal(view.energyTotals().totalEnergyWeight, 19_240_000_000n + 10_000_000n, 'our stake adds to the rest of the network');
  });

  test('used energy recovers linearly to zero over 28,800 slots (24 h)', () => {
    assert.equal(recoveredUsage(28_800n, 0, 0), 28_800n);
    assert.equal(recoveredUsage(28_800n, 0, 14_400), 14_400n);
    assert.equal(recoveredUsage(28_800n, 100, 100 + 7_200), 21_600n);
    assert.equal(recoveredUsage(28_800n, 0, 28_800), 0n);
    assert.equal(recoveredUsage(28_800n, 0, 99_999), 0n);
    assert.equal(recoveredUsage(1n, 0, 1), 1n, 'a partly recovered unit still counts');
  });

  test('new usage adds to what is left of the old, in java-tron\'s fixed-point arithmetic', () => {
    assert.equal(increaseUsage(0n, 300n, 0, 0), 300n);
    assert.equal(increaseUsage(300n, 300n, 0, 14_400), 450n, 'half of the old recovered after 12 h');
    assert.equal(increaseUsage(300n, 300n, 0, 28_800), 300n, 'all of the old recovered after 24 h');
    assert.equal(increaseUsage(300n, 0n, 7, 7), 300n, 'nothing recovers within a slot');
  });

  test('energy the owner used itself is not delegatable, and comes back as it recovers', () => {
    const { n, pool } = node();
    const before = delegatableEnergySun(n.state.latest().account(pool)!, n.state.latest().slot, n.state.latest().energyTotals());
    assert.equal(before, 10_000_000n * TRX);
    n.consumeEnergy(pool, 9_350_000n);
    const view = n.state.latest();
    const afterUse = delegatableEnergySun(view.account(pool)!, view.slot, view.energyTotals());
    const usedSun = before - afterUse;
    assert.ok(usedSun > 999_000n * TRX && usedSun < 1_001_000n * TRX, `~1M TRX backs 9.35M energy, got ${usedSun}`);
    const later = delegatableEnergySun(view.account(pool)!, view.slot + 14_400, view.energyTotals());
    assert.ok(later - afterUse > (usedSun * 49n) / 100n, 'half of it is back after 12 h');
  });
});

describe('processing a transaction', () => {
  test('a transaction refused by its contract leaves no trace: its bandwidth is not billed', () => {
    const { n, pool, alice } = node();
    const billed = {
      txID: '00'.repeat(32),
      owner: pool,
      contractType: 'DelegateResourceContract',
      value: { owner_address: pool, receiver_address: alice, balance: 1e15, resource: 'ENERGY' },
      serializedSize: 220n,
      signatureCount: 1,
      hasMemo: false,
    };
    assert.throws(() => processTransaction(n.state, billed), /FreezeEnergyV2 balance/);
    assert.equal(n.state.latest().account(pool)?.freeNetUsage, 0n);
    const receipt = processTransaction(n.state, { ...billed, value: { ...billed.value, balance: 1_000_000 } });
    assert.deepEqual(receipt, { netUsage: 284n, netFee: 0n, multiSignFee: 0n, memoFee: 0n, contractFee: 0n });
    assert.equal(n.state.latest().account(pool)?.freeNetUsage, 284n, 'no stake for bandwidth: the free allowance pays');
  });

  test('a dry run answers like the real thing and changes nothing', () => {
    const { n, pool, alice } = node();
    const billed = {
      txID: '00'.repeat(32),
      owner: alice,
      contractType: 'TransferContract',
      value: { owner_address: alice, to_address: pool, amount: 1_000_000 },
      serializedSize: 200n,
      signatureCount: 2,
      hasMemo: false,
    };
    assert.deepEqual(processTransaction(n.state, billed, true), { netUsage: 264n, netFee: 0n, multiSignFee: 1_000_000n, memoFee: 0n, contractFee: 0n });
    assert.equal(n.state.latest().account(alice)?.balance, 10n * TRX);
    assert.equal(n.state.latest().account(alice)?.freeNetUsage, 0n);
  });
});

describe('delegation records', () => {
  test('delegations from one owner to one receiver aggregate; locked and unlocked are separate records', () => {
    const { n, pool, alice } = node();
    delegate(n, pool, alice, 5n * TRX);
    delegate(n, pool, alice, 7n * TRX);
    delegate(n, pool, alice, 3n * TRX, true, 100);
    n.mine(1);
    const view = n.state.latest();
    assert.equal(view.delegation(pool, alice, false)?.energy, 12n * TRX);
    assert.equal(view.delegation(pool, alice, true)?.energy, 3n * TRX);
    assert.equal(view.account(alice)?.acquiredEnergy, 15n * TRX);
    assert.equal(view.account(pool)?.delegatedEnergy, 15n * TRX);
    assert.equal(view.account(pool)?.frozenEnergy, 10_000_000n * TRX - 15n * TRX);
  });

  test('a new lock restarts the lock of the whole aggregate', () => {
    const { n, pool, alice } = node();
    delegate(n, pool, alice, 5n * TRX, true, 100);
    n.mine(1);
    const first = n.state.latest().delegation(pool, alice, true)!;
    n.mine(60);
    const now = n.state.headBlock().timestamp;
    delegate(n, pool, alice, TRX, true, 100);
    const second = n.state.latest().delegation(pool, alice, true)!;
    assert.equal(second.energy, 6n * TRX);
    assert.equal(second.energyExpireTime, now + 100 * 3000);
    assert.ok(second.energyExpireTime > first.energyExpireTime);
  });

  test('an expired lock folds into the unlocked record at the next delegation', () => {
    const { n, pool, alice } = node();
    delegate(n, pool, alice, 5n * TRX, true, 10);
    n.mine(12);
    delegate(n, pool, alice, 2n * TRX);
    const view = n.state.latest();
    assert.equal(view.delegation(pool, alice, true), undefined);
    assert.equal(view.delegation(pool, alice, false)?.energy, 7n * TRX);
  });

  test('undelegating moves the receiver’s usage back to the owner in proportion', () => {
    const { n, pool, alice } = node();
    delegate(n, pool, alice, 1000n * TRX);
    n.mine(1);
    n.consumeEnergy(alice, 8000n);
    applyContract(n.state, 'UnDelegateResourceContract', {
      owner_address: pool,
      receiver_address: alice,
      balance: Number(500n * TRX),
      resource: 'ENERGY',
    });
    const view = n.state.latest();
    assert.equal(view.account(alice)?.energyUsage, 4000n);
    assert.equal(view.account(pool)?.energyUsage, 4000n);
    assert.equal(view.delegation(pool, alice, false)?.energy, 500n * TRX);
  });
});
