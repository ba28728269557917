import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { BACKSTOP_PAGES, startBackgroundCheckpoints } from '../../src/db/background-checkpoints.js';
import { connect } from '../../src/db/connect.js';
import { freshSqlite } from '../support/app.js';

const fileOf = (url: string) => url.slice('sqlite:'.length);

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('what transactions commit reaches each database file without its writer checkpointing, and closing leaves no WAL behind', async () => {
  // Two databases in one process, as the tests open them: one worker checkpoints both.
  const files = [freshSqlite(), freshSqlite()];
  const dbs = files.map((f) => connect(f.url));
  try {
    for (const db of dbs) await sql`create table blobs (n integer primary key, data blob not null)`.execute(db.kysely);
    const before = files.map((f) => statSync(fileOf(f.url)).size);
    // About 2 MB each: some 500 pages, far below the writer's own checkpoint (BACKSTOP_PAGES).
    assert.ok(500 < BACKSTOP_PAGES);
    for (const db of dbs) {
      await db.transaction(async (tx) => {
        for (let n = 0; n < 500; n++) await sql`insert into blobs (n, data) values (${n}, randomblob(4000))`.execute(tx.kysely);
      });
    }
    // Only a checkpoint writes pages into the database file itself.
    for (const [i, f] of files.entries()) await until(`database ${i} to hold the rows`, () => statSync(fileOf(f.url)).size > before[i]! + 1_900_000);
    for (const db of dbs) {
      const { rows } = await sql<{ count: bigint }>`select count(*) as count from blobs`.execute(db.kysely);
      assert.equal(Number(rows[0]!.count), 500);
    }
  } finally {
    for (const db of dbs) await db.close();
  }
  for (const f of files) {
    assert.equal(existsSync(`${fileOf(f.url)}-wal`), false, 'the last connection to close checkpointed the rest and removed the WAL');
    f.remove();
  }
});

test('when the checkpoint worker cannot open a database, that writer goes back to checkpointing for itself', async () => {
  const file = freshSqlite();
  const writer = new BetterSqlite3(fileOf(file.url));
  try {
    writer.pragma('journal_mode = WAL');
    // A file that does not exist: the worker cannot open it.
    const checkpoints = startBackgroundCheckpoints(`${fileOf(file.url)}.missing`, writer);
    assert.equal(writer.pragma('wal_autocheckpoint', { simple: true }), BACKSTOP_PAGES);
    await until('the writer to checkpoint at the default again', () => writer.pragma('wal_autocheckpoint', { simple: true }) === 1000);
    await checkpoints.stop();
  } finally {
    writer.close();
    file.remove();
  }
});
