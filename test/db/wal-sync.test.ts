import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { connect } from '../../src/db/connect.js';
import { freshSqlite } from '../support/app.js';

/** A database that counts its WAL's flushes. */
function counted(url: string) {
  const flushes = { n: 0 };
  return { db: connect(url, { onWalFlush: () => flushes.n++ }), flushes };
}


test('durable() flushes the WAL once for every caller that asked while none had started, and a caller who asks during a flush waits for the next', async () => {
  const file = freshSqlite();
  const { db, flushes } = counted(file.url);
  try {
    await sql`create table t (n integer primary key)`.execute(db.kysely);
    await db.transaction(async (tx) => void (await sql`insert into t (n) values (1)`.execute(tx.kysely)));
    await db.durable();
    assert.equal(flushes.n, 1, 'one flush');

    // Ten callers at once: the first starts a flush; the nine after it (their commits may postdate its
    // start) share the one that starts when it ends. Two flushes, not ten, not one.
    await Promise.all(Array.from({ length: 10 }, () => db.durable()));
    assert.equal(flushes.n, 1 + 2);
  } finally {
    await db.close();
    file.remove();
  }
});

test('on an in-memory database durable() flushes nothing: there is no WAL to flush', async () => {
  const { db, flushes } = counted('sqlite::memory:');
  try {
    await db.durable();
    assert.equal(flushes.n, 0);
  } finally {
    await db.close();
  }
});
