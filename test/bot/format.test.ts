import assert from 'node:assert/strict';
import { test } from 'node:test';
import { energyShort, energyText, parseEnergyInput } from '../../src/bot/format.js';
import { confirmationShown, confirmData, parseConfirmData } from '../../src/bot/screens.js';

test('what people type for an amount of energy is read as they mean it, and nothing else is', () => {
  const read: Array<[string, number | undefined]> = [
    ['65000', 65_000],
    ['65,000', 65_000],
    ['65 000', 65_000],
    ['65k', 65_000],
    ['65K', 65_000],
    ['1.5m', 1_500_000],
    ['1.005m', 1_005_000],
    ['2.675k', 2_675],
    ['1.50k', 1_500],
    ['65000.0', 65_000],
    ['65000.5', undefined],
    ['1M', 1_000_000],
    ['0', undefined],
    ['-5', undefined],
    ['1.2345k', undefined],
    ['lots', undefined],
    ['', undefined],
    ['99999999999999999999', undefined],
  ];
  for (const [text, energy] of read) assert.equal(parseEnergyInput(text), energy, text);
  assert.equal(energyText(1_234_567), '1,234,567');
  assert.deepEqual([65_000, 135_000, 1_000_000, 1_500].map(energyShort), ['65K', '135K', '1M', '1,500']);
});

test('the confirmation button carries the whole order within Telegram’s 64 bytes, and only a well-formed one is read back', () => {
  const order = { energy: 10_000_000, duration: '14d', receiver: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', currency: 'TRX' as const, shown: confirmationShown(Date.UTC(2026, 11, 7)) };
  const data = confirmData(order);
  assert.ok(Buffer.byteLength(data) <= 64, data);
  assert.deepEqual(parseConfirmData(data), order);
  assert.equal(order.shown.length, 6);
  assert.notEqual(confirmationShown(Date.UTC(2026, 11, 7) + 100), order.shown, 'another showing a tenth of a second later');
  // An amount too long for the showing as well: the order alone, as before.
  const huge = { ...order, energy: 999_999_999_999_999, duration: '999999d' };
  assert.equal(confirmData(huge), `ok:999999999999999:999999d:${order.receiver}`);
  assert.ok(Buffer.byteLength(confirmData(huge)) <= 64);
  const { shown: _, ...withoutShowing } = order;
  assert.deepEqual(parseConfirmData(confirmData(withoutShowing)), withoutShowing);
  // Paid in USDT: the same order under its own prefix, read back as USDT, never as TRX.
  const inUsdt = { ...order, currency: 'USDT' as const };
  assert.ok(confirmData(inUsdt).startsWith('ou:') && Buffer.byteLength(confirmData(inUsdt)) <= 64);
  assert.deepEqual(parseConfirmData(confirmData(inUsdt)), inUsdt);
  assert.equal(parseConfirmData('ox:65000:1h:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'), undefined);
  assert.equal(parseConfirmData('ok:65000:1h:not-an-address'), undefined);
  assert.equal(parseConfirmData('ok:65000:forever:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'), undefined);
});
