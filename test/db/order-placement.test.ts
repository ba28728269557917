import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { connect, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { placePaidOrder, type PaidOrder } from '../../src/db/order-placement.js';
import { insertFlashPayment } from '../../src/db/flash-payments.js';
import { findOrder, insertOrder, type NewOrder } from '../../src/db/orders.js';
import { describeEachDatabase } from '../support/dialects.js';
import { freshSqlite } from '../support/app.js';
import { paidOrder } from '../support/seed.js';

const paid = (extra: Partial<PaidOrder> = {}) => paidOrder(1, extra);

describeEachDatabase('the order a placement answers', (freshDatabase) => {
  let db: Db;
  let removeFile: (() => void) | undefined;
  beforeEach(async () => {
    const url = await freshDatabase();
    if (url === undefined) {
      const file = freshSqlite();
      removeFile = file.remove;
      db = connect(file.url);
    } else db = connect(url);
    await migrate(db);
    await db.kysely.insertInto('users').values({ id: 1n, balance_sun: 1_000_000_000n, created_at: 0n, updated_at: 0n }).execute();
  });
  afterEach(async () => {
    await db.close();
    removeFile?.();
  });

  test('is the row as it reads back from the database, column for column, keyed or not', async () => {
    for (const o of [paid(), paid({ idempotency_key: 'client-42' })]) {
      const placed = await placePaidOrder(db, o, 'api');
      assert.ok(placed.order, 'placed');
      assert.deepStrictEqual(placed.order, await findOrder(db, o.id));
    }
  });

  test('an order inserted with its payment transaction (flash rent) is the row as it reads back', async () => {
    const o: NewOrder = { ...paid(), payment_txid: 'ab'.repeat(32) };
    const inserted = await db.transaction(async (tx) => {
      const payment = { txid: o.payment_txid!, sender: 'TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7', memo: null, amountSun: 2_080_000n, blockNumber: 1n, blockTime: 0n, reason: null, refundSun: null, refundFeeSun: 0n };
      assert.equal(await insertFlashPayment(tx, payment), true);
      return insertOrder(tx, o);
    });
    assert.deepStrictEqual(inserted, await findOrder(db, o.id));
  });
});
