// Flat as work grows (issue 17, goal 5): the same measurements on an empty
// SQLite database (users, tenants, pools and the last two hours' orders, no
// history) and on the same holding besides BENCH_FLAT_ORDERS (default
// 1,000,000) older finished orders with their events, ledger entries, chain
// transactions and webhook events (bench/lib/finished-orders.ts), in the
// same run:
//
//   sweeper pass   Sweeper.sweep() of a worker built by createJoule on the
//                  database (the pass its timer runs)
//   pool choice    that worker's choosePool() for an order to the receiver
//                  of a quarter of the finished orders (the reads the engine
//                  makes to plan every order)
//                  (both with a worker on each database, up at once: 10
//                  runs of each to warm up, then 30 pairs, one run on each
//                  database, which goes first alternating; the median a
//                  database, and of each pair's full/empty)
//   GET ...        every request the dashboard polls, and GET /api/orders?
//                  user_id= for the user with 1 in 20 orders and one with a
//                  few recent ones, against `node dist/main.js api`, 10
//                  connections
//   create         POST /api/orders/ against that process, 50 connections,
//                  every request a different user, after 5 s of it uncounted
//   deposit        POST /api/users/:id/deposits (admin) for the user with 1 in
//                  20 orders, 10 connections: its ceiling check sums the
//                  user's open orders
//
// Each round gets a fresh copy of each template and an `api` process on each,
// both up through the round. Every request is measured on the two in turn,
// in BENCH_PAIRS (default 4) pairs of slices, which goes first alternating:
// BENCH_SECONDS on each database in all, after a warm-up of each. Measured
// one database after the other, seconds or minutes apart, the ratio of a
// page moved by ±20–30 % from run to run with this machine's neighbours;
// slices side by side put that drift on both alike. Rounds (BENCH_ROUNDS,
// default 3) alternate which database is copied and served first. Reported:
// medians of the rounds, full/empty ratios, and the median and range of
// each pair's full/empty ratio. Besides requests a second, the server
// process's CPU time per request (from /proc): on a shared machine
// throughput swings with the neighbours' load, CPU per request much less.
//
// PostgreSQL: BENCH_DATABASE=postgres (or `--database postgres`) starts one
// server for the run (the test suite's settings), copies the two SQLite
// templates' rows into databases Joule's migrations made
// (bench/lib/finished-orders-postgres.ts), and gives each round a fresh copy
// of each. The CPU per request is then the `api` process's plus the
// server's over the same slice: a poll's cost is mostly the server's. The
// server keeps the test suite's settings but one: its buffer cache is
// PostgreSQL's default of 128 MB, as on a server an operator sets up, not
// the tests' 32 MB. With 32 MB, the pages an order writes in a million
// orders' indexes (each at a place set by its user) are read back into the
// cache from the kernel's on most orders: creation on the full database
// cost 1.11 of the empty one's CPU, against 1.03 with 128 MB
// (docs/BENCHMARKS.md, "Creation on a million orders: PostgreSQL's buffer
// cache"). BENCH_PG_SETTINGS adds lines to the server's postgresql.conf,
// after that one, separated by `;` (`shared_buffers = '32MB'`, say).
// `npm run build` first.
import { mkdtempSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_ADMIN_TOKEN } from './lib/admin-token.js';
import { choosePool } from '../src/engine/plan-delegation.js';
import { benchJoule } from './lib/bench-joule.js';
import { copyOf, DEFAULT_USERS, HEAVY_USER, RECEIVERS, templates, FEW_USER } from './lib/finished-orders.js';
import { copyOfDatabase, postgresTemplates } from './lib/finished-orders-postgres.js';
import { cpuMs, isMain, load, loadGet, printTable, processTreeCpuMs, type LoadResult } from './lib/harness.js';
import { startPostgres } from '../scripts/services/postgres.js';
import { paired, type Figures, type PairedSide } from './lib/paired.js';
import { machineLine, median, startJouleProcess } from './lib/processes.js';

const ADDRESS = RECEIVERS[0]!;
const order = (userId: number) => ({ user_id: userId, energy_amount: 32000, duration: '1h', receive_address: ADDRESS });

