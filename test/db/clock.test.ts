// The database's clock as statements read it (src/db/clock.ts): one now for
// a whole statement, however many places write it, and a later now for a
// later statement, inside a transaction too. An event written with its
// creation and a deadline a retry window later must be exactly that window
// apart; a new order's created_at and updated_at must be the same instant.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { dbNow } from '../../src/db/clock.js';
import { prepared } from '../../src/db/prepared.js';
import { describeEachDialect } from '../support/dialects.js';
import { SEED_ADDRESS, type TestApp } from '../support/app.js';

// 20 ms of the database's own work between two reads of the clock, in one statement.
const SLOW_WORK = {
  sqlite: '(with recursive c(n) as (select 1 union all select n + 1 from c where n < 300000) select count(*) from c)',
  postgres: '(select 1 from pg_sleep(0.02))',
} as const;

describeEachDialect('the database clock', (newApp, dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
  });
  afterEach(() => t.close());

  test('when one statement writes now twice with work between, then both are the same instant', async () => {
    const statement = prepared<{ first: bigint | number; busy: unknown; last: bigint | number }>(
      `select $now as first, ${SLOW_WORK[dialect]} as busy, $now as last`,
    );
    const started = Date.now();
    const row = await statement.first(t.db, []);
    assert.ok(Date.now() - started >= 15, 'the work between the two reads took its time');
    assert.equal(BigInt(row!.last), BigInt(row!.first));
  });

  test('when two statements of one transaction run apart, then the later reads a later now', async () => {
    const [first, last] = await t.db.kysely.transaction().execute(async (trx) => {
      const read = async () => BigInt((await sql<{ now: bigint | number }>`select ${dbNow(dialect)} as now`.execute(trx)).rows[0]!.now);
      const a = await read();
      await sleep(20);
      return [a, await read()];
    });
    assert.ok(last - first >= 15n, `${first} then ${last}`);
  });

  test('when an order is placed, then its created_at and updated_at are one instant', async () => {
    await t.deposit(1, 1_000_000_000n);
    for (let i = 0; i < 20; i++) {
      const placed = await t.request({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: SEED_ADDRESS } });
      assert.equal(placed.status, 201);
    }
    const rows = await t.db.kysely.selectFrom('orders').select(['id', 'created_at', 'updated_at']).execute();
    assert.equal(rows.length, 20);
    for (const row of rows) assert.equal(BigInt(row.updated_at), BigInt(row.created_at), row.id);
  });
});
