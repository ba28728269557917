import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { TronWeb } from 'tronweb';
import { findCursor } from '../../src/db/chain-cursor.js';
import { createTestApp, tableCounts } from '../support/app.js';
import { TEST_XPUB } from '../support/deposit-keys.js';
import { describeEachDatabase } from '../support/dialects.js';
import { readByTwoWorkersAtOnce, stackPerTest, startWorker, until, waitForFollower, type Stack } from '../support/stack.js';

const USDT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const startTestStack = stackPerTest();

/** The follower reads blocks once a block while our transactions fly, every 2 s here otherwise (20 polls of 100 ms). */
const FOLLOW_IDLE_MS = 2000;

async function depositAddress(s: Stack, userId: number): Promise<string> {
  const res = await s.request({ method: 'GET', url: `/api/users/${userId}/deposit-address` });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.address as string;
}

async function balances(s: Stack, userId: number): Promise<{ trx: bigint; usdt: bigint }> {
  const res = await s.request({ method: 'GET', url: `/api/users/${userId}` });
  if (res.status === 404) return { trx: 0n, usdt: 0n };
  return { trx: BigInt(res.body.balance_sun), usdt: BigInt(res.body.balance_micro_usdt) };
}

async function chainDeposits(s: Stack) {
  return s.db.kysely.selectFrom('chain_deposits').selectAll().orderBy('id').execute();
}

/** A customer's own wallet: what a payer would use. */
function wallet(s: Stack, i: number) {
  const c = s.devnet.accounts.customers[i]!;
  return { address: c.address, tronWeb: new TronWeb({ fullHost: s.devnet.url, privateKey: c.privateKey }) };
}

/** A customer calls the USDT contract from their own wallet; returns the txid. */
async function callUsdt(s: Stack, from: number, fn: string, params: Array<{ type: string; value: unknown }>): Promise<string> {
  const { address, tronWeb } = wallet(s, from);
  const { transaction } = await tronWeb.transactionBuilder.triggerSmartContract(USDT, fn, { feeLimit: 200_000_000 }, params, address);
  const signed = await tronWeb.trx.sign(transaction);
  const sent = await tronWeb.trx.sendRawTransaction(signed);
  assert.equal(sent.result, true, JSON.stringify(sent));
  return signed.txID;
}

const sendUsdt = (s: Stack, from: number, to: string, amount: number) =>
  callUsdt(s, from, 'transfer(address,uint256)', [
    { type: 'address', value: to },
    { type: 'uint256', value: amount },
  ]);

