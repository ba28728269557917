// Order creation whatever state Redis is in. One run measures Joule's API
// (role `api`, SQLite) with ENABLE_BACKGROUND_TASKS=true and Redis up,
// refused (nothing listening), frozen (SIGSTOP), and with
// ENABLE_BACKGROUND_TASKS=false; plus a comparator doing what the replaced
// system did: PING Redis, then enqueue, inside the request. Ratios are
// against Joule with Redis up, and Redis up against background tasks off
// (issue 17 goal 3: within 5 %). Then the same two side by side: both servers
// up at once, loaded in alternating slices (BENCH_PAIRS pairs, default 10,
// BENCH_PAIRED_SECONDS on each in all, default 10; bench/lib/paired.ts), so
// that the machine's drift falls on both alike; with BENCH_BEFORE, that
// checkout's Redis up beside this one's too. The side by side prints the
// API's read and write system calls an order (its sends to Redis among them). Then creation -> delegation
// broadcast through the queue (API + worker + devnet in this process), p50
// and p99.
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { freePort } from '../scripts/services/ports.js';
import { startRedis, type RedisServer } from '../scripts/services/redis.js';
import { startDevnet } from '../src/devnet/index.js';
import { createLogger } from '../src/observability/logger.js';
import { benchJoule } from './lib/bench-joule.js';
import { cpuMs, ioColumns, ioCounts, isMain, load, printTable, startServer, type LoadResult, type Server } from './lib/harness.js';
import { paired, postingSide, postSlice } from './lib/paired.js';
import { median } from './lib/processes.js';

const USERS = 100_000;
const ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const order = (i: number) => ({ user_id: (i % USERS) + 1, energy_amount: 32000, duration: '1h', receive_address: ADDRESS });

interface Case {
  /** For BENCH_CASES. */
  id: string;
  name: string;
  dispatch: 'queue' | 'off' | 'ping-in-request';
  redis: 'up' | 'refused' | 'frozen' | 'none';
  /** Another checkout of Joule to run the server from (BENCH_BEFORE). */
  root?: string;
}

const CASES: Case[] = [
  // Redis up and background tasks off side by side: their ratio is the one compared to 5 %.
  { id: 'up', name: 'joule, Redis up', dispatch: 'queue', redis: 'up' },
  { id: 'off', name: 'joule, background tasks off', dispatch: 'off', redis: 'none' },
  { id: 'refused', name: 'joule, Redis refused', dispatch: 'queue', redis: 'refused' },
  { id: 'frozen', name: 'joule, Redis frozen', dispatch: 'queue', redis: 'frozen' },
  { id: 'ping-up', name: 'PING+enqueue in request, Redis up', dispatch: 'ping-in-request', redis: 'up' },
  { id: 'ping-refused', name: 'PING+enqueue in request, Redis refused', dispatch: 'ping-in-request', redis: 'refused' },
  { id: 'ping-frozen', name: 'PING+enqueue in request, Redis frozen', dispatch: 'ping-in-request', redis: 'frozen' },
];

// BENCH_BEFORE=<folder holding another checkout of Joule, with its node_modules>
// adds that code's Redis-up and background-tasks-off cases to every round.
const before = process.env.BENCH_BEFORE;
if (before) {
  CASES.splice(
    2,
    0,
    { id: 'before-up', name: 'BENCH_BEFORE, Redis up', dispatch: 'queue', redis: 'up', root: before },
    { id: 'before-off', name: 'BENCH_BEFORE, background tasks off', dispatch: 'off', redis: 'none', root: before },
  );
}

/** What bench/servers/dispatch-server.ts is started with. */
const serverEnv = (dispatch: Case['dispatch'], redisUrl: string) => ({
  BENCH_USERS: String(USERS),
  BENCH_DISPATCH: dispatch,
  REDIS_URL: redisUrl,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
});

/** A run's figures, with the CPU the API process and redis-server spent per order created. */
type Run = LoadResult & { apiCpuUs: number; redisCpuUs: number };

