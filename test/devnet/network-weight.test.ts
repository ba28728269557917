// Other stakers arriving or leaving: moving the network's TotalEnergyWeight
// changes every account's energy limit from the next block, computed from
// the live totals and rounded down as java-tron's EnergyProcessor does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDevnet } from '../../src/devnet/index.js';
import { admin, broadcast, client } from './tronweb-client.js';

test('when the network weight grows 1%, then a receiver’s energy limit drops about 1% from the next block', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 2 });
  try {
    const pool = devnet.accounts.pools[0]!;
    const receiver = devnet.accounts.customers[0]!;
    const tw = client(devnet, pool.privateKey);
    const tx = await tw.transactionBuilder.delegateResource(100_000 * 1_000_000, receiver.address, 'ENERGY', pool.address);
    assert.equal((await broadcast(tw, await tw.trx.sign(tx))).result, true);
    await devnet.mine(3);
    const before = await tw.trx.getAccountResources(receiver.address);
    const weight = before.TotalEnergyWeight!;

    const answer = await admin(devnet, 'POST', '/network/energy-weight', { delta_trx: Math.round(weight / 100) });
    assert.deepEqual(answer, {
      TotalEnergyWeight: weight + Math.round(weight / 100),
      TotalEnergyLimit: 180_000_000_000,
      fromBlock: devnet.headNumber() + 1,
    });
    assert.equal((await tw.trx.getAccountResources(receiver.address)).EnergyLimit, before.EnergyLimit, 'nothing moves before the block');

    await devnet.mine(1);
    const after = await tw.trx.getAccountResources(receiver.address);
    assert.equal(after.TotalEnergyWeight, answer.TotalEnergyWeight);
    assert.equal(after.EnergyLimit, Math.trunc(100_000 * (180_000_000_000 / after.TotalEnergyWeight!)));
    const drop = 1 - after.EnergyLimit! / before.EnergyLimit!;
    assert.ok(drop > 0.0098 && drop < 0.0100, `dropped ${(drop * 100).toFixed(4)}%`);
    const solidWeight = async () => {
      const res = await fetch(`${devnet.url}/walletsolidity/getaccountresource`, {
        method: 'POST',
        body: JSON.stringify({ address: receiver.address, visible: true }),
      });
      return ((await res.json()) as { TotalEnergyWeight: number }).TotalEnergyWeight;
    };
    assert.equal(await solidWeight(), weight, 'the solidified view sees it once its block is solid');
    await devnet.mine(2);
    assert.equal(await solidWeight(), answer.TotalEnergyWeight);

    await admin(devnet, 'POST', '/network/energy-weight', { total_trx: weight });
    await devnet.mine(1);
    assert.equal((await tw.trx.getAccountResources(receiver.address)).EnergyLimit, before.EnergyLimit, 'back where it was');
  } finally {
    await devnet.close();
  }
});

test('energy-weight wants exactly one of total_trx and delta_trx, and never below the devnet’s own stake', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 0 });
  try {
    await assert.rejects(admin(devnet, 'POST', '/network/energy-weight', {}), /400/);
    await assert.rejects(admin(devnet, 'POST', '/network/energy-weight', { total_trx: 5, delta_trx: 5 }), /400/);
    await assert.rejects(admin(devnet, 'POST', '/network/energy-weight', { total_trx: 1 }), /400.*own stake/);
    await assert.rejects(admin(devnet, 'POST', '/network/energy-weight', { delta_trx: -100_000_000_000 }), /400/);
  } finally {
    await devnet.close();
  }
});
