import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChainBlock, ChainGateway } from '../../src/chain/gateway.js';
import { USDT_CONTRACT } from '../../src/domain/usdt.js';
import { DepositWatch } from '../../src/engine/deposit-watch.js';
import { createLogger } from '../../src/observability/logger.js';
import { TronWebGateway } from '../../src/chain/tronweb-gateway.js';
import { startDevnet } from '../../src/devnet/index.js';
import { TronWeb } from 'tronweb';
import { createTestApp } from '../support/app.js';
import { TEST_XPUB } from '../support/deposit-keys.js';
import { sql } from 'kysely';
import { createDatabase, startPostgres } from '../../scripts/services/postgres.js';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { statementRuns } from '../support/statement-runs.js';

const PAYER = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';

test('a burst of USDT deposits is taken a few blocks a turn: no turn makes more than 20 receipt requests, a block with several deposits is one (and one block is always taken)', async () => {
  const t = await createTestApp({ env: { DEPOSIT_XPUB: TEST_XPUB } });
  try {
    const address = (await t.request({ method: 'GET', url: '/api/users/1/deposit-address' })).body.address as string;
    let n = 0;
    const usdt = (to: string) => ({ txid: (n++).toString(16).padStart(64, '0'), result: 'SUCCESS', payment: { kind: 'TRC20' as const, from: PAYER, to, amount: 1_000_000n, token: USDT_CONTRACT } });
    const trx = (to: string) => ({ txid: (n++).toString(16).padStart(64, '0'), result: 'SUCCESS', payment: { kind: 'TRX' as const, from: PAYER, to, amount: 1_000_000n } });
    const block = (number: number, transactions: ChainBlock['transactions']): ChainBlock => ({ number: BigInt(number), timestamp: 0n, id: '', transactions });
    // The chain is never asked by `take`: it only counts the receipt requests `find` would make.
    const watch = new DepositWatch(t.db, undefined as unknown as ChainGateway, { TRX: 1n, USDT: 1n }, createLogger('silent'));
    const ones = Array.from({ length: 30 }, (_, i) => block(i + 1, [usdt(address)]));
    assert.equal(await watch.take(ones), 20, 'a deposit a block: one receipt by id each, 20 blocks');
    const tens = Array.from({ length: 30 }, (_, i) => block(i + 1, Array.from({ length: 10 }, () => usdt(address))));
    assert.equal(await watch.take(tens), 20, "ten deposits a block: the block's receipts in one request each, 20 blocks");
    assert.equal(await watch.take([...Array.from({ length: 19 }, (_, i) => block(i + 1, [usdt(address)])), ...tens]), 20, '19 single ones, then one block of ten');
    const others = Array.from({ length: 25 }, (_, i) => block(i + 1, [...Array.from({ length: 50 }, () => usdt(PAYER)), trx(address)]));
    assert.equal(await watch.take(others), 25, 'transfers to other addresses, and TRX, need no receipt');
  } finally {
    await t.close();
  }
});

