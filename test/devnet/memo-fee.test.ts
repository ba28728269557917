// The memo fee, as java-tron's Manager.consumeMemoFee charges it: a
// transaction whose raw_data.data is not empty burns getMemoFee (1 TRX on
// mainnet) from its owner, after its bytes and the multi-signature fee and
// before the contract is validated; TransactionInfo's fee includes it
// (TransactionUtil.buildTransactionInfoInstance).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TronWeb } from 'tronweb';
import { startDevnet, type DevAccount, type Devnet } from '../../src/devnet/index.js';
import { admin, broadcast, client, type Outcome } from './tronweb-client.js';

const TRX = 1_000_000;
const MEMO_FEE = 1_000_000;

describe('devnet memo fee', () => {
  let devnet: Devnet;
  let pool: DevAccount;
  let ptw: TronWeb;

  before(async () => {
    devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
    pool = devnet.accounts.pools[0]!;
    ptw = client(devnet, pool.privateKey);
  });
  after(() => devnet.close());

  /** A new account holding `sun`, with its own untouched free bandwidth. */
  async function funded(sun: number): Promise<{ address: string; tw: TronWeb }> {
    const account = TronWeb.createRandom();
    const tx = await ptw.transactionBuilder.sendTrx(account.address, sun, pool.address);
    const out = await broadcast(ptw, await ptw.trx.sign(tx));
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    return { address: account.address, tw: client(devnet, account.privateKey.replace(/^0x/, '')) };
  }

  /** sendTrx, with the memo added as a TronWeb user adds it, signed and broadcast. */
  async function send(tw: TronWeb, from: string, to: string, amount: number, memo?: string): Promise<Outcome> {
    let tx = await tw.transactionBuilder.sendTrx(to, amount, from);
    if (memo !== undefined) tx = await tw.transactionBuilder.addUpdateData(tx, memo, 'utf8');
    return broadcast(tw, await tw.trx.sign(tx));
  }

  async function summary(txid: string): Promise<Record<string, unknown> | undefined> {
    const { transactions } = await admin(devnet, 'GET', '/transactions');
    return (transactions as Array<Record<string, unknown>>).find((t) => t.txID === txid);
  }

  test('getchainparameters lists getMemoFee at mainnet value, 1 TRX', async () => {
    const params = Object.fromEntries((await ptw.trx.getChainParameters()).map((p) => [p.key, p.value]));
    assert.equal(params.getMemoFee, MEMO_FEE);
  });

  test('a transfer with a memo costs the amount plus 1 TRX when free bandwidth pays its bytes; the fee is in its transaction info', async () => {
    const sender = await funded(10 * TRX);
    const to = pool.address;
    const out = await send(sender.tw, sender.address, to, 2 * TRX, 'memo text');
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    assert.equal(await sender.tw.trx.getBalance(sender.address), 10 * TRX - 2 * TRX - MEMO_FEE);
    const info = await sender.tw.trx.getTransactionInfo(out.txid);
    assert.equal(info.fee, MEMO_FEE, 'TransactionInfo.fee includes the memo fee');
    assert.ok(info.receipt.net_usage! > 0, 'free bandwidth paid the bytes');
    assert.equal(info.receipt.net_fee, undefined, 'no TRX burnt for the bytes');
    // ResourceReceipt has no memo fee field: java-tron keeps it in ReceiptCapsule only.
    assert.deepEqual(Object.keys(info.receipt).sort(), ['net_usage']);
    const tx = await sender.tw.trx.getTransaction(out.txid);
    assert.equal(TronWeb.toUtf8(tx.raw_data.data as string), 'memo text');
    const row = await summary(out.txid);
    assert.equal(Number(row?.fee), MEMO_FEE);
    assert.equal(Number(row?.memoFee), MEMO_FEE);
  });

  test('a transfer without a memo costs only the amount', async () => {
    const sender = await funded(10 * TRX);
    const out = await send(sender.tw, sender.address, pool.address, 2 * TRX);
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    assert.equal(await sender.tw.trx.getBalance(sender.address), 8 * TRX);
    const info = await sender.tw.trx.getTransactionInfo(out.txid);
    assert.equal(info.fee, undefined);
    assert.equal((await summary(out.txid))?.memoFee, undefined, 'the summary names a memo fee only when one was paid');
  });

  test('when the bytes are burnt too, the fee is the bandwidth burn plus the memo fee', async () => {
    const sender = await funded(10 * TRX);
    await admin(devnet, 'POST', '/consume-bandwidth', { address: sender.address, free_net: 'all' });
    const out = await send(sender.tw, sender.address, pool.address, TRX, 'memo text');
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    const info = await sender.tw.trx.getTransactionInfo(out.txid);
    const netFee = info.receipt.net_fee!;
    assert.ok(netFee > 200_000 && netFee < 400_000, `the bytes at 1,000 sun each, got ${netFee}`);
    assert.equal(info.fee, netFee + MEMO_FEE);
    assert.equal(await sender.tw.trx.getBalance(sender.address), 10 * TRX - TRX - netFee - MEMO_FEE);
  });

  test('a sender whose balance cannot pay the memo fee is refused as java-tron answers AccountResourceInsufficientException, and nothing is charged', async () => {
    const sender = await funded(10 * TRX);
    await admin(devnet, 'POST', '/accounts/set-balance', { address: sender.address, balance_sun: MEMO_FEE - 1 });
    const net = () => sender.tw.trx.getAccountResources(sender.address).then((r) => r.freeNetUsed ?? 0);
    const out = await send(sender.tw, sender.address, pool.address, 1, 'memo text');
    assert.deepEqual([out.code, out.message], ['BANDWITH_ERROR', 'Account resource insufficient error.']);
    assert.equal(await summary(out.txid), undefined, 'not accepted');
    assert.equal(await sender.tw.trx.getUnconfirmedBalance(sender.address), MEMO_FEE - 1);
    assert.equal(await net(), 0, 'the bandwidth it would have used is given back');
    // The same transfer without a memo passes.
    const plain = await send(sender.tw, sender.address, pool.address, 1);
    assert.equal(plain.result, true, plain.message);
  });

  test('a balance that covers the amount but not the amount and the memo fee fails the transfer validation, and nothing is charged', async () => {
    const sender = await funded(10 * TRX);
    await admin(devnet, 'POST', '/accounts/set-balance', { address: sender.address, balance_sun: 2 * TRX });
    // The memo fee is burnt first (2 TRX cover it), then TransferActuator finds 1 TRX for 1.5.
    const out = await send(sender.tw, sender.address, pool.address, 1.5 * TRX, 'memo text');
    assert.deepEqual(
      [out.code, out.message],
      ['CONTRACT_VALIDATE_ERROR', 'Contract validate error : Validate TransferContract error, balance is not sufficient.'],
    );
    assert.equal(await sender.tw.trx.getUnconfirmedBalance(sender.address), 2 * TRX);
    const exact = await send(sender.tw, sender.address, pool.address, TRX, 'memo text');
    assert.equal(exact.result, true, exact.message);
    await devnet.mine(1);
    assert.equal(await sender.tw.trx.getBalance(sender.address), 0);
  });

  test('a transaction held back by the delay fault pays the memo fee when its block comes', async () => {
    const sender = await funded(10 * TRX);
    await admin(devnet, 'POST', '/faults/delay', { blocks: 2, count: 1 });
    const out = await send(sender.tw, sender.address, pool.address, TRX, 'later');
    assert.equal(out.result, true, out.message);
    await devnet.mine(2);
    const info = await sender.tw.trx.getTransactionInfo(out.txid);
    assert.equal(info.fee, MEMO_FEE);
    assert.equal(await sender.tw.trx.getBalance(sender.address), 10 * TRX - TRX - MEMO_FEE);
  });
});
