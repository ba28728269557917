import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { POSTGRES_STATEMENT_NAMES, SQLITE_STATEMENT_TEXTS } from '../../src/db/prepared.js';
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

/** Imports every module of src/ that writes statements with prepared(): importing it registers them. */
async function registerEveryPreparedStatement(): Promise<void> {
  const srcDir = join(import.meta.dirname, '../../src');
  const modules = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && /\bprepared(<[^>]*>)?\(/.test(readFileSync(join(srcDir, f), 'utf8')),
  );
  for (const f of modules) await import(join(srcDir, f));
  assert.ok(POSTGRES_STATEMENT_NAMES.size >= 10, `found ${POSTGRES_STATEMENT_NAMES.size} statements in ${modules.join(', ')}`);
}

test('every statement kept prepared on SQLite reads the growing tables by index; locked rentals to a receiver, a user\'s open orders and the pools\' rentals only through the orders under way', async () => {
  await registerEveryPreparedStatement();
  const dir = mkdtempSync(join(tmpdir(), 'joule-plans-'));
  const db = connect(`sqlite:${join(dir, 'joule.db')}`);
  try {
    await migrate(db);
    const scans: string[] = [];
    const plans = new Map<string, string[]>();
    // Statements with PostgreSQL's casts (`?::bigint[]`, unnest) are PostgreSQL's own batch forms, never run on SQLite.
    for (const text of [...SQLITE_STATEMENT_TEXTS].filter((t) => !t.includes('::'))) {
      const params = [...text.matchAll(/\?/g)].length;
      const { rows } = await db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${text}`, Array(params).fill(null)));
      plans.set(text, rows.map((r) => r.detail));
      for (const { detail } of rows) {
        // SQLite says SCAN for a read of a whole table or index, SEARCH for a seek.
        const scan = /^SCAN (\w+)/.exec(detail);
        if (scan && GROWING.includes(scan[1]!)) scans.push(`${scan[1]} read whole by: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
      }
    }
    assert.deepEqual(scans, []);
    // Through orders_receiver it would read every order the receiver was ever sent.
    const locked = [...plans].find(([text]) => text.includes('lock_blocks is not null') && text.includes('receive_address = ?'));
    assert.ok(locked, 'the locked rentals statement is prepared');
    // The pool choice's one statement reads them so, beside the reserved sums (by status) and the snapshots.
    assert.ok(locked[1].includes('SEARCH orders USING INDEX orders_locked_receiver (receive_address=?)'), locked[1].join('\n'));
    assert.deepEqual(locked[1].filter((line) => line.includes('orders_receiver')), [], locked[1].join('\n'));
    // Through orders_user, a deposit would sum every order the user ever placed, holding the one writer meanwhile.
    const credits = [...plans].filter(([text]) => text.includes('sum(price_sun)'));
    assert.equal(credits.length, 2, 'a deposit statement per currency');
    for (const [, plan] of credits) assert.ok(plan.includes('SEARCH orders USING INDEX orders_user_open (user_id=? AND pay_currency=?)'), plan.join('\n'));
    // The pools' reserved sums and owed transactions (RESERVED_BY_POOL, ROOM_ON_POOL): from the covering index of the rentals
    // under way alone. Grouped over orders, SQLite would choose orders_status and read each order's row.
    const underWay = [...plans].filter(([text]) => text.includes('left join orders o on o.pool_address = p.address'));
    assert.ok(underWay.length >= 3, `${underWay.length} statements read the rentals under way by pool`);
    for (const [text, plan] of underWay) {
      const reads = plan.filter((line) => / o\b| orders\b/.test(line) && !line.includes('orders_locked_receiver'));
      assert.deepEqual(reads, ['SEARCH o USING COVERING INDEX orders_under_way_by_pool (pool_address=? AND status=?) LEFT-JOIN'], `${text.slice(0, 120)}\n${plan.join('\n')}`);
    }
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every statement kept prepared on PostgreSQL reads the growing tables by index, even with the plan made on an empty database', async () => {
  await registerEveryPreparedStatement();

  const server = await startPostgres();
  const db = connect(await createDatabase(server.url));
  try {
    await migrate(db);
    const scans: string[] = [];
    const plans = new Map<string, string[]>();
    await db.kysely.connection().execute(async (conn) => {
      // A connection keeps the plan it made for a named statement: force that plan, made on tables empty now.
      await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
      let n = 0;
      for (const text of POSTGRES_STATEMENT_NAMES.keys()) {
        n++;
        const params = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
        await sql.raw(`prepare plan_${n} as ${text}`).execute(conn);
        const { rows } = await sql.raw<{ 'QUERY PLAN': string }>(`explain execute plan_${n}${params === 0 ? '' : `(${Array(params).fill('null').join(', ')})`}`).execute(conn);
        await sql.raw(`deallocate plan_${n}`).execute(conn);
        plans.set(text, rows.map((r) => r['QUERY PLAN']));
        for (const { 'QUERY PLAN': line } of rows) {
          const seq = /Seq Scan on (\w+)/.exec(line);
          if (seq && GROWING.includes(seq[1]!)) scans.push(`${seq[1]} read whole by: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
        }
      }
      await sql`reset plan_cache_mode`.execute(conn);
    });
    assert.deepEqual(scans, []);
    const locked = [...plans].find(([text]) => text.includes('lock_blocks is not null') && text.includes('receive_address = $1'));
    assert.ok(locked, 'the locked rentals statement is prepared');
    assert.ok(locked[1].some((line) => line.includes('orders_locked_receiver')), locked[1].join('\n'));
    const credits = [...plans].filter(([text]) => text.includes('sum(price_sun)'));
    assert.equal(credits.length, 2, 'a deposit statement per currency');
    for (const [, plan] of credits) assert.ok(plan.some((line) => line.includes('orders_user_open')), plan.join('\n'));
  } finally {
    await db.close();
    await server.stop();
  }
});