test('two USDT deposits in one block are read from one request for the block, a lone one from its own receipt; each found with its amount', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
  const t = await createTestApp({ env: { DEPOSIT_XPUB: TEST_XPUB } });
  try {
    const chain = new TronWebGateway(devnet.url, { timeoutMs: 2000 });
    const addressOf = async (user: number) => (await t.request({ method: 'GET', url: `/api/users/${user}/deposit-address` })).body.address as string;
    const [a, b] = [await addressOf(1), await addressOf(2)];
    const sender = devnet.accounts.customers[1]!;
    const tronWeb = new TronWeb({ fullHost: devnet.url, privateKey: sender.privateKey });
    const send = async (to: string, amount: number) => {
      const { transaction } = await tronWeb.transactionBuilder.triggerSmartContract(USDT_CONTRACT, 'transfer(address,uint256)', { feeLimit: 100_000_000 }, [
        { type: 'address', value: to },
        { type: 'uint256', value: amount },
      ], sender.address);
      const signed = await tronWeb.trx.sign(transaction, sender.privateKey);
      assert.equal((await chain.broadcast(JSON.stringify(signed))).accepted, true);
      return signed.txID;
    };
    const calls = async () => ((await (await fetch(`${devnet.url}/devnet/calls`)).json()) as { by_path: Record<string, number> }).by_path;
    const watch = new DepositWatch(t.db, chain, { TRX: 1n, USDT: 1n }, createLogger('silent'));

    const both = [await send(a, 1_500_000), await send(b, 2_500_000), await send(devnet.accounts.customers[0]!.address, 9_000_000)];
    await devnet.mine(1);
    const shared = (await chain.solidBlocks((await chain.solidBlock()).number, 1))[0]!;
    const lone = await send(a, 3_500_000);
    await devnet.mine(1);
    const own = (await chain.solidBlocks((await chain.solidBlock()).number, 1))[0]!;

    const before = await calls();
    const found = await watch.find([shared, own]);
    const after = await calls();
    const made = (p: string) => (after[p] ?? 0) - (before[p] ?? 0);
    assert.deepEqual(
      found.map((d) => [d.txid, d.address, d.amount]),
      [[both[0], a, 1_500_000n], [both[1], b, 2_500_000n], [lone, a, 3_500_000n]],
      'our two in the shared block, not the third party’s, then the lone one',
    );
    assert.equal(made('/walletsolidity/gettransactioninfobyblocknum'), 1, 'the shared block: one request');
    assert.equal(made('/walletsolidity/gettransactioninfobyid'), 1, 'the lone deposit: its own receipt');
  } finally {
    await t.close();
    await devnet.close();
  }
});

test("a follower's turn reads the owners of its blocks' receivers once: `take` looks them up, `find` on the same blocks (or the first of them) reuses them", async () => {
  // pg_stat_statements: how many times the owners were read.
  const pg = await startPostgres({ settings: ["shared_preload_libraries = 'pg_stat_statements'"] });
  const db = connect(await createDatabase(pg.url));
  try {
    await migrate(db);
    await sql`create extension if not exists pg_stat_statements`.execute(db.kysely);
    const address = 'TJRabPrwbZy45sbavfcjinPJC18kjpRTv8';
    await db.kysely.insertInto('users').values({ id: 5n, balance_sun: 0n, created_at: 0n, updated_at: 0n }).execute();
    await db.kysely.insertInto('deposit_addresses').values({ user_id: 5n, derivation_index: 0n, address, created_at: 0n }).execute();
    const ownerReads = async () => (await statementRuns(db, 'select "address", "user_id" from "deposit_addresses"%')).calls;
    let n = 0;
    const trx = (to: string, amount: bigint) => ({ txid: (n++).toString(16).padStart(64, '0'), result: 'SUCCESS', payment: { kind: 'TRX' as const, from: PAYER, to, amount } });
    const block = (number: number, transactions: ChainBlock['transactions']): ChainBlock => ({ number: BigInt(number), timestamp: 0n, id: '', transactions });
    const blocks = [block(1, [trx(address, 1n), trx(PAYER, 2n)]), block(2, [trx(address, 3n)]), block(3, [trx(PAYER, 4n)])];
    const watch = new DepositWatch(db, undefined as unknown as ChainGateway, { TRX: 1n, USDT: 1n }, createLogger('silent'));
    const before = await ownerReads();
    assert.equal(await watch.take(blocks), 3);
    assert.deepEqual((await watch.find(blocks.slice(0, 2))).map((d) => [d.address, d.amount]), [[address, 1n], [address, 3n]], 'found in the blocks taken, from the look-up of `take`');
    assert.equal((await ownerReads()) - before, 1, 'one read of the owners for the turn');
    // The next turn's blocks are other blocks: looked up again, and found.
    const next = [block(4, [trx(address, 5n)])];
    assert.equal(await watch.take(next), 1);
    assert.deepEqual((await watch.find(next)).map((d) => d.amount), [5n]);
    // `find` alone (no `take` before it) reads them itself.
    assert.deepEqual((await watch.find([block(5, [trx(address, 6n)])])).map((d) => d.amount), [6n]);
    assert.equal((await ownerReads()) - before, 3);
  } finally {
    await db.close();
    await pg.stop();
  }
});