/** What the dashboard polls (web/src/views), and the client's own order list. `:order` is an order made before measuring. */
const GETS: ReadonlyArray<[string, string]> = [
  ['overview: status', '/api/status'],
  ['overview: delay chart', '/api/status/delays?minutes=60'],
  ['orders: newest page', '/api/orders?limit=50'],
  ['orders: status filter', '/api/orders?status=failed&limit=50'],
  ['orders: tenant filter', '/api/orders?tenant_id=acme&limit=50'],
  ['orders: receiver filter', `/api/orders?receive_address=${ADDRESS}&limit=50`],
  ['orders: tenant list', '/api/admin/tenants'],
  ['order detail', '/api/orders/:order'],
  ['order detail: events', '/api/orders/:order/events'],
  ['order detail: transactions', '/api/orders/:order/transactions'],
  ['users: first page', '/api/users?limit=50'],
  ['user detail', `/api/users/${HEAVY_USER}`],
  ['user detail: orders', `/api/orders?user_id=${HEAVY_USER}&limit=20&tenant_id=default`],
  ['user detail: ledger', `/api/users/${HEAVY_USER}/ledger?limit=50`],
  ['pools', '/api/pools'],
  ['tenants: api keys', '/api/admin/api-keys'],
  ['flash rent: terms', '/api/flash-rent'],
  ['flash rent: payments', '/api/admin/flash-rent/payments?limit=50'],
  [`client: user with many orders`, `/api/orders?user_id=${HEAVY_USER}`],
  [`client: user with few orders`, `/api/orders?user_id=${FEW_USER}`],
];

type DbName = 'empty' | 'full';

/** PostgreSQL's own default, in place of the test settings' 32 MB (see the top of this file). */
const OPERATOR_BUFFER_CACHE = "shared_buffers = '128MB'";

/** Orders placed on each side, uncounted, before creation is measured. */
const CREATE_WARM_UP_SECONDS = 5;

/**
 * Where a round's databases come from: copies of the SQLite template files,
 * or copies of the template databases on one PostgreSQL server (whose
 * CPU each side's figures then include).
 */
type Storage =
  | { kind: 'sqlite'; templates: Record<DbName, string> }
  | { kind: 'postgres'; templates: Record<DbName, string>; clusterUrl: string; serverPid: number };

/** A round's copy of one template: the DATABASE_URL to give Joule, and its removal. */
interface Copy {
  url: string;
  remove(): void | Promise<void>;
}

async function copyFor(storage: Storage, name: DbName, dir: string, round: number): Promise<Copy> {
  if (storage.kind === 'postgres') return copyOfDatabase(storage.clusterUrl, storage.templates[name], `flat_round${round}_${name}`);
  const copy = copyOf(storage.templates[name], join(dir, `${name}.db`));
  return { url: `sqlite:${copy.path}`, remove: copy.remove };
}

interface Round {
  sweepMs: number;
  poolChoiceMs: number;
  gets: Map<string, Figures>;
  create: Figures;
  deposit: Figures;
}

/** Runs on each side before any is measured: a connection plans a kept statement at its first five runs. */
const WARM_UP_PASSES = 10;
/** Pairs of passes measured, one on each database, which goes first alternating. */
const PASS_PAIRS = 30;

/**
 * Wall time of `f` on the two databases side by side: after WARM_UP_PASSES
 * of each, PASS_PAIRS pairs of runs, the empty one first in every other
 * pair. Measured one database after the other, a pass's median moved with
 * whatever else the machine did in those seconds, and its ratio with it:
 * two passes a moment apart see the same neighbours.
 */
async function pairedPasses(f: Record<DbName, () => Promise<unknown>>): Promise<Record<DbName, number> & { pairs: number[] }> {
  for (const name of ['empty', 'full'] as const) for (let i = 0; i < WARM_UP_PASSES; i++) await f[name]();
  const times: Record<DbName, number[]> = { empty: [], full: [] };
  const pairs: number[] = [];
  for (let i = 0; i < PASS_PAIRS; i++) {
    const took = {} as Record<DbName, number>;
    for (const name of i % 2 === 0 ? (['empty', 'full'] as const) : (['full', 'empty'] as const)) {
      const started = performance.now();
      await f[name]();
      took[name] = performance.now() - started;
      times[name].push(took[name]);
    }
    pairs.push(took.full / took.empty);
  }
  return { empty: median(times.empty), full: median(times.full), pairs };
}

