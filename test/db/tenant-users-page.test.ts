// A page of a tenant's users (GET /api/users?tenant_id=) reads the page's
// own rows, however many users the tenant or the others have and wherever
// the cursor stands. Here 100,000 users belong to twelve tenants: acme holds
// one in four, rare one in a thousand, interleaved as users arrive.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { connect, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/schema.js';
import { listUsers } from '../../src/db/users.js';

const USERS = 100_000;
const owner = (n: number) => (n % 1000 === 0 ? 'rare' : n % 4 === 0 ? 'acme' : `t${n % 10}`);
/** A tenant's users rows, ascending as the list gives them (the newest user holds the lowest id). */
const usersOf = (tenant: string) =>
  Array.from({ length: USERS }, (_, i) => USERS - i)
    .filter((n) => owner(n) === tenant)
    .map((n) => BigInt(-n));

/** Users -1 … -100,000, each its tenant's, and a thousand of the default tenant's; then the planner's statistics. */
async function seed(db: Db): Promise<void> {
  await migrate(db);
  for (const id of ['acme', 'rare', ...Array.from({ length: 10 }, (_, i) => `t${i}`)])
    await db.kysely.insertInto('tenants').values({ id, name: id, created_at: 0n, updated_at: 0n }).execute();
  const series = (n: number) => sql`with recursive g(n) as (select 1 union all select n + 1 from g where n < ${n})`;
  await sql`${series(USERS)} insert into users (id, balance_sun, created_at, updated_at) select -n, 0, 0, 0 from g`.execute(db.kysely);
  await sql`${series(USERS)} insert into tenant_users (tenant_id, external_id, user_id, created_at)
    select case when n % 1000 = 0 then 'rare' when n % 4 = 0 then 'acme' else 't' || (n % 10) end, n, -n, 0 from g`.execute(db.kysely);
  await sql`${series(1000)} insert into users (id, balance_sun, created_at, updated_at) select n, 0, 0, 0 from g`.execute(db.kysely);
  await sql`analyze`.execute(db.kysely);
}

let pg: PostgresServer;
let db: Db;

before(async () => {
  // pg_stat_statements: the pages each page's statement read.
  pg = await startPostgres({ settings: ["shared_preload_libraries = 'pg_stat_statements'"] });
  db = connect(await createDatabase(pg.url));
  await seed(db);
  await sql`create extension if not exists pg_stat_statements`.execute(db.kysely);
});
after(async () => {
  await db?.close();
  await pg?.stop();
});

/** One page, and the pages of PostgreSQL its statements read (from cache or disk). */
async function pageOf(tenant: string, afterId?: bigint): Promise<{ ids: bigint[]; pages: number }> {
  await sql`select pg_stat_statements_reset()`.execute(db.kysely);
  const ids = (await listUsers(db, 51, afterId, tenant)).map((u) => u.id);
  const { rows } = await sql<{ pages: string }>`
    select coalesce(sum(shared_blks_hit + shared_blks_read), 0)::text as pages from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database()) and query like ${'%"tenant_users"%'}`.execute(db.kysely);
  return { ids, pages: Number(rows[0]!.pages) };
}

// 51 users, each found by its key: about four pages a user. Walking
// tenant_users in user order and keeping the tenant's reads a page of
// index for every ~300 users passed over, and each of those users' rows.
const FEW = 300;

test("a tenant's page of users, at its start and from a cursor deep in, reads its own rows only", async () => {
  for (const tenant of ['acme', 'rare']) {
    const all = usersOf(tenant);
    for (const from of [0, Math.floor(all.length / 2)]) {
      const cursor = from === 0 ? undefined : all[from - 1];
      const { ids, pages } = await pageOf(tenant, cursor);
      assert.deepEqual(ids, all.slice(from, from + 51), `${tenant} from ${cursor ?? 'the start'}`);
      assert.ok(pages < FEW, `${tenant} from ${cursor ?? 'the start'}: read ${pages} pages`);
    }
  }
});

test("a tenant's users, page after page, are all of its users once each and no one else's", async () => {
  const seen: bigint[] = [];
  let cursor: bigint | undefined;
  for (;;) {
    const page = await listUsers(db, 51, cursor, 'rare');
    seen.push(...page.map((u) => u.id));
    if (page.length < 51) break;
    cursor = page[page.length - 1]!.id;
  }
  assert.deepEqual(seen, usersOf('rare'));
  assert.equal((await listUsers(db, 51, undefined, 'default'))[0]!.id, 1n);
});

// SQLite has no page counts to ask, but says which index a statement reads.
test("on SQLite, a tenant's page starts in tenant_users at the tenant and the cursor, and reads each user by key", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'joule-tenant-users-'));
  const path = join(dir, 'joule.db');
  const lite = connect(`sqlite:${path}`);
  // A second connection that notes each statement listUsers sends, to ask SQLite for its plan.
  const raw = new BetterSqlite3(path);
  raw.defaultSafeIntegers(true);
  const sent: CompiledQuery[] = [];
  const noting = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }), log: (e) => void sent.push(e.query) });
  try {
    await seed(lite);
    const all = usersOf('acme');
    const page = await listUsers({ kysely: noting, dialect: 'sqlite' }, 51, all[9_999], 'acme');
    assert.deepEqual(
      page.map((u) => u.id),
      all.slice(10_000, 10_051),
    );
    assert.equal(sent.length, 1);
    const { rows } = await noting.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${sent[0]!.sql}`, [...sent[0]!.parameters]));
    const plan = rows.map((r) => r.detail);
    assert.ok(plan.includes('SEARCH tenant_users USING COVERING INDEX tenant_users_tenant_user (tenant_id=? AND user_id>?)'), plan.join('; '));
    assert.ok(plan.includes('SEARCH users USING INDEX sqlite_autoindex_users_1 (id=?)'), plan.join('; '));
  } finally {
    await noting.destroy();
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
