import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TronWeb } from 'tronweb';
import { findCursor } from '../../src/db/chain-cursor.js';
import { describeEachDatabase } from '../support/dialects.js';
import { drainPool, readByTwoWorkersAtOnce, stackPerTest, startWorker, until, waitForFollower, type Stack } from '../support/stack.js';

/**
 * Flash rent end to end: customers pay the flash-rent address (pool 0) from
 * their own wallets with unmodified TronWeb, the devnet solidifies the
 * transfers, and Joule serves each one once: an order delegating to the
 * sender or to the memo's address, or a refund on chain.
 */

const startTestStack = stackPerTest();
const TRX = 1_000_000n;
const FEE = 300_000n;
/** The chain's getMemoFee (mainnet's, and the devnet's). */
const MEMO_FEE = 1_000_000n;

/** A stack whose flash-rent address is pool 0 (its key signs the refunds). */
async function start(databaseUrl?: string, env: Record<string, string> = {}): Promise<{ s: Stack; flash: string }> {
  const s = await startTestStack({
    ...(databaseUrl ? { databaseUrl } : {}),
    env,
    envFor: (devnet) => ({ FLASH_RENT_ADDRESS: devnet.accounts.pools[0]!.address, FLASH_RENT_TABLE: '3:65000:1h,6:131000:1h', FLASH_RENT_REFUND_FEE_SUN: FEE.toString() }),
  });
  await waitForFollower(s);
  return { s, flash: s.devnet.accounts.pools[0]!.address };
}

const balanceOf = (s: Stack, address: string) => new TronWeb({ fullHost: s.devnet.url }).trx.getBalance(address).then(BigInt);

/** A customer (or another account: `from`) pays `sun` to `to` from their own wallet, with an optional memo; returns the txid. */
async function pay(s: Stack, from: number | { address: string; privateKey: string }, to: string, sun: bigint, memo?: string): Promise<string> {
  const c = typeof from === 'number' ? s.devnet.accounts.customers[from]! : from;
  const tronWeb = new TronWeb({ fullHost: s.devnet.url, privateKey: c.privateKey });
  let tx = await tronWeb.transactionBuilder.sendTrx(to, Number(sun), c.address);
  if (memo !== undefined) tx = await tronWeb.transactionBuilder.addUpdateData(tx, memo, 'utf8');
  const signed = await tronWeb.trx.sign(tx);
  const answer = await tronWeb.trx.sendRawTransaction(signed);
  assert.equal(answer.result, true, JSON.stringify(answer));
  return signed.txID;
}

const paymentRow = (s: Stack, txid: string) => s.db.kysely.selectFrom('flash_payments').selectAll().where('txid', '=', txid).executeTakeFirst();
const orderPaidBy = (s: Stack, txid: string) => s.db.kysely.selectFrom('orders').selectAll().where('payment_txid', '=', txid).executeTakeFirst();

/** The refunds the chain carried from the flash address to `to`. */
async function refundsOnChain(s: Stack, flash: string, to: string): Promise<any[]> {
  return (await s.chainTxs('TransferContract')).filter((t) => t.owner === flash && t.receiver === to);
}

async function delegatedEnergyTo(s: Stack, address: string): Promise<any[]> {
  const res = await fetch(`${s.devnet.url}/devnet/delegations`);
  return ((await res.json()) as { delegations: any[] }).delegations.filter((d) => d.to === address);
}

