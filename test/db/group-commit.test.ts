import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';

test('transactions started together commit together, and one that throws leaves nothing while the rest commit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'joule-group-'));
  const db = connect(`sqlite:${join(dir, 'j.db')}`);
  try {
    await migrate(db);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.kysely.insertInto('users').values({ id: BigInt(i + 1), balance_sun: 5n, created_at: 0n, updated_at: 0n }).execute();
          if (i === 3 || i === 7) throw new Error(`unit ${i} fails after writing`);
          return i;
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [0, 1, 2, 'unit 3 fails after writing', 4, 5, 6, 'unit 7 fails after writing', 8, 9],
    );
    const ids = (await db.kysely.selectFrom('users').select('id').orderBy('id').execute()).map((r) => Number(r.id));
    assert.deepEqual(ids, [1, 2, 3, 5, 6, 7, 9, 10]);

    // A unit that breaks a constraint is rolled back alone, too.
    const [dup, fresh] = await Promise.allSettled([
      db.transaction((tx) => tx.kysely.insertInto('users').values({ id: 1n, balance_sun: 0n, created_at: 0n, updated_at: 0n }).execute()),
      db.transaction((tx) => tx.kysely.insertInto('users').values({ id: 11n, balance_sun: 0n, created_at: 0n, updated_at: 0n }).execute()),
    ]);
    assert.equal(dup.status, 'rejected');
    assert.equal(fresh.status, 'fulfilled');
    assert.equal((await db.kysely.selectFrom('users').select('id').execute()).length, 9);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
