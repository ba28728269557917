// What the product is for, end to end: a customer who rents energy from
// Joule sends USDT without burning TRX for energy; one who does not, burns
// the transfer's 64,285 energy at getEnergyFee. Real Joule stack, real
// devnet over HTTP, the customer's own unmodified TronWeb.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TronWeb } from 'tronweb';
import { stackPerTest, type Stack } from '../support/stack.js';

const USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const TRX = 1_000_000;
/** A USDT transfer to an address that already holds USDT. */
const TRANSFER_ENERGY = 64_285;

const startTestStack = stackPerTest();

/** The customer's wallet: TronWeb on the devnet with its key. */
function wallet(s: Stack, i: number): TronWeb {
  return new TronWeb({ fullHost: s.devnet.url, privateKey: s.devnet.accounts.customers[i]!.privateKey });
}

/** Sends USDT as a wallet does, and returns the transaction's info once a block includes it. */
async function sendUsdt(tw: TronWeb, to: string, amount: number): Promise<any> {
  const usdt = await tw.contract().at(USDT);
  const txid: string = await usdt.transfer(to, amount).send({ feeLimit: 100 * TRX });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const info: any = await tw.trx.getUnconfirmedTransactionInfo(txid);
    if (info.id !== undefined) return info;
    await sleep(50);
  }
  throw new Error(`${txid} never landed`);
}

test('when a customer rents 65,000 energy, then its USDT transfer burns no TRX for energy; without a rental the same transfer burns 64,285 × getEnergyFee', async () => {
  const s = await startTestStack();
  const energyFee = Number(Object.fromEntries((await wallet(s, 0).trx.getChainParameters()).map((p) => [p.key, p.value])).getEnergyFee);
  assert.equal(energyFee, 100);
  const receiver = s.customer(1); // holds USDT: a transfer to it costs 64,285 energy

  // With a rental.
  await s.deposit(1, 1_000_000_000n);
  const placed = await s.order({ user_id: 1, energy_amount: 65_000, duration: '1h', receive_address: s.customer(0) });
  const active = await s.waitFor(placed.id, (o) => o.status === 'active');
  assert.ok(Number(active.delivered_energy) >= 65_000);
  const renter = wallet(s, 0);
  const renterAddress = s.customer(0);
  assert.ok(((await renter.trx.getAccountResources(renterAddress)).EnergyLimit ?? 0) >= 65_000, 'the rented energy is the customer’s');
  const renterBefore = await renter.trx.getUnconfirmedBalance(renterAddress);
  const rented = await sendUsdt(renter, receiver, 10 * TRX);
  const renterAfter = await renter.trx.getUnconfirmedBalance(renterAddress);
  assert.equal(rented.receipt.result, 'SUCCESS');
  assert.equal(rented.receipt.energy_usage_total, TRANSFER_ENERGY);
  assert.equal(rented.receipt.energy_usage, TRANSFER_ENERGY, 'all of it from the rented energy');
  assert.equal(rented.receipt.energy_fee, undefined, 'no TRX burnt for energy');
  assert.equal(renterBefore - renterAfter, rented.receipt.net_fee ?? 0, 'its TRX dropped by no energy fee (at most its bandwidth)');
  assert.ok(renterBefore - renterAfter < 1 * TRX);

  // Without one: another customer, the same transfer.
  const payer = wallet(s, 2);
  const payerAddress = s.customer(2);
  assert.equal((await payer.trx.getAccountResources(payerAddress)).EnergyLimit ?? 0, 0);
  const payerBefore = await payer.trx.getUnconfirmedBalance(payerAddress);
  const burnt = await sendUsdt(payer, receiver, 10 * TRX);
  const payerAfter = await payer.trx.getUnconfirmedBalance(payerAddress);
  assert.equal(burnt.receipt.result, 'SUCCESS');
  assert.equal(burnt.receipt.energy_usage_total, TRANSFER_ENERGY);
  assert.equal(burnt.receipt.energy_fee, TRANSFER_ENERGY * energyFee, '6.4285 TRX burnt for energy');
  assert.equal(payerBefore - payerAfter, burnt.fee);
  assert.equal(payerBefore - payerAfter, TRANSFER_ENERGY * energyFee + (burnt.receipt.net_fee ?? 0));

  // Both transfers arrived.
  const usdt = await payer.contract().at(USDT);
  assert.equal(BigInt(await usdt.balanceOf(receiver).call()), 1_020_000_000n);
});
