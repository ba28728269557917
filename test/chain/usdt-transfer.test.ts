import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TronWeb } from 'tronweb';
import { TronWebGateway } from '../../src/chain/tronweb-gateway.js';
import { readUsdtTransferAnswer, SimulationFailedError, usdtTransferCall, UsdtTransferEstimates } from '../../src/chain/usdt-transfer.js';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { AppError } from '../../src/domain/errors.js';
import { freshAddress } from '../devnet/tronweb-client.js';

let devnet: Devnet;
let chain: TronWebGateway;
before(async () => {
  devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
  chain = new TronWebGateway(devnet.url, { timeoutMs: 2000 });
});
after(() => devnet.close());

const TRUE = '0'.repeat(63) + '1';
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

test('the call is transfer(to, 1) on USDT, addresses in hex as java-tron takes them by default', () => {
  assert.deepEqual(usdtTransferCall('TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'), {
    owner_address: TronWeb.address.toHex('TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs').toLowerCase(),
    contract_address: '41a614f803b6fd780986a42c78ec9c7f77e6ded13c',
    function_selector: 'transfer(address,uint256)',
    parameter: '000000000000000000000000a614f803b6fd780986a42c78ec9c7f77e6ded13c' + TRUE,
  });
});

test("java-tron's answers: a transfer that ran gives its energy; a revert, a refusal or a false return is no estimate", () => {
  assert.deepEqual(readUsdtTransferAnswer({ result: { result: true }, energy_used: 64285, energy_penalty: 49675, constant_result: [TRUE], transaction: { ret: [{}] } }), {
    energyUsed: 64_285n,
    energyPenalty: 49_675n,
  });
  assert.deepEqual(readUsdtTransferAnswer({ result: { result: true }, energy_used: 29610, constant_result: [TRUE] }), { energyUsed: 29_610n, energyPenalty: 0n }, 'no penalty: left out');
  const failures: Array<[Record<string, unknown>, RegExp]> = [
    // From an address without USDT: the contract reverts, and the node still says result true.
    [{ result: { result: true, message: hex('REVERT opcode executed') }, energy_used: 11000, constant_result: [''], transaction: { ret: [{ ret: 'FAILED' }] } }, /REVERT opcode executed/],
    [{ result: { result: true }, energy_used: 11000, constant_result: [''], transaction: { ret: [{ ret: 'FAILED' }] } }, /failed/],
    [{ result: { code: 'CONTRACT_VALIDATE_ERROR', message: hex('Smart contract is not exist.') } }, /CONTRACT_VALIDATE_ERROR: Smart contract is not exist\./],
    [{ result: { code: 'OTHER_ERROR', message: hex('class org.tron.core.vm.program.Program$IllegalOperationException : Invalid operation code: opCode[fe];') } }, /OTHER_ERROR: .*IllegalOperation/],
    [{ result: { result: true }, energy_used: 64285, constant_result: ['0'.repeat(64)] }, /did not return true/],
    [{ result: { result: true }, constant_result: [TRUE] }, /no energy/],
    [{ result: { result: true }, energy_used: 100, energy_penalty: 100, constant_result: [TRUE] }, /no energy/],
    [{}, /no result/],
  ];
  for (const [answer, reason] of failures) {
    assert.throws(() => readUsdtTransferAnswer(answer), (err: unknown) => err instanceof SimulationFailedError && reason.test(err.reason), JSON.stringify(answer));
  }
});

test('the gateway asks the node itself: a holder 64,285, a fresh address 130,285', async () => {
  const [from, holder] = [devnet.accounts.customers[0]!, devnet.accounts.customers[1]!];
  assert.deepEqual(await chain.simulateUsdtTransfer(from.address, holder.address), { energyUsed: 64_285n, energyPenalty: 49_675n });
  assert.deepEqual(await chain.simulateUsdtTransfer(from.address, freshAddress()), { energyUsed: 130_285n, energyPenalty: 100_675n });
  await assert.rejects(chain.simulateUsdtTransfer(freshAddress(), holder.address), SimulationFailedError, 'a sender without USDT reverts');
});

test('past the receivers allowed to wait for the node at once, another is turned away with chain_busy; the same receiver joins the one waiting', async () => {
  const from = devnet.accounts.customers[0]!.address;
  const estimates = new UsdtTransferEstimates(chain, from, 1000, { maxPending: 2 });
  await fetch(`${devnet.url}/devnet/faults/hang`, { method: 'POST', body: JSON.stringify({ ms: 300, pathPrefix: '/wallet/triggerconstantcontract' }) });
  try {
    const [a, b] = [freshAddress(), freshAddress()];
    const waiting = [estimates.usdtTransfer(a), estimates.usdtTransfer(b), estimates.usdtTransfer(a)];
    await assert.rejects(estimates.usdtTransfer(freshAddress()), (err: unknown) => err instanceof AppError && err.code === 'chain_busy' && err.status === 503);
    const answers = await Promise.all(waiting);
    assert.deepEqual(answers.map((x) => x.energy), [130_285n, 130_285n, 130_285n]);
  } finally {
    await fetch(`${devnet.url}/devnet/faults`, { method: 'DELETE' });
  }
});
