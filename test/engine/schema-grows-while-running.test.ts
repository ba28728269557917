// Several processes share one PostgreSQL database, and an upgrade restarts
// them one at a time: the first to start on the new version migrates the
// schema while the others still run the old one. A process keeps its
// connections, and on them the statements it prepared. So an older process
// must go on placing, running and reporting orders after a newer one has
// added columns to its tables, the change most migrations make.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { connect } from '../../src/db/connect.js';
import { databasesOnDemand } from '../support/dialects.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { startStack } from '../support/stack.js';

const databaseFor = databasesOnDemand();

/** A rental from placed to completed, as a customer sees it. */
async function rentalCompletes(s: Awaited<ReturnType<typeof startStack>>): Promise<void> {
  const placed = await s.order({ user_id: 1, energy_amount: 32_000, duration: '2s', receive_address: s.customer() });
  assert.equal(placed.status, 'pending');
  const completed = await s.waitFor(placed.id, (o) => o.status === 'completed' || o.status === 'failed', 30_000);
  assert.equal(completed.status, 'completed', JSON.stringify(completed));
}

test('[postgres] when another process adds a column to every table while this one runs, then this one still places, runs, reports and credits as before', async (t: TestContext) => {
  const { databaseUrl } = await databaseFor('postgres');
  const s = await startStack({ databaseUrl });
  t.after(() => s.close());
  await s.deposit(1, 100_000_000n);

  // Every statement of the order's path prepared on this process's connections.
  await Promise.all([rentalCompletes(s), rentalCompletes(s), rentalCompletes(s)]);

  // A newer Joule's migration, from its own connection.
  const newer = connect(databaseUrl!);
  try {
    const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(newer.kysely);
    assert.ok(tables.rows.length > 10, 'the schema has its tables');
    for (const { name } of tables.rows) await sql`alter table ${sql.table(name)} add column added_later text`.execute(newer.kysely);
  } finally {
    await newer.close();
  }

  await s.deposit(1, 50_000_000n);
  await Promise.all([rentalCompletes(s), rentalCompletes(s), rentalCompletes(s)]);
  for (const url of ['/api/orders?user_id=1', '/api/status', '/api/pools', '/api/users/1']) {
    const res = await s.request({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200, `${url}: ${JSON.stringify(res.body)}`);
  }
  const errors = s.logs.filter((l) => l.level >= 50).map((l) => `${l.msg}: ${l.err?.message ?? ''}`);
  assert.deepEqual(errors, [], 'no step failed on the way');
});
