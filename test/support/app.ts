import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/connect.js';
import { savePoolSnapshot } from '../../src/db/pool-snapshots.js';
import type { EngineContext } from '../../src/engine/context.js';
import { createJoule, type Joule } from '../../src/joule.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { registry } from '../../src/observability/metrics.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The seed's own example address: the USDT contract on mainnet. */
export const SEED_ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

/**
 * The engine's context as far as reserving a pool and a held order's status
 * changes use it (the database, the worker's name, a lease of 30 s, a
 * silent log): for tests that run those steps by hand.
 */
export function heldOrderContext(db: Db, workerId: string): EngineContext {
  return { db, workerId, log: createLogger('silent'), settings: { leaseMs: 30_000 } } as unknown as EngineContext;
}

/**
 * A pool as a read from the node leaves it, able to delegate
 * `delegatableSun`: the room a reservation checks (and nothing else a test
 * of the reservation needs: no energy, no fees).
 */
export async function poolWithRoom(db: Db, address: string, delegatableSun: bigint): Promise<void> {
  await savePoolSnapshot(db, address, {
    staked_sun: delegatableSun,
    delegated_sun: 0n,
    delegatable_sun: delegatableSun,
    energy_limit: 0n,
    total_energy_weight: 1n,
    total_energy_limit: 1n,
  });
}

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  /** The Joule behind the app, as createJoule built it. */
  joule: Joule;
  request(opts: InjectOptions): Promise<{ status: number; body: any; text: string; headers: Record<string, unknown> }>;
  /** POST a deposit with the admin token. */
  deposit(userId: bigint | number | string, amountSun: bigint, reference?: string): Promise<void>;
  close(): Promise<void>;
}

let depositCounter = 0;

/** A SQLite database in a new temporary folder, and how to remove it. */
/** joule_db_wal_syncs_total as /metrics shows it: this process's flushes of SQLite's WAL before a broadcast. */
export async function walSyncs(): Promise<number> {
  const metric = await registry.getSingleMetricAsString('joule_db_wal_syncs_total');
  return Number(/^joule_db_wal_syncs_total (\d+)$/m.exec(metric)?.[1] ?? 'NaN');
}

export function freshSqlite(): { url: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'joule-test-'));
  return { url: `sqlite:${join(dir, 'joule.db')}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Builds the real Joule (createJoule, as `npm start` does) on a real
 * database: a fresh SQLite file, or a fresh database on a real PostgreSQL
 * server when `databaseUrl` is given. Role `api` unless the environment says
 * otherwise; the app is used through inject, not a port.
 */
export async function createTestApp(
  opts: {
    databaseUrl?: string;
    env?: Record<string, string>;
    log?: Logger;
    workerId?: string;
  } = {},
): Promise<TestApp> {
  const { url, remove } = opts.databaseUrl === undefined ? freshSqlite() : { url: opts.databaseUrl, remove: () => {} };
  const config = loadConfig({ ADMIN_TOKEN, DATABASE_URL: url, LOG_LEVEL: 'silent', JOULE_ROLE: 'api', ...opts.env });
  const joule = await createJoule(config, {
    log: opts.log ?? createLogger('silent'),
    ...(opts.workerId === undefined ? {} : { workerId: opts.workerId }),
  });
  const app = joule.app!;
  const request: TestApp['request'] = async (o) => {
    const res = await app.inject(o);
    let body: unknown = res.body;
    try {
      body = res.json();
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode, body, text: res.body, headers: res.headers };
  };
  return {
    app,
    db: joule.db,
    config,
    joule,
    request,
    async deposit(userId, amountSun, reference = `ref-${process.pid}-${++depositCounter}`) {
      const res = await request({
        method: 'POST',
        url: `/api/users/${userId}/deposits`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { amount_sun: amountSun.toString(), reference },
      });
      if (res.status !== 201) throw new Error(`deposit failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async close() {
      await joule.close();
      remove();
    },
  };
}

/** Row counts of every table: "nothing written" is asserted by comparing two of these. */
export async function tableCounts(db: Db): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  for (const table of ['users', 'ledger_entries', 'orders', 'order_events', 'deposit_addresses', 'chain_deposits', 'flash_payments', 'saved_addresses', 'receiver_energy', 'tenants', 'api_keys', 'tenant_users', 'webhook_events', 'webhook_attempts']) {
    const r = await sql<{ n: bigint }>`select cast(count(*) as bigint) as n from ${sql.table(table)}`.execute(db.kysely);
    out[table] = BigInt(r.rows[0]!.n);
  }
  return out;
}

