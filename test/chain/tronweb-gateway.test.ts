import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TronWebGateway } from '../../src/chain/tronweb-gateway.js';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';

let devnet: Devnet;
let chain: TronWebGateway;
before(async () => {
  devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
  chain = new TronWebGateway(devnet.url, { timeoutMs: 2000 });
});
after(() => devnet.close());

test('two identical delegations built on one block get different txids, and both land', async () => {
  const pool = devnet.accounts.pools[0]!;
  const receiver = devnet.accounts.customers[0]!.address;
  const account = { address: pool.address, privateKey: pool.privateKey, permissionId: undefined };
  const a = await chain.buildDelegate(account, receiver, 5_000_000n, 1200n);
  const b = await chain.buildDelegate(account, receiver, 5_000_000n, 1200n);
  assert.notEqual(a.txid, b.txid);
  assert.deepEqual(await chain.broadcast(a.json), { accepted: true });
  assert.deepEqual(await chain.broadcast(b.json), { accepted: true });
  await devnet.mine(1);
  assert.equal((await chain.transactionStatus(a.txid)).state, 'confirmed');
  assert.equal((await chain.transactionStatus(b.txid)).state, 'confirmed');
  assert.equal((await chain.delegation(pool.address, receiver)).lockedSun, 10_000_000n);
});

test('the gateway reads what TronWeb reads, in bigint: network totals, room, accounts, blocks', async () => {
  const pool = devnet.accounts.pools[1]!.address;
  const energy = await chain.networkEnergy(pool);
  assert.equal(energy.totalEnergyLimit, 180_000_000_000n);
  assert.ok(energy.totalEnergyWeight > 19_000_000_000n);
  assert.ok((await chain.delegatableSun(pool)) > 1_000_000_000_000n);
  assert.deepEqual(await chain.account('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'), { exists: true, isContract: true });
  assert.deepEqual(await chain.account(devnet.accounts.customers[1]!.address), { exists: true, isContract: false });
  const head = await chain.headBlock();
  const solid = await chain.solidBlock();
  assert.ok(head.number >= solid.number && head.timestamp > 0n);
  assert.deepEqual(await chain.transactionStatus('00'.repeat(32)), { state: 'unknown' });
});

test('a node that does not answer becomes ChainUnavailableError, never a verdict', async () => {
  const dead = new TronWebGateway('http://127.0.0.1:9', { timeoutMs: 500 });
  await assert.rejects(dead.headBlock(), (err: unknown) => (err as { code?: string }).code === 'chain_unavailable');
  await assert.rejects(dead.transactionStatus('00'.repeat(32)), (err: unknown) => (err as { code?: string }).code === 'chain_unavailable');
});
