import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findChainDeposit } from '../../src/db/chain-deposits.js';
import { creditChainDeposit, depositOwners, type ChainDeposit } from '../../src/use-cases/chain-deposit.js';
import { ledgerViolations, tableCounts, type TestApp } from '../support/app.js';
import { TEST_XPUB } from '../support/deposit-keys.js';
import { appPerTest, describeEachDialect } from '../support/dialects.js';

const MINIMUMS = { TRX: 1_000_000n, USDT: 1_000_000n };
/** A well-formed address that is no deposit address here (the USDT contract on mainnet). */
const STRANGER = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

describeEachDialect('creditChainDeposit', (newApp) => {
  let t: TestApp;
  appPerTest(
    (env) => newApp({ DEPOSIT_XPUB: TEST_XPUB, ...env }),
    (app) => (t = app),
  );

  const addressOf = async (userId: number): Promise<string> =>
    (await t.request({ method: 'GET', url: `/api/users/${userId}/deposit-address` })).body.address;
  const user = async (id: number) => (await t.request({ method: 'GET', url: `/api/users/${id}` })).body;
  const transfer = (address: string, over: Partial<ChainDeposit> = {}): ChainDeposit => ({
    address,
    currency: 'TRX',
    amount: 5_000_000n,
    txid: 'a1'.repeat(32),
    eventIndex: 0,
    blockNumber: 1_234n,
    blockTime: 1_700_000_000_000n,
    ...over,
  });

  test('when a transfer to a deposit address is solidified, then it is credited once, with its txid on the ledger entry', async () => {
    const address = await addressOf(3);
    assert.equal(await creditChainDeposit(t.db, transfer(address), MINIMUMS), 'credited');
    assert.equal((await user(3)).balance_sun, '5000000');
    const entry = await t.db.kysely.selectFrom('ledger_entries').selectAll().where('user_id', '=', 3n).executeTakeFirstOrThrow();
    assert.equal(entry.kind, 'deposit');
    assert.equal(entry.currency, 'TRX');
    assert.equal(entry.amount_sun, 5_000_000n);
    assert.equal(entry.reference, `chain:${'a1'.repeat(32)}:0`);
    const row = (await findChainDeposit(t.db, 'a1'.repeat(32), 0))!;
    assert.deepEqual(
      { user_id: row.user_id, address: row.address, currency: row.currency, amount: row.amount, block_number: row.block_number, block_time: row.block_time, credited: row.credited, ledger_entry_id: row.ledger_entry_id },
      { user_id: 3n, address, currency: 'TRX', amount: 5_000_000n, block_number: 1_234n, block_time: 1_700_000_000_000n, credited: 1n, ledger_entry_id: entry.id },
    );
    assert.deepEqual(await ledgerViolations(t.db), []);

    const before = await tableCounts(t.db);
    assert.equal(await creditChainDeposit(t.db, transfer(address), MINIMUMS), 'duplicate');
    // The same key with other figures is still the same transfer.
    assert.equal(await creditChainDeposit(t.db, transfer(address, { amount: 9_000_000n }), MINIMUMS), 'duplicate');
    assert.deepEqual(await tableCounts(t.db), before);
    assert.equal((await user(3)).balance_sun, '5000000');

    // Another event of the same transaction is another transfer.
    assert.equal(await creditChainDeposit(t.db, transfer(address, { eventIndex: 1, currency: 'USDT', amount: 2_500_000n }), MINIMUMS), 'credited');
    const after = await user(3);
    assert.equal(after.balance_sun, '5000000');
    assert.equal(after.balance_micro_usdt, '2500000');
    assert.deepEqual(await ledgerViolations(t.db), []);
  });

  test('when the same transfer is handed over many times at once, then it is credited exactly once', async () => {
    const address = await addressOf(4);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => creditChainDeposit(t.db, transfer(address, { currency: 'USDT', amount: 7_000_000n }), MINIMUMS)),
    );
    assert.deepEqual(outcomes.sort(), ['credited', ...Array<string>(11).fill('duplicate')]);
    assert.equal((await user(4)).balance_micro_usdt, '7000000');
    const rows = await t.db.kysely.selectFrom('chain_deposits').select('id').execute();
    assert.equal(rows.length, 1);
    assert.deepEqual(await ledgerViolations(t.db), []);
  });

  test('when a transfer is below the minimum for its currency, then it is recorded with its block but not credited', async () => {
    const address = await addressOf(5);
    const small = transfer(address, { currency: 'USDT', amount: 999_999n, txid: 'b2'.repeat(32), blockNumber: 77n });
    assert.equal(await creditChainDeposit(t.db, small, MINIMUMS), 'below_minimum');
    const row = (await findChainDeposit(t.db, 'b2'.repeat(32), 0))!;
    assert.equal(row.credited, 0n);
    assert.equal(row.ledger_entry_id, null);
    assert.equal(row.block_number, 77n);
    assert.equal(row.amount, 999_999n);
    assert.equal((await user(5)).balance_micro_usdt, '0');
    assert.equal(await creditChainDeposit(t.db, small, MINIMUMS), 'duplicate');
    // At the minimum exactly, it counts; the TRX minimum is the TRX one.
    assert.equal(await creditChainDeposit(t.db, transfer(address, { currency: 'USDT', amount: 1_000_000n, txid: 'c3'.repeat(32) }), MINIMUMS), 'credited');
    assert.equal(await creditChainDeposit(t.db, transfer(address, { amount: 1_000_000n, txid: 'd4'.repeat(32) }), { TRX: 2_000_000n, USDT: 1n }), 'below_minimum');
    const u = await user(5);
    assert.equal(u.balance_micro_usdt, '1000000');
    assert.equal(u.balance_sun, '0');
    assert.deepEqual(await ledgerViolations(t.db), []);
  });

  test('when the address is not a deposit address, then nothing is written', async () => {
    await addressOf(6);
    const before = await tableCounts(t.db);
    assert.equal(await creditChainDeposit(t.db, transfer(STRANGER), MINIMUMS), 'unknown_address');
    assert.deepEqual(await tableCounts(t.db), before);
    assert.deepEqual(await ledgerViolations(t.db), []);
  });

  test("when given a transaction, then it credits inside it: the caller's rollback undoes the credit and frees the key", async () => {
    const address = await addressOf(7);
    const before = await tableCounts(t.db);
    await assert.rejects(
      t.db.transaction(async (tx) => {
        assert.equal(await creditChainDeposit(tx, transfer(address), MINIMUMS), 'credited');
        throw new Error('the watcher failed to move its cursor');
      }),
      /cursor/,
    );
    assert.deepEqual(await tableCounts(t.db), before);
    assert.equal(await t.db.transaction((tx) => creditChainDeposit(tx, transfer(address), MINIMUMS)), 'credited');
    assert.equal((await user(7)).balance_sun, '5000000');
  });

  test('depositOwners says which addresses are deposit addresses, and whose', async () => {
    const a = await addressOf(8);
    const b = await addressOf(9);
    const owners = await depositOwners(t.db, [a, STRANGER, b, a]);
    assert.deepEqual([...owners.entries()].sort(), [
      [a, 8n],
      [b, 9n],
    ].sort());
    assert.equal((await depositOwners(t.db, [])).size, 0);
  });
});
