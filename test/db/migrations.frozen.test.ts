// A shipped migration never changes: the schema each one leaves behind is
// checked in, per dialect and per step, under test/db/schema/<dialect>/:
//
//   sqlite/<migration>.sql     sqlite_master, one entry per object
//   postgres/<migration>.txt   columns, constraints and indexes per table
//
// The database is built one migration at a time and each step's schema is
// compared with its file, so editing a shipped migration (or anything it
// reads) fails here with a line diff of what changed.
//
// After adding migration NNN, write its dumps and review them:
//
//   UPDATE_SCHEMA_DUMPS=1 node scripts/test.mjs test/db/migrations.frozen
//   git diff test/db/schema     # only the new NNN files may appear
//
// A changed file of a shipped migration means that migration was edited:
// revert the edit and add the change as a new migration instead.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { connect, type Db, type Dialect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { CHAIN_TX_KINDS, CHAIN_TX_STATUSES, LEDGER_KINDS } from '../../src/db/schema.js';
import { ORDER_STATUSES } from '../../src/domain/order-status.js';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from '../../src/domain/webhook-events.js';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { SHIPPED_001, SHIPPED_002 } from './fixtures/shipped-001-002.js';

const here = dirname(fileURLToPath(import.meta.url));
const UPDATE = process.env.UPDATE_SCHEMA_DUMPS === '1';

const dumpFile = (dialect: Dialect, migration: string) =>
  join(here, 'schema', dialect, `${migration}.${dialect === 'sqlite' ? 'sql' : 'txt'}`);

/** The expected schema after `migration`; with UPDATE_SCHEMA_DUMPS=1, records `actual` as expected. */
function expectedDump(dialect: Dialect, migration: string, actual: string): string {
  const file = dumpFile(dialect, migration);
  if (UPDATE) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  if (!existsSync(file)) {
    assert.fail(`no recorded schema for ${migration} (${dialect}): run with UPDATE_SCHEMA_DUMPS=1, review and commit ${file}`);
  }
  return readFileSync(file, 'utf8');
}

/** Splits a parenthesised list at its top-level commas, leaving quoted text and nested parentheses whole. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(list.slice(start).trim());
  return parts;
}

/** A CREATE TABLE with one column or constraint a line, so that a diff points at the one that changed. */
function layOutTable(createTable: string): string {
  const open = createTable.indexOf('(');
  const close = createTable.lastIndexOf(')');
  if (open < 0 || close < open) return createTable;
  const items = splitTopLevel(createTable.slice(open + 1, close));
  return `${createTable.slice(0, open).trimEnd()} (\n${items.map((item) => `  ${item}`).join(',\n')}\n)${createTable.slice(close + 1)}`;
}

async function dumpSqlite(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
    select type, name, tbl_name, sql from sqlite_master
    order by tbl_name, type <> 'table', name`.execute(db);
  const out: string[] = [];
  for (const row of rows) {
    if (row.sql !== null) {
      out.push(`-- ${row.type} ${row.name}${row.type === 'table' ? '' : ` on ${row.tbl_name}`}`);
      out.push(`${row.type === 'table' ? layOutTable(row.sql) : row.sql};`, '');
      continue;
    }
    // An index SQLite made for a PRIMARY KEY or UNIQUE in the table's definition: it has no SQL of its own.
    const { rows: list } = await sql<{ name: string; origin: string }>`select name, origin from pragma_index_list(${row.tbl_name})`.execute(db);
    const origin = list.find((i) => i.name === row.name)?.origin;
    const { rows: columns } = await sql<{ name: string }>`select name from pragma_index_info(${row.name}) order by seqno`.execute(db);
    const made = origin === 'pk' ? 'primary key' : origin === 'u' ? 'unique' : String(origin);
    out.push(`-- ${row.type} ${row.name} on ${row.tbl_name} (${columns.map((c) => c.name).join(', ')}): ${made}, from the table definition`, '');
  }
  return out.join('\n');
}

async function dumpPostgres(db: Kysely<any>): Promise<string> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'
    order by table_name`.execute(db);
  const { rows: columns } = await sql<{
    table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null;
  }>`
    select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
    where table_schema = current_schema()
    order by table_name, ordinal_position`.execute(db);
  const { rows: constraints } = await sql<{ table_name: string; name: string; definition: string }>`
    select t.relname as table_name, c.conname as name, pg_get_constraintdef(c.oid) as definition
    from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = current_schema()
    order by t.relname, c.conname`.execute(db);
  const { rows: indexes } = await sql<{ table_name: string; name: string; definition: string }>`
    select tablename as table_name, indexname as name, indexdef as definition from pg_indexes
    where schemaname = current_schema()
    order by tablename, indexname`.execute(db);
  const { rows: sequences } = await sql<{ name: string; data_type: string }>`
    select sequence_name as name, data_type from information_schema.sequences
    where sequence_schema = current_schema()
    order by sequence_name`.execute(db);

  const out: string[] = [];
  for (const { table_name: table } of tables) {
    out.push(`table ${table}`);
    for (const c of columns.filter((c) => c.table_name === table)) {
      const nullable = c.is_nullable === 'YES' ? '' : ' not null';
      const fallback = c.column_default === null ? '' : ` default ${c.column_default}`;
      out.push(`  column ${c.column_name} ${c.data_type}${nullable}${fallback}`);
    }
    for (const c of constraints.filter((c) => c.table_name === table)) out.push(`  constraint ${c.name} ${c.definition}`);
    for (const i of indexes.filter((i) => i.table_name === table)) out.push(`  index ${i.name} ${i.definition}`);
    out.push('');
  }
  for (const s of sequences) out.push(`sequence ${s.name} ${s.data_type}`);
  return `${out.join('\n')}\n`;
}