async function depositsEndToEnd(databaseUrl: string | undefined) {
  // Blocks on request, solidified one behind: "in a block" and "solidified" can be told apart.
  const s = await startTestStack({ ...(databaseUrl ? { databaseUrl } : {}), devnet: { blockIntervalMs: 0, solidifyLag: 1 }, env: { DEPOSIT_XPUB: TEST_XPUB } });
  await waitForFollower(s);
  const address = await depositAddress(s, 7);
  assert.equal(await depositAddress(s, 7), address, 'the same address every time');

  // TRX: credited once the block is solidified, never before.
  const payer = wallet(s, 0);
  const trx = await payer.tronWeb.trx.sendTransaction(address, 5_000_000);
  assert.equal(trx.result, true);
  const trxTxid = trx.transaction.txID;
  await s.devnetAdmin('POST', '/mine', { blocks: 1 });
  await sleep(FOLLOW_IDLE_MS + 500);
  assert.deepEqual(await balances(s, 7), { trx: 0n, usdt: 0n }, 'in a block but not solidified: nothing credited');
  await s.devnetAdmin('POST', '/mine', { blocks: 1 });
  await until(() => balances(s, 7), (b) => b.trx === 5_000_000n, 'the TRX deposit is credited once solidified');

  // USDT, and a transfer below the minimum (recorded, not credited), in one block; and a transfer of
  // no USDT at all, which anyone can send to any address: it pays nothing and stops nothing.
  await sendUsdt(s, 1, address, 0);
  const usdtTx = await sendUsdt(s, 1, address, 25_000_000);
  const smallTxid = (await payer.tronWeb.trx.sendTransaction(address, 400_000)).transaction.txID;
  await s.devnetAdmin('POST', '/mine', { blocks: 2 });
  await until(() => balances(s, 7), (b) => b.usdt === 25_000_000n, 'the USDT deposit is credited');
  const rows = await until(() => chainDeposits(s), (r) => r.length === 3, 'three transfers recorded');
  const byTxid = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
  assert.deepEqual(
    rows.map((r) => [r.txid, Number(r.event_index), r.currency, r.amount, Number(r.credited)]).sort(byTxid),
    [
      [trxTxid, 0, 'TRX', 5_000_000n, 1],
      [usdtTx, 0, 'USDT', 25_000_000n, 1],
      [smallTxid, 0, 'TRX', 400_000n, 0],
    ].sort(byTxid),
  );
  const ledger = await s.db.kysely.selectFrom('ledger_entries').select(['reference', 'currency', 'amount_sun']).where('user_id', '=', 7n).orderBy('id').execute();
  assert.deepEqual(
    ledger.map((l) => [l.reference, l.currency, l.amount_sun]),
    [
      [`chain:${trxTxid}:0`, 'TRX', 5_000_000n],
      [`chain:${usdtTx}:0`, 'USDT', 25_000_000n],
    ],
  );
  // The user's ledger names each deposit's transaction and block.
  const entries = (await s.request({ method: 'GET', url: '/api/users/7/ledger' })).body.entries as Record<string, unknown>[];
  assert.deepEqual(
    entries.map((e) => [e.txid, e.block_number, e.amount]).sort(byTxid),
    rows.filter((r) => r.credited === 1n).map((r) => [r.txid, r.block_number.toString(), r.amount.toString()]).sort(byTxid),
  );

  // A USDT transfer that fails on chain (its sender cannot pay the energy) is never credited.
  await s.devnetAdmin('POST', '/accounts/set-balance', { address: wallet(s, 2).address, balance_sun: '1000' });
  const failed = await sendUsdt(s, 2, address, 7_000_000);
  await s.devnetAdmin('POST', '/mine', { blocks: 2 });
  const info = await until(
    () => payer.tronWeb.trx.getTransactionInfo(failed) as Promise<Record<string, any>>,
    (i) => Object.keys(i).length > 0,
    'the failed transfer is solidified',
  );
  assert.equal(info.receipt?.result, 'OUT_OF_ENERGY');
  await sleep(FOLLOW_IDLE_MS + 500);
  assert.equal((await balances(s, 7)).usdt, 25_000_000n, 'the failed transfer credited nothing');
  assert.equal((await chainDeposits(s)).length, 3);

  // The same blocks read again (a restart with an older cursor, another worker): still once.
  await s.db.kysely.updateTable('chain_cursors').set({ block_number: 0n }).execute();
  await s.devnetAdmin('POST', '/mine', { blocks: 1 });
  await until(
    () => s.db.kysely.selectFrom('chain_cursors').select('block_number').executeTakeFirstOrThrow(),
    (c) => c.block_number >= BigInt(s.devnet.headNumber() - 1),
    'the follower read the chain again',
  );
  assert.deepEqual(await balances(s, 7), { trx: 5_000_000n, usdt: 25_000_000n }, 'nothing credited twice');
  assert.equal((await chainDeposits(s)).length, 3);
}

/**
 * Two workers read the blocks of a TRX and a USDT deposit at once (the
 * first held up past its lease while it reads them, the second taking the
 * cursor over); then both stop, the cursor is rewound before those blocks,
 * and a new worker starts on the same database and reads them once more.
 * Each deposit is credited once through all of it.
 */
