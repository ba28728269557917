import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/db/connect.js';
import { migrate, SchemaTooNewError } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';

test('migrations apply once, and a database newer than the code is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'joule-migrate-'));
  const url = `sqlite:${join(dir, 'j.db')}`;
  try {
    const db = connect(url);
    assert.deepEqual(await migrate(db), MIGRATIONS.map((m) => m.name));
    assert.deepEqual(await migrate(db), []);
    // A later Joule added a migration and ran it on this database.
    await migrate(db, [...MIGRATIONS, { name: '999-from-the-future', up: async () => {} }]);
    await db.close();

    const older = connect(url);
    await assert.rejects(migrate(older), (err: unknown) => {
      assert.ok(err instanceof SchemaTooNewError);
      assert.match((err as Error).message, /999-from-the-future/);
      return true;
    });
    await older.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a status outside the declared lifecycle is refused by the database itself', async () => {
  const db = connect('sqlite::memory:');
  await migrate(db);
  await db.kysely.insertInto('users').values({ id: 1n, balance_sun: 0n, created_at: 0n, updated_at: 0n }).execute();
  await assert.rejects(
    db.kysely
      .insertInto('orders')
      .values({
        id: 'x', user_id: 1n, status: 'lost' as never, energy_amount: 1n, duration: '1h', duration_seconds: 3600n,
        receive_address: 'T', price_sun: 1n, rate_sun_per_energy_day: 1n, request_hash: 'h', created_at: 0n, updated_at: 0n,
      })
      .execute(),
    /CHECK constraint failed/,
  );
  await assert.rejects(
    db.kysely.updateTable('users').set({ balance_sun: -1n }).where('id', '=', 1n).execute(),
    /CHECK constraint failed/,
  );
  await db.close();
});