/** What the worker passes measured, a median a database, and each pair's full/empty. */
type Passes = Record<DbName, { sweepMs: number; poolChoiceMs: number }> & { sweepPairs: number[]; poolChoicePairs: number[] };

/**
 * Sweeper passes and pool choices of an in-process worker on each database
 * (role `worker`, its own timer held back), both up at once and measured
 * side by side (pairedPasses).
 */
async function workerPasses(urls: Record<DbName, string>): Promise<Passes> {
  const workers: Array<{ close(): Promise<void>; dataDir: string }> = [];
  try {
    const passes = {} as Record<DbName, { sweep: () => Promise<unknown>; choose: () => Promise<unknown> }>;
    for (const name of ['empty', 'full'] as const) {
      const dataDir = mkdtempSync(join(tmpdir(), 'joule-flat-worker-'));
      const worker = await benchJoule({ JOULE_ROLE: 'worker', DATA_DIR: dataDir, LOG_LEVEL: 'warn', SWEEP_INTERVAL_MS: '3600000' }, { databaseUrl: urls[name] });
      workers.push({ close: () => worker.close(), dataDir });
      const { sweeper, ctx } = worker.engine!;
      // The newest order to the receiver, as if it were new: the pool choice reads what is under way, whatever it finds.
      const order = await ctx.db.kysely.selectFrom('orders').selectAll().where('receive_address', '=', ADDRESS).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      passes[name] = { sweep: () => sweeper.sweep(), choose: () => choosePool(ctx, { ...order, status: 'pending' }, BigInt(Date.now())) };
    }
    const sweep = await pairedPasses({ empty: passes.empty.sweep, full: passes.full.sweep });
    const choice = await pairedPasses({ empty: passes.empty.choose, full: passes.full.choose });
    return {
      empty: { sweepMs: sweep.empty, poolChoiceMs: choice.empty },
      full: { sweepMs: sweep.full, poolChoiceMs: choice.full },
      sweepPairs: sweep.pairs,
      poolChoicePairs: choice.pairs,
    };
  } finally {
    for (const worker of workers) {
      await worker.close();
      rmSync(worker.dataDir, { recursive: true, force: true });
    }
  }
}

/** One database's side of a round: its `api` process, with an order placed on it before measuring. */
interface Side extends PairedSide {
  url: string;
  orderId: string;
  /** Numbers each side's creations and deposits apart, across the slices. */
  next: number;
}

/**
 * One round: a fresh copy of each template (the database named first
 * first), their worker passes side by side (workerPasses), then an `api`
 * process on each, both up through the round, and every request measured
 * on the two in alternating slices (`paired`). Each pair's ratios go
 * into `ratios`, by measurement.
 */
