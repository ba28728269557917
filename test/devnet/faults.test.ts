// Each fault mode as a TronWeb user meets it, and the inspection routes that
// let a test count what really landed on chain.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { TronWeb, providers } from 'tronweb';
import { startDevnet, type DevAccount, type Devnet } from '../../src/devnet/index.js';
import { admin, broadcast, client } from './tronweb-client.js';

const TRX = 1_000_000;

describe('devnet fault injection', () => {
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

  async function signedDelegation(amount = TRX) {
    return tw.trx.sign(await tw.transactionBuilder.delegateResource(amount, customer.address, 'ENERGY', pool.address));
  }

  async function status(txid: string): Promise<string | undefined> {
    const { transactions } = await admin(devnet, 'GET', '/transactions');
    return (transactions as Array<{ txID: string; status: string }>).find((t) => t.txID === txid)?.status;
  }

  test('http-error answers 5xx for N requests on a path prefix, and TronWeb throws', async () => {
    await admin(devnet, 'POST', '/faults/http-error', { status: 503, count: 2, pathPrefix: '/wallet/getnowblock' });
    await assert.rejects(tw.trx.getCurrentBlock(), /503/);
    assert.ok((await tw.trx.getAccount(pool.address)).address, 'other paths are untouched');
    await assert.rejects(tw.trx.getCurrentBlock(), /503/);
    assert.ok((await tw.trx.getCurrentBlock()).blockID, 'the fault ran out');
  });

  test("http-error 'after' applies the broadcast but loses the answer: the outcome is unknown to the client", async () => {
    const signed = await signedDelegation();
    await admin(devnet, 'POST', '/faults/http-error', { status: 502, count: 1, pathPrefix: '/wallet/broadcasttransaction', when: 'after' });
    await assert.rejects(tw.trx.sendRawTransaction(signed), /502/);
    await devnet.mine(1);
    assert.equal(await status(signed.txID), 'included');
    assert.equal((await tw.trx.getTransactionInfo(signed.txID)).id, signed.txID);
  });

  test('http-error lasts until cleared when no count is given', async () => {
    await admin(devnet, 'POST', '/faults/http-error', { status: 500 });
    await assert.rejects(tw.trx.getCurrentBlock(), /500/);
    await assert.rejects(tw.trx.getCurrentBlock(), /500/);
    await admin(devnet, 'POST', '/faults/clear');
    assert.ok((await tw.trx.getCurrentBlock()).blockID);
  });

  test('hang holds the answer for N ms, so a client with a shorter timeout gives up', async () => {
    await admin(devnet, 'POST', '/faults/hang', { ms: 400, count: 1, pathPrefix: '/wallet/getnowblock' });
    const impatient = new TronWeb({
      fullNode: new providers.HttpProvider(devnet.url, 100),
      solidityNode: new providers.HttpProvider(devnet.url, 100),
      eventServer: devnet.url,
    });
    await assert.rejects(impatient.trx.getCurrentBlock(), /timeout/);
    await admin(devnet, 'POST', '/faults/hang', { ms: 200, count: 1, pathPrefix: '/wallet/getnowblock' });
    const started = Date.now();
    assert.ok((await tw.trx.getCurrentBlock()).blockID);
    assert.ok(Date.now() - started >= 190, 'the answer came after the hang');
  });

  test('drop accepts a broadcast that never lands; the same transaction rebroadcast later is accepted and lands', async () => {
    const signed = await signedDelegation(2 * TRX);
    await admin(devnet, 'POST', '/faults/drop', { count: 1 });
    const out = await broadcast(tw, signed);
    assert.equal(out.result, true);
    await devnet.mine(5);
    assert.deepEqual(await tw.trx.getTransactionInfo(signed.txID), {});
    assert.equal(await status(signed.txID), 'dropped');
    const again = await broadcast(tw, signed);
    assert.equal(again.result, true, again.message);
    await devnet.mine(1);
    assert.equal((await tw.trx.getTransactionInfo(signed.txID)).id, signed.txID);
  });

  test('delay includes a broadcast only after N blocks, and a rebroadcast meanwhile is a duplicate', async () => {
    const signed = await signedDelegation(3 * TRX);
    await admin(devnet, 'POST', '/faults/delay', { blocks: 3, count: 1 });
    assert.equal((await broadcast(tw, signed)).result, true);
    assert.equal((await broadcast(tw, signed)).code, 'DUP_TRANSACTION_ERROR');
    const start = devnet.headNumber();
    await devnet.mine(2);
    assert.deepEqual(await tw.trx.getUnconfirmedTransactionInfo(signed.txID), {});
    await devnet.mine(1);
    const info = await tw.trx.getUnconfirmedTransactionInfo(signed.txID);
    assert.equal(info.blockNumber, start + 3);
  });

  test('a delayed broadcast whose expiration passes first never lands', async () => {
    const signed = await signedDelegation(4 * TRX);
    await admin(devnet, 'POST', '/faults/delay', { blocks: 30, count: 1 });
    assert.equal((await broadcast(tw, signed)).result, true);
    await devnet.mine(30);
    assert.deepEqual(await tw.trx.getUnconfirmedTransactionInfo(signed.txID), {});
    assert.equal(await status(signed.txID), 'failed');
  });

  test('fail-broadcast answers the next N broadcasts with the given code', async () => {
    await admin(devnet, 'POST', '/faults/fail-broadcast', { count: 2, code: 'SERVER_BUSY', message: 'Server busy.' });
    const first = await broadcast(tw, await signedDelegation(5 * TRX));
    const second = await broadcast(tw, await signedDelegation(6 * TRX));
    assert.deepEqual([first.code, first.message, second.code], ['SERVER_BUSY', 'Server busy.', 'SERVER_BUSY']);
    assert.equal((await broadcast(tw, await signedDelegation(7 * TRX))).result, true);
  });

  test('inspection lists every applied transaction and every current delegation', async () => {
    const receiver = devnet.accounts.customers[2]!;
    const tx = await tw.transactionBuilder.delegateResource(11 * TRX, receiver.address, 'ENERGY', pool.address, true, 50);
    const out = await broadcast(tw, await tw.trx.sign(tx));
    await devnet.mine(1);
    const { transactions } = await admin(devnet, 'GET', '/transactions?status=included');
    assert.deepEqual(
      transactions.find((t: { txID: string }) => t.txID === out.txid),
      {
        txID: out.txid,
        contractType: 'DelegateResourceContract',
        owner: pool.address,
        receiver: receiver.address,
        amount: 11 * TRX,
        resource: 'ENERGY',
        status: 'included',
        block: devnet.headNumber(),
        fee: 0,
        // The pool's staked bandwidth pays the transaction's 282 bytes.
        netUsage: 282,
        netFee: 0,
      },
    );
    const { delegations } = await admin(devnet, 'GET', '/delegations');
    const mine = delegations.filter((d: { to: string }) => d.to === receiver.address);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].balance, 11 * TRX);
    assert.equal(mine[0].lock, true);
  });
});
