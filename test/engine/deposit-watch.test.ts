import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChainBlock, ChainGateway } from '../../src/chain/gateway.js';
import { USDT_CONTRACT } from '../../src/domain/usdt.js';
import { DepositWatch } from '../../src/engine/deposit-watch.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestApp } from '../support/app.js';
import { TEST_XPUB } from '../support/deposit-keys.js';

const PAYER = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';

test('a burst of USDT deposits is taken a few blocks a turn: no turn reads more than 20 receipts (but always at least one block)', async () => {
  const t = await createTestApp({ env: { DEPOSIT_XPUB: TEST_XPUB } });
  try {
    const address = (await t.request({ method: 'GET', url: '/api/users/1/deposit-address' })).body.address as string;
    let n = 0;
    const usdt = (to: string) => ({ txid: (n++).toString(16).padStart(64, '0'), result: 'SUCCESS', payment: { kind: 'TRC20' as const, from: PAYER, to, amount: 1_000_000n, token: USDT_CONTRACT } });
    const trx = (to: string) => ({ txid: (n++).toString(16).padStart(64, '0'), result: 'SUCCESS', payment: { kind: 'TRX' as const, from: PAYER, to, amount: 1_000_000n } });
    const block = (number: number, transactions: ChainBlock['transactions']): ChainBlock => ({ number: BigInt(number), timestamp: 0n, id: '', transactions });
    // The chain is never asked by `take`: it only counts the receipts `find` would read.
    const watch = new DepositWatch(t.db, undefined as unknown as ChainGateway, { TRX: 1n, USDT: 1n }, createLogger('silent'));
    const tens = Array.from({ length: 5 }, (_, i) => block(i + 1, Array.from({ length: 10 }, () => usdt(address))));
    assert.equal(await watch.take(tens), 2, '20 receipts: two blocks of ten');
    assert.equal(await watch.take([block(1, Array.from({ length: 30 }, () => usdt(address))), ...tens]), 1, 'one block is always taken, however many');
    const others = Array.from({ length: 5 }, (_, i) => block(i + 1, [...Array.from({ length: 50 }, () => usdt(PAYER)), trx(address)]));
    assert.equal(await watch.take(others), 5, 'transfers to other addresses, and TRX, need no receipt');
  } finally {
    await t.close();
  }
});