async function creation(c: Case, seconds: number): Promise<Run> {
  let redis: RedisServer | undefined;
  let url = 'redis://127.0.0.1:1';
  if (c.redis === 'up' || c.redis === 'frozen') {
    redis = await startRedis();
    url = redis.url;
  } else if (c.redis === 'refused') {
    url = `redis://127.0.0.1:${await freePort()}`;
  }
  const server = await startServer('bench/servers/dispatch-server.ts', serverEnv(c.dispatch, url), c.root);
  try {
    if (c.redis === 'frozen') await redis!.freeze();
    let api0 = 0;
    let redis0 = 0;
    const r = await load(server.url, '/api/orders', order, {
      seconds,
      onMeasureStart: () => {
        api0 = cpuMs(server.pid);
        redis0 = redis ? cpuMs(redis.pid) : 0;
      },
    });
    const perOrder = (ms: number) => (ms * 1000) / Math.max(r.ok ?? 0, 1);
    return { ...r, apiCpuUs: perOrder(cpuMs(server.pid) - api0), redisCpuUs: redis && c.redis === 'up' ? perOrder(cpuMs(redis.pid) - redis0) : 0 };
  } finally {
    if (c.redis === 'frozen') await redis!.thaw();
    await server.stop();
    await redis?.stop();
  }
}

/** One side of a side-by-side run: how its server dispatches, and from which checkout. */
interface Side {
  dispatch: 'queue' | 'off';
  /** Another checkout of Joule (BENCH_BEFORE). */
  root?: string;
}

/**
 * Two servers up at once and loaded in turn (bench/lib/paired.ts): CPU per
 * order (a side with Redis: its API and its own redis-server) and orders a
 * second, with each pair's second ÷ first ratio of CPU per order.
 */
async function besideEachOther(first: Side, second: Side, pairs: number, seconds: number) {
  const redises: RedisServer[] = [];
  const servers: Server[] = [];
  try {
    const sides = [];
    for (const side of [first, second]) {
      const redis = side.dispatch === 'queue' ? await startRedis() : undefined;
      if (redis) redises.push(redis);
      const server = await startServer('bench/servers/dispatch-server.ts', serverEnv(side.dispatch, redis?.url ?? 'redis://127.0.0.1:1'), side.root);
      servers.push(server);
      sides.push(postingSide(server.url, '/api/orders', order, () => cpuMs(server.pid) + (redis ? cpuMs(redis.pid) : 0), () => ioCounts(server.pid)));
    }
    return await paired(sides[0]!, sides[1]!, pairs, seconds, postSlice);
  } finally {
    for (const server of servers) await server.stop();
    for (const redis of redises) await redis.stop();
  }
}

/** Created -> delegation journaled and broadcast, through Redis and a BullMQ worker, on the devnet. */
async function createdToBroadcast(n: number): Promise<{ p50: number; p99: number; queued: number }> {
  const redis = await startRedis();
  const devnet = await startDevnet({ blockIntervalMs: 100, solidifyLag: 1 });
  const env = {
    ENABLE_BACKGROUND_TASKS: 'true',
    REDIS_URL: redis.url,
    TRON_FULL_HOST: devnet.url,
    POOL_PRIVATE_KEYS: devnet.accounts.pools.map((p) => p.privateKey).join(','),
    MAX_ENERGY: '1000000000',
    CHAIN_TIMEOUT_MS: '5000',
    // Our own devnet: with the default pacing for a TRON_FULL_HOST (10 requests a second, TronGrid's quota) this would measure the pacing.
    TRON_MAX_RPS: 'unlimited',
  };
  const log = createLogger('silent');
  // A `worker` and an `api` on one database, as two processes would run them.
  const worker = await benchJoule({ ...env, JOULE_ROLE: 'worker' }, { log, workerId: 'bench-worker' });
  const api = await benchJoule({ ...env, JOULE_ROLE: 'api' }, { log, databaseUrl: worker.databaseUrl });
  const { db } = api;
  try {
    await api.deposit(1, 100_000_000_000n);
    while (api.dispatch!.status!().redis?.up !== true || worker.engine!.queueWorker === undefined) await sleep(50);
    await sleep(500);
    for (let i = 0; i < n; i++) {
      const res = await api.inject({ method: 'POST', url: '/api/orders', payload: { user_id: 1, energy_amount: 32000 + i, duration: '1h', receive_address: devnet.accounts.customers[i % 3]!.address } });
      if (res.statusCode !== 201) throw new Error(`order: ${res.statusCode} ${res.body}`);
      await sleep(50);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await sql<{ n: bigint }>`select count(*) as n from chain_transactions where kind = 'delegate'`.execute(db.kysely);
      if (Number(r.rows[0]!.n) >= n || Date.now() > deadline) break;
      await sleep(100);
    }
    // Journaled (signed, stored) right before the broadcast; the broadcast is one HTTP call later.
    const rows = await sql<{ ms: bigint }>`
      select c.created_at - o.created_at as ms from chain_transactions c join orders o on o.id = c.order_id
      where c.kind = 'delegate' order by ms`.execute(db.kysely);
    const ms = rows.rows.map((r) => Number(r.ms));
    const firstEvents = await sql<{ n: bigint }>`select count(*) as n from order_events where reason = 'created'`.execute(db.kysely);
    return { p50: ms[Math.floor(ms.length * 0.5)] ?? NaN, p99: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))] ?? NaN, queued: Number(firstEvents.rows[0]!.n) };
  } finally {
    await api.close();
    await worker.close();
    await devnet.close();
    await redis.stop();
  }
}

