import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { connect, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { placePaidOrder, type Placement } from '../../src/db/order-placement.js';
import { freshSqlite } from '../support/app.js';
import { assertWrittenWhole, hookedTenantUsers, PRICE, webhookEventsWritten } from '../support/placements.js';
import { paidOrder } from '../support/seed.js';

async function fund(db: Db, users: number, balance: bigint, microUsdt = 0n): Promise<void> {
  const rows = Array.from({ length: users }, (_, i) => ({ id: BigInt(i + 1), balance_sun: balance, balance_micro_usdt: microUsdt, created_at: 0n, updated_at: 0n }));
  await db.kysely.insertInto('users').values(rows).execute();
}

const outcome = (p: Placement) => (p.existing !== undefined ? `replay of ${p.existing.id}` : p.order !== undefined ? 'placed' : `refused, balance ${p.balance}`);

describe('orders placed together on SQLite', () => {
  let db: Db;
  let removeFile: () => void;
  beforeEach(async () => {
    const file = freshSqlite();
    removeFile = file.remove;
    db = connect(file.url);
    await migrate(db);
  });
  afterEach(async () => {
    await db.close();
    removeFile();
  });

  test('when fifty users order in the same moment, then the fifty orders are written by one unit, each whole, and each answer is its row as it reads back', async () => {
    await fund(db, 50, 10n * PRICE);
    const orders = Array.from({ length: 50 }, (_, i) => paidOrder(i + 1));
    const placed = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(
      placed.map((p) => p.order?.id),
      orders.map((o) => o.id),
    );
    const rows = await db.kysely.selectFrom('orders').selectAll().orderBy('id').execute();
    assert.deepStrictEqual(placed.map((p) => p.order), rows);
    // One unit, one moment: the database clock is read once for all of them.
    assert.equal(new Set(rows.map((r) => r.created_at)).size, 1);
    for (const u of [1, 25, 50]) await assertWrittenWhole(db, u, 10n * PRICE);
  });

  test('when 300 users order in the same moment, then every order is written whole, past what one unit or one statement takes', async () => {
    await fund(db, 300, 10n * PRICE);
    const orders = Array.from({ length: 300 }, (_, i) => paidOrder(i + 1));
    const placed = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.ok(placed.every((p, i) => p.order?.id === orders[i]!.id));
    const count = async (table: 'orders' | 'ledger_entries' | 'order_events') =>
      Number((await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    assert.deepEqual([await count('orders'), await count('ledger_entries'), await count('order_events')], [300, 300, 300]);
    for (const u of [1, 256, 257, 300]) await assertWrittenWhole(db, u, 10n * PRICE);
  });

  test("when one user's five orders arrive together and the balance covers three, then the first three are placed, in order, and the last two are refused with the balance left", async () => {
    await fund(db, 1, 3n * PRICE + 5n);
    const orders = Array.from({ length: 5 }, () => paidOrder(1));
    const placed = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(placed.map(outcome), ['placed', 'placed', 'placed', 'refused, balance 5', 'refused, balance 5']);
    await assertWrittenWhole(db, 1, 3n * PRICE + 5n);
    // Each ledger entry carries the balance its own debit left.
    const after = await db.kysely.selectFrom('ledger_entries').select('balance_after_sun').orderBy('id').execute();
    assert.deepEqual(
      after.map((e) => e.balance_after_sun),
      [2n * PRICE + 5n, PRICE + 5n, 5n],
    );
  });

  test('when a balance is past 2^53 sun, then the debit and the ledger entry are exact to the sun', async () => {
    const huge = 10n ** 18n + 7n;
    await fund(db, 2, huge);
    const placed = await Promise.all([paidOrder(1), paidOrder(2, { price_sun: 2n ** 53n + 3n })].map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(placed.map(outcome), ['placed', 'placed']);
    const entries = await db.kysely.selectFrom('ledger_entries').select(['user_id', 'amount_sun', 'balance_after_sun']).orderBy('id').execute();
    assert.deepEqual(
      entries.map((e) => [e.user_id, e.amount_sun, e.balance_after_sun]),
      [
        [1n, -PRICE, huge - PRICE],
        [2n, -(2n ** 53n + 3n), huge - 2n ** 53n - 3n],
      ],
    );
    await assertWrittenWhole(db, 1, huge);
    await assertWrittenWhole(db, 2, huge);
  });

  test("when one user's orders in TRX and in USDT arrive together, then each is paid from its own balance", async () => {
    await fund(db, 1, PRICE, 3_000_000n);
    const orders = [paidOrder(1), paidOrder(1, { pay_currency: 'USDT', price_sun: 2_000_000n }), paidOrder(1, { pay_currency: 'USDT', price_sun: 2_000_000n }), paidOrder(1)];
    const placed = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(placed.map(outcome), ['placed', 'placed', 'refused, balance 1000000', 'refused, balance 0']);
    await assertWrittenWhole(db, 1, PRICE, 3_000_000n);
  });

  test('when an order of a batch reuses an idempotency key already placed, then the first order is its answer, even with the balance now short, and nothing is written for it', async () => {
    await fund(db, 10, 10n * PRICE);
    const first = (await placePaidOrder(db, paidOrder(1, { idempotency_key: 'k-1' }), 'api')).order!;
    await db.kysely.updateTable('users').set({ balance_sun: 0n }).where('id', '=', 6n).execute();
    const orders = Array.from({ length: 9 }, (_, i) => paidOrder(i + 2, i === 4 ? { idempotency_key: 'k-1' } : {}));
    const outcomes = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(outcomes.map(outcome), ['placed', 'placed', 'placed', 'placed', `replay of ${first.id}`, 'placed', 'placed', 'placed', 'placed']);
    assert.deepStrictEqual(outcomes[4]!.existing, first);
    for (let u = 1; u <= 10; u++) if (u !== 6) await assertWrittenWhole(db, u, 10n * PRICE);
    await assertWrittenWhole(db, 6, 0n);
    assert.equal((await db.kysely.selectFrom('orders').select('id').execute()).length, 9);
  });

  test('when two orders of a batch bring the same new idempotency key, then the first is placed and the second is answered with it, as one after the other would be', async () => {
    await fund(db, 6, 10n * PRICE);
    const orders = Array.from({ length: 6 }, (_, i) => paidOrder(i + 1, i === 1 || i === 3 ? { idempotency_key: 'k-2' } : {}));
    const outcomes = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(outcomes.map(outcome), ['placed', 'placed', 'placed', `replay of ${orders[1]!.id}`, 'placed', 'placed']);
    assert.deepStrictEqual(outcomes[3]!.existing, outcomes[1]!.order);
    for (let u = 1; u <= 6; u++) await assertWrittenWhole(db, u, 10n * PRICE);
  });

  test('when the first order with a key is refused for its balance, then a later one with the same key in the batch is placed on its own balance', async () => {
    await fund(db, 2, 10n * PRICE);
    await db.kysely.updateTable('users').set({ balance_sun: 1n }).where('id', '=', 1n).execute();
    const orders = [paidOrder(1, { idempotency_key: 'k-3' }), paidOrder(2, { idempotency_key: 'k-3' })];
    const outcomes = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(outcomes.map(outcome), ['refused, balance 1', 'placed']);
    await assertWrittenWhole(db, 1, 1n);
    await assertWrittenWhole(db, 2, 10n * PRICE);
  });

  test('when an order of an unknown user arrives beside others, then it is refused with no balance and the others are placed', async () => {
    await fund(db, 2, 10n * PRICE);
    const outcomes = await Promise.all([paidOrder(1), paidOrder(99), paidOrder(2)].map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(outcomes.map(outcome), ['placed', 'refused, balance undefined', 'placed']);
  });

  test('when one order of a batch breaks a constraint, then it alone fails, and the others are placed whole', async () => {
    await fund(db, 3, 10n * PRICE);
    const orders = [paidOrder(1), paidOrder(2, { energy_amount: 0n }), paidOrder(3)];
    const outcomes = await Promise.allSettled(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(
      outcomes.map((r) => (r.status === 'rejected' ? `failed: ${/CHECK constraint failed: (\w+)/.exec(String(r.reason))?.[1]}` : outcome(r.value))),
      ['placed', 'failed: orders_amounts_positive', 'placed'],
    );
    for (const u of [1, 3]) await assertWrittenWhole(db, u, 10n * PRICE);
    await assertWrittenWhole(db, 2, 10n * PRICE);
  });

  test("when orders of a tenant with a webhook URL arrive beside others, then they are written with their order.created, one refused for its balance writes nothing, and the others have no event", async () => {
    await fund(db, 2, 10n * PRICE);
    const hookedUsers = await hookedTenantUsers(db, 5);
    await db.kysely.updateTable('users').set({ balance_sun: 10n * PRICE }).where('id', 'in', hookedUsers.slice(0, 4)).execute();
    await db.kysely.updateTable('users').set({ balance_sun: PRICE - 1n }).where('id', '=', hookedUsers[4]!).execute();
    const orders = [paidOrder(1), ...hookedUsers.map((u) => paidOrder(u, { tenant_id: 'hooked' })), paidOrder(2)];
    const placed = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(placed.map(outcome), ['placed', 'placed', 'placed', 'placed', 'placed', `refused, balance ${PRICE - 1n}`, 'placed']);
    // Each names its order and the tenant's own id for its user (external ids 1 to 4).
    assert.deepEqual(
      await webhookEventsWritten(db),
      orders
        .slice(1, 5)
        .map((o, k) => `hooked order.created ${o.id} user ${k + 1}`)
        .sort(),
    );
    for (const u of [1n, 2n, ...hookedUsers.slice(0, 4)]) await assertWrittenWhole(db, u, 10n * PRICE);
    await assertWrittenWhole(db, hookedUsers[4]!, PRICE - 1n);
  });

  test("when the default tenant has a webhook URL and its users order together, then each order's order.created names that order and its own user", async () => {
    await fund(db, 20, 10n * PRICE);
    await db.kysely.updateTable('tenants').set({ webhook_url: 'https://example.com/hook', signing_secret: 's' }).where('id', '=', 'default').execute();
    const orders = Array.from({ length: 20 }, (_, i) => paidOrder(i + 1));
    const placed = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.ok(placed.every((p) => p.order !== undefined));
    assert.deepEqual(await webhookEventsWritten(db), orders.map((o) => `default order.created ${o.id} user ${o.user_id}`).sort());
  });
});
