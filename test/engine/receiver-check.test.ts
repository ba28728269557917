import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TronWeb } from 'tronweb';
import { TronWebGateway } from '../../src/chain/tronweb-gateway.js';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { receiverCheck } from '../../src/engine/receiver-check.js';

let devnet: Devnet;
let chain: TronWebGateway;
const asked: string[] = [];
before(async () => {
  devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
  chain = new TronWebGateway(devnet.url, { timeoutMs: 2000, observer: { called: (endpoint) => asked.push(endpoint) } });
});
after(() => devnet.close());

const accountReads = () => asked.filter((e) => e === '/wallet/getaccount').length;

const BLOCK_MS = 3000;

test('an activated receiver is asked of the node once, however many orders check it, at once or later', async () => {
  const check = receiverCheck(chain, { refusalMs: BLOCK_MS });
  const receiver = devnet.accounts.customers[0]!.address;
  const before = accountReads();
  const answers = await Promise.all([check(receiver), check(receiver), check(receiver)]);
  assert.deepEqual(await check(receiver), { exists: true, isContract: false });
  for (const a of answers) assert.deepEqual(a, { exists: true, isContract: false });
  assert.equal(accountReads() - before, 1);
});

test('an address not activated is not asked again within a block, and is seen activated once it is', async () => {
  let now = 1_000_000;
  const check = receiverCheck(chain, { refusalMs: BLOCK_MS, now: () => now });
  const fresh = (await TronWeb.createAccount()).address.base58;
  let before = accountReads();
  assert.deepEqual(await check(fresh), { exists: false, isContract: false });
  now += BLOCK_MS - 1;
  assert.deepEqual(await check(fresh), { exists: false, isContract: false });
  assert.equal(accountReads() - before, 1, 'the second order within the block is refused on the answer already heard');
  const pool = devnet.accounts.pools[0]!;
  const transfer = await chain.buildTransfer({ address: pool.address, privateKey: pool.privateKey, permissionId: undefined }, fresh, 1_000_000n);
  assert.deepEqual(await chain.broadcast(transfer.json), { accepted: true });
  await devnet.mine(1);
  now += 1;
  before = accountReads();
  assert.deepEqual(await check(fresh), { exists: true, isContract: false });
  assert.deepEqual(await check(fresh), { exists: true, isContract: false });
  assert.equal(accountReads() - before, 1);
});

test('a contract is asked again once a block has passed (it may destroy itself); orders to it meanwhile cost no request', async () => {
  let now = 1_000_000;
  const check = receiverCheck(chain, { refusalMs: BLOCK_MS, now: () => now });
  const contract = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
  const before = accountReads();
  const answers = await Promise.all([check(contract), check(contract)]);
  for (let i = 0; i < 50; i++) answers.push(await check(contract));
  for (const a of answers) assert.deepEqual(a, { exists: true, isContract: true });
  assert.equal(accountReads() - before, 1);
  now += BLOCK_MS;
  assert.deepEqual(await check(contract), { exists: true, isContract: true });
  assert.equal(accountReads() - before, 2);
});

test('with no refusal time, a refusal is asked again every time', async () => {
  const check = receiverCheck(chain, { refusalMs: 0 });
  const contract = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
  const before = accountReads();
  await check(contract);
  await check(contract);
  assert.equal(accountReads() - before, 2);
});

test('past the bound, the oldest receiver of either kind is forgotten (an activated one: the least recently used)', async () => {
  const check = receiverCheck(chain, { refusalMs: BLOCK_MS, maxKnown: 1 });
  const [a, b] = devnet.accounts.customers.map((c) => c.address);
  await check(a!);
  await check(b!);
  let before = accountReads();
  await check(b!);
  assert.equal(accountReads() - before, 0);
  await check(a!);
  assert.equal(accountReads() - before, 1);

  const [x, y] = [(await TronWeb.createAccount()).address.base58, (await TronWeb.createAccount()).address.base58];
  await check(x);
  await check(y);
  before = accountReads();
  await check(y);
  assert.equal(accountReads() - before, 0);
  await check(x);
  assert.equal(accountReads() - before, 1);
});