export async function run(opts: { seconds?: number } = {}) {
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 5);
  const results = new Map<string, Run>();
  // BENCH_CASES=frozen,refused re-measures a few cases by id (up, refused, frozen, off, ping-up, …);
  // Redis up and background tasks off, the two sides of the ratios, always run.
  const only = (process.env.BENCH_CASES ?? '').split(',').filter((s) => s !== '');
  const cases = CASES.filter((c) => c.id === 'up' || c.id === 'off' || c.root !== undefined || only.length === 0 || only.includes(c.id));
  const [l1, l5, l15] = loadavg();
  console.log(`\nload average at start: ${l1!.toFixed(2)} ${l5!.toFixed(2)} ${l15!.toFixed(2)} (1, 5, 15 min)`);
  // Rounds, each over every case in turn, and the median per case: on a shared
  // machine, load from elsewhere then hits every case alike instead of one.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const runs = new Map<string, Run[]>(cases.map((c) => [c.name, []]));
  // Every other round runs the cases in reverse, so no case always follows the same one.
  for (let r = 0; r < rounds; r++) for (const c of r % 2 === 0 ? cases : [...cases].reverse()) runs.get(c.name)!.push(await creation(c, seconds));
  for (const [name, rs] of runs) {
    results.set(name, { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), non2xx: Math.max(...rs.map((r) => r.non2xx)), errors: Math.max(...rs.map((r) => r.errors)), apiCpuUs: median(rs.map((r) => r.apiCpuUs)), redisCpuUs: median(rs.map((r) => r.redisCpuUs)) });
  }
  const base = results.get('joule, Redis up')!;
  const off = results.get('joule, background tasks off')!;
  printTable(
    `Order creation by Redis state, 50 connections, ${seconds} s per run, median of ${rounds} rounds, SQLite, different users (ratios vs Joule with Redis up; last column vs background tasks off)`,
    ['case', 'orders/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'orders/s ratio', 'p99 ratio', 'orders/s vs off', 'API CPU µs/order', 'redis CPU µs/order', 'CPU vs off'],
    cases.map((c) => {
      const r = results.get(c.name)!;
      // Requests that never got an answer within the run are not in autocannon's figures: say so.
      if (r.rps === 0) return [c.name, '0', '-', '-', '-', '-', 'no answer within the run', '', '', '', '', ''];
      const cpu = r.apiCpuUs + r.redisCpuUs;
      return [c.name, r.rps.toFixed(0), r.p50, r.p99, r.non2xx, r.errors, (r.rps / base.rps).toFixed(2), (r.p99 / Math.max(base.p99, 1)).toFixed(2), (r.rps / off.rps).toFixed(2), r.apiCpuUs.toFixed(0), r.redisCpuUs.toFixed(0), (cpu / off.apiCpuUs).toFixed(2)];
    }),
  );
  // Each round's Redis-up / off ratio, so the spread behind the median is visible.
  const perRound = runs.get('joule, Redis up')!.map((r, i) => (r.rps / runs.get('joule, background tasks off')![i]!.rps).toFixed(2));
  const cpuOf = (r: Run) => r.apiCpuUs + r.redisCpuUs;
  const cpuPerRound = (up: string, offName: string) => runs.get(up)!.map((r, i) => (cpuOf(r) / runs.get(offName)![i]!.apiCpuUs).toFixed(2));
  const medianOf = (xs: string[]) => median(xs.map(Number)).toFixed(2);
  const cpuRounds = cpuPerRound('joule, Redis up', 'joule, background tasks off');
  console.log(
    `Redis up / background tasks off, per round: orders/s ${perRound.join(', ')} (median ${medianOf(perRound)}); ` +
      `CPU per order (API + redis-server) ${cpuRounds.join(', ')} (median ${medianOf(cpuRounds)})`,
  );
  if (before) {
    const b = runs.get('BENCH_BEFORE, Redis up')!.map((r, i) => (r.rps / runs.get('BENCH_BEFORE, background tasks off')![i]!.rps).toFixed(2));
    const bUp = results.get('BENCH_BEFORE, Redis up')!;
    const bOff = results.get('BENCH_BEFORE, background tasks off')!;
    const bCpu = cpuPerRound('BENCH_BEFORE, Redis up', 'BENCH_BEFORE, background tasks off');
    console.log(
      `BENCH_BEFORE: Redis up / background tasks off, per round: orders/s ${b.join(', ')} (median ${medianOf(b)}); CPU per order ${bCpu.join(', ')} (median ${medianOf(bCpu)}); ` +
        `ratios of the medians: orders/s ${(bUp.rps / bOff.rps).toFixed(2)}, CPU per order ${(cpuOf(bUp) / bOff.apiCpuUs).toFixed(2)}`,
    );
  }
  const pairs = Number(process.env.BENCH_PAIRS ?? 10);
  const pairedSeconds = Number(process.env.BENCH_PAIRED_SECONDS ?? 10);
  const side = await besideEachOther({ dispatch: 'off' }, { dispatch: 'queue' }, pairs, pairedSeconds);
  if (side.a.non2xx + side.a.errors + side.b.non2xx + side.b.errors > 0) throw new Error('side by side: orders refused or failed');
  const rpsRatio = side.b.rps / side.a.rps;
  const cpuRatio = side.b.cpuUs / side.a.cpuUs;
  printTable(
    `Redis up beside background tasks off: both up at once, ${pairs} pairs of alternating slices, ${pairedSeconds} s on each in all, 50 connections`,
    ['case', 'orders/s', 'p99 ms (median of the slices)', 'CPU µs/order (API + redis-server)', "API's read, write calls/order", "API's bytes written/order"],
    [
      ['joule, background tasks off', side.a.rps.toFixed(0), side.a.p99, side.a.cpuUs.toFixed(0), ...ioColumns(side.a.io)],
      ['joule, Redis up', side.b.rps.toFixed(0), side.b.p99, side.b.cpuUs.toFixed(0), ...ioColumns(side.b.io)],
    ],
  );
  console.log(
    `side by side, Redis up / off: orders/s ${rpsRatio.toFixed(2)}, CPU per order ${cpuRatio.toFixed(2)}; ` +
      `each pair's CPU ratio ${side.ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(side.ratios).toFixed(2)})`,
  );
  if (before) {
    // The code before and this one, both with Redis up, side by side: a change of a few per cent shows here where rounds minutes apart cannot see it.
    const vs = await besideEachOther({ dispatch: 'queue', root: before }, { dispatch: 'queue' }, pairs, pairedSeconds);
    if (vs.a.non2xx + vs.a.errors + vs.b.non2xx + vs.b.errors > 0) throw new Error('side by side with BENCH_BEFORE: orders refused or failed');
    console.log(
      `side by side, Redis up, this / BENCH_BEFORE: orders/s ${(vs.b.rps / vs.a.rps).toFixed(2)}, CPU per order (API + redis-server) ${(vs.b.cpuUs / vs.a.cpuUs).toFixed(2)} ` +
        `(${vs.b.cpuUs.toFixed(0)} against ${vs.a.cpuUs.toFixed(0)} µs); each pair's CPU ratio ${vs.ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(vs.ratios).toFixed(2)})`,
    );
  }
  if (process.env.BENCH_SKIP_LATENCY === '1') return { results, side };
  const n = Number(process.env.BENCH_ORDERS ?? 40);
  const lat = await createdToBroadcast(n);
  printTable(`Created -> delegation signed, journaled and broadcast, through Redis + BullMQ worker (${n} orders, 20/s, devnet)`, ['p50 ms', 'p99 ms'], [[lat.p50, lat.p99]]);
  return { results, latency: lat };
}

if (isMain(import.meta.url)) await run();
