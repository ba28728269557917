import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeBroadcast } from '../../src/domain/broadcast-answer.js';
import { energyForSun, lockBlocksFor, sunForEnergy, withMargin } from '../../src/domain/energy.js';
import { canPayFee, transactionsPayable } from '../../src/domain/pool-fees.js';
import { energyFromStake } from '../../src/devnet/energy.js';

test('a broadcast is dead only on an answer that proves it can never land; anything else is in doubt', () => {
  for (const code of ['SIGERROR', 'CONTRACT_VALIDATE_ERROR', 'CONTRACT_EXE_ERROR', 'BANDWITH_ERROR', 'TAPOS_ERROR', 'TOO_BIG_TRANSACTION_ERROR', 'TRANSACTION_EXPIRATION_ERROR']) {
    assert.equal(judgeBroadcast({ accepted: false, code }), 'dead', code);
  }
  for (const code of ['NOT_ENOUGH_EFFECTIVE_CONNECTION', 'SERVER_BUSY', 'OTHER_ERROR', 'NO_CONNECTION', 'BLOCK_UNSOLIDIFIED', 'SOMETHING_NEW']) {
    assert.equal(judgeBroadcast({ accepted: false, code }), 'in_doubt', code);
  }
  assert.equal(judgeBroadcast({ accepted: false, code: 'DUP_TRANSACTION_ERROR' }), 'accepted');
  assert.equal(judgeBroadcast({ accepted: true }), 'accepted');
});

test('locks follow the chain: capped at getMaxDelegateLockPeriod; where every lock is 3 days, shorter rentals go unlocked', () => {
  assert.equal(lockBlocksFor(3600n, 864_000n), 1200n);
  assert.equal(lockBlocksFor(40n * 86_400n, 864_000n), 864_000n);
  assert.equal(lockBlocksFor(3600n, 86_400n), null);
  assert.equal(lockBlocksFor(3n * 86_400n, 86_400n), 86_400n);
  assert.equal(lockBlocksFor(7n * 86_400n, 86_400n), 86_400n);
});

test('the margin adds stake, and the energy a stake gives is rounded down as the chain does', () => {
  assert.equal(withMargin(32_000n, 50), 32_160n);
  assert.equal(withMargin(1n, 50), 2n, 'rounded up');
  const weight = 19_250_000_000n;
  const limit = 180_000_000_000n;
  const sun = sunForEnergy(withMargin(65_000n, 50), weight, limit);
  assert.ok(energyForSun(sun, weight, limit) >= 65_325n);
  // A 1 % heavier network: the 0.5 % margin no longer covers it.
  assert.ok(energyForSun(sun, (weight * 101n) / 100n, limit) < 65_000n);
});

test("the stake sized for an amount of energy gives at least that much by the chain's own arithmetic (a double, truncated), even where the exact quotient is whole", () => {
  const totals = { totalEnergyWeight: 19_240_000_000n, totalEnergyLimit: 180_000_000_000n };
  // 63,000 energy is 6,734 TRX exactly, which the chain turns into 62,999.
  assert.equal(energyFromStake(6_734_000_000n, totals), 62_999n);
  assert.equal(sunForEnergy(63_000n, totals.totalEnergyWeight, totals.totalEnergyLimit), 6_735_000_000n);
  let short = 0;
  for (let energy = 1n; energy <= 300_000n; energy += 7n) {
    if (energyFromStake(sunForEnergy(energy, totals.totalEnergyWeight, totals.totalEnergyLimit), totals) < energy) short++;
  }
  assert.equal(short, 0, 'no amount falls short');
});

test('a pool pays a transaction from staked bandwidth, else free bandwidth, else TRX at the fee per byte', () => {
  const none = { balanceSun: 0n, freeNetLimit: 600n, freeNetUsed: 600n, netLimit: 0n, netUsed: 0n };
  assert.equal(canPayFee(none, 1000n), false);
  assert.equal(canPayFee({ ...none, freeNetUsed: 300n }, 1000n), true);
  assert.equal(canPayFee({ ...none, netLimit: 1000n, netUsed: 700n }, 1000n), true);
  assert.equal(canPayFee({ ...none, balanceSun: 299_999n }, 1000n), false);
  assert.equal(canPayFee({ ...none, balanceSun: 300_000n }, 1000n), true);
  assert.equal(transactionsPayable({ balanceSun: 3_000_000n, freeNetLimit: 600n, freeNetUsed: 0n, netLimit: 0n, netUsed: 0n }, 1000n), 12n);
});
