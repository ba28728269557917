// Weights and thresholds: a 2-of-2 delegate permission needs both keys, and
// bandwidth delegates like energy does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { broadcast, client } from './tronweb-client.js';

describe('devnet permissions with weights', () => {
  let devnet: Devnet;
  before(async () => {
    devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
  });
  after(() => devnet.close());

  test('when a 2-of-2 permission is signed by one key, then SIGERROR "sig error"; by both, it lands', async () => {
    const owner = devnet.accounts.pools[0]!;
    const receiver = devnet.accounts.customers[0]!;
    const otw = client(devnet, owner.privateKey);
    const [a, b] = [await otw.createAccount(), await otw.createAccount()];
    const operations = '00000000000000' + '06' + '00'.repeat(24);
    const update = await otw.transactionBuilder.updateAccountPermissions(
      owner.address,
      { type: 0, permission_name: 'owner', threshold: 1, keys: [{ address: owner.address, weight: 1 }] },
      null as never,
      [
        {
          type: 2,
          permission_name: 'two-of-two',
          threshold: 2,
          operations,
          keys: [
            { address: a.address.base58, weight: 1 },
            { address: b.address.base58, weight: 1 },
          ],
        },
      ] as never,
    );
    assert.equal((await broadcast(otw, await otw.trx.sign(update))).result, true);
    await devnet.mine(1);

    const atw = client(devnet, a.privateKey);
    const tx = await atw.transactionBuilder.delegateResource(3_000_000, receiver.address, 'ENERGY', owner.address, false, undefined, {
      permissionId: 2,
    });
    const once = await atw.trx.multiSign(tx, a.privateKey, 2);
    const half = await broadcast(atw, once);
    assert.deepEqual([half.code, half.message], ['SIGERROR', 'Validate signature error: sig error']);

    const twice = await atw.trx.multiSign(once, b.privateKey, 2);
    assert.equal(twice.signature?.length, 2);
    const full = await broadcast(atw, twice);
    assert.equal(full.result, true, full.message);

    const dup = await atw.transactionBuilder.delegateResource(4_000_000, receiver.address, 'ENERGY', owner.address, false, undefined, {
      permissionId: 2,
    });
    const signedOnce = await atw.trx.multiSign(dup, a.privateKey, 2);
    const doubled = { ...signedOnce, signature: [signedOnce.signature![0]!, signedOnce.signature![0]!] };
    const out = await broadcast(atw, doubled);
    assert.deepEqual([out.code, out.message], ['SIGERROR', `Validate signature error: ${a.address.base58} has signed twice!`]);
  });

  test('bandwidth delegates and reclaims like energy', async () => {
    const pool = devnet.accounts.pools[1]!;
    const receiver = devnet.accounts.customers[1]!;
    const tw = client(devnet, pool.privateKey);
    const before = (await tw.trx.getAccountResources(receiver.address)).NetLimit ?? 0;
    const tx = await tw.transactionBuilder.delegateResource(1_000_000_000, receiver.address, 'BANDWIDTH', pool.address);
    assert.equal((await broadcast(tw, await tw.trx.sign(tx))).result, true);
    await devnet.mine(1);
    const { delegatedResource } = await tw.trx.getDelegatedResourceV2(pool.address, receiver.address);
    assert.equal(delegatedResource?.[0]?.frozen_balance_for_bandwidth, 1_000_000_000);
    assert.ok(((await tw.trx.getAccountResources(receiver.address)).NetLimit ?? 0) > before);
    const back = await tw.transactionBuilder.undelegateResource(1_000_000_000, receiver.address, 'BANDWIDTH', pool.address);
    assert.equal((await broadcast(tw, await tw.trx.sign(back))).result, true);
    await devnet.mine(1);
    assert.deepEqual(await tw.trx.getDelegatedResourceV2(pool.address, receiver.address), {});
  });
});
