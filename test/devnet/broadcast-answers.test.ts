// Broadcast answers as a TronWeb user meets them: the refusals that prove a
// transaction never lands, with java-tron's codes and messages.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { TronWeb } from 'tronweb';
import { startDevnet, type DevAccount, type Devnet } from '../../src/devnet/index.js';
import { admin, broadcast, client } from './tronweb-client.js';

const TRX = 1_000_000;

describe('devnet broadcast answers', () => {
  let devnet: Devnet;
  let pool: DevAccount;
  let customer: DevAccount;
  let tw: TronWeb;

  before(async () => {
    devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
    pool = devnet.accounts.pools[0]!;
    customer = devnet.accounts.customers[0]!;
    tw = client(devnet, pool.privateKey);
  });
  after(() => devnet.close());
  beforeEach(() => admin(devnet, 'POST', '/faults/clear'));

  test('when a transaction with its results would pass 500 KiB, then TOO_BIG_TRANSACTION_ERROR with java-tron\'s message', async () => {
    const tx = await tw.transactionBuilder.sendTrx(customer.address, TRX, pool.address);
    const big = await tw.transactionBuilder.addUpdateData(tx, 'x'.repeat(520_000), 'utf8');
    const signed = await tw.trx.sign(big);
    const out = await broadcast(tw, signed);
    assert.equal(out.code, 'TOO_BIG_TRANSACTION_ERROR');
    assert.match(out.message!, new RegExp(`^Too big transaction with result, TxId ${signed.txID}, the size is \\d+ bytes, maxTxSize 512000$`));
  });

  test('when a transfer that creates an account is over 1000 bytes, then TOO_BIG_TRANSACTION_ERROR names the new account rule', async () => {
    const tx = await tw.transactionBuilder.sendTrx(tw.utils.accounts.generateAccount().address.base58, TRX, pool.address);
    const padded = await tw.transactionBuilder.addUpdateData(tx, 'x'.repeat(1000), 'utf8');
    const signed = await tw.trx.sign(padded);
    const out = await broadcast(tw, signed);
    assert.equal(out.code, 'TOO_BIG_TRANSACTION_ERROR');
    assert.match(out.message!, new RegExp(`^Too big new account transaction, TxId ${signed.txID}, the size is \\d+ bytes, maxTxSize 1000$`));
  });
});
