// A transaction on PostgreSQL sends its BEGIN with its first statement
// (postgres-client.ts). What must hold all the same: the first statement is
// inside the transaction (invisible to others, undone by a rollback, its
// locks held to the end), a failure anywhere leaves nothing written and the
// connection fit for the next transaction, and a transaction that sends
// nothing costs nothing. A lock statement (preparedLock) goes out with the
// transaction's next statement: that statement must run with the lock held,
// and see what was committed under it before. A statement that ends its
// transaction (endsTransaction) takes the COMMIT along: what it wrote is
// committed as it answers, only if it succeeded, and nothing may follow it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { connect, type Db } from '../../src/db/connect.js';
import { prepared, preparedLock } from '../../src/db/prepared.js';

let pg: PostgresServer;
let db: Db;
let dbUrl: string;
/** A second pool of its own: what another process sees. */
let other: Db;

const insertNote = prepared('insert into notes (id, body) values (?, ?)');
// Its own text: a text is what makes a statement a lock sent with the next (the test above sends the plain one).
const noteLock = preparedLock('select pg_advisory_xact_lock(?::bigint)');
const countNotesStatement = prepared<{ n: bigint }>('select count(*) as n from notes');
// Its own text (a trailing comment): a text is what makes a statement one that ends its transaction.
const insertLastNote = prepared<{ id: number }>('insert into notes (id, body) values (?, ?) returning id -- last', { endsTransaction: true });
const countNotes = async (on: Db) => Number((await sql<{ n: string }>`select count(*) as n from notes`.execute(on.kysely)).rows[0]!.n);

before(async () => {
  pg = await startPostgres();
  const url = await createDatabase(pg.url);
  dbUrl = url;
  db = connect(url);
  other = connect(url);
  await sql`create table notes (id int primary key, body text not null)`.execute(db.kysely);
});
after(async () => {
  await db?.close();
  await other?.close();
  await pg?.stop();
});

test('when a transaction has written its first row, then no one else sees it until the commit', async () => {
  await sql`truncate notes`.execute(db.kysely);
  let seenInside = -1;
  await db.transaction(async (tx) => {
    await insertNote.run(tx, [1, 'first']);
    seenInside = await countNotes(other);
  });
  assert.equal(seenInside, 0, 'the first statement is inside the transaction');
  assert.equal(await countNotes(other), 1, 'and seen once committed');
});

test('when a later statement fails, then the first statement’s row is undone and the next transaction works', async () => {
  await sql`truncate notes`.execute(db.kysely);
  await insertNote.run(db, [7, 'there before']);
  await assert.rejects(
    db.transaction(async (tx) => {
      await insertNote.run(tx, [1, 'first']);
      await insertNote.run(tx, [7, 'a duplicate']);
    }),
    /duplicate key/,
    'the server’s own error reaches the caller',
  );
  assert.equal(await countNotes(other), 1, 'only the row from before');
  await db.transaction((tx) => insertNote.run(tx, [2, 'next']));
  assert.equal(await countNotes(other), 2);
});

test('when the first statement itself fails, then nothing is written and every connection of the pool still works', async () => {
  await sql`truncate notes`.execute(db.kysely);
  await insertNote.run(db, [7, 'there before']);
  // More failed transactions than the pool has connections: each of them meets one.
  for (let i = 0; i < 12; i++) {
    await assert.rejects(db.transaction((tx) => insertNote.run(tx, [7, 'a duplicate'])), /duplicate key/);
  }
  const written = await Promise.all(Array.from({ length: 12 }, (_, i) => db.transaction((tx) => insertNote.run(tx, [100 + i, 'after']))));
  assert.equal(written.length, 12);
  assert.equal(await countNotes(other), 13);
});

test('when the first statement takes a transaction lock, then it is held until the commit', async () => {
  const key = 424242;
  const tryLock = async () => (await sql<{ got: boolean }>`select pg_try_advisory_xact_lock(${key}) as got`.execute(other.kysely)).rows[0]!.got;
  let whileOpen: boolean | undefined;
  await db.transaction(async (tx) => {
    await sql`select pg_advisory_xact_lock(${key})`.execute(tx.kysely);
    whileOpen = await tryLock();
  });
  assert.equal(whileOpen, false, 'another connection cannot take it while the transaction is open');
  assert.equal(await tryLock(), true, 'and can once it committed');
});

