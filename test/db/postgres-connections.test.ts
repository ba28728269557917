// A process keeps the PostgreSQL connections it has opened: after a quiet
// spell longer than the driver's default idle timeout (10 s), the next
// statements run on the same server backends, whose prepared statements and
// plans are still there, instead of new ones started and warmed again.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { connect, type Db } from '../../src/db/connect.js';

let pg: PostgresServer;
let db: Db;

before(async () => {
  pg = await startPostgres();
  db = connect(await createDatabase(pg.url));
});
after(async () => {
  await db?.close();
  await pg?.stop();
});

/** The server backends of `count` statements run at once (each holds its connection for 200 ms). */
async function backendsOf(count: number): Promise<Set<number>> {
  const rows = await Promise.all(
    Array.from({ length: count }, async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.2)`.execute(db.kysely)).rows[0]!.pid),
  );
  return new Set(rows);
}

test('when a process has been quiet longer than the driver’s idle timeout, then its statements still run on the backends it had', async () => {
  const busy = await backendsOf(4);
  assert.equal(busy.size, 4, 'four statements at once hold four connections');
  await sleep(11_000);
  const later = await backendsOf(4);
  assert.deepEqual([...later].sort(), [...busy].sort(), 'the same four backends, none started anew');
});
