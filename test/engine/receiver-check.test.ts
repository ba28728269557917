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

test('an activated receiver is asked of the node once, however many orders check it, at once or later', async () => {
  const check = receiverCheck(chain);
  const receiver = devnet.accounts.customers[0]!.address;
  const before = accountReads();
  const answers = await Promise.all([check(receiver), check(receiver), check(receiver)]);
  assert.deepEqual(await check(receiver), { exists: true, isContract: false });
  for (const a of answers) assert.deepEqual(a, { exists: true, isContract: false });
  assert.equal(accountReads() - before, 1);
});

test('an address not activated is asked again, and is seen activated once it is', async () => {
  const check = receiverCheck(chain);
  const fresh = (await TronWeb.createAccount()).address.base58;
  assert.deepEqual(await check(fresh), { exists: false, isContract: false });
  const pool = devnet.accounts.pools[0]!;
  const transfer = await chain.buildTransfer({ address: pool.address, privateKey: pool.privateKey, permissionId: undefined }, fresh, 1_000_000n);
  assert.deepEqual(await chain.broadcast(transfer.json), { accepted: true });
  await devnet.mine(1);
  const before = accountReads();
  assert.deepEqual(await check(fresh), { exists: true, isContract: false });
  assert.equal(accountReads() - before, 1);
});

test('a contract is asked again each time (it may destroy itself), and the oldest receiver is forgotten past the bound', async () => {
  const check = receiverCheck(chain, 1);
  const contract = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
  let before = accountReads();
  assert.deepEqual(await check(contract), { exists: true, isContract: true });
  assert.deepEqual(await check(contract), { exists: true, isContract: true });
  assert.equal(accountReads() - before, 2);
  const [a, b] = devnet.accounts.customers.map((c) => c.address);
  await check(a!);
  await check(b!);
  before = accountReads();
  await check(b!);
  assert.equal(accountReads() - before, 0);
  await check(a!);
  assert.equal(accountReads() - before, 1);
});
