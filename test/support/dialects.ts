import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe } from 'node:test';
import { createTestApp, ledgerViolations, type TestApp } from './app.js';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';

export type DialectName = 'sqlite' | 'postgres';

/**
 * Runs the same suite on every storage dialect, handing it `freshDatabase()`:
 * on SQLite it answers undefined (the caller makes its own fresh file, as
 * createTestApp and startStack do); on PostgreSQL a new database on a real
 * server (one server per suite, started and stopped here).
 */
export function describeEachDatabase(
  name: string,
  suite: (freshDatabase: () => Promise<string | undefined>, dialect: DialectName) => void,
): void {
  describe(`${name} [sqlite]`, () => {
    suite(async () => undefined, 'sqlite');
  });
  describe(`${name} [postgres]`, () => {
    let pg: PostgresServer;
    before(async () => {
      pg = await startPostgres();
    });
    after(() => pg.stop());
    suite(() => createDatabase(pg.url), 'postgres');
  });
}

/**
 * For a file whose tests each name their dialect: `databaseFor(dialect)`
 * gives the options for a fresh database (none on SQLite, where the stack
 * makes its own file; a new database on PostgreSQL, whose server starts on
 * first use and stops after the file's tests). Call it at the top level.
 */
export function databasesOnDemand(): (dialect: DialectName) => Promise<{ databaseUrl?: string }> {
  let pg: PostgresServer | undefined;
  after(() => pg?.stop());
  return async (dialect) => {
    if (dialect === 'sqlite') return {};
    pg ??= await startPostgres();
    return { databaseUrl: await createDatabase(pg.url) };
  };
}

/**
 * Runs the same suite on every storage dialect: a fresh SQLite file, and a
 * fresh database on a real PostgreSQL server (one server per suite, started
 * and stopped here). `newApp` builds the app on an empty database.
 */
export function describeEachDialect(
  name: string,
  suite: (newApp: (env?: Record<string, string>) => Promise<TestApp>, dialect: DialectName) => void,
): void {
  describeEachDatabase(name, (freshDatabase, dialect) => {
    suite(async (env) => {
      const databaseUrl = await freshDatabase();
      return createTestApp({ ...(databaseUrl === undefined ? {} : { databaseUrl }), env: env ?? {} });
    }, dialect);
  });
}

/**
 * A fresh app for every test of the suite, handed to `use`; after each test
 * its ledger must balance, and it is closed even when that check fails.
 * Returns `reopen(env)`, for a test that needs the app under other settings.
 */
export function appPerTest(
  newApp: (env?: Record<string, string>) => Promise<TestApp>,
  use: (app: TestApp) => void,
): (env: Record<string, string>) => Promise<void> {
  let current: TestApp | undefined;
  beforeEach(async () => {
    current = await newApp();
    use(current);
  });
  afterEach(async () => {
    const app = current;
    current = undefined;
    if (!app) return;
    try {
      assert.deepEqual(await ledgerViolations(app.db), []);
    } finally {
      await app.close();
    }
  });
  return async (env) => {
    await current?.close();
    current = await newApp(env);
    use(current);
  };
}
