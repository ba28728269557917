// Broadcast answers as a TronWeb user meets them: the failures that say
// nothing about the transaction (it may be pooled and land anyway), and the
// refusals that prove it never will, with java-tron's codes and messages.
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
  let amount = 1;

  before(async () => {
    devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
    pool = devnet.accounts.pools[0]!;
    customer = devnet.accounts.customers[0]!;
    tw = client(devnet, pool.privateKey);
  });
  after(() => devnet.close());
  beforeEach(() => admin(devnet, 'POST', '/faults/clear'));

  /** A fresh signed delegation (each a different amount, so a different transaction). */
  async function signedDelegation() {
    amount += 1;
    return tw.trx.sign(await tw.transactionBuilder.delegateResource(amount * TRX, customer.address, 'ENERGY', pool.address));
  }

  test('when accept-then-fail is set, then the node answers NOT_ENOUGH_EFFECTIVE_CONNECTION, yet the transaction is in the next block', async () => {
    await admin(devnet, 'POST', '/faults/accept-then-fail', {});
    const signed = await signedDelegation();
    const out = await broadcast(tw, signed);
    assert.deepEqual(out, { result: false, txid: signed.txID, code: 'NOT_ENOUGH_EFFECTIVE_CONNECTION', message: 'P2P broadcast failed.' });
    assert.deepEqual(await broadcast(tw, signed), {
      result: false,
      txid: signed.txID,
      code: 'DUP_TRANSACTION_ERROR',
      message: 'Dup transaction.',
    }, 'a rebroadcast finds it already pooled');
    await devnet.mine(1);
    const info = await tw.trx.getTransactionInfo(signed.txID);
    assert.equal(info.id, signed.txID);
    assert.equal(info.blockNumber, devnet.headNumber());
    const { transactions } = await admin(devnet, 'GET', '/transactions?status=included');
    assert.equal(transactions.find((t: { txID: string }) => t.txID === signed.txID).answered, 'NOT_ENOUGH_EFFECTIVE_CONNECTION');
  });

  for (const [code, message] of [
    ['SERVER_BUSY', 'Server busy.'],
    ['OTHER_ERROR', 'Error: null'],
    ['NO_CONNECTION', 'No connection.'],
    ['BLOCK_UNSOLIDIFIED', 'Block unsolidified.'],
  ] as const) {
    test(`when accept-then-fail answers ${code}, then the transaction still lands`, async () => {
      await admin(devnet, 'POST', '/faults/accept-then-fail', { code, count: 1 });
      const signed = await signedDelegation();
      const out = await broadcast(tw, signed);
      assert.deepEqual([out.code, out.message], [code, message]);
      const next = await broadcast(tw, await signedDelegation());
      assert.equal(next.result, true, 'the fault was used up');
      await devnet.mine(1);
      assert.equal((await tw.trx.getTransactionInfo(signed.txID)).id, signed.txID);
    });
  }

  test('accept-then-fail takes no code that proves the transaction cannot land, and keeps a given message', async () => {
    for (const code of ['SIGERROR', 'CONTRACT_VALIDATE_ERROR', 'BANDWITH_ERROR', 'TAPOS_ERROR', 'DUP_TRANSACTION_ERROR']) {
      await assert.rejects(admin(devnet, 'POST', '/faults/accept-then-fail', { code }), /400/);
    }
    const faults = await admin(devnet, 'POST', '/faults/accept-then-fail', { code: 'OTHER_ERROR', message: 'Error: timeout', count: 2 });
    assert.deepEqual(faults.acceptThenFail, { code: 'OTHER_ERROR', message: 'Error: timeout', remaining: 2 });
  });

  test('a transaction the node refuses does not get the accept-then-fail answer, and the fault waits for one it accepts', async () => {
    await admin(devnet, 'POST', '/faults/accept-then-fail', { count: 1 });
    const signed = await signedDelegation();
    // Its first byte changed, whatever it was (one signature in 256 already starts with 00).
    const signature = signed.signature![0]!;
    const forged = { ...signed, signature: [(signature.startsWith('00') ? '01' : '00') + signature.slice(2)] };
    assert.equal((await broadcast(tw, forged)).code, 'SIGERROR');
    assert.equal((await broadcast(tw, signed)).code, 'NOT_ENOUGH_EFFECTIVE_CONNECTION');
  });

  test('fail-broadcast refuses before the pool with java-tron messages: the transaction never lands', async () => {
    for (const [code, message] of [
      ['SERVER_BUSY', 'Server busy.'],
      ['NO_CONNECTION', 'No connection.'],
      ['NOT_ENOUGH_EFFECTIVE_CONNECTION', 'Effective connection:0 lt minEffectiveConnection:1'],
      ['BLOCK_UNSOLIDIFIED', 'Block unsolidified.'],
    ] as const) {
      await admin(devnet, 'POST', '/faults/fail-broadcast', { code });
      const signed = await signedDelegation();
      assert.deepEqual(await broadcast(tw, signed), { result: false, txid: signed.txID, code, message });
      await devnet.mine(1);
      assert.deepEqual(await tw.trx.getTransactionInfo(signed.txID), {});
    }
  });

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
