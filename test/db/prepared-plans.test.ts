import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { POSTGRES_STATEMENT_NAMES } from '../../src/db/prepared.js';
import { createDatabase, startPostgres } from '../../scripts/services/postgres.js';

/** The tables that grow with orders, users and chain traffic: a statement run on every order must never read one whole. */
const GROWING = [
  'orders',
  'order_events',
  'ledger_entries',
  'users',
  'tenant_users',
  'webhook_events',
  'webhook_attempts',
  'chain_transactions',
  'chain_deposits',
  'deposit_addresses',
  'flash_payments',
  'saved_addresses',
];

test('every statement kept prepared on PostgreSQL reads the growing tables by index, even with the plan made on an empty database', async () => {
  // Every module of src/ that writes statements with prepared(): importing it registers them.
  const srcDir = join(import.meta.dirname, '../../src');
  const modules = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && /\bprepared(<[^>]*>)?\(/.test(readFileSync(join(srcDir, f), 'utf8')),
  );
  for (const f of modules) await import(join(srcDir, f));
  assert.ok(POSTGRES_STATEMENT_NAMES.size >= 10, `found ${POSTGRES_STATEMENT_NAMES.size} statements in ${modules.join(', ')}`);

  const server = await startPostgres();
  const db = connect(await createDatabase(server.url));
  try {
    await migrate(db);
    const scans: string[] = [];
    await db.kysely.connection().execute(async (conn) => {
      // A connection keeps the plan it made for a named statement: force that plan, made on tables empty now.
      await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
      let n = 0;
      for (const text of POSTGRES_STATEMENT_NAMES.keys()) {
        n++;
        const params = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
        await sql.raw(`prepare plan_${n} as ${text}`).execute(conn);
        const { rows } = await sql.raw<{ 'QUERY PLAN': string }>(`explain execute plan_${n}(${Array(params).fill('null').join(', ')})`).execute(conn);
        await sql.raw(`deallocate plan_${n}`).execute(conn);
        for (const { 'QUERY PLAN': line } of rows) {
          const seq = /Seq Scan on (\w+)/.exec(line);
          if (seq && GROWING.includes(seq[1]!)) scans.push(`${seq[1]} read whole by: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
        }
      }
      await sql`reset plan_cache_mode`.execute(conn);
    });
    assert.deepEqual(scans, []);
  } finally {
    await db.close();
    await server.stop();
  }
});
