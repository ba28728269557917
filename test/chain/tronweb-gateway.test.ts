import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TronWeb } from 'tronweb';
import { AccountNotFoundError, ChainUnavailableError } from '../../src/chain/gateway.js';
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

test("the gateway signs what TronWeb's trx.sign signs, byte for byte, and refuses a key that is not the pool's own", async () => {
  const pool = devnet.accounts.pools[0]!;
  const account = { address: pool.address, privateKey: pool.privateKey, permissionId: undefined };
  const signed = await chain.buildDelegate(account, devnet.accounts.customers[2]!.address, 1_000_000n, null);
  const { signature, ...unsigned } = JSON.parse(signed.json) as { signature: string[]; txID: string };
  const tronWeb = new TronWeb({ fullHost: devnet.url });
  const byTronWeb = (await tronWeb.trx.sign(unsigned as never, pool.privateKey)) as unknown as { signature: string[]; txID: string };
  assert.deepEqual(signature, byTronWeb.signature);
  assert.equal(signed.txid, byTronWeb.txID);

  // Another account's key, with no permission id to say it signs for this pool: nothing is signed (trx.sign refused it too).
  const wrongKey = { address: pool.address, privateKey: devnet.accounts.customers[2]!.privateKey, permissionId: undefined };
  await assert.rejects(chain.buildDelegate(wrongKey, devnet.accounts.customers[2]!.address, 1_000_000n, null), /is not that account's key/);
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

test("a pool's resources: its energy stake, what it delegated out, what it can still delegate, its energy limit and the network totals", async () => {
  const pool = devnet.accounts.pools[1]!;
  const account = { address: pool.address, privateKey: pool.privateKey, permissionId: undefined };
  const before = await chain.poolResources(pool.address);
  // The default genesis stakes 5M TRX for energy on each pool.
  assert.equal(before.stakedSun, 5_000_000_000_000n);
  assert.equal(before.delegatedSun, 0n);
  assert.equal(before.delegatableSun, 5_000_000_000_000n);
  assert.equal(before.totalEnergyLimit, 180_000_000_000n);
  assert.equal(before.energyLimit, (5_000_000n * before.totalEnergyLimit) / before.totalEnergyWeight);

  const tx = await chain.buildDelegate(account, devnet.accounts.customers[2]!.address, 250_000_000n, null);
  assert.deepEqual(await chain.broadcast(tx.json), { accepted: true });
  await devnet.mine(1);
  const after = await chain.poolResources(pool.address);
  assert.equal(after.stakedSun, 5_000_000_000_000n, 'delegated stake is still staked');
  assert.equal(after.delegatedSun, 250_000_000n);
  assert.equal(after.delegatableSun, 5_000_000_000_000n - 250_000_000n);
  assert.equal(after.totalEnergyWeight, before.totalEnergyWeight, 'delegating moves no stake in or out of the network');
  assert.equal(after.energyLimit, ((5_000_000n - 250n) * after.totalEnergyLimit) / after.totalEnergyWeight, 'its own limit no longer counts what it delegated');

  const stranger = TronWebGateway.addressOf('11'.repeat(32));
  await assert.rejects(chain.poolResources(stranger), (err: unknown) => err instanceof AccountNotFoundError && err.code === 'account_not_found');
  const dead = new TronWebGateway('http://127.0.0.1:9', { timeoutMs: 500 });
  await assert.rejects(dead.poolResources(pool.address), (err: unknown) => err instanceof ChainUnavailableError);
});

test('a node that does not answer becomes ChainUnavailableError, never a verdict', async () => {
  const dead = new TronWebGateway('http://127.0.0.1:9', { timeoutMs: 500 });
  await assert.rejects(dead.headBlock(), (err: unknown) => (err as { code?: string }).code === 'chain_unavailable');
  await assert.rejects(dead.transactionStatus('00'.repeat(32)), (err: unknown) => (err as { code?: string }).code === 'chain_unavailable');
});

test('solidified blocks come 100 at most a request, with each transaction\'s result and the TRX payment it makes (memo included)', async () => {
  const { TronWeb } = await import('tronweb');
  const customer = devnet.accounts.customers[0]!;
  const to = devnet.accounts.customers[1]!.address;
  const tronWeb = new TronWeb({ fullHost: devnet.url, privateKey: customer.privateKey });
  const unsigned = await tronWeb.transactionBuilder.sendTrx(to, 2_500_000, customer.address);
  const withMemo = await tronWeb.transactionBuilder.addUpdateData(unsigned, 'energy for TXYZ', 'utf8');
  const signed = await tronWeb.trx.sign(withMemo, customer.privateKey);
  assert.equal((await chain.broadcast(JSON.stringify(signed))).accepted, true);
  await devnet.mine(1);
  const head = await chain.solidBlock();
  const blocks = await chain.solidBlocks(head.number, 100);
  assert.equal(blocks.length, 1, 'nothing past the solidified head');
  const found = blocks[0]!.transactions.find((t) => t.txid === signed.txID);
  assert.deepEqual(found, {
    txid: signed.txID,
    result: 'SUCCESS',
    payment: { kind: 'TRX', from: customer.address, to, amount: 2_500_000n, memo: 'energy for TXYZ' },
  });
  await devnet.mine(150);
  const batch = await chain.solidBlocks(1n, 500);
  assert.equal(batch.length, 100, 'java-tron serves at most 100 blocks a request');
  assert.deepEqual(
    batch.map((b) => Number(b.number)),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
});

test('a USDT transfer: the block shows the transfer call, and its receipt the Transfer event the gateway reads', async () => {
  const { TronWeb } = await import('tronweb');
  const USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
  const customer = devnet.accounts.customers[2]!;
  const to = devnet.accounts.customers[0]!.address;
  const tronWeb = new TronWeb({ fullHost: devnet.url, privateKey: customer.privateKey });
  const { transaction } = await tronWeb.transactionBuilder.triggerSmartContract(
    USDT,
    'transfer(address,uint256)',
    { feeLimit: 100_000_000 },
    [
      { type: 'address', value: to },
      { type: 'uint256', value: 12_345_678 },
    ],
    customer.address,
  );
  const signed = await tronWeb.trx.sign(transaction, customer.privateKey);
  assert.equal((await chain.broadcast(JSON.stringify(signed))).accepted, true);
  await devnet.mine(1);
  const solid = await chain.solidBlock();
  const [block] = await chain.solidBlocks(solid.number, 1);
  const seen = block!.transactions.find((t) => t.txid === signed.txID);
  assert.deepEqual(seen?.payment, { kind: 'TRC20', from: customer.address, to, amount: 12_345_678n, token: USDT, memo: undefined });
  assert.equal(seen?.result, 'SUCCESS');
  assert.deepEqual(await chain.transferEvents(signed.txID), [{ index: 0, token: USDT, from: customer.address, to, amount: 12_345_678n }]);
});

test('a receipt the node does not know (behind the node that served the block, or keeping none) is said to be unavailable, not taken for no Transfer event', async () => {
  const unknown = 'cd'.repeat(32);
  await assert.rejects(chain.transferEvents(unknown), (err: unknown) => err instanceof ChainUnavailableError && /no receipt/.test((err as Error).message));
});

test("two USDT transfers in one block: the block's receipts, read in one request, give each the events its own receipt gives", async () => {
  const { TronWeb } = await import('tronweb');
  const USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
  const sender = devnet.accounts.customers[1]!;
  const tronWeb = new TronWeb({ fullHost: devnet.url, privateKey: sender.privateKey });
  const txids: string[] = [];
  for (const [to, amount] of [[devnet.accounts.customers[0]!.address, 1_000_001], [devnet.accounts.customers[2]!.address, 2_000_002]] as const) {
    const { transaction } = await tronWeb.transactionBuilder.triggerSmartContract(USDT, 'transfer(address,uint256)', { feeLimit: 100_000_000 }, [
      { type: 'address', value: to },
      { type: 'uint256', value: amount },
    ], sender.address);
    const signed = await tronWeb.trx.sign(transaction, sender.privateKey);
    assert.equal((await chain.broadcast(JSON.stringify(signed))).accepted, true);
    txids.push(signed.txID);
  }
  const trx = await tronWeb.trx.sendTransaction(devnet.accounts.customers[0]!.address, 1_000_000);
  await devnet.mine(1);
  const solid = await chain.solidBlock();
  const [block] = await chain.solidBlocks(solid.number, 1);
  assert.deepEqual(new Set(block!.transactions.map((t) => t.txid)), new Set([...txids, trx.transaction.txID]), 'all three in one block');
  const before = (await (await fetch(`${devnet.url}/devnet/calls`)).json()) as { by_path: Record<string, number> };
  const events = await chain.blockTransferEvents(block!.number);
  const after = (await (await fetch(`${devnet.url}/devnet/calls`)).json()) as { by_path: Record<string, number> };
  const calls = (p: string) => (after.by_path[p] ?? 0) - (before.by_path[p] ?? 0);
  assert.equal(calls('/walletsolidity/gettransactioninfobyblocknum'), 1, 'one request for the whole block');
  assert.deepEqual([...events.keys()].sort(), [...txids, trx.transaction.txID].sort());
  for (const txid of txids) assert.deepEqual(events.get(txid), await chain.transferEvents(txid));
  assert.equal(events.get(txids[1]!)![0]!.amount, 2_000_002n);
  assert.deepEqual(events.get(trx.transaction.txID), [], 'a TRX transfer emits no Transfer event');
  await devnet.mine(2);
  const empty = (await chain.solidBlock()).number;
  assert.equal((await chain.solidBlocks(empty, 1))[0]!.transactions.length, 0);
  assert.equal((await chain.blockTransferEvents(empty)).size, 0, 'a block without transactions: none');
});
