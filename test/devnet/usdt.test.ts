// The devnet's built-in USDT, driven by unmodified TronWeb: contract().at()
// reads, transfers through .send() and through triggerSmartContract + sign +
// sendRawTransaction, and what they cost: energy from the sender's own or
// delegated energy first, then TRX burnt at getEnergyFee, else OUT_OF_ENERGY
// in the block with its fee burnt and no token moved.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TronWeb } from 'tronweb';
import { startDevnet, type DevAccount, type Devnet } from '../../src/devnet/index.js';
import { admin, broadcast, client, freshAddress } from './tronweb-client.js';

const USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const USDT_HEX = '41a614f803b6fd780986a42c78ec9c7f77e6ded13c';
const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const APPROVAL_TOPIC = '8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925';
const ENERGY_FEE = 100;
const TRX = 1_000_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The transaction's info once a block includes it (full-node view). */
function landed(tw: TronWeb, txid: string): Promise<any> {
  return until(`${txid} in a block`, async () => {
    const info: any = await tw.trx.getUnconfirmedTransactionInfo(txid);
    return info.id === undefined ? undefined : info;
  });
}

async function usdtOf(tw: TronWeb, address: string, confirmed = false): Promise<bigint> {
  const c = await tw.contract().at(USDT);
  return BigInt(await c.balanceOf(address).call(confirmed ? { confirmed: true } : {}));
}

/** 20-byte address word of a topic, as java-tron's Log holds it. */
const topicOf = (base58: string): string => TronWeb.address.toHex(base58).slice(2).padStart(64, '0');

