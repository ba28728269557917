// The users rows of tenants' users asked for in one turn are looked up in
// one statement, so that their orders reach placement together. A tenant
// user's row never changes once given, so a process remembers the rows it
// found and an order of that user reads tenant_users no more; a user not
// found is looked up again every time, since another process may give it a
// row at any moment.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { connect, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { ownersOf, userRowOf } from '../../src/use-cases/tenants.js';
import { statementRuns } from '../support/statement-runs.js';

let pg: PostgresServer;
let db: Db;
/** Another process's pool on the same database. */
let other: Db;

before(async () => {
  // pg_stat_statements: how many times the look-up ran.
  pg = await startPostgres({ settings: ["shared_preload_libraries = 'pg_stat_statements'"] });
  const url = await createDatabase(pg.url);
  db = connect(url);
  other = connect(url);
  await migrate(db);
  await sql`create extension if not exists pg_stat_statements`.execute(db.kysely);
  await db.kysely.insertInto('tenants').values({ id: 'bot', name: 'bot', created_at: 0n, updated_at: 0n }).execute();
});
after(async () => {
  await db?.close();
  await other?.close();
  await pg?.stop();
});

/** The runs of statements that read tenant_users in this database (`select "user_id", …` the owners', `select "tenant_id", …` the rows'). */
async function reads(of: 'rows' | 'owners' = 'rows'): Promise<number> {
  const like = of === 'rows' ? 'select "tenant_id", "external_id", "user_id" from "tenant_users"%' : 'select "user_id", "tenant_id", "external_id" from "tenant_users"%';
  return (await statementRuns(db, like)).calls;
}
const lookUps = () => reads('rows');

test("the rows asked for in one turn are looked up in one statement, each answered its own, of two tenants, and none for a user without one", async () => {
  await db.kysely.insertInto('tenants').values({ id: 'shop', name: 'shop', created_at: 0n, updated_at: 0n }).execute();
  const given = new Map<string, bigint>();
  for (const [tenant, external] of [['bot', 101n], ['bot', 102n], ['shop', 101n]] as const) given.set(`${tenant} ${external}`, (await userRowOf(other, tenant, external, true))!);
  const start = await lookUps();
  const asked = [['bot', 101n], ['shop', 101n], ['bot', 102n], ['bot', 103n], ['bot', 101n]] as const;
  const rows = await Promise.all(asked.map(([tenant, external]) => userRowOf(db, tenant, external, false)));
  assert.deepEqual(
    rows,
    asked.map(([tenant, external]) => given.get(`${tenant} ${external}`)),
  );
  assert.equal(rows[3], undefined);
  assert.equal(new Set(rows.slice(0, 3)).size, 3, 'three users, three rows');
  assert.equal((await lookUps()) - start, 1, 'one statement for the turn');
});

test("a tenant user's row, once found, is answered without a look-up; one not found is looked up each time, and found once another process gives it a row", async () => {
  const given = await userRowOf(other, 'bot', 7n, true);
  assert.ok(given !== undefined && given < 0n);

  const start = await lookUps();
  assert.equal(await userRowOf(db, 'bot', 7n, false), given);
  assert.equal(await userRowOf(db, 'bot', 7n, false), given);
  assert.equal(await userRowOf(db, 'bot', 7n, true), given);
  assert.equal((await lookUps()) - start, 1, 'one look-up, then remembered');

  assert.equal(await userRowOf(db, 'bot', 8n, false), undefined);
  assert.equal(await userRowOf(db, 'bot', 8n, false), undefined);
  assert.equal((await lookUps()) - start, 3, 'a user with no row is not remembered');
  const later = await userRowOf(other, 'bot', 8n, true);
  assert.equal(await userRowOf(db, 'bot', 8n, false), later);
  // The same external id under another tenant is another user.
  await db.kysely.insertInto('tenants').values({ id: 'wallet', name: 'wallet', created_at: 0n, updated_at: 0n }).execute();
  assert.equal(await userRowOf(db, 'wallet', 7n, false), undefined);
  assert.equal(await userRowOf(db, 'default', 7n, false), 7n);
});

test("whose a users row is, once read or once its row was found, is answered without a look-up", async () => {
  const polled = (await userRowOf(other, 'bot', 201n, true))!;
  const start = await reads('owners');
  assert.deepEqual((await ownersOf(db, [polled, 5n])).get(polled), { tenantId: 'bot', externalId: 201n });
  assert.deepEqual((await ownersOf(db, [polled])).get(polled), { tenantId: 'bot', externalId: 201n });
  assert.equal((await reads('owners')) - start, 1, 'read once, then remembered');
  // A row this process found for an order is known the other way too.
  const ordered = (await userRowOf(other, 'bot', 202n, true))!;
  assert.equal(await userRowOf(db, 'bot', 202n, false), ordered);
  assert.deepEqual((await ownersOf(db, [ordered])).get(ordered), { tenantId: 'bot', externalId: 202n });
  assert.deepEqual((await ownersOf(db, [5n])).get(5n), { tenantId: 'default', externalId: 5n });
  assert.equal((await reads('owners')) - start, 1);
});