async function seenTwiceAtOnceThenAfterRestart(databaseUrl: string | undefined) {
  const s = await startTestStack({ ...(databaseUrl ? { databaseUrl } : {}), env: { DEPOSIT_XPUB: TEST_XPUB } });
  const address = await depositAddress(s, 7);
  const txids: { trx?: string; usdt?: string } = {};
  const { first, second } = await readByTwoWorkersAtOnce(s, async () => {
    const trx = await wallet(s, 0).tronWeb.trx.sendTransaction(address, 5_000_000);
    assert.equal(trx.result, true);
    txids.trx = trx.transaction.txID;
    txids.usdt = await sendUsdt(s, 1, address, 25_000_000);
  });
  const credited = async () => {
    assert.deepEqual(await balances(s, 7), { trx: 5_000_000n, usdt: 25_000_000n });
    const rows = await chainDeposits(s);
    assert.deepEqual(
      rows.map((r) => [r.txid, Number(r.event_index), r.currency, r.amount, Number(r.credited)]).sort(),
      [
        [txids.trx, 0, 'TRX', 5_000_000n, 1],
        [txids.usdt, 0, 'USDT', 25_000_000n, 1],
      ].sort(),
    );
    const ledger = await s.db.kysely.selectFrom('ledger_entries').select(['reference', 'currency', 'amount_sun']).orderBy('id').execute();
    assert.deepEqual(
      ledger.map((l) => [l.reference, l.currency, l.amount_sun]).sort(),
      [
        [`chain:${txids.trx}:0`, 'TRX', 5_000_000n],
        [`chain:${txids.usdt}:0`, 'USDT', 25_000_000n],
      ].sort(),
    );
    return rows;
  };
  let rows: Awaited<ReturnType<typeof chainDeposits>>;
  try {
    await until(() => balances(s, 7), (b) => b.trx === 5_000_000n && b.usdt === 25_000_000n, 'both deposits are credited');
    rows = await credited();
    assert.equal((await findCursor(s.db))!.lease_owner, second.id, 'the second worker follows now');
  } finally {
    await second.close();
    await first.close();
  }

  // A restart: the workers are gone, the cursor is older than the deposits' blocks, a new worker reads them again.
  const before = await tableCounts(s.db);
  const readTo = (await findCursor(s.db))!.block_number;
  const from = rows.reduce((min, r) => (r.block_number < min ? r.block_number : min), readTo) - 1n;
  await s.db.kysely.updateTable('chain_cursors').set({ block_number: from }).execute();
  const restarted = startWorker(s, 'after-restart');
  try {
    await until(() => findCursor(s.db), (c) => c!.lease_owner === restarted.id && c!.block_number >= readTo, 'the new worker read the blocks again');
    await credited();
    assert.deepEqual(await tableCounts(s.db), before, 'nothing written');
  } finally {
    await restarted.close();
  }
}

/**
 * The worker that follows the chain has no DEPOSIT_XPUB; an API process on
 * the same database has it and hands out an address (a rolling deploy that
 * turns deposits on, or the key given to the API alone): a transfer to that
 * address is credited all the same.
 */
async function followedByAWorkerWithoutTheKey(databaseUrl: string | undefined) {
  const s = await startTestStack({ ...(databaseUrl ? { databaseUrl } : {}) });
  await waitForFollower(s);
  const api = await createTestApp({ databaseUrl: s.config.databaseUrl, env: { DEPOSIT_XPUB: TEST_XPUB, TRON_FULL_HOST: s.devnet.url } });
  try {
    const res = await api.request({ method: 'GET', url: '/api/users/8/deposit-address' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await s.request({ method: 'GET', url: '/api/users/8/deposit-address' })).status, 404, 'the stack itself has no key');
    const sent = await wallet(s, 0).tronWeb.trx.sendTransaction(res.body.address, 3_000_000);
    assert.equal(sent.result, true);
    await until(() => balances(s, 8), (b) => b.trx === 3_000_000n, 'the deposit is credited by the worker without the key');
  } finally {
    await api.close();
  }
}

