// What Joule's own database path costs to place an order, in one process,
// with no HTTP: placeOrder (the use case the API calls) against SQLite with
// 50 callers at once (so group commit batches them), beside the floor for the
// same work: the same rows (debit, order, ledger entry, event, the webhook
// check) written by hand-prepared better-sqlite3 statements, 50 to a
// transaction, each in a savepoint as group commit does. Alternating rounds,
// median of BENCH_ROUNDS (5), with the machine's load at the start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connect, type Db } from '../src/db/connect.js';
import { uuidv7 } from '../src/db/ids.js';
import { migrate } from '../src/db/migrate.js';
import { parseDuration } from '../src/domain/durations.js';
import { placeOrder } from '../src/use-cases/place-order.js';
import { DEFAULT_TENANT } from '../src/domain/tenant.js';
import { seedUsers } from './servers/seed.js';
import { isMain, printTable } from './lib/harness.js';
import { machineLine, median } from './lib/processes.js';

const USERS = 10_000;
const N = 10_000;
const CALLERS = 50;
const ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const DURATION = parseDuration('1h')!;
const PRICES = { rates: new Map([['1h', 65n]]) };

async function jouleRound(db: Db, offset: number): Promise<number> {
  let i = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (i < N) {
        const k = offset + i++;
        await placeOrder(db, PRICES, { userId: BigInt((k % USERS) + 1), tenantId: DEFAULT_TENANT, energyAmount: 32_000n, duration: DURATION, receiveAddress: ADDRESS, idempotencyKey: null });
      }
    }),
  );
  return ((performance.now() - started) / N) * 1000;
}

function rawRound(raw: Database.Database): number {
  const now = "cast(unixepoch('subsec') * 1000 as integer)";
  const debit = raw.prepare(`update users set balance_sun = balance_sun - ?, updated_at = ${now} where id = ? and balance_sun >= ? returning balance_sun`);
  const order = raw.prepare(`insert into orders (id, user_id, status, energy_amount, duration, duration_seconds, receive_address, pay_currency, price_sun,
    rate_sun_per_energy_day, idempotency_key, request_hash, created_at, updated_at) values (?, ?, 'pending', 32000, '1h', 3600, ?, 'TRX', ?, 65, null, ?, ${now}, ${now}) returning created_at`);
  const ledger = raw.prepare(`insert into ledger_entries (user_id, kind, currency, amount_sun, balance_after_sun, order_id, reference, created_at) values (?, 'order_debit', 'TRX', ?, ?, ?, null, ${now})`);
  const event = raw.prepare(`insert into order_events (order_id, from_status, to_status, reason, actor, detail, at) values (?, null, 'pending', 'created', 'api', null, ${now})`);
  const hook = raw.prepare("select id from tenants where id = 'default' and webhook_url is not null");
  const price = 2_080_000n;
  const started = performance.now();
  for (let b = 0; b < N / CALLERS; b++) {
    raw.exec('begin');
    for (let j = 0; j < CALLERS; j++) {
      raw.exec('savepoint unit');
      const user = BigInt(((b * CALLERS + j) % USERS) + 1);
      const id = uuidv7();
      const { balance_sun } = debit.get(price, user, price) as { balance_sun: bigint };
      order.get(id, user, ADDRESS, price, 'h');
      ledger.run(user, -price, balance_sun, id);
      event.run(id);
      hook.get();
      raw.exec('release unit');
    }
    raw.exec('commit');
  }
  return ((performance.now() - started) / N) * 1000;
}

export async function run() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  console.log(`\n${machineLine()}`);
  const dir = mkdtempSync(join(tmpdir(), 'joule-bench-place-'));
  const db = connect(`sqlite:${join(dir, 'joule.db')}`);
  const rawDir = mkdtempSync(join(tmpdir(), 'joule-bench-place-raw-'));
  const rawDb = connect(`sqlite:${join(rawDir, 'raw.db')}`);
  try {
    await migrate(db);
    await migrate(rawDb);
    await seedUsers(db.kysely, USERS);
    await seedUsers(rawDb.kysely, USERS);
    await rawDb.close();
    const raw = new Database(join(rawDir, 'raw.db'));
    raw.defaultSafeIntegers(true);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('temp_store = MEMORY');
    await jouleRound(db, 0); // warm-up
    rawRound(raw);
    const joule: number[] = [];
    const floor: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        joule.push(await jouleRound(db, (r + 1) * N));
        floor.push(rawRound(raw));
      } else {
        floor.push(rawRound(raw));
        joule.push(await jouleRound(db, (r + 1) * N));
      }
    }
    raw.close();
    printTable(
      `Placing an order in-process, SQLite, ${CALLERS} callers at once, ${N} orders a round, median of ${rounds} alternating rounds`,
      ['path', 'µs per order', 'each round', 'ratio to the floor'],
      [
        ['placeOrder (Joule)', median(joule).toFixed(1), joule.map((x) => x.toFixed(0)).join(' '), (median(joule) / median(floor)).toFixed(2)],
        ['the same rows, hand-prepared statements', median(floor).toFixed(1), floor.map((x) => x.toFixed(0)).join(' '), '1.00'],
      ],
    );
    return { jouleUs: median(joule), floorUs: median(floor) };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(rawDir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await run();
