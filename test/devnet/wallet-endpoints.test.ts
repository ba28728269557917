// The rest of the HTTP surface: node-built transactions, getsignweight (what
// TronWeb's multiSign asks), java-tron's answers for unknown items and bad
// requests, int64_as_string and visible.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TronWeb } from 'tronweb';
import { startDevnet, type DevAccount, type Devnet } from '../../src/devnet/index.js';
import { broadcast, client, freshAddress } from './tronweb-client.js';

async function call(devnet: Devnet, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${devnet.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

describe('devnet wallet endpoints', () => {
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

  test('wallet/delegateresource builds a transaction that TronWeb signs and the node accepts', async () => {
    const { json: tx } = await call(devnet, '/wallet/delegateresource', {
      owner_address: pool.address,
      receiver_address: customer.address,
      balance: 3_000_000,
      resource: 'ENERGY',
      lock: true,
      lock_period: 20,
      visible: true,
    });
    assert.equal(tx.raw_data.contract[0].type, 'DelegateResourceContract');
    const out = await broadcast(tw, await tw.trx.sign(tx));
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    const { delegatedResource } = await tw.trx.getDelegatedResourceV2(pool.address, customer.address);
    assert.equal(delegatedResource?.[0]?.frozen_balance_for_energy, 3_000_000);
  });

  test('building endpoints validate first and answer {"Error"} like java-tron', async () => {
    const { status, json } = await call(devnet, '/wallet/undelegateresource', {
      owner_address: pool.address,
      receiver_address: devnet.accounts.customers[2]!.address,
      balance: 1_000_000,
      resource: 'ENERGY',
      visible: true,
    });
    assert.equal(status, 200);
    assert.deepEqual(json, { Error: 'class org.tron.core.exception.ContractValidateException : delegated Resource does not exist' });
  });

  test('wallet/createtransaction and wallet/freezebalancev2 build what TronWeb would', async () => {
    const { json: transfer } = await call(devnet, '/wallet/createtransaction', {
      owner_address: pool.address,
      to_address: customer.address,
      amount: 1_000_000,
      visible: true,
    });
    assert.equal((await broadcast(tw, await tw.trx.sign(transfer))).result, true);
    const ctw = client(devnet, customer.privateKey);
    const { json: freeze } = await call(devnet, '/wallet/freezebalancev2', {
      owner_address: customer.address,
      frozen_balance: 2_000_000,
      resource: 'ENERGY',
      visible: true,
    });
    assert.equal((await broadcast(ctw, await ctw.trx.sign(freeze))).result, true);
  });

  test("multiSign without Permission_id in the transaction goes through getsignweight and works", async () => {
    const owner = devnet.accounts.pools[1]!;
    const otw = client(devnet, owner.privateKey);
    const hot = await otw.createAccount();
    const operations = '00000000000000' + '06' + '00'.repeat(24);
    const update = await otw.transactionBuilder.updateAccountPermissions(
      owner.address,
      { type: 0, permission_name: 'owner', threshold: 1, keys: [{ address: owner.address, weight: 1 }] },
      null as never,
      [{ type: 2, permission_name: 'delegate', threshold: 1, operations, keys: [{ address: hot.address.base58, weight: 1 }] }] as never,
    );
    assert.equal((await broadcast(otw, await otw.trx.sign(update))).result, true);
    await devnet.mine(1);
    const htw = client(devnet, hot.privateKey);
    const tx = await htw.transactionBuilder.delegateResource(2_000_000, customer.address, 'ENERGY', owner.address);
    const signed = await htw.trx.multiSign(tx, hot.privateKey, 2);
    assert.equal(signed.raw_data.contract[0]!.Permission_id, 2);
    const out = await broadcast(htw, signed);
    assert.equal(out.result, true, out.message);
    const weight = await htw.trx.getSignWeight(signed);
    assert.equal(weight.result.code, 'ENOUGH_PERMISSION');
    await assert.rejects(otw.trx.multiSign(tx, owner.privateKey, 2), /has no permission to sign/);
  });

  test('unknown items answer {}, bad requests {"Error"}, unknown endpoints 404', async () => {
    assert.deepEqual((await call(devnet, '/wallet/getaccount', { address: freshAddress(), visible: true })).json, {});
    assert.deepEqual((await call(devnet, '/walletsolidity/gettransactionbyid', { value: 'ab'.repeat(32) })).json, {});
    assert.deepEqual((await call(devnet, '/wallet/getcandelegatedmaxsize', { owner_address: devnet.accounts.customers[1]!.address, type: 1, visible: true })).json, {});
    const bad = await call(devnet, '/wallet/getaccount', { address: 'not-an-address' });
    assert.equal(bad.status, 200);
    assert.match(bad.json.Error, /address/);
    assert.equal((await call(devnet, '/wallet/nosuchthing', {})).status, 404);
    assert.equal((await call(devnet, '/walletsolidity/broadcasttransaction', {})).status, 404);
  });

  test('GET with int64_as_string answers strings; visible answers base58', async () => {
    const { json } = await call(devnet, `/wallet/getaccount?address=${pool.address}&visible=true&int64_as_string=true`);
    assert.equal(json.address, pool.address);
    assert.equal(typeof json.balance, 'string');
    assert.ok(BigInt(json.balance) > 0n);
    const resources = (await call(devnet, `/wallet/getaccountresource?address=${pool.address}&visible=true`)).json;
    assert.equal(resources.TotalEnergyLimit, 180_000_000_000);
  });

  test('getchainparameters and getnodeinfo answer what TronWeb reads', async () => {
    const params = await tw.trx.getChainParameters();
    assert.equal(params.find((p) => p.key === 'getTotalEnergyLimit')?.value, 180_000_000_000);
    assert.equal(params.find((p) => p.key === 'getMaxDelegateLockPeriod')?.value, 864_000);
    const info = await tw.trx.getNodeInfo();
    assert.match(info.configNodeInfo.codeVersion, /^\d+\.\d+\.\d+$/);
  });
});