describe('devnet USDT', () => {
  let devnet: Devnet;
  let pool: DevAccount;
  let alice: DevAccount;
  let bob: DevAccount;
  let carol: DevAccount;

  before(async () => {
    devnet = await startDevnet({ blockIntervalMs: 50, solidifyLag: 0 });
    pool = devnet.accounts.pools[0]!;
    [alice, bob, carol] = devnet.accounts.customers as [DevAccount, DevAccount, DevAccount];
  });
  after(() => devnet.close());

  /** Activates a new account with `trx` TRX from the pool and waits for it. */
  async function activated(trx: number): Promise<{ address: string; privateKey: string }> {
    const account = TronWeb.createRandom();
    const ptw = client(devnet, pool.privateKey);
    const out = await broadcast(ptw, await ptw.trx.sign(await ptw.transactionBuilder.sendTrx(account.address, trx * TRX, pool.address)));
    assert.equal(out.result, true, out.message);
    await landed(ptw, out.txid);
    return { address: account.address, privateKey: account.privateKey.replace(/^0x/, '') };
  }

  test("contract().at() reads the token: TronWeb's balanceOf, decimals, name, symbol and totalSupply", async () => {
    const tw = client(devnet, alice.privateKey);
    const c = await tw.contract().at(USDT);
    assert.equal(Number(await c.decimals().call()), 6);
    assert.equal(await c.symbol().call(), 'USDT');
    assert.equal(await c.name().call(), 'Tether USD');
    assert.equal(BigInt(await c.balanceOf(alice.address).call()), 1_000_000_000n, 'each demo customer holds 1,000 USDT');
    assert.equal(BigInt(await c.balanceOf(freshAddress()).call()), 0n);
    assert.equal(BigInt(await c.totalSupply().call()), 3_000_000_000n);
    const contract: any = await tw.trx.getContract(USDT);
    assert.equal(contract.contract_address, USDT_HEX);
    assert.ok(contract.abi.entrys.some((e: any) => e.name === 'transfer' && e.type === 'Function'));
    const params = Object.fromEntries((await tw.trx.getChainParameters()).map((p) => [p.key, p.value]));
    assert.equal(params.getEnergyFee, ENERGY_FEE);
    assert.equal(params.getMaxFeeLimit, 15_000_000_000);
    assert.deepEqual(await tw.trx.getContract(pool.address), {}, 'java-tron answers {} for an account that is no contract');
  });

  test('a transfer sent with .send() lands in a block: balances move, the receipt burns energy × getEnergyFee, and a Transfer log', async () => {
    const tw = client(devnet, alice.privateKey);
    const c = await tw.contract().at(USDT);
    const trxBefore = await tw.trx.getUnconfirmedBalance(alice.address);
    const bobBefore = await usdtOf(tw, bob.address);
    const txid: string = await c.transfer(bob.address, 5_000_000).send({ feeLimit: 100 * TRX });
    const info = await landed(tw, txid);

    assert.equal(info.receipt.result, 'SUCCESS');
    assert.equal(info.receipt.energy_usage_total, 64_285, 'a transfer to an address that holds USDT');
    assert.equal(info.receipt.energy_usage, undefined, 'no energy of its own');
    assert.equal(info.receipt.energy_fee, 64_285 * ENERGY_FEE);
    assert.equal(info.fee, info.receipt.energy_fee + (info.receipt.net_fee ?? 0));
    assert.equal(info.contract_address, USDT_HEX);
    assert.deepEqual(info.contractResult, ['0'.repeat(63) + '1']);
    assert.equal(info.result, undefined);
    assert.deepEqual(info.log, [
      {
        address: USDT_HEX.slice(2),
        topics: [TRANSFER_TOPIC, topicOf(alice.address), topicOf(bob.address)],
        data: (5_000_000).toString(16).padStart(64, '0'),
      },
    ]);
    assert.equal(await tw.trx.getUnconfirmedBalance(alice.address), trxBefore - info.fee);
    assert.equal(await usdtOf(tw, alice.address), 995_000_000n);
    assert.equal(await usdtOf(tw, bob.address), bobBefore + 5_000_000n);

    const block: any = await tw.trx.getBlock(info.blockNumber);
    const inBlock = block.transactions.find((t: any) => t.txID === txid);
    assert.deepEqual(inBlock.ret, [{ contractRet: 'SUCCESS' }]);
    assert.equal(inBlock.raw_data.fee_limit, 100 * TRX);
    const byBlock = await (await fetch(`${devnet.url}/wallet/gettransactioninfobyblocknum`, { method: 'POST', body: JSON.stringify({ num: info.blockNumber }) })).json();
    assert.deepEqual(byBlock.find((i: any) => i.id === txid), info);
  });

  test('a transfer to an address that holds no USDT costs about twice the energy (a new storage slot)', async () => {
    const tw = client(devnet, bob.privateKey);
    const receiver = await activated(1);
    const estimate: any = await tw.transactionBuilder.triggerConstantContract(USDT, 'transfer(address,uint256)', {}, [
      { type: 'address', value: receiver.address },
      { type: 'uint256', value: 1_000_000 },
    ], bob.address);
    assert.equal(estimate.energy_used, 130_285, 'triggerconstantcontract says what it will cost');
    assert.equal(estimate.energy_penalty, 100_675, 'of which USDT\'s energy factor adds this: 29,610 base energy');
    const toHolder: any = await tw.transactionBuilder.triggerConstantContract(USDT, 'transfer(address,uint256)', {}, [
      { type: 'address', value: alice.address },
      { type: 'uint256', value: 1_000_000 },
    ], bob.address);
    assert.deepEqual([toHolder.energy_used, toHolder.energy_penalty], [64_285, 49_675], 'to a holder: 14,610 base energy');
    const c = await tw.contract().at(USDT);
    const info = await landed(tw, await c.transfer(receiver.address, 1_000_000).send({ feeLimit: 100 * TRX }));
    assert.equal(info.receipt.energy_usage_total, 130_285);
    assert.equal(info.receipt.energy_fee, 130_285 * ENERGY_FEE);
    assert.ok(info.receipt.energy_usage_total > 2 * 64_285 * 0.95, 'about twice a transfer to a holder');
    assert.equal(await usdtOf(tw, receiver.address), 1_000_000n);
  });

  test('triggerSmartContract + sign + sendRawTransaction: energy delegated to the sender pays, no TRX is burnt for energy', async () => {
    const ptw = client(devnet, pool.privateKey);
    const delegation = await broadcast(ptw, await ptw.trx.sign(await ptw.transactionBuilder.delegateResource(10_000 * TRX, carol.address, 'ENERGY', pool.address)));
    assert.equal(delegation.result, true, delegation.message);
    await landed(ptw, delegation.txid);

    const tw = client(devnet, carol.privateKey);
    const energyBefore = (await tw.trx.getAccountResources(carol.address)).EnergyLimit ?? 0;
    assert.ok(energyBefore > 64_285, `delegated energy ${energyBefore}`);
    const trxBefore = await tw.trx.getUnconfirmedBalance(carol.address);
    const built: any = await tw.transactionBuilder.triggerSmartContract(USDT, 'transfer(address,uint256)', { feeLimit: 50 * TRX }, [
      { type: 'address', value: alice.address },
      { type: 'uint256', value: 2_000_000 },
    ], carol.address);
    assert.equal(built.result.result, true);
    assert.equal(built.transaction.raw_data.contract[0].type, 'TriggerSmartContract');
    assert.equal(built.transaction.raw_data.fee_limit, 50 * TRX);
    const out = await broadcast(tw, await tw.trx.sign(built.transaction));
    assert.equal(out.result, true, out.message);
    const info = await landed(tw, out.txid);
    assert.equal(info.receipt.result, 'SUCCESS');
    assert.equal(info.receipt.energy_usage, 64_285, 'all of it from the energy delegated to carol');
    assert.equal(info.receipt.energy_usage_total, 64_285);
    assert.equal(info.receipt.energy_fee, undefined, 'no TRX burnt for energy');
    assert.equal(await tw.trx.getUnconfirmedBalance(carol.address), trxBefore - (info.fee ?? 0));
    assert.equal(info.fee ?? 0, info.receipt.net_fee ?? 0, 'at most its bandwidth');
    const used = (await tw.trx.getAccountResources(carol.address)).EnergyUsed!;
    assert.ok(used > 64_000 && used <= 64_285, `energy used ${used}, recovering from 64,285`);
  });

  test("a sender's own staked energy pays too", async () => {
    // The pool stakes millions of TRX for energy; give it some USDT to send.
    const atw = client(devnet, alice.privateKey);
    const a = await atw.contract().at(USDT);
    await landed(atw, await a.transfer(pool.address, 3_000_000).send({ feeLimit: 100 * TRX }));
    const ptw = client(devnet, pool.privateKey);
    const trxBefore = await ptw.trx.getUnconfirmedBalance(pool.address);
    const c = await ptw.contract().at(USDT);
    const info = await landed(ptw, await c.transfer(alice.address, 1_000_000).send({ feeLimit: 100 * TRX }));
    assert.equal(info.receipt.energy_usage, 64_285);
    assert.equal(info.receipt.energy_fee, undefined);
    assert.equal(info.fee, undefined, 'its staked bandwidth pays the bytes as well');
    assert.equal(await ptw.trx.getUnconfirmedBalance(pool.address), trxBefore);
  });

  test('without the energy or the TRX to pay for it: OUT_OF_ENERGY in the block, what it had burnt, no token moved', async () => {
    const sender = await activated(10);
    const atw = client(devnet, alice.privateKey);
    await landed(atw, await (await atw.contract().at(USDT)).transfer(sender.address, 7_000_000).send({ feeLimit: 100 * TRX }));
    // 1 TRX buys 10,000 energy at 100 sun each: far from a transfer's 64,285.
    await admin(devnet, 'POST', '/accounts/set-balance', { address: sender.address, balance_sun: TRX });
    const tw = client(devnet, sender.privateKey);
    const c = await tw.contract().at(USDT);
    const aliceUsdt = await usdtOf(tw, alice.address);
    const txid: string = await c.transfer(alice.address, 7_000_000).send({ feeLimit: 100 * TRX });
    const info = await landed(tw, txid);
    assert.equal(info.result, 'FAILED');
    assert.equal(info.receipt.result, 'OUT_OF_ENERGY');
    assert.equal(info.receipt.energy_usage_total, 10_000, 'the whole limit it could pay for');
    assert.equal(info.receipt.energy_fee, TRX);
    assert.equal(info.fee, TRX, 'its free bandwidth paid the bytes');
    assert.match(TronWeb.toUtf8(info.resMessage), /^Not enough energy for 'SSTORE' operation executing/);
    assert.deepEqual(info.contractResult, ['']);
    assert.equal(info.log, undefined);
    assert.equal(await tw.trx.getUnconfirmedBalance(sender.address), 0);
    assert.equal(await usdtOf(tw, sender.address), 7_000_000n, 'token balances unchanged');
    assert.equal(await usdtOf(tw, alice.address), aliceUsdt);
    const block: any = await tw.trx.getBlock(info.blockNumber);
    assert.deepEqual(block.transactions.find((t: any) => t.txID === txid).ret, [{ contractRet: 'OUT_OF_ENERGY' }]);
    assert.deepEqual((await tw.trx.getTransaction(txid)).ret, [{ contractRet: 'OUT_OF_ENERGY' }]);
  });

  test('fee_limit caps what may be burnt: below the cost, OUT_OF_ENERGY at the limit', async () => {
    const tw = client(devnet, bob.privateKey);
    const before = await usdtOf(tw, bob.address);
    const c = await tw.contract().at(USDT);
    const info = await landed(tw, await c.transfer(alice.address, 1_000_000).send({ feeLimit: 2 * TRX }));
    assert.equal(info.receipt.result, 'OUT_OF_ENERGY');
    assert.equal(info.receipt.energy_usage_total, 20_000);
    assert.equal(info.receipt.energy_fee, 2 * TRX);
    assert.equal(await usdtOf(tw, bob.address), before);
  });

  test('more than the sender holds: REVERT in the block, its energy paid, nothing moved; a read-only call says so first', async () => {
    const tw = client(devnet, bob.privateKey);
    const before = await usdtOf(tw, bob.address);
    await assert.rejects(
      tw.transactionBuilder.triggerConstantContract(USDT, 'transfer(address,uint256)', {}, [
        { type: 'address', value: alice.address },
        { type: 'uint256', value: (before + 1n).toString() },
      ], bob.address),
      /REVERT opcode executed/,
    );
    const c = await tw.contract().at(USDT);
    const info = await landed(tw, await c.transfer(alice.address, (before + 1n).toString()).send({ feeLimit: 100 * TRX }));
    assert.equal(info.result, 'FAILED');
    assert.equal(info.receipt.result, 'REVERT');
    assert.equal(TronWeb.toUtf8(info.resMessage), 'REVERT opcode executed');
    assert.ok(info.receipt.energy_usage_total > 0 && info.receipt.energy_usage_total < 64_285);
    assert.equal(await usdtOf(tw, bob.address), before);
  });

  test('estimateenergy answers as java-tron searches it: within 1 TRX of fee limit above the cost', async () => {
    const tw = client(devnet, alice.privateKey);
    const est: any = await tw.transactionBuilder.estimateEnergy(USDT, 'transfer(address,uint256)', {}, [
      { type: 'address', value: bob.address },
      { type: 'uint256', value: 1 },
    ], alice.address);
    assert.ok(est.energy_required >= 64_285 && est.energy_required <= 64_285 + TRX / ENERGY_FEE, String(est.energy_required));
  });

  test('building a call to an address that is no contract is refused', async () => {
    const tw = client(devnet, alice.privateKey);
    await assert.rejects(
      tw.transactionBuilder.triggerSmartContract(bob.address, 'transfer(address,uint256)', { feeLimit: TRX }, [
        { type: 'address', value: alice.address },
        { type: 'uint256', value: 1 },
      ], alice.address),
      /No contract or not a valid smart contract/,
    );
  });

  test('approve, allowance and transferFrom: a spender moves what the holder approved, and no more; the Transfer log names the holder', async () => {
    const holder = client(devnet, carol.privateKey);
    const spender = client(devnet, bob.privateKey);
    const to = freshAddress();
    const token = await holder.contract().at(USDT);
    const allowance = async () => BigInt(await token.allowance(carol.address, bob.address).call());
    const pull = async (amount: number) => (await spender.contract().at(USDT)).transferFrom(carol.address, to, amount).send({ feeLimit: 200 * TRX });

    // Nothing approved: the pull reverts, nothing moves.
    const refused = await landed(spender, await pull(1));
    assert.equal(refused.receipt.result, 'REVERT');
    assert.equal(await usdtOf(spender, to), 0n);

    const approved = await landed(holder, await token.approve(bob.address, 7_000_000).send({ feeLimit: 200 * TRX }));
    assert.equal(approved.receipt.result, 'SUCCESS');
    assert.equal(approved.receipt.energy_usage_total, 96_800, 'a new allowance takes a storage slot');
    assert.deepEqual(approved.log, [
      { address: USDT_HEX.slice(2), topics: [APPROVAL_TOPIC, topicOf(carol.address), topicOf(bob.address)], data: (7_000_000).toString(16).padStart(64, '0') },
    ]);
    assert.equal(await allowance(), 7_000_000n);
    // TetherToken's rule: a set allowance goes back to 0 before it takes another value.
    assert.equal((await landed(holder, await token.approve(bob.address, 9_000_000).send({ feeLimit: 200 * TRX }))).receipt.result, 'REVERT');
    assert.equal(await allowance(), 7_000_000n);

    const carolBefore = await usdtOf(holder, carol.address);
    const moved = await landed(spender, await pull(5_000_000));
    assert.equal(moved.receipt.result, 'SUCCESS');
    assert.equal(moved.receipt.energy_usage_total, 152_285, 'to an address that holds no USDT');
    assert.deepEqual(moved.log, [
      { address: USDT_HEX.slice(2), topics: [TRANSFER_TOPIC, topicOf(carol.address), topicOf(to)], data: (5_000_000).toString(16).padStart(64, '0') },
    ]);
    assert.equal(await usdtOf(holder, carol.address), carolBefore - 5_000_000n);
    assert.equal(await usdtOf(holder, to), 5_000_000n);
    assert.equal(await allowance(), 2_000_000n, 'the allowance spent');
    // More than is left of the allowance reverts, though the holder has it.
    assert.equal((await landed(spender, await pull(3_000_000))).receipt.result, 'REVERT');
    assert.equal(await usdtOf(holder, to), 5_000_000n);
    assert.equal((await landed(spender, await pull(2_000_000))).receipt.energy_usage_total, 86_285, 'to an address that holds USDT');
    assert.equal(await allowance(), 0n);
  });
});

