import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import { connect, type Db } from '../../src/db/connect.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { migrate } from '../../src/db/migrate.js';
import { placePaidOrder, type Placement } from '../../src/db/order-placement.js';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { assertWrittenWhole, hookedTenantUsers, PRICE, webhookEventsWritten } from '../support/placements.js';
import { paidOrder } from '../support/seed.js';
import { statementRuns } from '../support/statement-runs.js';

async function fund(db: Db, users: number, balance: bigint): Promise<void> {
  await sql`insert into users (id, balance_sun, created_at, updated_at) select g, ${balance}, 0, 0 from generate_series(1, ${users}::int) g`.execute(db.kysely);
}

/** The transactions that wrote the orders: rows written by one statement share its transaction id. */
async function transactionsOf(db: Db, ids: readonly string[]): Promise<number> {
  const { rows } = await sql<{ n: bigint }>`select count(distinct xmin::text) as n from orders where id = any(${ids}::text[])`.execute(db.kysely);
  return Number(rows[0]!.n);
}

describe('orders placed together on PostgreSQL', () => {
  let pg: PostgresServer;
  let db: Db;
  let url: string;
  before(async () => {
    // pg_stat_statements: how many times each statement ran and was planned, for the tests that count them.
    pg = await startPostgres({ settings: ["shared_preload_libraries = 'pg_stat_statements'", 'pg_stat_statements.track_planning = on'] });
  });
  after(() => pg.stop());
  beforeEach(async () => {
    await db?.close();
    url = await createDatabase(pg.url);
    db = connect(url);
    await migrate(db);
  });
  after(() => db?.close());

  test('when fifty users order in the same moment, then the fifty orders commit in one statement, each whole', async () => {
    await fund(db, 50, 10n * PRICE);
    const orders = Array.from({ length: 50 }, (_, i) => paidOrder(i + 1));
    const placed = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(
      placed.map((p) => p.order?.id),
      orders.map((o) => o.id),
    );
    assert.equal(placed[7]!.order?.status, 'pending');
    assert.equal(placed[7]!.order?.price_sun, PRICE);
    assert.equal(await transactionsOf(db, orders.map((o) => o.id)), 1);
    for (const u of [1, 25, 50]) await assertWrittenWhole(db, u, 10n * PRICE);
  });

  test("when one user's five orders arrive together and the balance covers three, then the first three are placed, in order, and the last two are refused with the balance left", async () => {
    await fund(db, 1, 3n * PRICE + 5n);
    const orders = Array.from({ length: 5 }, () => paidOrder(1));
    const placed: Placement[] = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(
      placed.map((p) => (p.order === undefined ? `refused, balance ${p.balance}` : 'placed')),
      ['placed', 'placed', 'placed', 'refused, balance 5', 'refused, balance 5'],
    );
    await assertWrittenWhole(db, 1, 3n * PRICE + 5n);
  });

  test('when an order of a batch reuses an idempotency key already placed, then the first order is its answer, even with the balance now short, and the batch is still one statement', async () => {
    await fund(db, 10, 10n * PRICE);
    const first = (await placePaidOrder(db, paidOrder(1, { idempotency_key: 'k-1' }), 'api')).order!;
    await db.kysely.updateTable('users').set({ balance_sun: 0n }).where('id', '=', 6n).execute();
    const orders = Array.from({ length: 9 }, (_, i) => paidOrder(i + 2, i === 4 ? { idempotency_key: 'k-1' } : {}));
    const outcomes = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(
      outcomes.map((p) => (p.existing !== undefined ? `replay of ${p.existing.id}` : p.order !== undefined ? 'placed' : 'refused')),
      ['placed', 'placed', 'placed', 'placed', `replay of ${first.id}`, 'placed', 'placed', 'placed', 'placed'],
    );
    assert.equal(outcomes[4]!.existing?.user_id, 1n);
    const placedIds = orders.filter((_, i) => i !== 4).map((o) => o.id);
    assert.equal(await transactionsOf(db, placedIds), 1);
    for (let u = 1; u <= 10; u++) if (u !== 6) await assertWrittenWhole(db, u, 10n * PRICE);
    await assertWrittenWhole(db, 6, 0n);
    assert.equal((await db.kysely.selectFrom('orders').select('id').execute()).length, 9);
  });

  test('when two orders of a batch bring the same new idempotency key, then one is placed, the other alone learns the key is taken (the first order, or the unique violation), and the rest are placed', async () => {
    await fund(db, 6, 10n * PRICE);
    const orders = Array.from({ length: 6 }, (_, i) => paidOrder(i + 1, i === 1 || i === 3 ? { idempotency_key: 'k-2' } : {}));
    const outcomes = await Promise.allSettled(orders.map((o) => placePaidOrder(db, o, 'api')));
    const seen = outcomes.map((r) =>
      r.status === 'rejected'
        ? isUniqueViolation(r.reason)
          ? 'key taken'
          : String(r.reason)
        : r.value.order
          ? 'placed'
          : r.value.existing
            ? `replay of ${r.value.existing.id}`
            : 'refused',
    );
    assert.deepEqual([seen[0], seen[2], seen[4], seen[5]], ['placed', 'placed', 'placed', 'placed']);
    // Both run again alone, at once: the loser either finds the winner's order or collides with it.
    const winner = seen[1] === 'placed' ? orders[1]! : orders[3]!;
    const loser = seen[1] === 'placed' ? seen[3] : seen[1];
    assert.ok(loser === 'key taken' || loser === `replay of ${winner.id}`, `the other order saw: ${loser}`);
    for (let u = 1; u <= 6; u++) await assertWrittenWhole(db, u, 10n * PRICE);
    assert.equal((await db.kysely.selectFrom('orders').select('id').execute()).length, 5);
  });

  test('when two users of a batch bring the same new idempotency key and one cannot pay, then the other is placed, and the one who cannot is refused for its balance, not answered with the other user’s order', async () => {
    await fund(db, 4, 10n * PRICE);
    await db.kysely.updateTable('users').set({ balance_sun: 0n }).where('id', '=', 2n).execute();
    const orders = Array.from({ length: 4 }, (_, i) => paidOrder(i + 1, i === 1 || i === 3 ? { idempotency_key: 'k-3' } : {}));
    const outcomes = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(
      outcomes.map((p) => [p.order?.user_id ?? null, p.existing?.user_id ?? null, 'balance' in p ? p.balance : null]),
      [
        [1n, null, null],
        [null, null, 0n],
        [3n, null, null],
        [4n, null, null],
      ],
      'each answered with its own order, or its own balance',
    );
    assert.equal(await transactionsOf(db, [orders[0]!.id, orders[2]!.id, orders[3]!.id]), 1, 'one statement');
    assert.deepEqual(
      (await db.kysely.selectFrom('orders').select(['user_id', 'idempotency_key']).orderBy('user_id').execute()).map((o) => [o.user_id, o.idempotency_key]),
      [
        [1n, null],
        [3n, null],
        [4n, 'k-3'],
      ],
    );
  });

  test("when orders of a tenant with a webhook URL arrive beside others, then they are written together with their order.created, one refused for its balance writes nothing, and the others have no event", async () => {
    await fund(db, 2, 10n * PRICE);
    const hookedUsers = await hookedTenantUsers(db, 5);
    await db.kysely.updateTable('users').set({ balance_sun: 10n * PRICE }).where('id', 'in', hookedUsers.slice(0, 4)).execute();
    await db.kysely.updateTable('users').set({ balance_sun: PRICE - 1n }).where('id', '=', hookedUsers[4]!).execute();
    const orders = [paidOrder(1), ...hookedUsers.map((u) => paidOrder(u, { tenant_id: 'hooked' })), paidOrder(2)];
    const placed = await Promise.all(orders.map((o) => placePaidOrder(db, o, 'api')));
    assert.deepEqual(
      placed.map((p) => (p.order === undefined ? `refused, balance ${p.balance}` : 'placed')),
      ['placed', 'placed', 'placed', 'placed', 'placed', `refused, balance ${PRICE - 1n}`, 'placed'],
    );
    // Each names its order and the tenant's own id for its user (external ids 1 to 4).
    assert.deepEqual(
      await webhookEventsWritten(db),
      orders
        .slice(1, 5)
        .map((o, k) => `hooked order.created ${o.id} user ${k + 1}`)
        .sort(),
    );
    // The four hooked orders in one transaction, the two others in their batch's statement.
    assert.equal(await transactionsOf(db, orders.slice(1, 5).map((o) => o.id)), 1);
    assert.equal(await transactionsOf(db, [orders[0]!.id, orders[6]!.id]), 1);
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
    assert.equal(await transactionsOf(db, orders.map((o) => o.id)), 1);
  });

  test("when a tenant's orders find its webhook URL, then its next batches go straight to the transaction that writes their events, until an order finds the URL gone", async () => {
    // A tenant of this test's own: the process's guess (hookedTenants) outlives each test's database.
    const tenant = `learnt_${Date.now()}`;
    const users = await hookedTenantUsers(db, 8, tenant);
    await db.kysely.updateTable('users').set({ balance_sun: 10n * PRICE }).where('id', 'in', users).execute();
    await sql`create extension if not exists pg_stat_statements`.execute(db.kysely);
    // The runs of the batch's statement in this database: without the events (`plain`), and with them.
    const runs = async () => {
      const { rows } = await sql<{ events: boolean; calls: string }>`
        select query like '%webhook_tenant_id%' as events, sum(calls)::text as calls from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) and query like 'with input as%'
        group by 1`.execute(db.kysely);
      return { plain: Number(rows.find((r) => !r.events)?.calls ?? 0), hooked: Number(rows.find((r) => r.events)?.calls ?? 0) };
    };
    const placeTwo = async (from: number) => {
      const before = await runs();
      const placed = await Promise.all(users.slice(from, from + 2).map((u) => placePaidOrder(db, paidOrder(u, { tenant_id: tenant }), 'api')));
      assert.ok(placed.every((p) => p.order !== undefined));
      const after = await runs();
      return `${after.plain - before.plain} plain, ${after.hooked - before.hooked} with events`;
    };
    const events = async () => (await webhookEventsWritten(db)).filter((e) => e.startsWith(`${tenant} order.created`)).length;

    assert.equal(await placeTwo(0), '1 plain, 1 with events', 'not yet known: the batch statement leaves them unwritten, then their own transaction writes them');
    assert.equal(await events(), 2);
    assert.equal(await placeTwo(2), '0 plain, 1 with events', 'known: straight to their transaction');
    assert.equal(await events(), 4);
    await db.kysely.updateTable('tenants').set({ webhook_url: null }).where('id', '=', tenant).execute();
    assert.equal(await placeTwo(4), '0 plain, 1 with events', 'still believed hooked: written that way, with no event');
    assert.equal(await events(), 4);
    await db.kysely.updateTable('tenants').set({ webhook_url: 'https://example.com/hook' }).where('id', '=', tenant).execute();
    assert.equal(await placeTwo(6), '1 plain, 1 with events', 'learnt that the URL was gone: the batch statement first again');
    assert.equal(await events(), 6);
    for (const u of users) await assertWrittenWhole(db, u, 10n * PRICE);
  });

  test('when orders come one at a time, with and without a webhook URL, then their statements are planned once per connection, not for each order', async () => {
    const tenant = `planned_${Date.now()}`;
    const hooked = await hookedTenantUsers(db, 40, tenant);
    await db.kysely.updateTable('users').set({ balance_sun: 10n * PRICE }).where('id', 'in', hooked).execute();
    await fund(db, 40, 10n * PRICE);
    await sql`create extension if not exists pg_stat_statements`.execute(db.kysely);
    // The statements over arrays (unnest) that placed them: the batch's, and order.created's for the tenant's orders.
    const counts = () => statementRuns(db, '%unnest(%');
    const placeAlone = async (users: readonly bigint[], tenantId?: string) => {
      for (const u of users) {
        const placed = await placePaidOrder(db, paidOrder(u, tenantId === undefined ? {} : { tenant_id: tenantId }), 'api');
        assert.ok(placed.order !== undefined);
      }
    };
    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => BigInt(from + i + 1));
    // A connection plans a named statement for its values at its first five runs, then keeps a generic plan.
    await placeAlone(ids(0, 10));
    await placeAlone(hooked.slice(0, 10), tenant);
    const before = await counts();
    await placeAlone(ids(10, 40));
    await placeAlone(hooked.slice(10, 40), tenant);
    const after = await counts();
    // 30 plain orders one statement each; 30 of the tenant's, each its batch's statement and its events'.
    assert.equal(after.calls - before.calls, 90);
    assert.equal(after.plans - before.plans, 0, `planned again for their values: ${after.plans - before.plans} plans in ${after.calls - before.calls} runs`);
    for (const u of [1n, 40n, hooked[0]!, hooked[39]!]) await assertWrittenWhole(db, u, 10n * PRICE);
  });

  test('when two processes place orders of the same users at once, in opposite orders, then every order is placed and none deadlocked', async () => {
    const users = 200;
    await fund(db, users, 100n * PRICE);
    const other = connect(url);
    try {
      const deadlocks = async () =>
        Number((await sql<{ n: bigint }>`select deadlocks as n from pg_stat_database where datname = current_database()`.execute(db.kysely)).rows[0]!.n);
      const before = await deadlocks();
      for (let round = 0; round < 5; round++) {
        const forward = Array.from({ length: users }, (_, i) => paidOrder(i + 1));
        const backward = Array.from({ length: users }, (_, i) => paidOrder(users - i));
        const placed = await Promise.all([...forward.map((o) => placePaidOrder(db, o, 'api')), ...backward.map((o) => placePaidOrder(other, o, 'api'))]);
        assert.ok(placed.every((p) => p.order !== undefined));
      }
      // A deadlock is counted by the server process that broke it; give the statistics a moment to arrive.
      await new Promise((r) => setTimeout(r, 1500));
      await sql`select pg_stat_clear_snapshot()`.execute(db.kysely);
      assert.equal((await deadlocks()) - before, 0);
      for (const u of [1, 100, 200]) await assertWrittenWhole(db, u, 100n * PRICE);
    } finally {
      await other.close();
    }
  });
});
