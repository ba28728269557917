import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { TronWeb } from 'tronweb';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { TEST_XPUB } from '../support/deposit-keys.js';
import { stackPerTest, until, type Stack } from '../support/stack.js';

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

async function sendUsdt(s: Stack, from: number, to: string, amount: number): Promise<string> {
  const { address, tronWeb } = wallet(s, from);
  const { transaction } = await tronWeb.transactionBuilder.triggerSmartContract(
    USDT,
    'transfer(address,uint256)',
    { feeLimit: 100_000_000 },
    [
      { type: 'address', value: to },
      { type: 'uint256', value: amount },
    ],
    address,
  );
  const signed = await tronWeb.trx.sign(transaction);
  const sent = await tronWeb.trx.sendRawTransaction(signed);
  assert.equal(sent.result, true, JSON.stringify(sent));
  return signed.txID;
}

async function depositsEndToEnd(databaseUrl: string | undefined) {
  // Blocks on request, solidified one behind: "in a block" and "solidified" can be told apart.
  const s = await startTestStack({ ...(databaseUrl ? { databaseUrl } : {}), devnet: { blockIntervalMs: 0, solidifyLag: 1 }, env: { DEPOSIT_XPUB: TEST_XPUB } });
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

  // USDT, and a transfer below the minimum (recorded, not credited), in one block.
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

describe('deposits to users\' deposit addresses, credited from the solidified chain', () => {
  let pg: PostgresServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg.stop());

  test('[sqlite] TRX and USDT credited once each after solidification; below the minimum recorded only; a failed transfer never; a second reading changes nothing', () =>
    depositsEndToEnd(undefined));
  test('[postgres] TRX and USDT credited once each after solidification; below the minimum recorded only; a failed transfer never; a second reading changes nothing', async () =>
    depositsEndToEnd(await createDatabase(pg.url)));
});