test('when the first statement has no values, then it is still inside the transaction', async () => {
  await sql`truncate notes`.execute(db.kysely);
  await assert.rejects(
    db.transaction(async (tx) => {
      await sql`insert into notes (id, body) values (1, 'no values')`.execute(tx.kysely);
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  assert.equal(await countNotes(other), 0, 'rolled back');
});

test('when a transaction sends nothing, then it commits and returns its value', async () => {
  assert.equal(await db.transaction(async () => 'nothing to write'), 'nothing to write');
  await assert.rejects(db.transaction(async () => Promise.reject(new Error('nothing sent'))), /nothing sent/);
  await db.transaction((tx) => insertNote.run(tx, [500, 'after an empty one']));
  assert.equal(Number((await sql<{ n: string }>`select count(*) as n from notes where id = 500`.execute(other.kysely)).rows[0]!.n), 1);
});

test('when a named statement first fails to parse inside a transaction, then it works on that connection once it can', async () => {
  const fresh = connect(dbUrl);
  try {
    const late = prepared('select count(*) as n from late_notes');
    // The table does not exist yet: the statement's parse fails, in the connection's first transaction.
    await assert.rejects(fresh.transaction((tx) => late.first(tx, [])), /late_notes/);
    await sql`create table late_notes (id int)`.execute(other.kysely);
    for (let i = 0; i < 3; i++) assert.deepEqual(await fresh.transaction((tx) => late.first(tx, [])), { n: 0n });
  } finally {
    await fresh.close();
  }
});

const LOCK_KEY = 5150;
const tryNoteLock = async () => (await sql<{ got: boolean }>`select pg_try_advisory_xact_lock(${LOCK_KEY}) as got`.execute(other.kysely)).rows[0]!.got;

test('when a transaction takes a lock, then it is held from its next statement until the commit, and not after', async () => {
  await sql`truncate notes`.execute(db.kysely);
  let whileOpen: boolean | undefined;
  await db.transaction(async (tx) => {
    await noteLock.take(tx, [LOCK_KEY]);
    await insertNote.run(tx, [1, 'under the lock']);
    whileOpen = await tryNoteLock();
  });
  assert.equal(whileOpen, false, 'another connection cannot take it while the transaction is open');
  assert.equal(await tryNoteLock(), true, 'and can once it committed');
  assert.equal(await countNotes(other), 1);
});

test('when two transactions take the same lock, then the second one’s next statement sees what the first committed', async () => {
  await sql`truncate notes`.execute(db.kysely);
  let letFirstCommit!: () => void;
  const firstMayCommit = new Promise<void>((resolve) => (letFirstCommit = resolve));
  let firstHolds!: () => void;
  const firstHolding = new Promise<void>((resolve) => (firstHolds = resolve));
  const first = db.transaction(async (tx) => {
    await noteLock.take(tx, [LOCK_KEY]);
    await insertNote.run(tx, [1, 'written under the lock']);
    firstHolds();
    await firstMayCommit;
  });
  await firstHolding;
  const second = other.transaction(async (tx) => {
    await noteLock.take(tx, [LOCK_KEY]);
    return (await countNotesStatement.first(tx, []))!.n;
  });
  // Long enough for the second transaction's statements to reach the server and wait at the lock.
  await new Promise((resolve) => setTimeout(resolve, 200));
  letFirstCommit();
  await first;
  assert.equal(await second, 1n, 'the count ran after the lock was granted, on a snapshot taken then');
});

test('when a lock is a transaction’s last word, then the transaction commits and leaves no lock behind', async () => {
  await sql`truncate notes`.execute(db.kysely);
  await db.transaction(async (tx) => {
    await insertNote.run(tx, [1, 'before the lock']);
    await noteLock.take(tx, [LOCK_KEY]);
  });
  assert.equal(await db.transaction((tx) => noteLock.take(tx, [LOCK_KEY])), undefined, 'a transaction of a lock alone');
  assert.equal(await tryNoteLock(), true);
  assert.equal(await countNotes(other), 1);
  await noteLock.take(db, [LOCK_KEY]);
  assert.equal(await tryNoteLock(), true, 'outside a transaction it is taken and let go at once');
});

test('when the statement after a connection’s first lock fails to parse, then both work on that connection once they can', async () => {
  const fresh = connect(dbUrl);
  try {
    const late = prepared('select count(*) as n from later_notes');
    await assert.rejects(
      fresh.transaction(async (tx) => {
        await noteLock.take(tx, [LOCK_KEY]);
        return late.first(tx, []);
      }),
      /later_notes/,
    );
    await sql`create table later_notes (id int)`.execute(other.kysely);
    for (let i = 0; i < 3; i++) {
      const n = await fresh.transaction(async (tx) => {
        await noteLock.take(tx, [LOCK_KEY]);
        return late.first(tx, []);
      });
      assert.deepEqual(n, { n: 0n });
    }
    assert.equal(await tryNoteLock(), true);
  } finally {
    await fresh.close();
  }
});

test('when a transaction’s last statement ends it, then its rows are committed and its locks let go as it answers', async () => {
  await sql`truncate notes`.execute(db.kysely);
  let seenAtTheAnswer = -1;
  let lockFreeAtTheAnswer: boolean | undefined;
  const id = await db.transaction(async (tx) => {
    await noteLock.take(tx, [LOCK_KEY]);
    await insertNote.run(tx, [1, 'before the last']);
    const row = await insertLastNote.first(tx, [2, 'the last']);
    seenAtTheAnswer = await countNotes(other);
    lockFreeAtTheAnswer = await tryNoteLock();
    return row!.id;
  });
  assert.equal(id, 2, 'the statement’s own answer reaches the caller');
  assert.equal(seenAtTheAnswer, 2, 'both rows committed by the time the statement answered');
  assert.equal(lockFreeAtTheAnswer, true, 'the lock went with the commit');
  assert.equal(await countNotes(other), 2);
  await db.transaction((tx) => insertNote.run(tx, [3, 'the connection goes on']));
  assert.equal(await countNotes(other), 3);
});

test('when the statement that ends a transaction is its first, then BEGIN, lock, statement and COMMIT all hold', async () => {
  await sql`truncate notes`.execute(db.kysely);
  // More transactions than the pool has connections: every connection parses them once, then reuses them.
  for (let i = 0; i < 12; i++) {
    await db.transaction(async (tx) => {
      await noteLock.take(tx, [LOCK_KEY]);
      await insertLastNote.run(tx, [10 + i, 'alone']);
    });
  }
  assert.equal(await countNotes(other), 12);
  assert.equal(await tryNoteLock(), true, 'no lock left behind');
});

test('when the statement that ends a transaction fails, then nothing of the transaction is written and every connection still works', async () => {
  await sql`truncate notes`.execute(db.kysely);
  await insertNote.run(db, [7, 'there before']);
  for (let i = 0; i < 12; i++) {
    await assert.rejects(
      db.transaction(async (tx) => {
        await noteLock.take(tx, [LOCK_KEY]);
        await insertNote.run(tx, [100 + i, 'undone with the rest']);
        await insertLastNote.run(tx, [7, 'a duplicate']);
      }),
      /duplicate key/,
    );
  }
  assert.equal(await countNotes(other), 1, 'only the row from before: the COMMIT never ran');
  assert.equal(await tryNoteLock(), true, 'and the lock was let go by the rollback');
  const written = await Promise.all(Array.from({ length: 12 }, (_, i) => db.transaction((tx) => insertLastNote.run(tx, [200 + i, 'after']))));
  assert.equal(written.length, 12);
  assert.equal(await countNotes(other), 13);
});

test('when a statement follows the one that ended its transaction, then it is refused and never runs', async () => {
  await sql`truncate notes`.execute(db.kysely);
  await assert.rejects(
    db.transaction(async (tx) => {
      await insertLastNote.run(tx, [1, 'the last']);
      await insertNote.run(tx, [2, 'one too many']);
    }),
    /after the one that ended its transaction/,
  );
  const ids = (await sql<{ id: number }>`select id from notes order by id`.execute(other.kysely)).rows.map((r) => r.id);
  assert.deepEqual(ids, [1], 'what the last statement wrote is committed; the statement after it is not run');
  await db.transaction((tx) => insertNote.run(tx, [3, 'the connection goes on']));
  assert.equal(await countNotes(other), 2);
});

test('when one text is made both ending its transaction and not, then it is refused', () => {
  assert.throws(() => prepared('insert into notes (id, body) values (?, ?) returning id -- last'), /ending its transaction once and not the other time/);
});