/**
 * The ledger invariant, per currency: every user's balance in each currency
 * equals the sum of its entries in that currency; every order has exactly
 * one debit, and its debit and any refund are in the currency it was paid
 * in. The debit is for its price; so is the refund of a failed order or a
 * cancelled pending one. Only an active order cancelled early (completed,
 * with cancelled_at) may get part of its price back, never more. An order's
 * refunded_sun is what its refund entry says. Returns what breaks it.
 */
export async function ledgerViolations(db: Db): Promise<string[]> {
  const bad: string[] = [];
  const rows = await sql<{ id: bigint; balance_sun: bigint; balance_micro_usdt: bigint; trx: bigint | null; usdt: bigint | null }>`
    select u.id, u.balance_sun, u.balance_micro_usdt,
      cast(sum(case when l.currency = 'TRX' then l.amount_sun end) as bigint) as trx,
      cast(sum(case when l.currency = 'USDT' then l.amount_sun end) as bigint) as usdt
    from users u left join ledger_entries l on l.user_id = u.id
    group by u.id, u.balance_sun, u.balance_micro_usdt`.execute(db.kysely);
  for (const r of rows.rows) {
    if (BigInt(r.balance_sun) !== BigInt(r.trx ?? 0n)) bad.push(`user ${r.id}: TRX balance ${r.balance_sun} != entries ${r.trx}`);
    if (BigInt(r.balance_micro_usdt) !== BigInt(r.usdt ?? 0n)) bad.push(`user ${r.id}: USDT balance ${r.balance_micro_usdt} != entries ${r.usdt}`);
  }
  // An order paid from a balance has one debit; one paid by a flash-rent transfer has none, and its payment says its price.
  const debits = await sql<{ id: string; n: bigint; entries: bigint; payment_txid: string | null }>`
    select o.id, o.payment_txid, cast(count(l.id) as bigint) as entries,
      cast(count(case when l.kind = 'order_debit' then 1 end) as bigint) as n
    from orders o left join ledger_entries l on l.order_id = o.id
    group by o.id, o.payment_txid`.execute(db.kysely);
  for (const r of debits.rows) {
    if (r.payment_txid === null && BigInt(r.n) !== 1n) bad.push(`order ${r.id}: ${r.n} debits`);
    if (r.payment_txid !== null && BigInt(r.entries) !== 0n) bad.push(`flash order ${r.id}: ${r.entries} ledger entries`);
  }
  const flash = await sql<{ id: string }>`
    select o.id from orders o left join flash_payments p on p.txid = o.payment_txid
    where o.payment_txid is not null and (p.txid is null or p.amount_sun <> o.price_sun or o.user_id <> 0)`.execute(db.kysely);
  for (const r of flash.rows) bad.push(`flash order ${r.id}: its payment is missing or not its price`);
  const refunds = await sql<{ txid: string }>`
    select p.txid from flash_payments p
    where (p.refund_status = 'refunded') <> exists (
      select 1 from chain_transactions t where t.payment_txid = p.txid and t.kind = 'refund' and t.status = 'confirmed')
      or (select count(*) from chain_transactions t where t.payment_txid = p.txid and t.kind = 'refund' and t.status = 'confirmed') > 1`.execute(db.kysely);
  for (const r of refunds.rows) bad.push(`flash payment ${r.txid}: refunded unless exactly one refund confirmed`);
  const mismatched = await sql<{ id: string; kind: string; currency: string; pay_currency: string }>`
    select o.id, l.kind, l.currency, o.pay_currency from orders o
    join ledger_entries l on l.order_id = o.id
    where l.currency <> o.pay_currency
      or (l.kind = 'order_debit' and l.amount_sun <> -o.price_sun)
      or (l.kind = 'refund' and not (
        (o.status in ('failed', 'cancelled') and l.amount_sun = o.price_sun)
        or (o.status = 'completed' and o.cancelled_at is not null and l.amount_sun > 0 and l.amount_sun <= o.price_sun)))`.execute(db.kysely);
  for (const r of mismatched.rows) bad.push(`order ${r.id}: ${r.kind} in ${r.currency} (paid in ${r.pay_currency}) or not for its price`);
  const recorded = await sql<{ id: string; refunded_sun: bigint | null; refund: bigint | null }>`
    select o.id, o.refunded_sun, cast(sum(l.amount_sun) as bigint) as refund from orders o
    left join ledger_entries l on l.order_id = o.id and l.kind = 'refund'
    where o.payment_txid is null
    group by o.id, o.refunded_sun
    having coalesce(sum(l.amount_sun), 0) <> coalesce(o.refunded_sun, 0)`.execute(db.kysely);
  for (const r of recorded.rows) bad.push(`order ${r.id}: refunded_sun ${r.refunded_sun} but refund entries ${r.refund}`);
  return bad;
}