async function measureRound(
  storage: Storage,
  roundIndex: number,
  first: DbName,
  seconds: { get: number; create: number },
  pairs: number,
  ratios: Map<string, number[]>,
): Promise<Record<DbName, Round>> {
  const dir = mkdtempSync(join(tmpdir(), 'joule-flat-'));
  const names: DbName[] = first === 'empty' ? ['empty', 'full'] : ['full', 'empty'];
  const dbs = {} as Record<DbName, Copy>;
  const started: Array<{ stop(): Promise<void> }> = [];
  const addRatios = (what: string, more: number[]) => ratios.set(what, [...(ratios.get(what) ?? []), ...more]);
  try {
    for (const name of names) dbs[name] = await copyFor(storage, name, dir, roundIndex);
    const passes = await workerPasses({ empty: dbs.empty.url, full: dbs.full.url });
    addRatios('sweeper pass', passes.sweepPairs);
    addRatios('pool choice', passes.poolChoicePairs);
    const sides = {} as Record<DbName, Side>;
    for (const name of names) {
      const joule = await startJouleProcess('api', { DATABASE_URL: dbs[name].url, LOG_LEVEL: 'warn' });
      started.push(joule);
      const made = await fetch(`${joule.url}/api/orders/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(order(HEAVY_USER)) });
      if (made.status !== 201) throw new Error(`placing an order: ${made.status} ${await made.text()}`);
      const { id } = (await made.json()) as { id: string };
      const pid = joule.child.pid!;
      // On PostgreSQL the server's CPU over a slice is the loaded side's: the other side is idle then.
      const serverCpuMs = storage.kind === 'postgres' ? () => processTreeCpuMs(storage.serverPid) : () => 0;
      sides[name] = { url: joule.url, cpuMs: () => cpuMs(pid) + serverCpuMs(), orderId: id, next: 0 };
    }
    const admin = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };
    const round = { empty: { ...passes.empty, gets: new Map() }, full: { ...passes.full, gets: new Map() } } as Record<DbName, Round>;
    const measured = async (what: string, secs: number, run: (side: Side, seconds: number) => Promise<LoadResult>): Promise<Record<DbName, Figures>> => {
      const { a, b, ratios: each } = await paired(sides.empty, sides.full, pairs, secs, run);
      const figures = { empty: a, full: b };
      for (const name of names) {
        if (figures[name].non2xx > 0 || figures[name].errors > 0) throw new Error(`${what} on the ${name} database: ${figures[name].non2xx} non-2xx, ${figures[name].errors} errors`);
      }
      addRatios(what, each);
      return figures;
    };
    for (const [name, path] of GETS) {
      const figures = await measured(name, seconds.get, (side, secs) => loadGet(side.url, path.replace(':order', side.orderId), admin, { seconds: secs, warmupSeconds: 0 }));
      for (const db of names) round[db].gets.set(name, figures[db]);
    }
    const create = (side: Side, secs: number) => load(side.url, '/api/orders/', () => order((side.next++ % DEFAULT_USERS) + 1), { seconds: secs, warmupSeconds: 0 });
    // A copy made for the round starts with a cold buffer cache, where an
    // operator's database has a warm one. Creation measured alone on fresh
    // PostgreSQL copies, the first pair of slices read the full copy's users'
    // places in its big indexes back in (full/empty 1.24–1.61); the pairs
    // after it, 0.87–1.14. So orders first, uncounted.
    for (const name of names) await create(sides[name], CREATE_WARM_UP_SECONDS);
    const created = await measured('create', seconds.create, create);
    const deposit = await measured('deposit', seconds.get, (side, secs) =>
      load(side.url, `/api/users/${HEAVY_USER}/deposits`, () => ({ amount_sun: '1', reference: `flat-${side.next++}` }), { seconds: secs, warmupSeconds: 0, connections: 10, headers: admin }),
    );
    for (const db of names) Object.assign(round[db], { create: created[db], deposit: deposit[db] });
    return round;
  } finally {
    for (const joule of started) await joule.stop();
    for (const name of names) await dbs[name]?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(opts: { rounds?: number; database?: string } = {}) {
  const database = opts.database ?? process.env.BENCH_DATABASE ?? 'sqlite';
  if (database !== 'sqlite' && database !== 'postgres') throw new Error(`--database: sqlite or postgres, not ${database}`);
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  const seconds = { get: Number(process.env.BENCH_SECONDS ?? 2), create: Number(process.env.BENCH_CREATE_SECONDS ?? 5) };
  const orders = Number(process.env.BENCH_FLAT_ORDERS ?? 1_000_000);
  console.log(`\n${machineLine()}`);
  const t = await templates(orders);
  console.log(t.seedSeconds === undefined ? `${orders} finished orders: template from an earlier run` : `${orders} finished orders seeded in ${t.seedSeconds.toFixed(0)} s`);
  const pairs = Number(process.env.BENCH_PAIRS ?? 4);
  const results: Record<DbName, Round[]> = { empty: [], full: [] };
  const ratios = new Map<string, number[]>();
  const settings = (process.env.BENCH_PG_SETTINGS ?? '').split(';').map((line) => line.trim()).filter((line) => line !== '');
  if (settings.length > 0 && database !== 'postgres') throw new Error('BENCH_PG_SETTINGS: only with --database postgres');
  const postgres = database === 'postgres' ? await startPostgres({ database: 'bench', settings: [OPERATOR_BUFFER_CACHE, ...settings] }) : undefined;
  if (postgres !== undefined) console.log(`PostgreSQL settings beyond the tests': ${[OPERATOR_BUFFER_CACHE, ...settings].join('; ')}`);
  try {
    let storage: Storage = { kind: 'sqlite', templates: t };
    if (postgres !== undefined) {
      const copied = await postgresTemplates(t, postgres.url);
      console.log(`copied into PostgreSQL: ${copied.rows.toLocaleString('en')} rows of the full template in ${copied.seconds.toFixed(0)} s`);
      storage = { kind: 'postgres', templates: copied, clusterUrl: postgres.url, serverPid: postgres.pid };
    }
    for (let r = 0; r < rounds; r++) {
      const round = await measureRound(storage, r, r % 2 === 0 ? 'empty' : 'full', seconds, pairs, ratios);
      results.empty.push(round.empty);
      results.full.push(round.full);
    }
  } finally {
    await postgres?.stop();
  }
  const rows: Array<Array<string | number>> = [];
  const med = (name: DbName, f: (x: Round) => number) => median(results[name].map(f));
  const figures = (what: string, key: string, f: (x: Round) => Figures) => {
    const [rps, cpu, p99] = [(x: Round) => f(x).rps, (x: Round) => f(x).cpuUs, (x: Round) => f(x).p99];
    const pairRatios = ratios.get(key)!;
    rows.push([
      what,
      med('empty', rps).toFixed(0),
      med('full', rps).toFixed(0),
      (med('full', rps) / med('empty', rps)).toFixed(2),
      med('empty', cpu).toFixed(0),
      med('full', cpu).toFixed(0),
      (med('full', cpu) / med('empty', cpu)).toFixed(2),
      median(pairRatios).toFixed(2),
      `${Math.min(...pairRatios).toFixed(2)}–${Math.max(...pairRatios).toFixed(2)}`,
      `${med('empty', p99)} / ${med('full', p99)}`,
    ]);
  };
  figures('create (POST /api/orders/)', 'create', (x) => x.create);
  figures(`deposit (POST /api/users/${HEAVY_USER}/deposits)`, 'deposit', (x) => x.deposit);
  for (const [name] of GETS) figures(`GET ${name}`, name, (x) => x.gets.get(name)!);
  printTable(
    `Empty database vs ${orders} finished orders (${database === 'postgres' ? 'PostgreSQL' : 'SQLite'}), ${rounds} rounds of ${pairs} alternating pairs of slices; ` +
      `GETs ${seconds.get} s a database at 10 connections, create ${seconds.create} s at 50; CPU µs per request of each server process` +
      (database === 'postgres' ? ' and the PostgreSQL server' : ''),
    ['measurement', 'empty req/s', 'full req/s', 'full/empty', 'empty CPU µs/req', 'full CPU µs/req', 'full/empty', 'pairs: full/empty CPU (median)', 'pairs: range', 'p99 ms empty / full'],
    rows,
  );
  for (const [what, f] of [
    ['sweeper pass', (x: Round) => x.sweepMs],
    ['pool choice', (x: Round) => x.poolChoiceMs],
  ] as const) {
    const pairRatios = ratios.get(what)!;
    console.log(
      `${what} (median of ${PASS_PAIRS} side by side, wall time): empty ${med('empty', f).toFixed(2)} ms, full ${med('full', f).toFixed(2)} ms, full/empty ${(med('full', f) / med('empty', f)).toFixed(2)}; ` +
        `pairs: full/empty median ${median(pairRatios).toFixed(2)}; each round ${results.empty.map((x) => f(x).toFixed(2)).join(' ')} | ${results.full.map((x) => f(x).toFixed(2)).join(' ')}`,
    );
  }
  return results;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { database: { type: 'string' }, rounds: { type: 'string' } } });
  await run({ database: values.database, rounds: values.rounds === undefined ? undefined : Number(values.rounds) });
}