function dumpSchema(db: Db): Promise<string> {
  const k = db.kysely as unknown as Kysely<any>;
  return db.dialect === 'sqlite' ? dumpSqlite(k) : dumpPostgres(k);
}

/** The quoted values a CHECK constraint lists, e.g. the statuses in `status in ('pending', ...)`, sorted. */
async function checkedValues(db: Db, table: string, constraint: string): Promise<string[]> {
  const k = db.kysely as unknown as Kysely<any>;
  let definition: string | undefined;
  if (db.dialect === 'sqlite') {
    const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = ${table}`.execute(k);
    const create = rows[0]?.sql ?? '';
    const items = splitTopLevel(create.slice(create.indexOf('(') + 1, create.lastIndexOf(')')));
    definition = items.find((item) => item.startsWith(`constraint "${constraint}" `));
  } else {
    const { rows } = await sql<{ definition: string }>`
      select pg_get_constraintdef(oid) as definition from pg_constraint
      where conname = ${constraint} and conrelid = to_regclass(${table})`.execute(k);
    definition = rows[0]?.definition;
  }
  assert.ok(definition !== undefined, `no constraint ${constraint} on ${table}`);
  return [...definition.matchAll(/'([^']*)'/g)].map((m) => m[1]!).sort();
}

test('a migration imports nothing but kysely and the Dialect type, so later code cannot change what it creates', () => {
  const dir = join(here, '..', '..', 'src', 'db', 'migrations');
  const files = readdirSync(dir).filter((f) => /^\d{3}-.+\.ts$/.test(f));
  assert.ok(files.length >= MIGRATIONS.length, `migrations found in ${dir}: ${files.join(', ')}`);
  const outside: string[] = [];
  for (const file of files) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*'([^']+)'|^import\s*'([^']+)'|\bimport\(\s*'([^']+)'/gm)) {
      const from = m[1] ?? m[2] ?? m[3];
      const allowed = from === 'kysely' || (from === '../connect.js' && /^import type \{ Dialect \}/.test(m[0]));
      if (!allowed) outside.push(`${file}: ${m[0].replace(/\s+/g, ' ')}`);
    }
  }
  assert.deepEqual(outside, []);
});

const migration = (name: string) => MIGRATIONS.find((m) => m.name === name) ?? assert.fail(`no migration ${name}`);

const order = (id: string, idempotencyKey: string | null, status: 'pending' | 'active' = 'pending') => ({
  id, user_id: 1n, status, energy_amount: 65_000n, duration: '1h', duration_seconds: 3600n, receive_address: 'TReceiver',
  price_sun: 1_000_000n, rate_sun_per_energy_day: 40n, idempotency_key: idempotencyKey, request_hash: `hash-${id}`,
  created_at: 1_000n, updated_at: 1_000n, expires_at: status === 'active' ? 4_600_000n : null,
});

/** Orders with and without keys, their events and journal, deposits and debits: rows a rebuild must carry over. */
async function seedRows(db: Db): Promise<void> {
  const k = db.kysely;
  await k.insertInto('users').values({ id: 1n, balance_sun: 8_000_000n, created_at: 1_000n, updated_at: 1_000n }).execute();
  await k.insertInto('orders').values([order('o1', 'key-1', 'active'), order('o2', null), order('o3', null), order('o4', 'key-4')]).execute();
  const event = { from_status: null, to_status: 'pending' as const, reason: 'created', actor: 'api', detail: null, at: 1_000n };
  await k.insertInto('order_events').values(['o1', 'o2', 'o3', 'o4'].map((id) => ({ ...event, order_id: id }))).execute();
  await k
    .insertInto('chain_transactions')
    .values({
      txid: 'tx-1', order_id: 'o1', kind: 'delegate', pool_address: 'TPool', receiver: 'TReceiver', amount_sun: 5_000_000n,
      lock_blocks: null, signed_json: '{}', expiration: 2_000n, status: 'confirmed', result_code: null, result_message: null,
      block_number: 7n, created_at: 1_000n, updated_at: 1_500n, confirmed_at: 1_500n,
    })
    .execute();
  await k
    .insertInto('ledger_entries')
    .values([
      { user_id: 1n, kind: 'deposit', amount_sun: 12_000_000n, balance_after_sun: 12_000_000n, order_id: null, reference: 'dep-1', created_at: 1n },
      { user_id: 1n, kind: 'order_debit', amount_sun: -1_000_000n, balance_after_sun: 11_000_000n, order_id: 'o1', reference: null, created_at: 2n },
      { user_id: 1n, kind: 'order_debit', amount_sun: -1_000_000n, balance_after_sun: 10_000_000n, order_id: 'o2', reference: null, created_at: 3n },
    ])
    .execute();
}

async function allRows(db: Db): Promise<Record<string, unknown[]>> {
  const k = db.kysely;
  return {
    users: await k.selectFrom('users').selectAll().orderBy('id').execute(),
    orders: await k.selectFrom('orders').selectAll().orderBy('id').execute(),
    order_events: await k.selectFrom('order_events').selectAll().orderBy('id').execute(),
    chain_transactions: await k.selectFrom('chain_transactions').selectAll().orderBy('txid').execute(),
    ledger_entries: await k.selectFrom('ledger_entries').selectAll().orderBy('id').execute(),
  };
}

/** Uniqueness, references and checks a database must still enforce after migrating. */
async function assertConstraintsHold(db: Db): Promise<void> {
  const k = db.kysely;
  const unique = /UNIQUE constraint failed|duplicate key value violates unique constraint/;
  await assert.rejects(k.insertInto('orders').values(order('o5', 'key-1')).execute(), unique, 'an idempotency key is used once');
  await k.insertInto('orders').values(order('o6', null)).execute(); // any number of orders without a key
  const deposit = { user_id: 1n, kind: 'deposit' as const, amount_sun: 1n, balance_after_sun: 1n, order_id: null, created_at: 2_000n };
  await assert.rejects(k.insertInto('ledger_entries').values({ ...deposit, reference: 'dep-1' }).execute(), unique, 'a deposit reference is credited once');
  const event = { from_status: null, to_status: 'pending' as const, reason: 'created', actor: 'api', detail: null, at: 2_000n };
  await assert.rejects(
    k.insertInto('order_events').values({ ...event, order_id: 'no-such-order' }).execute(),
    /FOREIGN KEY constraint failed|violates foreign key constraint/,
  );
  await assert.rejects(
    k.insertInto('orders').values({ ...order('o7', null), status: 'lost' as never }).execute(),
    /CHECK constraint failed|violates check constraint/,
  );
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`frozen migrations [${dialect}]`, () => {
    // SQLite: a file per database (WAL, as in production); PostgreSQL: a database per test on one server.
    let dir: string | undefined;
    let pg: PostgresServer | undefined;
    let databases = 0;
    before(async () => {
      if (dialect === 'sqlite') dir = mkdtempSync(join(tmpdir(), 'joule-frozen-'));
      else pg = await startPostgres();
    });
    after(async () => {
      await pg?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });
    const emptyDatabase = async (): Promise<Db> =>
      connect(dialect === 'sqlite' ? `sqlite:${join(dir!, `${++databases}.db`)}` : await createDatabase(pg!.url));

    test('when migrations are applied one at a time, then each leaves exactly the schema recorded for it', async (t) => {
      const db = await emptyDatabase();
      try {
        for (let i = 0; i < MIGRATIONS.length; i++) {
          const { name } = MIGRATIONS[i]!;
          assert.deepEqual(await migrate(db, MIGRATIONS.slice(0, i + 1)), [name]);
          const actual = await dumpSchema(db);
          await t.test(`schema after ${name} is ${dumpFile(dialect, name).slice(here.length + 1)}`, () => {
            assert.equal(actual, expectedDump(dialect, name, actual));
          });
        }
      } finally {
        await db.close();
      }
    });

    test('when a new database is migrated in one go, then its schema is the one built a migration at a time', async () => {
      const stepwise = await emptyDatabase();
      const inOneGo = await emptyDatabase();
      try {
        for (let i = 0; i < MIGRATIONS.length; i++) await migrate(stepwise, MIGRATIONS.slice(0, i + 1));
        assert.deepEqual(await migrate(inOneGo), MIGRATIONS.map((m) => m.name));
        assert.equal(await dumpSchema(inOneGo), await dumpSchema(stepwise));
      } finally {
        await stepwise.close();
        await inOneGo.close();
      }
    });

    test('when the code declares its statuses and kinds, then a migrated database accepts exactly those', async () => {
      // Migrations keep their own copies of these lists; a list changed without a migration fails here.
      const db = await emptyDatabase();
      try {
        await migrate(db);
        const declared = (values: readonly string[]) => [...values].sort();
        assert.deepEqual(await checkedValues(db, 'orders', 'orders_status_known'), declared(ORDER_STATUSES));
        assert.deepEqual(await checkedValues(db, 'order_events', 'events_to_known'), declared(ORDER_STATUSES));
        assert.deepEqual(await checkedValues(db, 'ledger_entries', 'ledger_kind_known'), declared(LEDGER_KINDS));
        assert.deepEqual(await checkedValues(db, 'chain_transactions', 'chain_tx_kind_known'), declared(CHAIN_TX_KINDS));
        assert.deepEqual(await checkedValues(db, 'chain_transactions', 'chain_tx_status_known'), declared(CHAIN_TX_STATUSES));
        assert.deepEqual(await checkedValues(db, 'webhook_events', 'webhook_events_type_known'), declared(WEBHOOK_EVENT_TYPES));
        assert.deepEqual(await checkedValues(db, 'webhook_events', 'webhook_events_status_known'), declared(WEBHOOK_DELIVERY_STATUSES));
      } finally {
        await db.close();
      }
    });

    test('when a database is new, then 004 changes nothing, and running it again changes nothing either', async () => {
      const db = await emptyDatabase();
      try {
        await migrate(db, MIGRATIONS.slice(0, 3));
        const before = await dumpSchema(db);
        assert.deepEqual(await migrate(db, MIGRATIONS.slice(0, 4)), ['004-partial-indexes']);
        assert.equal(await dumpSchema(db), before);
        await migration('004-partial-indexes').up(db.kysely as unknown as Kysely<any>, dialect);
        assert.equal(await dumpSchema(db), before);
      } finally {
        await db.close();
      }
    });

    test('when a database with rows is migrated through 009, then every row is kept, the new columns are empty, and references, checks and event ids hold', async () => {
      const db = await emptyDatabase();
      try {
        await migrate(db, MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.name === '009-order-cancel')));
        await seedRows(db);
        const seeded = await allRows(db);
        assert.deepEqual(await migrate(db, MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.name === '009-order-cancel') + 1)), ['009-order-cancel']);
        const migrated = await allRows(db);
        assert.deepEqual(migrated, {
          ...seeded,
          orders: seeded.orders!.map((o) => ({ ...(o as object), cancel_requested_at: null, cancelled_at: null })),
        });
        await assertConstraintsHold(db);
        // A cancelled order and its event are accepted now; an event id is never handed out twice.
        await db.kysely.updateTable('orders').set({ status: 'cancelled', cancelled_at: 2_000n }).where('id', '=', 'o2').execute();
        const event = { order_id: 'o2', from_status: 'pending' as const, to_status: 'cancelled' as const, reason: 'cancelled', actor: 'api', detail: null, at: 2_000n };
        const inserted = await db.kysely.insertInto('order_events').values(event).returning('id').executeTakeFirstOrThrow();
        const ids = (seeded.order_events as Array<{ id: bigint }>).map((e) => e.id);
        assert.ok(inserted.id > ids.reduce((a, b) => (a > b ? a : b)), `new event id ${inserted.id} after ${ids.join(', ')}`);
      } finally {
        await db.close();
      }
    });

    test("when a database with tenants' orders is migrated through 015, then each order names its user's tenant", async () => {
      const db = await emptyDatabase();
      const upTo = (name: string) => MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.name === name) + 1);
      try {
        await migrate(db, upTo('014-finished-order-times'));
        await seedRows(db); // user 1: the default tenant's
        const k = db.kysely;
        for (const [tenant, userRow] of [['acme', -1n], ['zeta', -2n]] as const) {
          await k.insertInto('tenants').values({ id: tenant, name: tenant, created_at: 1n, updated_at: 1n }).execute();
          await k.insertInto('users').values({ id: userRow, balance_sun: 0n, created_at: 1n, updated_at: 1n }).execute();
          await k.insertInto('tenant_users').values({ tenant_id: tenant, external_id: 1n, user_id: userRow, created_at: 1n }).execute();
          await k.insertInto('orders').values({ ...order(`${tenant}-order`, null), user_id: userRow }).execute();
        }
        assert.deepEqual(await migrate(db, upTo('015-order-tenant')), ['015-order-tenant']);
        const rows = await k.selectFrom('orders').select(['id', 'tenant_id']).orderBy('id').execute();
        assert.deepEqual(
          rows.map((r) => [r.id, r.tenant_id]),
          [['acme-order', 'acme'], ['o1', 'default'], ['o2', 'default'], ['o3', 'default'], ['o4', 'default'], ['zeta-order', 'zeta']],
        );
      } finally {
        await db.close();
      }
    });

    // Databases created before 001 and 002 were edited in place; see fixtures/shipped-001-002.ts.
    const histories = [
      ['the first 001 and 002', [SHIPPED_001, SHIPPED_002]],
      ["the first 001, then today's 002", [SHIPPED_001, migration('002-execution')]],
    ] as const;
    for (const [history, shipped] of histories) {
      test(`when a database was created by ${history}, then once migrated its schema is a new database's, with its rows and constraints intact`, async () => {
        const old = await emptyDatabase();
        const fresh = await emptyDatabase();
        const through004 = MIGRATIONS.slice(0, 4);
        try {
          await migrate(old, shipped);
          const legacy = await dumpSchema(old);
          assert.match(
            legacy,
            dialect === 'sqlite'
              ? /^-- index sqlite_autoindex_orders_2 on orders \(idempotency_key\): unique, from the table definition$/m
              : /^ {2}constraint orders_idempotency_key_key UNIQUE \(idempotency_key\)$/m,
          );
          assert.match(
            legacy,
            dialect === 'sqlite' ? /"ledger_deposit_reference" on "ledger_entries" \("reference"\);/ : /ledger_entries USING btree \(reference\)\n/,
          );
          await seedRows(old);
          const rows = await allRows(old);

          assert.deepEqual(await migrate(old, through004), ['003-pool-snapshots', '004-partial-indexes']);
          await migrate(fresh, through004);
          const schema = await dumpSchema(fresh);
          assert.equal(await dumpSchema(old), schema);
          assert.deepEqual(await allRows(old), rows);
          await assertConstraintsHold(old);

          // Running 004 a second time changes nothing.
          await migration('004-partial-indexes').up(old.kysely as unknown as Kysely<any>, dialect);
          assert.equal(await dumpSchema(old), schema);

          // Later migrations find both databases alike.
          await migrate(old);
          await migrate(fresh);
          assert.equal(await dumpSchema(old), await dumpSchema(fresh));
        } finally {
          await old.close();
          await fresh.close();
        }
      });
    }
  });
}
