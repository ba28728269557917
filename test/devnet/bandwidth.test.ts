// What a transaction's bytes cost, as java-tron's BandwidthProcessor charges
// them: staked bandwidth first, then the free daily allowance, then TRX burnt
// at getTransactionFee per byte, else BANDWITH_ERROR; and what
// getaccountnet, getaccountresource and gettransactioninfobyid report of it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TronWeb } from 'tronweb';
import { startDevnet, type DevAccount, type Devnet } from '../../src/devnet/index.js';
import { admin, broadcast, client, freshAddress, rebuild } from './tronweb-client.js';

const TRX = 1_000_000;

/** wallet/getaccountnet, as java-tron answers it (zero fields left out). */
async function netOf(devnet: Devnet, address: string): Promise<Record<string, number | undefined>> {
  const res = await fetch(`${devnet.url}/wallet/getaccountnet`, { method: 'POST', body: JSON.stringify({ address, visible: true }) });
  return (await res.json()) as Record<string, number>;
}

describe('devnet bandwidth and fees', () => {
  let devnet: Devnet;
  let pool: DevAccount;
  let alice: DevAccount;
  let bob: DevAccount;
  let tw: TronWeb;
  let atw: TronWeb;

  before(async () => {
    devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
    pool = devnet.accounts.pools[0]!;
    alice = devnet.accounts.customers[0]!;
    bob = devnet.accounts.customers[1]!;
    tw = client(devnet, pool.privateKey);
    atw = client(devnet, alice.privateKey);
  });
  after(() => devnet.close());

  async function transfer(from: TronWeb, fromAddress: string, to: string, amount: number) {
    const tx = await from.transactionBuilder.sendTrx(to, amount, fromAddress);
    return broadcast(from, await from.trx.sign(tx));
  }

  test('getchainparameters names the fees and limits as java-tron does, with mainnet values', async () => {
    const params = Object.fromEntries((await tw.trx.getChainParameters()).map((p) => [p.key, p.value]));
    assert.equal(params.getTransactionFee, 1000);
    assert.equal(params.getFreeNetLimit, 600);
    assert.equal(params.getEnergyFee, 100);
    assert.equal(params.getMaxDelegateLockPeriod, 864_000);
    assert.equal(params.getTotalNetLimit, 43_200_000_000);
    assert.equal(params.getCreateAccountFee, 100_000);
    assert.equal(params.getCreateNewAccountFeeInSystemContract, 1_000_000);
  });

  test('when a pool with staked bandwidth delegates, then its staked bandwidth pays the bytes and nothing is burnt', async () => {
    const before = await netOf(devnet, pool.address);
    assert.equal(before.freeNetLimit, 600);
    assert.equal(before.TotalNetLimit, 43_200_000_000);
    assert.equal(before.NetLimit, Math.trunc(10_000 * (43_200_000_000 / before.TotalNetWeight!)), 'NetLimit = staked TRX × TotalNetLimit / TotalNetWeight');
    const balance = await tw.trx.getUnconfirmedBalance(pool.address);
    const tx = await tw.transactionBuilder.delegateResource(10 * TRX, alice.address, 'ENERGY', pool.address);
    const out = await broadcast(tw, await tw.trx.sign(tx));
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    const info = await tw.trx.getTransactionInfo(out.txid);
    const bytes = info.receipt.net_usage!;
    assert.ok(bytes > 250 && bytes < 300, `a delegation is about 280 bytes, got ${bytes}`);
    assert.equal(info.fee, undefined, 'no fee');
    assert.equal(info.receipt.net_fee, undefined);
    const afterNet = await netOf(devnet, pool.address);
    assert.equal(afterNet.NetUsed, (before.NetUsed ?? 0) + bytes);
    assert.equal(afterNet.freeNetUsed, before.freeNetUsed, 'free bandwidth untouched while staked bandwidth lasts');
    assert.equal(await tw.trx.getUnconfirmedBalance(pool.address), balance);
    const resources = await tw.trx.getAccountResources(pool.address);
    assert.equal(resources.NetUsed, afterNet.NetUsed);
    assert.equal(resources.NetLimit, afterNet.NetLimit);
    const account = await tw.trx.getAccount(pool.address);
    assert.equal(account.net_usage, afterNet.NetUsed);
  });

  test('when an account without stake sends TRX, then its free daily bandwidth pays', async () => {
    const balance = await atw.trx.getUnconfirmedBalance(alice.address);
    const out = await transfer(atw, alice.address, bob.address, TRX);
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    const info = await atw.trx.getTransactionInfo(out.txid);
    const net = await netOf(devnet, alice.address);
    assert.equal(net.freeNetUsed, info.receipt.net_usage);
    assert.equal(net.NetUsed, undefined);
    assert.equal(await atw.trx.getUnconfirmedBalance(alice.address), balance - TRX);
  });

  test('when the free bandwidth is used up, then the bytes are paid in TRX at getTransactionFee sun each', async () => {
    await admin(devnet, 'POST', '/consume-bandwidth', { address: alice.address, free_net: 'all' });
    assert.equal((await netOf(devnet, alice.address)).freeNetUsed, 600);
    const balance = await atw.trx.getUnconfirmedBalance(alice.address);
    const out = await transfer(atw, alice.address, bob.address, TRX);
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    const info = await atw.trx.getTransactionInfo(out.txid);
    const fee = info.receipt.net_fee!;
    assert.ok(fee > 200_000 && fee < 300_000, `about 0.27 TRX, got ${fee}`);
    assert.equal(fee % 1000, 0, 'a whole number of bytes at 1000 sun');
    assert.equal(info.fee, fee);
    assert.equal(info.receipt.net_usage, undefined);
    assert.equal(await atw.trx.getUnconfirmedBalance(alice.address), balance - TRX - fee);
  });

  test('when a transfer creates an account and no staked bandwidth can pay, then 0.1 TRX is burnt for the bytes besides the 1 TRX creation fee', async () => {
    const balance = await atw.trx.getUnconfirmedBalance(alice.address);
    const out = await transfer(atw, alice.address, freshAddress(), TRX);
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    const info = await atw.trx.getTransactionInfo(out.txid);
    assert.equal(info.receipt.net_fee, 100_000);
    assert.equal(info.fee, 1_100_000);
    assert.equal(await atw.trx.getUnconfirmedBalance(alice.address), balance - TRX - 1_100_000);
    const tx = await atw.trx.getTransaction(out.txid);
    assert.deepEqual(tx.ret, [{ contractRet: 'SUCCESS' }], 'what it burnt is in the info, not the transaction');
  });

  test('when an account has neither bandwidth nor TRX for the bytes, then BANDWITH_ERROR, before the contract is even validated', async () => {
    const owner = devnet.accounts.pools[1]!;
    const otw = client(devnet, owner.privateKey);
    await admin(devnet, 'POST', '/accounts/set-balance', { address: owner.address, balance_sun: 0 });
    await admin(devnet, 'POST', '/consume-bandwidth', { address: owner.address, net: 'all', free_net: 'all' });
    const net = await netOf(devnet, owner.address);
    assert.equal(net.NetUsed, net.NetLimit);
    const tx = await otw.transactionBuilder.delegateResource(10 * TRX, alice.address, 'ENERGY', owner.address);
    const out = await broadcast(otw, await otw.trx.sign(tx));
    assert.deepEqual([out.code, out.message], ['BANDWITH_ERROR', 'Account resource insufficient error.']);
    // A contract that would be refused anyway is refused for its bandwidth first, as java-tron bills before it validates.
    const tooMuch = rebuild(tx, (v) => {
      v.balance = 1e15;
    });
    const refused = await broadcast(otw, await otw.trx.sign(tooMuch));
    assert.equal(refused.code, 'BANDWITH_ERROR');
    const { transactions } = await admin(devnet, 'GET', '/transactions');
    assert.equal(transactions.some((t: { txID: string }) => t.txID === out.txid), false, 'nothing was accepted');

    await admin(devnet, 'POST', '/accounts/set-balance', { address: owner.address, balance_sun: 1 * TRX });
    const paid = await broadcast(otw, await otw.trx.sign(tx));
    assert.equal(paid.result, true, 'one TRX pays for ~280 bytes');
    await devnet.mine(1);
    const info = await otw.trx.getTransactionInfo(paid.txid);
    assert.equal(await otw.trx.getUnconfirmedBalance(owner.address), TRX - info.receipt.net_fee!);
  });

  test('set-balance and consume-bandwidth refuse what is not an activated account', async () => {
    await assert.rejects(admin(devnet, 'POST', '/accounts/set-balance', { address: freshAddress(), balance_sun: 1 }), /400/);
    await assert.rejects(admin(devnet, 'POST', '/accounts/set-balance', { address: 'nope', balance_sun: 1 }), /400/);
    await assert.rejects(admin(devnet, 'POST', '/consume-bandwidth', { address: alice.address, net: -1 }), /400/);
  });
});
