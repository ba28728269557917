// The solidified view (walletsolidity/*, TronWeb's default for reads) trails
// the head by the configured lag, and a lag of 0 makes it follow the head.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDevnet } from '../../src/devnet/index.js';
import { broadcast, client } from './tronweb-client.js';

test('walletsolidity trails the head by solidifyLag blocks', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 5 });
  try {
    const pool = devnet.accounts.pools[0]!;
    const customer = devnet.accounts.customers[1]!;
    const tw = client(devnet, pool.privateKey);
    await devnet.mine(10);
    assert.equal((await tw.trx.getCurrentBlock()).block_header.raw_data.number, 10);
    assert.equal((await tw.trx.getConfirmedCurrentBlock()).block_header.raw_data.number, 5);

    const tx = await tw.transactionBuilder.delegateResource(2_000_000, customer.address, 'ENERGY', pool.address);
    const out = await broadcast(tw, await tw.trx.sign(tx));
    await devnet.mine(1);
    const included = devnet.headNumber();
    for (let n = 0; n < 5; n++) {
      assert.deepEqual(await tw.trx.getTransactionInfo(out.txid), {}, `not solid ${n} blocks after inclusion`);
      assert.deepEqual(await tw.trx.getDelegatedResourceV2(pool.address, customer.address), {});
      await devnet.mine(1);
    }
    const info = await tw.trx.getTransactionInfo(out.txid);
    assert.equal(info.blockNumber, included);
    assert.equal((await tw.trx.getConfirmedTransaction(out.txid)).txID, out.txid);
    const solidAccount = await tw.trx.getAccount(customer.address);
    assert.equal(solidAccount.account_resource?.acquired_delegated_frozenV2_balance_for_energy, 2_000_000);
  } finally {
    await devnet.close();
  }
});

test('with solidifyLag 0 the solidified view is the head', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
  try {
    const pool = devnet.accounts.pools[0]!;
    const tw = client(devnet, pool.privateKey);
    const tx = await tw.transactionBuilder.sendTrx(devnet.accounts.customers[0]!.address, 1_000_000, pool.address);
    const out = await broadcast(tw, await tw.trx.sign(tx));
    await devnet.mine(1);
    assert.equal((await tw.trx.getTransactionInfo(out.txid)).blockNumber, devnet.headNumber());
    assert.equal((await tw.trx.getConfirmedCurrentBlock()).blockID, (await tw.trx.getCurrentBlock()).blockID);
  } finally {
    await devnet.close();
  }
});

test('with a block interval, blocks arrive on their own', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 50, solidifyLag: 0 });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(devnet.headNumber() >= 3, `head ${devnet.headNumber()}`);
  } finally {
    await devnet.close();
  }
});
