// A restarted devnet with a data file still has the delegations made before,
// and keeps producing a chain that TronWeb accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startDevnet } from '../../src/devnet/index.js';
import { broadcast, client } from './tronweb-client.js';

const dir = mkdtempSync(join(tmpdir(), 'devnet-persist-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('when the devnet restarts on the same data file, then delegations, transactions and head survive', async () => {
  const dataFile = join(dir, 'chain.json');
  const first = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  const pool = first.accounts.pools[0]!;
  const customer = first.accounts.customers[0]!;
  let tw = client(first, pool.privateKey);
  const tx = await tw.transactionBuilder.delegateResource(7_000_000, customer.address, 'ENERGY', pool.address, true, 100);
  const out = await broadcast(tw, await tw.trx.sign(tx));
  assert.equal(out.result, true);
  await first.mine(2);
  const head = first.headNumber();
  const before = await tw.trx.getDelegatedResourceV2(pool.address, customer.address);
  await first.close();

  const second = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  try {
    assert.equal(second.headNumber(), head);
    assert.deepEqual(second.accounts.pools[0], pool, 'same deterministic keys');
    tw = client(second, pool.privateKey);
    assert.deepEqual(await tw.trx.getDelegatedResourceV2(pool.address, customer.address), before);
    assert.equal((await tw.trx.getTransactionInfo(out.txid)).id, out.txid);
    assert.equal((await broadcast(tw, await tw.trx.sign(tx))).code, 'DUP_TRANSACTION_ERROR');
    const more = await tw.transactionBuilder.delegateResource(1_000_000, customer.address, 'ENERGY', pool.address, true, 100);
    assert.equal((await broadcast(tw, await tw.trx.sign(more))).result, true, 'TaPoS against restored blocks works');
    await second.mine(1);
    assert.equal(second.headNumber(), head + 1);
  } finally {
    await second.close();
  }
});

test('without a data file, a restart begins from the genesis again', async () => {
  const first = await startDevnet({ blockIntervalMs: 0 });
  await first.mine(3);
  await first.close();
  const second = await startDevnet({ blockIntervalMs: 0 });
  assert.equal(second.headNumber(), 0);
  await second.close();
});

test('a data file written before bandwidth was kept loads with no bandwidth used, and the bandwidth used since survives a restart', async () => {
  const dataFile = join(dir, 'older.json');
  const first = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0, dataFile });
  const pool = first.accounts.pools[0]!;
  await first.mine(1);
  await first.close();
  // What an older devnet wrote: accounts without the bandwidth fields.
  const saved = JSON.parse(readFileSync(dataFile, 'utf8'));
  for (const [, versions] of saved.state.accounts) {
    for (const version of versions) {
      if (version.value === null) continue;
      for (const field of ['netUsage', 'netUsageSlot', 'freeNetUsage', 'freeNetUsageSlot']) delete version.value[field];
    }
  }
  writeFileSync(dataFile, JSON.stringify(saved));

  const second = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0, dataFile });
  let used: number;
  try {
    const tw = client(second, pool.privateKey);
    assert.equal((await tw.trx.getAccountResources(pool.address)).NetUsed, undefined);
    const tx = await tw.transactionBuilder.delegateResource(1_000_000, second.accounts.customers[0]!.address, 'ENERGY', pool.address);
    assert.equal((await broadcast(tw, await tw.trx.sign(tx))).result, true);
    await second.mine(1);
    used = (await tw.trx.getAccountResources(pool.address)).NetUsed!;
    assert.ok(used > 0);
  } finally {
    await second.close();
  }
  const third = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0, dataFile });
  try {
    const net = await client(third, pool.privateKey).trx.getAccountResources(pool.address);
    assert.ok(net.NetUsed! > 0 && net.NetUsed! <= used, 'recovering, not forgotten');
  } finally {
    await third.close();
  }
});
