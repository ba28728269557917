// A page of a user's ledger, a user's or a tenant's orders, or a tenant's
// webhook events reads the same few pages of PostgreSQL however many newer
// rows of others lie above it (and, on SQLite, comes from the narrowest
// filter's index). Here user 1 holds one row in twenty, all of
// them older than every other user's. The planner's guess that a common
// value's rows are spread evenly through the table would make it walk the
// primary key back through all those newer rows (src/db/newest-first.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { connect, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { newestFirst, type Match } from '../../src/db/newest-first.js';
import { listOrders } from '../../src/db/orders.js';
import { listLedger } from '../../src/db/users.js';
import { listWebhookEvents } from '../../src/db/webhook-outbox.js';

let pg: PostgresServer;
let db: Db;

/** Rows of others, all newer than user 1's (and tenant acme's) `OLD` rows. */
const NEWER = 40_000;
const OLD = 2_000;

before(async () => {
  // pg_stat_statements: the pages each page's statement read.
  pg = await startPostgres({ settings: ["shared_preload_libraries = 'pg_stat_statements'"] });
  db = connect(await createDatabase(pg.url));
  await migrate(db);
  await sql`create extension if not exists pg_stat_statements`.execute(db.kysely);
  await sql`insert into users (id, balance_sun, created_at, updated_at) select g, 0, 0, 0 from generate_series(1, 1000) g`.execute(db.kysely);
  // Acme's events are the oldest; fifty other tenants' follow, interleaved as many tenants' events are.
  await sql`insert into tenants (id, name, created_at, updated_at) values ('acme', 'acme', 0, 0)`.execute(db.kysely);
  await sql`insert into tenants (id, name, created_at, updated_at) select 't' || g, 't' || g, 0, 0 from generate_series(0, 49) g`.execute(db.kysely);
  // Ids in time order, as UUIDv7s are: user 1's (and acme's) first, everyone else's after.
  const who = (g: string) => sql.raw(`case when ${g} <= ${OLD} then 1 else 2 + ${g} % 999 end`);
  await sql`insert into ledger_entries (user_id, kind, amount_sun, balance_after_sun, created_at)
    select ${who('g')}, 'deposit', 1, 1, g from generate_series(1, ${OLD + NEWER}) g`.execute(db.kysely);
  await sql`insert into orders (id, user_id, tenant_id, status, energy_amount, duration, duration_seconds, receive_address, price_sun,
      rate_sun_per_energy_day, request_hash, created_at, updated_at)
    select lpad(to_hex(g), 12, '0'), ${who('g')}, 'default', case when g <= ${OLD} then 'failed' else 'completed' end, 32000, '1h', 3600,
      'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 1, 1, '', g, g
    from generate_series(1, ${OLD + NEWER}) g`.execute(db.kysely);
  await sql`insert into webhook_events (id, tenant_id, type, payload, created_at, status, deadline_at, updated_at)
    select lpad(to_hex(g), 12, '0'), case when g <= ${OLD} then 'acme' else 't' || g % 50 end, 'order.created', '{}', g, 'delivered', g, g
    from generate_series(1, ${OLD + NEWER}) g`.execute(db.kysely);
  // What autovacuum would have done by now: the planner knows user 1 holds one row in twenty.
  await sql`analyze`.execute(db.kysely);
});
after(async () => {
  await db?.close();
  await pg?.stop();
});

/** Runs `read` and answers what it returned and the pages its statements on `table` read (from cache or disk). */
async function pagesRead<T>(table: string, read: () => Promise<T>): Promise<{ result: T; pages: number }> {
  await sql`select pg_stat_statements_reset()`.execute(db.kysely);
  const result = await read();
  const { rows } = await sql<{ pages: string }>`
    select coalesce(sum(shared_blks_hit + shared_blks_read), 0)::text as pages from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database()) and query like ${`select % from "${table}"%`}`.execute(db.kysely);
  return { result, pages: Number(rows[0]!.pages) };
}

// A page of 51 rows through its (column, id) index: the index's few pages and
// the rows' own. Walking back through the 40,000 newer rows reads hundreds.
const FEW = 100;

test("a user's ledger page, with every other user's entries newer than theirs, reads a few pages", async () => {
  const { result, pages } = await pagesRead('ledger_entries', () => listLedger(db, 1n, 51));
  assert.deepEqual(
    result.map((e) => e.id),
    Array.from({ length: 51 }, (_, i) => BigInt(OLD - i)),
  );
  assert.ok(pages < FEW, `read ${pages} pages`);
  const next = await pagesRead('ledger_entries', () => listLedger(db, 1n, 51, BigInt(OLD - 50)));
  assert.equal(next.result[0]!.id, BigInt(OLD - 51));
  assert.ok(next.pages < FEW, `the next page read ${next.pages} pages`);
});

test("a user's orders and the failed ones, alone or with the tenant named: the newest first, a few pages each", async () => {
  const newest = (n: number) => Array.from({ length: n }, (_, i) => (OLD - i).toString(16).padStart(12, '0'));
  for (const filter of [{ userId: 1n }, { userId: 1n, tenantId: 'default' }, { status: 'failed' as const }, { status: 'failed' as const, tenantId: 'default' }]) {
    const label = JSON.stringify(filter, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    const { result, pages } = await pagesRead('orders', () => listOrders(db, { ...filter, limit: 51 }));
    assert.deepEqual(
      result.map((o) => o.id),
      newest(51),
      label,
    );
    assert.ok(pages < FEW, `${label}: read ${pages} pages`);
  }
});

test("a tenant's webhook events, with fifty other tenants' all newer, read a few pages", async () => {
  const { result, pages } = await pagesRead('webhook_events', () => listWebhookEvents(db, { tenantId: 'acme', limit: 51 }));
  assert.equal(result.length, 51);
  assert.equal(result[0]!.id, OLD.toString(16).padStart(12, '0'));
  assert.ok(result.every((e) => e.tenant_id === 'acme'));
  assert.ok(pages < FEW, `read ${pages} pages`);
});

// SQLite has no page counts to ask, but says which index a statement reads.
// Without statistics it takes one equality's index as good as another's: a
// tenant's failed orders read through the tenant's index walk all its orders.
test("on SQLite, a page filtered twice is read from the narrower filter's index, the other checked on its rows", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'joule-newest-'));
  const lite = connect(`sqlite:${join(dir, 'joule.db')}`);
  try {
    await migrate(lite);
    const plan = async (table: 'orders' | 'webhook_events', by: Match, also: Match[]) => {
      const { sql: text, parameters } = newestFirst('sqlite', lite.kysely.selectFrom(table).selectAll(), by, also).limit(51).compile();
      const { rows } = await lite.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${text}`, [...parameters]));
      return rows.map((r) => r.detail).join('; ');
    };
    assert.equal(await plan('orders', ['status', 'failed'], [['tenant_id', 'default']]), 'SEARCH orders USING INDEX orders_status (status=?)');
    assert.equal(await plan('orders', ['user_id', 1n], [['tenant_id', 'default']]), 'SEARCH orders USING INDEX orders_user (user_id=?)');
    assert.equal(await plan('orders', ['receive_address', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'], [['status', 'failed'], ['tenant_id', 'default']]), 'SEARCH orders USING INDEX orders_receiver (receive_address=?)');
    assert.equal(await plan('webhook_events', ['tenant_id', 'acme'], [['status', 'delivered']]), 'SEARCH webhook_events USING INDEX webhook_events_tenant (tenant_id=?)');
  } finally {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
