// What building a query costs Joule on every call, before SQLite sees it:
// Kysely's builder compiling the order INSERT and the balance debit Joule
// runs per order, beside the same SQL written as a `sql` template, and beside
// reusing one compiled query (the floor: no building at all). Same process,
// alternating rounds, median of 5; compile only, no database work.
import { Kysely, SqliteDialect, sql, type Kysely as K } from 'kysely';
import Database from 'better-sqlite3';
import { isMain, printTable } from './lib/harness.js';
import { machineLine, median } from './lib/processes.js';

const N = 20_000;
const o = {
  id: '01a2340c-217d-7168-975c-87a434ed49c6',
  user_id: 1n,
  status: 'pending',
  energy_amount: 32_000n,
  duration: '1h',
  duration_seconds: 3600n,
  receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
  pay_currency: 'TRX',
  price_sun: 2_080_000n,
  rate_sun_per_energy_day: 65n,
  idempotency_key: null,
  request_hash: 'h',
  created_at: 1n,
  updated_at: 1n,
};

function perCallUs(work: () => void): number {
  const t = performance.now();
  for (let i = 0; i < N; i++) work();
  return ((performance.now() - t) / N) * 1000;
}

export async function run() {
  console.log(`\n${machineLine()}`);
  const db: K<any> = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  const cases: Record<string, () => void> = {
    'builder: insert order returning *': () => void db.insertInto('orders').values(o).returningAll().compile(),
    'builder: debit balance returning': () =>
      void db
        .updateTable('users')
        .set((eb: any) => ({ balance_sun: eb('balance_sun', '+', -o.price_sun), updated_at: 1n }))
        .where('id', '=', o.user_id)
        .where('balance_sun', '>=', o.price_sun)
        .returning(['balance_sun', 'balance_micro_usdt'])
        .compile(),
    'sql template: insert order returning *': () =>
      void sql`insert into orders (id, user_id, status, energy_amount, duration, duration_seconds, receive_address, pay_currency, price_sun,
        rate_sun_per_energy_day, idempotency_key, request_hash, created_at, updated_at) values (${o.id}, ${o.user_id}, ${o.status},
        ${o.energy_amount}, ${o.duration}, ${o.duration_seconds}, ${o.receive_address}, ${o.pay_currency}, ${o.price_sun},
        ${o.rate_sun_per_energy_day}, ${o.idempotency_key}, ${o.request_hash}, ${o.created_at}, ${o.updated_at}) returning *`.compile(db),
  };
  const compiled = db.insertInto('orders').values(o).returningAll().compile();
  cases['compiled once, parameters replaced'] = () => void { ...compiled, parameters: Object.values(o) };
  const rounds = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (const k of Object.keys(cases)) perCallUs(cases[k]!); // warm-up
  for (let r = 0; r < 5; r++) {
    const names = r % 2 === 0 ? Object.keys(cases) : Object.keys(cases).reverse();
    for (const name of names) rounds.get(name)!.push(perCallUs(cases[name]!));
  }
  const base = median(rounds.get('builder: insert order returning *')!);
  printTable(
    `Building one query, ${N} calls a round, median of 5 alternating rounds`,
    ['query', 'µs per call', 'ratio to the builder insert'],
    [...rounds].map(([name, us]) => [name, median(us).toFixed(2), (median(us) / base).toFixed(2)]),
  );
  await db.destroy();
}

if (isMain(import.meta.url)) await run();
