import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { connect } from '../../src/db/connect.js';
import { freshSqlite, walSyncs } from '../support/app.js';


test('durable() flushes the WAL once for every caller that asked while none had started, and a caller who asks during a flush waits for the next', async () => {
  const file = freshSqlite();
  const db = connect(file.url);
  try {
    await sql`create table t (n integer primary key)`.execute(db.kysely);
    await db.transaction(async (tx) => void (await sql`insert into t (n) values (1)`.execute(tx.kysely)));
    const before = await walSyncs();
    await db.durable();
    assert.equal(await walSyncs(), before + 1, 'one flush');

    // Ten callers at once: the first starts a flush; the nine after it (their commits may postdate its
    // start) share the one that starts when it ends. Two flushes, not ten, not one.
    const start = await walSyncs();
    await Promise.all(Array.from({ length: 10 }, () => db.durable()));
    assert.equal(await walSyncs(), start + 2);
  } finally {
    await db.close();
    file.remove();
  }
});

test('on an in-memory database durable() flushes nothing: there is no WAL to flush', async () => {
  const db = connect('sqlite::memory:');
  try {
    const before = await walSyncs();
    await db.durable();
    assert.equal(await walSyncs(), before);
  } finally {
    await db.close();
  }
});
