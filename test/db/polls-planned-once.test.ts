import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createCursor, holdCursor } from '../../src/db/chain-cursor.js';
import { anyOpenTransaction, openTransactionsAmong } from '../../src/db/chain-transactions.js';
import { connect, type Db } from '../../src/db/connect.js';
import { claimDueRefunds } from '../../src/db/flash-payments.js';
import { migrate } from '../../src/db/migrate.js';
import { claimDueOrders } from '../../src/db/order-leases.js';
import { placePaidOrder } from '../../src/db/order-placement.js';
import { claimDueReceivers } from '../../src/db/saved-addresses.js';
import { claimDueWebhooks, dueWebhookTenants } from '../../src/db/webhook-outbox.js';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { PRICE } from '../support/placements.js';
import { paidOrder } from '../support/seed.js';
import { statementRuns } from '../support/statement-runs.js';

/** Each poll a running process makes on a timer, whether or not anything is due, and the text its statement starts with. */
const POLLS: ReadonlyArray<{ what: string; like: string; poll: (db: Db) => Promise<unknown> }> = [
  { what: "the sweeper's claim", like: 'with due as materialized (select id from orders where % limit $1 for update %', poll: (db) => claimDueOrders(db, 'sweeper', 30_000, 64) },
  {
    what: "the sweeper's claim past a queue's grace",
    like: 'with due as materialized (select id from orders where % limit $2 for update %',
    poll: (db) => claimDueOrders(db, 'sweeper', 30_000, 64, 5_000),
  },
  { what: 'the tenants with deliveries due', like: 'select tenant_id from (select t.id as tenant_id%', poll: (db) => dueWebhookTenants(db, 100) },
  { what: "a tenant's deliveries", like: 'with due as materialized (select id from webhook_events %', poll: (db) => claimDueWebhooks(db, 'default', 'deliverer', 30_000, 50) },
  { what: 'the refunds due', like: 'with due as materialized (select txid from flash_payments %', poll: (db) => claimDueRefunds(db, 'refunder', 30_000, 20) },
  { what: 'the receivers due a read', like: 'with due as materialized (select address from receiver_energy %', poll: (db) => claimDueReceivers(db, 10, 60_000) },
  { what: "the follower's lease", like: 'update chain_cursors set lease_owner = %', poll: (db) => holdCursor(db, 'follower', 30_000) },
  { what: 'the transactions in flight', like: 'select txid from chain_transactions where status in %', poll: (db) => anyOpenTransaction(db) },
];

describe('polls on PostgreSQL', () => {
  let pg: PostgresServer;
  let db: Db;
  before(async () => {
    pg = await startPostgres({ settings: ["shared_preload_libraries = 'pg_stat_statements'", 'pg_stat_statements.track_planning = on'] });
    db = connect(await createDatabase(pg.url));
    await migrate(db);
    await sql`create extension if not exists pg_stat_statements`.execute(db.kysely);
    await createCursor(db, 'follower', 30_000, { number: 1n, timestamp: 0n });
  });
  after(async () => {
    await db?.close();
    await pg?.stop();
  });

  test('when a process polls with nothing due, then each poll finds nothing and is planned once per connection, not at every tick', async () => {
    // A connection plans a named statement for its values at its first five runs, then keeps a generic plan.
    // Everything here runs one at a time, so on the one connection the pool hands back each time.
    const runs = async () => {
      const counts = [];
      for (const { like } of POLLS) counts.push(await statementRuns(db, like));
      return counts;
    };
    for (let i = 0; i < 6; i++) for (const { poll } of POLLS) await poll(db);
    const before = await runs();
    const answers = [];
    for (let i = 0; i < 20; i++) for (const { poll } of POLLS) answers.push(await poll(db));
    const after = await runs();
    assert.deepEqual(
      POLLS.map(({ what }, i) => `${what}: ${after[i]!.calls - before[i]!.calls} runs, ${after[i]!.plans - before[i]!.plans} plans`),
      POLLS.map(({ what }) => `${what}: 20 runs, 0 plans`),
    );
    // Nothing was due: no claim took a row, no tenant or transaction was found; the follower kept its lease.
    const found = answers.filter((a) => (Array.isArray(a) ? a.length > 0 : a === true));
    assert.deepEqual(found, []);
    assert.equal(await holdCursor(db, 'another', 30_000), undefined, 'the follower still holds the cursor');
  });

  test('when orders are due, then the sweeper claims them in batches of the size it asks for, each once, and is not planned again for the sizes', async () => {
    await sql`insert into users (id, balance_sun, created_at, updated_at) values (1, ${100n * PRICE}, 0, 0)`.execute(db.kysely);
    const placed = [];
    for (let i = 0; i < 30; i++) placed.push((await placePaidOrder(db, paidOrder(1), 'api')).order!.id);
    const before = await statementRuns(db, POLLS[0]!.like);
    const claimed: string[] = [];
    for (const size of [1, 2, 3, 4, 5, 6, 9]) {
      const batch = await claimDueOrders(db, 'sweeper', 30_000, size);
      assert.equal(batch.length, size);
      claimed.push(...batch.map((o) => o.id));
    }
    assert.deepEqual(await claimDueOrders(db, 'sweeper', 30_000, 64), [], 'every order is held now');
    const after = await statementRuns(db, POLLS[0]!.like);
    assert.deepEqual(claimed, placed, 'oldest first, each once');
    assert.deepEqual({ runs: after.calls - before.calls, plans: after.plans - before.plans }, { runs: 8, plans: 0 });
  });

  test("when blocks of any size are settled, then the look-up of our open transactions among their ids is planned once, not for each block's number of ids", async () => {
    await sql`insert into users (id, balance_sun, created_at, updated_at) values (2, ${100n * PRICE}, 0, 0)`.execute(db.kysely);
    const orders: string[] = [];
    for (let i = 0; i < 3; i++) orders.push((await placePaidOrder(db, paidOrder(2), 'api')).order!.id);
    const ours = orders.map(() => randomBytes(32).toString('hex'));
    for (const [i, txid] of ours.entries()) {
      await sql`insert into chain_transactions (txid, order_id, kind, pool_address, receiver, amount_sun, signed_json, expiration, status, created_at, updated_at)
        values (${txid}, ${orders[i]}, 'delegate', 'TPool', 'TReceiver', 1000000, '{}', 0, ${i === 2 ? 'confirmed' : 'broadcast'}, 0, 0)`.execute(db.kysely);
    }
    const lookUps = () => statementRuns(db, '% as w(txid) join chain_transactions c %');
    const settle = async (size: number) => {
      // A block can name a transaction twice (another block of the same read): it is ours once.
      const block = [...Array.from({ length: size }, () => randomBytes(32).toString('hex')), ...ours, ours[0]!];
      const open = await openTransactionsAmong(db, block);
      // The third is settled already: only the two in flight are ours to settle.
      assert.deepEqual(open.map((t) => t.txid).sort(), ours.slice(0, 2).sort());
    };
    for (const size of [0, 1, 2, 3, 4, 5]) await settle(size);
    const before = await lookUps();
    for (const size of [1, 7, 40, 250, 2, 1000]) await settle(size);
    const after = await lookUps();
    assert.deepEqual({ runs: after.calls - before.calls, plans: after.plans - before.plans }, { runs: 6, plans: 0 });
  });
});