describeEachDatabase('flash rent', (freshDatabase) => {
  test('a transfer of exactly a listed amount places that order, paid by the transfer, and delegates to the sender', async () => {
    const { s, flash } = await start(await freshDatabase());
    const sender = s.customer(0);
    const txid = await pay(s, 0, flash, 3n * TRX);
    const placed = await until(() => orderPaidBy(s, txid), (o) => o !== undefined, 'the payment never became an order');
    assert.equal(placed!.energy_amount, 65_000n);
    assert.equal(placed!.duration, '1h');
    assert.equal(placed!.price_sun, 3n * TRX);
    assert.equal(placed!.receive_address, sender);
    assert.equal(placed!.idempotency_key, `flash ${txid}`);
    const active = await s.waitFor(placed!.id, (o) => o.status === 'active');
    assert.ok(active.delegate_txid);
    assert.equal(active.payment_txid, txid, 'the order names the transfer that paid it');
    assert.equal(active.client_order_id, null);
    assert.equal(active.price_sun, String(3n * TRX));
    const asked = await s.request({ method: 'GET', url: `/api/flash-rent/payments/${txid.toUpperCase()}` });
    assert.equal(asked.status, 200);
    assert.equal(asked.body.status, 'ordered');
    assert.equal(asked.body.order_id, placed!.id);
    assert.equal(asked.body.sender, sender);
    assert.equal(asked.body.amount_sun, String(3n * TRX));
    assert.equal((await delegatedEnergyTo(s, sender)).length, 1, 'one delegation to the sender');
    const payment = await paymentRow(s, txid);
    assert.equal(payment!.refund_status, null);
    assert.equal(payment!.sender, sender);
  });

  test('with a memo naming another address, the energy goes to that address', async () => {
    const { s, flash } = await start(await freshDatabase());
    const receiver = s.customer(1);
    const txid = await pay(s, 0, flash, 6n * TRX, `  ${receiver} `);
    const placed = await until(() => orderPaidBy(s, txid), (o) => o !== undefined, 'the payment never became an order');
    assert.equal(placed!.receive_address, receiver);
    assert.equal(placed!.energy_amount, 131_000n);
    await s.waitFor(placed!.id, (o) => o.status === 'active');
    assert.equal((await delegatedEnergyTo(s, receiver)).length, 1);
    assert.deepEqual(await delegatedEnergyTo(s, s.customer(0)), [], 'nothing to the payer');
  });

  test('an amount not in the table is refunded on chain once, minus the refund fee; a memo that is not an address too', async () => {
    const { s, flash } = await start(await freshDatabase());
    const payer = s.customer(2);
    const before = await balanceOf(s, payer);
    const odd = await pay(s, 2, flash, 4n * TRX);
    // A NUL in the memo too, which PostgreSQL's text cannot hold.
    const typo = await pay(s, 2, flash, 3n * TRX, 'TXYZ-not-\u0000-an-address');
    for (const txid of [odd, typo]) {
      const p = await until(() => paymentRow(s, txid), (row) => row?.refund_status === 'refunded', `payment ${txid} was never refunded`);
      assert.equal(await orderPaidBy(s, txid), undefined, 'no order');
      assert.ok(p!.refund_txid);
    }
    assert.equal((await paymentRow(s, odd))!.refund_reason, 'flash_amount_not_listed');
    assert.equal((await paymentRow(s, typo))!.refund_reason, 'flash_memo_not_an_address');
    assert.equal((await paymentRow(s, typo))!.memo, 'TXYZ-not-\uFFFD-an-address', 'kept as read, its NUL replaced');
    assert.equal((await paymentRow(s, odd))!.refund_sun, 4n * TRX - FEE);
    const asked = await s.request({ method: 'GET', url: `/api/flash-rent/payments/${odd}` });
    assert.equal(asked.body.status, 'refunded');
    assert.equal(asked.body.order_id, null);
    assert.equal(asked.body.reason, 'flash_amount_not_listed');
    assert.equal(asked.body.refund_sun, String(4n * TRX - FEE));
    assert.equal(asked.body.refund_txid, (await paymentRow(s, odd))!.refund_txid);
    assert.equal(asked.body.refund_tx_status, 'confirmed');
    // Let the follower and the refunder run on: a refund must never be sent twice.
    await sleep(1500);
    const refunds = (await refundsOnChain(s, flash, payer)).filter((t) => t.status === 'included');
    assert.equal(refunds.length, 2, JSON.stringify(refunds));
    assert.equal(refunds.map((t) => BigInt(t.amount)).sort().join(), [3n * TRX - FEE, 4n * TRX - FEE].sort().join(), 'each refund is the amount paid minus the fee');
    // The chain's memo fee (1 TRX, burnt by the payer for the transfer that carried a memo) is not ours to give back.
    assert.equal(await balanceOf(s, payer), before - 7n * TRX + 7n * TRX - 2n * FEE - MEMO_FEE, 'the payer is out only the two refund fees and the memo fee');
    assert.deepEqual(await delegatedEnergyTo(s, payer), []);
  });

  test("TRX another of Joule's pools sends to the flash address is the operator's funds: no order, no refund", async () => {
    const { s, flash } = await start(await freshDatabase());
    const other = s.devnet.accounts.pools[1]!;
    const before = await balanceOf(s, flash);
    // An amount in the table and one not in it: as a customer's, the first would place an order, the second come back.
    const funding = [await pay(s, other, flash, 3n * TRX), await pay(s, other, flash, 50n * TRX)];
    // A customer's payment after them: once it is served, the follower has read their blocks.
    const after = await pay(s, 2, flash, 4n * TRX);
    await until(() => paymentRow(s, after), (row) => row !== undefined, 'the later payment was never seen');
    for (const txid of funding) {
      assert.equal(await paymentRow(s, txid), undefined, 'not a payment');
      assert.equal(await orderPaidBy(s, txid), undefined, 'no order');
    }
    assert.deepEqual(await refundsOnChain(s, flash, other.address), [], 'nothing sent back');
    assert.ok((await balanceOf(s, flash)) >= before + 53n * TRX, 'the funds stay');
  });

  test('an order that cannot be delivered (a receiver never activated) fails and its payment goes back on chain', async () => {
    const { s, flash } = await start(await freshDatabase());
    const fresh = TronWeb.address.fromPrivateKey('11'.repeat(32)) as string;
    const txid = await pay(s, 0, flash, 3n * TRX, fresh);
    const placed = await until(() => orderPaidBy(s, txid), (o) => o !== undefined, 'the payment never became an order');
    const failed = await s.waitFor(placed!.id, (o) => o.status === 'failed');
    assert.equal(failed.error_code, 'receiver_not_activated');
    assert.equal(failed.refunded_sun, String(3n * TRX - FEE), 'what goes back on chain');
    const p = await until(() => paymentRow(s, txid), (row) => row?.refund_status === 'refunded', 'the payment was never refunded');
    assert.equal(p!.refund_sun, 3n * TRX - FEE);
    assert.equal(p!.refund_reason, 'receiver_not_activated');
    const journal = await s.db.kysely.selectFrom('chain_transactions').selectAll().where('kind', '=', 'refund').execute();
    assert.equal(journal.length, 1);
    assert.equal(journal[0]!.order_id, placed!.id, "the refund shows on the order's transactions");
    const txs = await s.request({ method: 'GET', url: `/api/orders/${placed!.id}/transactions` });
    assert.ok(txs.body.transactions.some((x: any) => x.kind === 'refund' && x.status === 'confirmed'), JSON.stringify(txs.body));
    assert.equal((await s.request({ method: 'GET', url: `/api/flash-rent/payments/${txid}` })).body.status, 'refunded');
    assert.equal((await refundsOnChain(s, flash, s.customer(0))).filter((t) => t.status === 'included').length, 1);
  });

  test('a worker without FLASH_RENT_ADDRESS never reads past a payment: it stands back while one that serves them is about, and gives the cursor up to one that comes', async () => {
    const { s, flash } = await start(await freshDatabase());
    await s.engine.close();
    const stoppedAt = (await findCursor(s.db))!.block_number;
    // A worker deployed without flash rent (a rolling deploy turning it on, or one role's settings apart).
    const plain = startWorker(s, 'plain', { flashRent: undefined });
    const workers = [plain];
    try {
      const first = await pay(s, 0, flash, 3n * TRX);
      const paidAt = s.devnet.headNumber();
      await until(async () => s.devnet.headNumber(), (head) => head >= paidAt + 3, 'the payment is solidified');
      await sleep(500);
      const cursor = (await findCursor(s.db))!;
      assert.equal(cursor.lease_owner, null, 'the plain worker does not follow');
      assert.equal(cursor.block_number, stoppedAt, 'nobody read past the payment');
      assert.ok(
        plain.logs.some((l) => l.level === 40 && /serves flash-rent payments/.test(l.msg)),
        `the plain worker says why it does not follow: ${JSON.stringify(plain.logs.map((l) => l.msg))}`,
      );

      // The worker that serves them is back (restarted), with a short lease: it is taken to be about for 4 of them.
      const back = startWorker(s, 'flash-back', { engine: { leaseMs: 500 } });
      workers.push(back);
      const placed = await until(() => orderPaidBy(s, first), (o) => o !== undefined, 'the payment made while no worker served them never became an order');
      await s.waitFor(placed!.id, (o) => o.status === 'active');
      assert.equal((await findCursor(s.db))!.lease_owner, back.id);

      // Gone for good (flash rent turned off): once it has not been seen for 4 of its leases, the plain worker follows.
      await back.close();
      workers.pop();
      await until(() => findCursor(s.db), (c) => c!.lease_owner === plain.id, 'the plain worker never followed after the flash worker left');

      // One that serves them comes while the plain worker follows (and renews its lease every poll): it takes the cursor over.
      const comes = startWorker(s, 'flash-comes');
      workers.push(comes);
      await until(() => findCursor(s.db), (c) => c!.lease_owner === comes.id, 'the flash worker never took the cursor from the plain one');
      assert.equal((await findCursor(s.db))!.lease_flash_address, flash);
      const second = await pay(s, 1, flash, 3n * TRX);
      const placedAgain = await until(() => orderPaidBy(s, second), (o) => o !== undefined, 'the payment never became an order');
      await s.waitFor(placedAgain!.id, (o) => o.status === 'active');
      assert.equal((await findCursor(s.db))!.lease_owner, comes.id, 'the plain worker stands back');
      assert.ok(plain.logs.some((l) => l.msg === 'another worker follows the chain now'));
    } finally {
      for (const w of workers.reverse()) await w.close();
    }
  });

  test('a transfer is served once when two workers read its block at once, and once more after a restart: one order, one refund on chain', async () => {
    const { s, flash } = await start(await freshDatabase());
    const txids: { exact?: string; odd?: string } = {};
    const { first, second } = await readByTwoWorkersAtOnce(s, async () => {
      txids.exact = await pay(s, 0, flash, 3n * TRX);
      txids.odd = await pay(s, 2, flash, 4n * TRX);
    });
    const { exact, odd } = txids as Required<typeof txids>;
    /** What the payers see: one delegation for the listed amount, one refund of the odd one; one order and two payments recorded. */
    const servedOnce = async () => {
      const orders = await s.db.kysely.selectFrom('orders').select(['id', 'payment_txid', 'receive_address']).execute();
      assert.deepEqual(orders.map((o) => [o.payment_txid, o.receive_address]), [[exact, s.customer(0)]], 'one order, for the listed amount');
      assert.equal((await s.request({ method: 'GET', url: `/api/orders/${orders[0]!.id}` })).body.status, 'active');
      assert.equal((await delegatedEnergyTo(s, s.customer(0))).length, 1, 'one delegation to the payer of the listed amount');
      const payments = await s.db.kysely.selectFrom('flash_payments').select(['txid', 'refund_status', 'refund_sun']).orderBy('txid').execute();
      assert.deepEqual(
        payments.map((p) => [p.txid, p.refund_status, p.refund_sun]),
        [
          [exact, null, null],
          [odd, 'refunded', 4n * TRX - FEE],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      const refunds = await refundsOnChain(s, flash, s.customer(2));
      assert.equal(refunds.length, 1, JSON.stringify(refunds));
      assert.equal(refunds[0].status, 'included');
      assert.equal(BigInt(refunds[0].amount), 4n * TRX - FEE);
      assert.deepEqual(await refundsOnChain(s, flash, s.customer(0)), [], 'nothing sent back for the order');
    };
    try {
      const placed = await until(() => orderPaidBy(s, exact), (o) => o !== undefined, 'the payment never became an order');
      await s.waitFor(placed!.id, (o) => o.status === 'active');
      await until(() => paymentRow(s, odd), (row) => row?.refund_status === 'refunded', 'the odd payment was never refunded');
      // Both workers run on (the refunder of each looks for due refunds every poll): nothing is served again.
      await sleep(500);
      await servedOnce();
      assert.equal((await findCursor(s.db))!.lease_owner, second.id, 'the second worker follows now');
    } finally {
      await second.close();
      await first.close();
    }

    // A restart: the workers are gone, the cursor is older than the payments' blocks, a new worker reads them again.
    const readTo = (await findCursor(s.db))!.block_number;
    const blocks = await s.db.kysely.selectFrom('flash_payments').select('block_number').execute();
    const from = blocks.reduce((min, p) => (p.block_number < min ? p.block_number : min), readTo) - 1n;
    await s.db.kysely.updateTable('chain_cursors').set({ block_number: from }).execute();
    const restarted = startWorker(s, 'after-restart');
    try {
      await until(() => findCursor(s.db), (c) => c!.lease_owner === restarted.id && c!.block_number >= readTo, 'the new worker read the blocks again');
      await sleep(500);
      await servedOnce();
    } finally {
      await restarted.close();
    }
  });
});

test('when the flash address cannot pay for a refund (its TRX swept after its last read), then the refund waits with pool_cannot_pay_fee, nothing more is signed or planned on it, and it goes out at its next try once funded, not at the next periodic read', async () => {
  // No periodic read within the test: only what the refund asks for.
  const { s, flash } = await start(undefined, { POOL_REFRESH_MS: '3600000' });
  await s.deposit(1, 1_000_000_000n);
  const odd = await pay(s, 2, flash, 4n * TRX);
  // The refund's broadcast is held up a moment; meanwhile the operator sweeps the address (its bandwidth spent too),
  // so the node refuses the transfer as java-tron would: BANDWITH_ERROR.
  await s.devnetAdmin('POST', '/faults/hang', { ms: 700, count: 1, pathPrefix: '/wallet/broadcasttransaction' });
  await until(() => s.devnetAdmin('GET', '/faults'), (f) => f.hang === undefined, 'the refund was never broadcast', 15_000);
  await drainPool(s, flash);
  const refusedRefunds = () => s.db.kysely.selectFrom('chain_transactions').select(['status', 'result_code']).where('payment_txid', '=', odd).execute();
  const waiting = await until(() => paymentRow(s, odd), (row) => row?.wait_reason === 'pool_cannot_pay_fee', 'the refund never waited for the address to be funded');
  assert.equal(waiting!.refund_status, 'due');
  assert.deepEqual(await refusedRefunds(), [{ status: 'failed', result_code: 'BANDWITH_ERROR' }]);

  // A rental meanwhile goes to the other pool, with nothing refused on the way.
  const rental = await s.order({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: s.customer(1) });
  const active = await s.waitFor(rental.id, (o) => o.status === 'active');
  assert.equal(active.pool_address, s.devnet.accounts.pools[1]!.address);
  const rentalTxs = (await s.request({ method: 'GET', url: `/api/orders/${rental.id}/transactions` })).body.transactions;
  assert.deepEqual(rentalTxs.map((t: any) => t.status), ['confirmed']);
  // Tries go on at their backoff's pace; none signs a transfer the address cannot pay.
  await until(() => paymentRow(s, odd), (row) => row!.attempts >= 3n, 'the refund was not tried again');
  assert.equal((await refusedRefunds()).length, 1, 'nothing signed that could not be paid');

  await s.devnetAdmin('POST', '/accounts/set-balance', { address: flash, balance_sun: '100000000' });
  const refunded = await until(() => paymentRow(s, odd), (row) => row?.refund_status === 'refunded', 'the refund never went out once the address was funded', 30_000);
  assert.equal(refunded!.wait_reason, null);
  const onChain = (await refundsOnChain(s, flash, s.customer(2))).filter((t) => t.status === 'included');
  assert.deepEqual(onChain.map((t) => BigInt(t.amount)), [4n * TRX - FEE]);
});