test("TRX the operator sends a deposit address from one of Joule's pools (to activate it, or for a sweep's bandwidth) is not the user's deposit, though only another worker has that pool; a customer's in the same blocks is", async () => {
  // The worker that follows has pool 0 alone; another worker of the cluster (a deploy adding a pool) has pool 1.
  const s = await startTestStack({ poolCount: 1, env: { DEPOSIT_XPUB: TEST_XPUB } });
  await waitForFollower(s);
  const pool = s.devnet.accounts.pools[1]!;
  const other = startWorker(s, 'other-pools', { poolKeys: [pool.privateKey] });
  try {
    await until(() => s.db.kysely.selectFrom('pool_snapshots').select('address').where('address', '=', pool.address).executeTakeFirst(), (r) => r !== undefined, 'the other worker read its pool');
  } finally {
    await other.close();
  }
  assert.equal((await findCursor(s.db))!.lease_owner, 'test-worker', 'the stack\'s worker follows');
  const address = await depositAddress(s, 7);
  const operator = new TronWeb({ fullHost: s.devnet.url, privateKey: pool.privateKey });
  const funded = await operator.trx.sendTransaction(address, 2_000_000);
  assert.equal(funded.result, true, JSON.stringify(funded));
  const paid = await wallet(s, 0).tronWeb.trx.sendTransaction(address, 3_000_000);
  assert.equal(paid.result, true);
  await until(() => balances(s, 7), (b) => b.trx === 3_000_000n, "the customer's deposit is credited");
  // The operator's transfer landed no later: solidified and read by now.
  assert.deepEqual((await chainDeposits(s)).map((d) => [d.txid, d.amount]), [[paid.transaction.txID, 3_000_000n]], "the operator's transfer is not recorded");
  assert.equal((await balances(s, 7)).trx, 3_000_000n);
});

test("USDT a payment processor pulls to a deposit address with transferFrom, from the payer's approval, is credited once to the address's user", async () => {
  const s = await startTestStack({ env: { DEPOSIT_XPUB: TEST_XPUB } });
  await waitForFollower(s);
  const address = await depositAddress(s, 8);
  const payer = wallet(s, 0);
  const processor = wallet(s, 1);
  await callUsdt(s, 0, 'approve(address,uint256)', [
    { type: 'address', value: processor.address },
    { type: 'uint256', value: 10_000_000 },
  ]);
  await sleep(300);
  const pulled = await callUsdt(s, 1, 'transferFrom(address,address,uint256)', [
    { type: 'address', value: payer.address },
    { type: 'address', value: address },
    { type: 'uint256', value: 6_000_000 },
  ]);
  await until(() => balances(s, 8), (b) => b.usdt === 6_000_000n, 'the pulled USDT is credited');
  // Read on by the follower: still once.
  await sleep(FOLLOW_IDLE_MS + 500);
  assert.deepEqual(await balances(s, 8), { trx: 0n, usdt: 6_000_000n });
  const rows = await chainDeposits(s);
  assert.deepEqual(rows.map((r) => [r.txid, Number(r.event_index), r.address, r.currency, r.amount, Number(r.credited)]), [[pulled, 0, address, 'USDT', 6_000_000n, 1]]);
});

describeEachDatabase('deposits to users\' deposit addresses, credited from the solidified chain', (freshDatabase) => {
  test('a deposit to an address an API handed out is credited though the worker that follows has no DEPOSIT_XPUB', async () =>
    followedByAWorkerWithoutTheKey(await freshDatabase()));
  test('TRX and USDT credited once each after solidification; below the minimum recorded only; a failed transfer never; a second reading changes nothing', async () =>
    depositsEndToEnd(await freshDatabase()));
  test('a deposit read by two workers at once, and again after a restart, is credited once', async () => seenTwiceAtOnceThenAfterRestart(await freshDatabase()));
});
