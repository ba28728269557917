import assert from 'node:assert/strict';
import { test } from 'node:test';
import { earlyCancelRefund, lockEndsAt } from '../../src/domain/cancel.js';

const HOUR = 3_600_000n;
const base = { policy: 'prorata' as const, price: 2_080_000n, paidInTrx: true, durationSeconds: 3600n, expiresAt: 10n * HOUR, reclaimFeeSun: 0n };

test('prorata: the price times the unused share of the rental, rounded down, less the reclaim fee', () => {
  // A quarter of an hour used: three quarters of 2,080,000 sun back.
  assert.deepEqual(earlyCancelRefund({ ...base, reclaimedAt: 10n * HOUR - 2_700_000n }), {
    policy: 'prorata', unusedMs: 2_700_000n, prorata: 1_560_000n, feeSun: 0n, refund: 1_560_000n,
  });
  // One millisecond left: 2,080,000 / 3,600,000 rounds down to 0.
  assert.equal(earlyCancelRefund({ ...base, reclaimedAt: 10n * HOUR - 1n }).refund, 0n);
  assert.equal(earlyCancelRefund({ ...base, reclaimedAt: 10n * HOUR - 2_700_000n, reclaimFeeSun: 280_000n }).refund, 1_280_000n);
});

test('never below 0, never more than the price, and nothing with policy none', () => {
  assert.equal(earlyCancelRefund({ ...base, reclaimedAt: 10n * HOUR - 1000n, reclaimFeeSun: 280_000n }).refund, 0n, 'a fee larger than the prorata');
  assert.equal(earlyCancelRefund({ ...base, reclaimedAt: 11n * HOUR }).unusedMs, 0n, 'reclaimed after the end');
  assert.equal(earlyCancelRefund({ ...base, reclaimedAt: 8n * HOUR }).refund, base.price, 'a clock before the start counts the whole rental');
  assert.equal(earlyCancelRefund({ ...base, policy: 'none', reclaimedAt: 9n * HOUR + 1n }).refund, 0n);
});

test('a USDT refund is not charged the TRX fee', () => {
  const r = earlyCancelRefund({ ...base, price: 640_000n, paidInTrx: false, reclaimedAt: 9n * HOUR + HOUR / 2n, reclaimFeeSun: 280_000n });
  assert.deepEqual([r.prorata, r.feeSun, r.refund], [320_000n, 0n, 320_000n]);
});

test('a lock lets go lock_blocks × 3 s after the delegation; an unlocked one has no end', () => {
  assert.equal(lockEndsAt(1_000n, 1200n), 1_000n + 3_600_000n);
  assert.equal(lockEndsAt(1_000n, null), null);
  assert.equal(lockEndsAt(null, 1200n), null);
});
