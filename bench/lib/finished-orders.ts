// Databases for "flat as work grows" (bench/flat.bench.ts). Both hold the
// same users (29,000, three tenants' among them), tenants, pool figures and
// the last two hours' finished orders (3,000: every page and the delay chart
// have rows); `full` holds N older finished orders besides (31 days' worth),
// with what they leave behind, as Joule's own writes would have left it:
//
//   every order   its events (created, then each status change), its debit
//   completed     delegate and reclaim transactions (confirmed); 1 in 20 of
//                 them cancelled early (cancel_requested, refund)
//   failed        no_pool_capacity from pending, or delegation_refused after
//                 a pool was chosen (a failed delegate transaction); refunded
//   cancelled     while pending; refunded
//   tenants' orders of the last 7 days   their webhook events, delivered
//
// User 1 holds 1 in 20 orders, user 2 a few recent ones only. Written with
// raw better-sqlite3 in one transaction, indexes dropped during the load and
// made again after (sorting once is much faster than a B-tree insert per
// row). Built once per schema into template files, copied per measurement.
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';

export const DEFAULT_USERS = 20_000;
export const TENANTS = ['acme', 'globex', 'initech'] as const;
const TENANT_USERS = 3_000;
/** The user with many orders (1 in 20 of every batch); user 2 has a few recent ones only, most have about 30. */
export const HEAVY_USER = 1;
export const FEW_USER = 2;
export const RECEIVERS = ['TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 'TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7', 'TXLAQ63Xg1NAzckPwKHvzw7CSEmLMEqcdj', 'TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8'];
const POOLS = ['TPoo1AAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'TPoo1BBBBBBBBBBBBBBBBBBBBBBBBBBBBB', 'TPoo1CCCCCCCCCCCCCCCCCCCCCCCCCCCCC'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A migrated database with the users, tenants and pool figures both databases share. */
async function base(path: string, now: number): Promise<void> {
  const db = connect(`sqlite:${path}`);
  await migrate(db);
  await db.close();
  const raw = new Database(path);
  raw.transaction(() => {
    raw.exec(`with recursive ids(id) as (select 1 union all select id + 1 from ids where id < ${DEFAULT_USERS})
      insert into users (id, balance_sun, created_at, updated_at) select id, 1000000000000, ${now - 40 * DAY}, ${now - 40 * DAY} from ids`);
    for (const [t, tenant] of TENANTS.entries()) {
      raw.prepare(`insert into tenants (id, name, created_at, updated_at, webhook_url, signing_secret) values (?, ?, ?, ?, ?, ?)`).run(tenant, tenant.toUpperCase(), now - 40 * DAY, now - 40 * DAY, `https://hooks.${tenant}.example/joule`, 'seed-secret');
      // A tenant's user is a users row below zero, mapped from the tenant's own id (migration 011).
      raw.exec(`with recursive k(k) as (select 1 union all select k + 1 from k where k < ${TENANT_USERS})
        insert into users (id, balance_sun, created_at, updated_at) select ${-(t + 1) * 1_000_000} - k, 1000000000000, ${now - 40 * DAY}, ${now - 40 * DAY} from k`);
      raw.exec(`with recursive k(k) as (select 1 union all select k + 1 from k where k < ${TENANT_USERS})
        insert into tenant_users (tenant_id, external_id, user_id, created_at) select '${tenant}', k, ${-(t + 1) * 1_000_000} - k, ${now - 40 * DAY} from k`);
    }
    raw.exec(`insert into ledger_entries (user_id, kind, amount_sun, balance_after_sun, reference, created_at)
      select id, 'deposit', balance_sun, balance_sun, 'seed-' || id, created_at from users`);
    const pool = raw.prepare(`insert into pool_snapshots (address, staked_sun, delegated_sun, delegatable_sun, energy_limit, total_energy_weight, total_energy_limit, observed_at, updated_at)
      values (?, 100000000000000, 20000000000000, 80000000000000, 1500000000, 19000000000, 180000000000, ?, ?)`);
    for (const address of POOLS) pool.run(address, now, now);
  })();
  raw.close();
}

/** The indexes (not the primary keys) of the big tables, dropped for the load; their SQL makes them again. */
function dropIndexes(raw: Database.Database): string[] {
  const rows = raw
    .prepare(`select name, sql from sqlite_master where type = 'index' and sql is not null
      and tbl_name in ('orders', 'order_events', 'ledger_entries', 'chain_transactions', 'webhook_events')`)
    .all() as Array<{ name: string; sql: string }>;
  for (const r of rows) raw.exec(`drop index "${r.name}"`);
  return rows.map((r) => r.sql);
}

/**
 * Status changes by kind of order: [kind, step, from, to, reason, ms after creation].
 * Kinds: f0 failed while pending, f1 failed after a pool was chosen, c cancelled
 * while pending, e cancelled early while active, ok completed at expiry.
 */
const STEPS: Array<[string, number, string | null, string, string, number]> = [
  ...['f0', 'f1', 'c', 'e', 'ok'].map((k): [string, number, string | null, string, string, number] => [k, 0, null, 'pending', 'created', 0]),
  ['f0', 1, 'pending', 'failed', 'no_pool_capacity', 2_000],
  ['f1', 1, 'pending', 'delegating', 'pool_selected', 1_000],
  ['f1', 2, 'delegating', 'failed', 'delegation_refused', 2_000],
  ['c', 1, 'pending', 'cancelled', 'cancelled', 1_000],
  ['e', 1, 'pending', 'delegating', 'pool_selected', 1_000],
  ['e', 2, 'delegating', 'active', 'delegation_confirmed', 4_000],
  ['e', 3, 'active', 'reclaiming', 'cancel_requested', 600_000],
  ['e', 4, 'reclaiming', 'completed', 'cancelled', 603_000],
  ['ok', 1, 'pending', 'delegating', 'pool_selected', 1_000],
  ['ok', 2, 'delegating', 'active', 'delegation_confirmed', 4_000],
  ['ok', 3, 'active', 'reclaiming', 'rental_expired', HOUR + 4_000],
  ['ok', 4, 'reclaiming', 'completed', 'reclaim_confirmed', HOUR + 7_000],
];

/** Orders numbered first..first + count - 1, created evenly over [from, to), with their rows (see the top of this file). */
interface Batch {
  first: number;
  count: number;
  from: number;
  to: number;
}

function seedOrders(path: string, batches: Batch[], now: number): void {
  const raw = new Database(path);
  raw.pragma('journal_mode = OFF');
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -400000');
  raw.pragma('temp_store = MEMORY');
  // User 1 has 1 in 20 orders; user 2 a few recent ones only; the rest go to users 3.. and the tenants' users.
  const users = DEFAULT_USERS - 2 + TENANTS.length * TENANT_USERS;
  raw.transaction(() => {
    const indexes = dropIndexes(raw);
    // t: creation time, increasing with n, so ids (UUIDv7: time first) are in insertion order.
    raw.exec(`create temp table seed (n integer primary key, id text not null, user_id integer not null, kind text not null, t integer not null, price integer not null, receiver text not null, pool text)`);
    for (const b of batches) {
      raw.exec(`with recursive s(n) as (select ${b.first} union all select n + 1 from s where n < ${b.first + b.count - 1}),
      u as (select n, ${b.from} + ((n - ${b.first}) * ${b.to - b.from}) / ${b.count} as t, (n * 2654435761) % ${users} as ui from s)
      insert into seed
      select n,
        printf('%08x-%04x-7%03x-%04x-%012x', t >> 16, t & 65535, n % 4096, 32768 | (n % 16384), n),
        case when n % 20 = 0 then ${HEAVY_USER}
             when n % 500 = 250 and t >= ${now - 2 * HOUR} then ${FEW_USER}
             when ui < ${DEFAULT_USERS - 2} then ui + 3
             else -(((ui - ${DEFAULT_USERS - 2}) / ${TENANT_USERS}) + 1) * 1000000 - ((ui - ${DEFAULT_USERS - 2}) % ${TENANT_USERS}) - 1 end,
        case n % 20 when 1 then 'f0' when 7 then 'f1' when 13 then 'c' when 19 then 'e' else 'ok' end,
        t,
        case when n % 4 = 0 then 4160000 else 2080000 end,
        case n % 4 when 0 then '${RECEIVERS[0]}' when 1 then '${RECEIVERS[1]}' when 2 then '${RECEIVERS[2]}' else '${RECEIVERS[3]}' end,
        case when n % 20 not in (1, 13) then case n % 3 when 0 then '${POOLS[0]}' when 1 then '${POOLS[1]}' else '${POOLS[2]}' end end
      from u`);
    }
    raw.exec(`insert into orders (id, user_id, tenant_id, status, energy_amount, duration, duration_seconds, receive_address, pay_currency, price_sun,
        rate_sun_per_energy_day, idempotency_key, request_hash, pool_address, delegated_sun, delivered_energy, delegate_txid, reclaim_txid,
        lease_owner, lease_until, lease_version, attempts, next_attempt_at, error_code, error_message, refunded_sun, created_at, updated_at,
        delegated_at, expires_at, reclaimed_at, completed_at, failed_at, delegate_tx_status, reclaim_tx_status, lock_blocks, wait_reason,
        reclaim_attempts, payment_txid, cancel_requested_at, cancelled_at)
      select id, user_id, case when user_id >= 0 then 'default' else (select tenant_id from tenant_users tu where tu.user_id = seed.user_id) end,
        case kind when 'f0' then 'failed' when 'f1' then 'failed' when 'c' then 'cancelled' else 'completed' end,
        price / 65, '1h', 3600,
        receiver,
        'TRX', price, 1560,
        case when n % 3 = 0 then 'seed-key-' || n end,
        printf('%064x', n),
        pool,
        case when kind in ('f1', 'e', 'ok') then price * 200 end,
        case when kind in ('e', 'ok') then price / 65 end,
        case when kind in ('f1', 'e', 'ok') then printf('%064x', n * 4 + 1) end,
        case when kind in ('e', 'ok') then printf('%064x', n * 4 + 2) end,
        null, null, case when kind in ('e', 'ok') then 4 else 2 end, 0, null,
        case kind when 'f0' then 'no_pool_capacity' when 'f1' then 'delegation_refused' end,
        case kind when 'f0' then 'no pool can take 32000 energy' when 'f1' then 'the node refused the delegation: CONTRACT_VALIDATE_ERROR' end,
        case kind when 'f0' then price when 'f1' then price when 'c' then price when 'e' then price * 5 / 6 end,
        t,
        t + case kind when 'f0' then 2000 when 'f1' then 2000 when 'c' then 1000 when 'e' then 603000 else ${HOUR + 7_000} end,
        case when kind in ('e', 'ok') then t + 4000 end,
        case when kind in ('e', 'ok') then t + ${HOUR + 4_000} end,
        case kind when 'e' then t + 603000 when 'ok' then t + ${HOUR + 7_000} end,
        case kind when 'e' then t + 603000 when 'ok' then t + ${HOUR + 7_000} end,
        case when kind in ('f0', 'f1') then t + 2000 end,
        case kind when 'f1' then 'failed' when 'e' then 'confirmed' when 'ok' then 'confirmed' end,
        case when kind in ('e', 'ok') then 'confirmed' end,
        null, null, 0, null,
        case kind when 'e' then t + 600000 end,
        case kind when 'c' then t + 1000 when 'e' then t + 603000 end
      from seed order by n`);
    raw.exec(`create temp table steps (kind text, step integer, from_status text, to_status text, reason text, dt integer)`);
    const step = raw.prepare(`insert into temp.steps values (?, ?, ?, ?, ?, ?)`);
    for (const s of STEPS) step.run(...s);
    raw.exec(`insert into order_events (order_id, from_status, to_status, reason, actor, detail, at)
      select s.id, st.from_status, st.to_status, st.reason, case st.step when 0 then 'api' else 'worker-1' end,
        case st.reason when 'delegation_confirmed' then '{"txid":"' || printf('%064x', s.n * 4 + 1) || '","block":"' || s.n || '","delivered_energy":"' || (s.price / 65) || '"}'
                       when 'no_pool_capacity' then '{"message":"no pool can take 32000 energy"}' end,
        s.t + st.dt
      from seed s join temp.steps st on st.kind = s.kind order by s.n, st.step`);
    raw.exec(`insert into ledger_entries (user_id, kind, currency, amount_sun, balance_after_sun, order_id, reference, created_at)
      select user_id, 'order_debit', 'TRX', -price, 1000000000000 - price, id, null, t from seed order by n`);
    raw.exec(`insert into ledger_entries (user_id, kind, currency, amount_sun, balance_after_sun, order_id, reference, created_at)
      select user_id, 'refund', 'TRX', case kind when 'e' then price * 5 / 6 else price end, 1000000000000, id, null,
        t + case kind when 'e' then 603000 else 2000 end
      from seed where kind in ('f0', 'f1', 'c', 'e') order by n`);
    // A signed transaction as the journal keeps it: raw_data, its hex and a signature (about 600 bytes).
    const signed = (kind: string) =>
      `'{"visible":false,"txID":"' || printf('%064x', s.n * 4 + ${kind === 'delegate' ? 1 : 2}) || '","raw_data":{"contract":[{"parameter":{"value":{"resource":"ENERGY","balance":' || (s.price * 200) || ',"receiver_address":"41' || printf('%040x', s.n) || '","owner_address":"41' || printf('%040x', s.n % 3) || '"},"type_url":"type.googleapis.com/protocol.${kind === 'delegate' ? 'Delegate' : 'UnDelegate'}ResourceContract"},"type":"${kind === 'delegate' ? 'Delegate' : 'UnDelegate'}ResourceContract"}],"ref_block_bytes":"' || printf('%04x', s.n % 65536) || '","ref_block_hash":"' || printf('%016x', s.n) || '","expiration":' || (s.t + 60000) || ',"timestamp":' || s.t || '},"signature":["' || printf('%0130x', s.n) || '"]}'`;
    for (const kind of ['delegate', 'reclaim'] as const) {
      const at = kind === 'delegate' ? '1000' : `case s.kind when 'e' then 600000 else ${HOUR + 4_000} end`;
      raw.exec(`insert into chain_transactions (txid, order_id, payment_txid, kind, pool_address, receiver, amount_sun, lock_blocks, signed_json,
          expiration, status, result_code, result_message, block_number, broadcasts, created_at, updated_at, confirmed_at)
        select printf('%064x', s.n * 4 + ${kind === 'delegate' ? 1 : 2}), s.id, null, '${kind}', s.pool, s.receiver, s.price * 200, null,
          ${signed(kind)},
          s.t + ${at} + 60000,
          case s.kind when 'f1' then 'failed' else 'confirmed' end,
          case s.kind when 'f1' then 'CONTRACT_VALIDATE_ERROR' end,
          case s.kind when 'f1' then 'delegate balance must be less than available FreezeV2 balance' end,
          case s.kind when 'f1' then null else s.n end,
          1, s.t + ${at}, s.t + ${at} + 3000, case s.kind when 'f1' then null else s.t + ${at} + 3000 end
        from seed s
        where s.kind in (${kind === 'delegate' ? `'f1', 'e', 'ok'` : `'e', 'ok'`}) order by s.n`);
    }
    // Tenants hear of their orders by webhook; events are kept 30 days, the last 7 are seeded, delivered.
    for (const [type, when] of [
      ['order.created', `s.kind in ('f0', 'f1', 'c', 'e', 'ok')`],
      ['order.active', `s.kind in ('e', 'ok')`],
      ['order.completed', `s.kind = 'ok'`],
      ['order.cancelled', `s.kind in ('c', 'e')`],
      ['order.failed', `s.kind in ('f0', 'f1')`],
    ] as const) {
      raw.exec(`insert into webhook_events (id, tenant_id, type, payload, created_at, status, attempts, next_attempt_at, deadline_at, lease_owner,
          lease_until, lease_version, last_attempt_at, last_status_code, last_error, last_duration_ms, delivered_at, updated_at)
        select printf('%08x-%04x-7%03x-%04x-%012x', s.t >> 16, s.t & 65535, 0, 40960 | ${WEBHOOK_TYPE_BITS[type]}, s.n), tu.tenant_id, '${type}',
          '{"id":"' || s.id || '","type":"${type}","data":{"order_id":"' || s.id || '","user_id":' || tu.external_id || '}}',
          s.t, 'delivered', 1, null, s.t + ${DAY}, null, null, 1, s.t + 50, 200, null, 25, s.t + 75, s.t + 75
        from seed s join tenant_users tu on tu.user_id = s.user_id
        where s.t > ${now - 7 * DAY} and ${when} order by s.n`);
    }
    for (const create of indexes) raw.exec(create);
  })();
  raw.close();
}

const WEBHOOK_TYPE_BITS: Record<string, number> = { 'order.created': 1, 'order.active': 2, 'order.completed': 3, 'order.cancelled': 4, 'order.failed': 5 };

export interface Templates {
  empty: string;
  full: string;
  /** Seconds spent seeding the full one now; undefined when an earlier run's templates were reused. */
  seedSeconds: number | undefined;
}

// Raised whenever what is seeded changes, so that templates an earlier seeding left are not reused.
// 2: user 2's orders are the last two hours' only, in both databases (the full one gave it 3 more).
const SEEDING = 2;

/** Finished orders of the last two hours, in both databases: every page and the delay chart have rows. */
export const RECENT_ORDERS = 3_000;

/**
 * The two template files: `empty` holds the users and the last two hours'
 * orders, `full` the same plus `orders` older finished orders. Built unless a
 * previous run left them (named after the schema version, the seeding and the order
 * count, so a new migration builds new ones).
 */
export async function templates(orders: number): Promise<Templates> {
  const version = `${MIGRATIONS[MIGRATIONS.length - 1]!.name}-seeding${SEEDING}`;
  const dir = process.env.BENCH_TEMPLATE_DIR ?? tmpdir();
  const empty = join(dir, `joule-flat-${version}-${orders}-empty.db`);
  const full = join(dir, `joule-flat-${version}-${orders}-full.db`);
  if (existsSync(empty) && existsSync(full)) return { empty, full, seedSeconds: undefined };
  const now = Date.now();
  const history: Batch = { first: 1, count: orders, from: now - 31 * DAY, to: now - 2 * HOUR };
  const recent: Batch = { first: orders + 1, count: RECENT_ORDERS, from: now - 2 * HOUR, to: now - 5 * 60_000 };
  await base(`${empty}.tmp`, now);
  copyFileSync(`${empty}.tmp`, `${full}.tmp`);
  seedOrders(`${empty}.tmp`, [recent], now);
  const started = performance.now();
  seedOrders(`${full}.tmp`, [history, recent], now);
  const seedSeconds = (performance.now() - started) / 1000;
  renameSync(`${empty}.tmp`, empty);
  renameSync(`${full}.tmp`, full);
  return { empty, full, seedSeconds };
}

/**
 * A fresh copy of a template, and a way to delete it with its WAL files.
 * Flushed to disk before it is used: otherwise the kernel writes the
 * gigabytes of the full copy back during its measurement and not the empty's.
 */
export function copyOf(template: string, to: string): { path: string; remove(): void } {
  copyFileSync(template, to);
  const fd = openSync(to, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  return { path: to, remove: () => ['', '-wal', '-shm'].forEach((s) => rmSync(`${to}${s}`, { force: true })) };
}
