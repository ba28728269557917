import { after, before, describe } from 'node:test';
import { createTestApp, type TestApp } from './app.js';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';

export type DialectName = 'sqlite' | 'postgres';

/**
 * Runs the same suite on every storage dialect: a fresh SQLite file, and a
 * fresh database on a real PostgreSQL server (one server per suite, started
 * and stopped here). `newApp` builds the app on an empty database.
 */
export function describeEachDialect(
  name: string,
  suite: (newApp: (env?: Record<string, string>) => Promise<TestApp>, dialect: DialectName) => void,
): void {
  describe(`${name} [sqlite]`, () => {
    suite((env) => createTestApp({ env: env ?? {} }), 'sqlite');
  });
  describe(`${name} [postgres]`, () => {
    let pg: PostgresServer;
    before(async () => {
      pg = await startPostgres();
    });
    after(() => pg.stop());
    suite(async (env) => createTestApp({ databaseUrl: await createDatabase(pg.url), env: env ?? {} }), 'postgres');
  });
}
