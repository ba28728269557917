import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TronWeb } from 'tronweb';
import { paymentOf } from '../../src/chain/tronweb-gateway.js';

const USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const CALLER = 'TJFGefRjjMtd9DEntn4HGXDfapMZcdxCuh';
const HOLDER = 'TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs';
const TO = 'THG4Zgojwnj5wAGUaRpdDB31sHXdA87HKD';

const hex = (base58: string) => TronWeb.address.toHex(base58) as string;
const word = (base58: string) => hex(base58).slice(2).padStart(64, '0');
const amount = (n: bigint) => n.toString(16).padStart(64, '0');

/** A TriggerSmartContract as a block lists it. */
const call = (data: string) => ({
  txID: 'ab'.repeat(32),
  raw_data: { contract: [{ type: 'TriggerSmartContract', parameter: { value: { owner_address: hex(CALLER), contract_address: hex(USDT), data } } }] },
});

test('a TRC20 transfer pays its first argument from the caller; a transferFrom pays its second from its first, the holder, not the caller', () => {
  // Above 2^53: read exactly.
  const big = 2n ** 60n + 7n;
  assert.deepEqual(paymentOf(call(`a9059cbb${word(TO)}${amount(big)}`)), { kind: 'TRC20', from: CALLER, to: TO, amount: big, token: USDT, memo: undefined });
  assert.deepEqual(paymentOf(call(`23b872dd${word(HOLDER)}${word(TO)}${amount(6_000_000n)}`)), {
    kind: 'TRC20',
    from: HOLDER,
    to: TO,
    amount: 6_000_000n,
    token: USDT,
    memo: undefined,
  });
});

test('call data that is cut short, not hex, or another function pays nothing, and reading it throws nothing', () => {
  for (const data of [
    `a9059cbb${word(TO)}`,
    `23b872dd${word(HOLDER)}${word(TO)}`,
    `a9059cbb${word(TO)}${'zz'.repeat(32)}`,
    `095ea7b3${word(TO)}${amount(1n)}`,
    '',
  ]) {
    assert.equal(paymentOf(call(data)), undefined, data);
  }
});
