import { sql, type Kysely } from 'kysely';
import type { Db } from './connect.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export class SchemaTooNewError extends Error {
  constructor(readonly unknown: string[]) {
    super(`database schema is newer than this Joule (unknown migrations: ${unknown.join(', ')}); upgrade Joule`);
    this.name = 'SchemaTooNewError';
  }
}

/** Arbitrary constant: the PostgreSQL advisory lock that serialises migrations of many processes. */
const MIGRATION_LOCK = 4_243_001;

async function appliedNames(db: Kysely<any>): Promise<string[]> {
  const rows = await db.selectFrom('schema_migrations').select('name').execute();
  return rows.map((r) => r.name as string);
}

async function applyMissing(db: Kysely<any>, dialect: Db['dialect'], known: readonly Migration[]): Promise<string[]> {
  const applied = await appliedNames(db);
  const unknown = applied.filter((name) => !known.some((m) => m.name === name));
  if (unknown.length > 0) throw new SchemaTooNewError(unknown);
  const done: string[] = [];
  for (const m of known) {
    if (applied.includes(m.name)) continue;
    await m.up(db, dialect);
    await db.insertInto('schema_migrations').values({ name: m.name, applied_at: BigInt(Date.now()) }).execute();
    done.push(m.name);
  }
  return done;
}

/**
 * Applies the numbered migrations this code knows and the database lacks, in
 * one transaction, holding a lock so that processes starting together do not
 * race. Refuses a database that has migrations this code does not know.
 * Returns the names applied.
 */
export async function migrate(db: Db, known: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const k = db.kysely as unknown as Kysely<any>;
  await k.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
  if (db.dialect === 'postgres') {
    return k.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
      return applyMissing(trx, db.dialect, known);
    });
  }
  // SQLite: BEGIN IMMEDIATE takes the write lock before reading what is applied.
  return k.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const done = await applyMissing(conn, db.dialect, known);
      await sql`commit`.execute(conn);
      return done;
    } catch (err) {
      await sql`rollback`.execute(conn);
      throw err;
    }
  });
}
