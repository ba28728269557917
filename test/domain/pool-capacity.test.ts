import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poolCapacity } from '../../src/domain/pool-capacity.js';

const network = { totalEnergyWeight: 19_250_000_000n, totalEnergyLimit: 180_000_000_000n };

test('available = delegatable - reserved, and the energy it buys at the network rate, rounded down', () => {
  const c = poolCapacity({ ...network, delegatableSun: 5_000_000_000_000n, reservedSun: 3_423_000_000n });
  assert.equal(c.availableSun, 4_996_577_000_000n);
  assert.equal(c.energyPerTrx, 9.3506); // 180e9 / 19.25e9 = 9.350649…
  assert.equal(c.availableEnergy, (4_996_577_000_000n * 180_000_000_000n) / (19_250_000_000n * 1_000_000n));
  assert.equal(c.availableEnergy, 46_721_239n);
});

test('reserved beyond what the chain still shows as delegatable leaves nothing, never a negative', () => {
  const c = poolCapacity({ ...network, delegatableSun: 1_000_000n, reservedSun: 5_000_000n });
  assert.equal(c.availableSun, 0n);
  assert.equal(c.availableEnergy, 0n);
});

test('a network with no stake has no rate and no energy', () => {
  assert.deepEqual(poolCapacity({ totalEnergyWeight: 0n, totalEnergyLimit: 180_000_000_000n, delegatableSun: 10_000_000n, reservedSun: 0n }), {
    availableSun: 10_000_000n,
    energyPerTrx: 0,
    availableEnergy: 0n,
  });
});

test('the rate rounds half up at the fourth decimal', () => {
  assert.equal(poolCapacity({ totalEnergyWeight: 3n, totalEnergyLimit: 2n, delegatableSun: 0n, reservedSun: 0n }).energyPerTrx, 0.6667);
  assert.equal(poolCapacity({ totalEnergyWeight: 20_000n, totalEnergyLimit: 1n, delegatableSun: 0n, reservedSun: 0n }).energyPerTrx, 0.0001);
});
