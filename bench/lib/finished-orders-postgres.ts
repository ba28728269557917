// The databases of "flat as work grows" (bench/flat.bench.ts) on PostgreSQL.
// The rows are the SQLite templates' (bench/lib/finished-orders.ts). They are
// copied into databases made by Joule's own migrations, so the schema is the
// one an operator's PostgreSQL has. The copy is made once per server, and
// each round then takes a fresh copy of it with CREATE DATABASE … TEMPLATE,
// a copy of the files.
//
// The load works as the SQLite seeding does: the big tables' indexes are
// dropped first and made again after, since sorting once is much faster than
// inserting into a B-tree row by row. Foreign keys are not checked during the
// load (session_replication_role = replica): the rows come from a database
// Joule wrote with the same keys. Then VACUUM ANALYZE, as autovacuum would
// have left a database that has run for a month: statistics for the
// planner, and the visibility map that index-only scans read.
import Database from 'better-sqlite3';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { createDatabase, withClient } from '../../scripts/services/postgres.js';

/** Rows sent in one INSERT; each batch is one JSON text of that many rows. */
const BATCH = 5_000;

/** Tables whose indexes are dropped for the load and made again after (finished-orders.ts's). */
const BIG_TABLES = ['orders', 'order_events', 'ledger_entries', 'chain_transactions', 'webhook_events'];

/** A database on the server: its url, and a way to drop it. */
export interface PostgresCopy {
  url: string;
  remove(): Promise<void>;
}

/** Every table of the SQLite file but SQLite's own and the migrations' record, with its columns. */
function sqliteTables(raw: Database.Database): Map<string, string[]> {
  const tables = raw.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> 'schema_migrations'`).all() as Array<{ name: string }>;
  return new Map(tables.map(({ name }) => [name, (raw.prepare(`select name from pragma_table_info(?)`).all(name) as Array<{ name: string }>).map((c) => c.name)]));
}

/** Copies every row of the SQLite file at `path` into the migrated, empty PostgreSQL database at `url`; returns the rows copied. */
async function copyRows(path: string, url: string): Promise<number> {
  const raw = new Database(path, { readonly: true });
  try {
    return await withClient(url, async (client) => {
      const { rows: dropped } = await client.query<{ indexname: string; indexdef: string }>(
        `select indexname, indexdef from pg_indexes i where schemaname = 'public' and tablename = any($1)
           and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
        [BIG_TABLES],
      );
      for (const { indexname } of dropped) await client.query(`drop index "${indexname}"`);
      await client.query('set session_replication_role = replica');
      // The migrations' own rows (the default tenant, say) are in the template too: the copy brings them.
      const tables = sqliteTables(raw);
      await client.query(`truncate ${[...tables.keys()].map((t) => `"${t}"`).join(', ')}`);
      let copied = 0;
      for (const [table, sqliteColumns] of tables) {
        const { rows: pgColumns } = await client.query<{ column_name: string }>(
          `select column_name from information_schema.columns where table_schema = 'public' and table_name = $1`,
          [table],
        );
        if (pgColumns.length === 0) throw new Error(`table ${table} of the SQLite template is not in PostgreSQL's schema`);
        const names = new Set(pgColumns.map((c) => c.column_name));
        const missing = sqliteColumns.filter((c) => !names.has(c));
        if (missing.length > 0) throw new Error(`${table}: columns ${missing.join(', ')} are not in PostgreSQL's schema`);
        const list = sqliteColumns.map((c) => `"${c}"`).join(', ');
        const insert = `insert into "${table}" (${list}) select ${list} from json_populate_recordset(null::"${table}", $1)`;
        let batch: unknown[] = [];
        for (const row of raw.prepare(`select ${list} from "${table}"`).iterate()) {
          batch.push(row);
          if (batch.length === BATCH) {
            await client.query(insert, [JSON.stringify(batch)]);
            copied += batch.length;
            batch = [];
          }
        }
        if (batch.length > 0) await client.query(insert, [JSON.stringify(batch)]);
        copied += batch.length;
      }
      await client.query('set session_replication_role = origin');
      for (const { indexdef } of dropped) await client.query(indexdef);
      // Ids were copied as they were: each serial column's sequence goes on from the largest.
      const { rows: serials } = await client.query<{ table_name: string; column_name: string }>(
        `select table_name, column_name from information_schema.columns where table_schema = 'public' and column_default like 'nextval(%'`,
      );
      for (const { table_name: table, column_name: column } of serials) {
        await client.query(`select setval(pg_get_serial_sequence($1, $2), greatest((select max("${column}") from "${table}"), 1))`, [table, column]);
      }
      await client.query('vacuum analyze');
      return copied;
    });
  } finally {
    raw.close();
  }
}

/** A database named `name` made by Joule's migrations and holding the rows of the SQLite file at `path`. */
async function templateFrom(clusterUrl: string, name: string, path: string): Promise<number> {
  const url = await createDatabase(clusterUrl, name);
  const db = connect(url);
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  return copyRows(path, url);
}

export interface PostgresTemplates {
  empty: string;
  full: string;
  /** Seconds spent copying the full template's rows, and how many rows. */
  seconds: number;
  rows: number;
}

/** The two SQLite templates as template databases on the server at `clusterUrl` (flat_empty and flat_full). */
export async function postgresTemplates(sqlite: { empty: string; full: string }, clusterUrl: string): Promise<PostgresTemplates> {
  await templateFrom(clusterUrl, 'flat_empty', sqlite.empty);
  const started = performance.now();
  const rows = await templateFrom(clusterUrl, 'flat_full', sqlite.full);
  return { empty: 'flat_empty', full: 'flat_full', seconds: (performance.now() - started) / 1000, rows };
}

/** A fresh copy of template database `template`, named `name`, on the server at `clusterUrl`. */
export async function copyOfDatabase(clusterUrl: string, template: string, name: string): Promise<PostgresCopy> {
  return {
    url: await createDatabase(clusterUrl, name, template),
    remove: () => withClient(clusterUrl, (client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}
