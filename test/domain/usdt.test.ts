import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTronAddress } from '../../src/domain/address.js';
import { USDT_CONTRACT, USDT_TREASURY, usdtTransferEstimate } from '../../src/domain/usdt.js';

test('a transfer to a USDT holder and to an address with none, told apart at any energy factor', () => {
  // Mainnet today: USDT's energy factor at its cap (x4.4).
  assert.deepEqual(usdtTransferEstimate(64_285n, 49_675n), { energy: 64_285n, holdsUsdt: true });
  assert.deepEqual(usdtTransferEstimate(130_285n, 100_675n), { energy: 130_285n, holdsUsdt: false });
  // No penalty at all (java-tron leaves energy_penalty out): the base costs alone.
  assert.deepEqual(usdtTransferEstimate(14_610n, 0n), { energy: 14_610n, holdsUsdt: true });
  assert.deepEqual(usdtTransferEstimate(29_610n, 0n), { energy: 29_610n, holdsUsdt: false });
  // A factor half way: totals that a fixed threshold on energy_used would confuse.
  assert.deepEqual(usdtTransferEstimate(36_525n, 21_915n), { energy: 36_525n, holdsUsdt: true });
  assert.deepEqual(usdtTransferEstimate(74_025n, 44_415n), { energy: 74_025n, holdsUsdt: false });
});

test('an answer that is no transfer is refused, not priced', () => {
  assert.throws(() => usdtTransferEstimate(0n, 0n));
  assert.throws(() => usdtTransferEstimate(64_285n, 64_285n));
  assert.throws(() => usdtTransferEstimate(64_285n, -1n));
});

test('the contract and the default simulated sender are TRON addresses', () => {
  assert.ok(isTronAddress(USDT_CONTRACT));
  assert.ok(isTronAddress(USDT_TREASURY));
});