test('the solidified view shows a new balance only once the block that moved it is solid', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 3 });
  try {
    const [alice, bob] = devnet.accounts.customers as [DevAccount, DevAccount];
    const tw = client(devnet, alice.privateKey);
    const c = await tw.contract().at(USDT);
    const txid: string = await c.transfer(bob.address, 4_000_000).send({ feeLimit: 100 * TRX });
    await devnet.mine(1);
    assert.equal(await usdtOf(tw, bob.address), 1_004_000_000n, 'the full node sees it at once');
    for (let n = 0; n < 3; n++) {
      assert.equal(await usdtOf(tw, bob.address, true), 1_000_000_000n, `not solid ${n} blocks after inclusion`);
      assert.deepEqual(await tw.trx.getTransactionInfo(txid), {});
      await devnet.mine(1);
    }
    assert.equal(await usdtOf(tw, bob.address, true), 1_004_000_000n);
    assert.equal((await tw.trx.getTransactionInfo(txid)).receipt.energy_usage_total, 64_285);
  } finally {
    await devnet.close();
  }
});

test('USDT balances and transfer receipts survive a restart on the same data file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'devnet-usdt-'));
  const dataFile = join(dir, 'chain.json');
  try {
    const first = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0, dataFile });
    const [alice, bob] = first.accounts.customers as [DevAccount, DevAccount];
    const c = await client(first, alice.privateKey).contract().at(USDT);
    const txid: string = await c.transfer(bob.address, 9_000_000).send({ feeLimit: 100 * TRX });
    await first.mine(1);
    await first.close();

    const second = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0, dataFile });
    try {
      const tw = client(second, alice.privateKey);
      assert.equal(await usdtOf(tw, alice.address), 991_000_000n);
      assert.equal(await usdtOf(tw, bob.address), 1_009_000_000n);
      const info: any = await tw.trx.getTransactionInfo(txid);
      assert.equal(info.receipt.energy_usage_total, 64_285);
      assert.equal(info.log.length, 1);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
