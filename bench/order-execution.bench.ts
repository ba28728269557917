// Order execution: how fast Joule turns placed orders into confirmed
// delegations, against the devnet alone doing the same number of delegations
// directly with TronWeb, in the same run.
//
// Joule: role `all` in this process, built by createJoule (API with in-process
// dispatch, the engine, SQLite, a devnet with a block every 100 ms and a 1-block solidity
// lag; `--solidify-lag 19` is mainnet's, where a transaction waits 19 blocks for
// the solidified view). N orders of 32,000 energy for 1h to the devnet's 3 customers are
// placed by C concurrent clients (app.inject) as fast as the API takes them;
// then we wait until every one is `active` (delegation confirmed on the
// solidified view). Twice: all orders of the same size (as real traffic
// mostly is: identical delegations from one pool to one receiver built on
// the same reference block are the same transaction, same txID), then each
// order 10 energy larger than the last (every delegation distinct, like the
// baseline's). Per-order times come from the database clock:
//   created -> delegation journaled: orders.created_at to the delegate
//     chain_transactions row's created_at (signed and stored; the broadcast
//     is the next call, with nothing in between)
//   created -> active: orders.created_at to the delegating->active event
//   created -> broadcast, floor at raw rate: what created -> broadcast would
//     be if the orders, as they were created, went out first come first
//     served at the baseline's own broadcast rate of the same round: the
//     queue no engine on this machine could avoid when orders arrive faster
//     than TronWeb alone can build, sign and broadcast them
//
// Baseline: a fresh devnet with the same settings; C concurrent loops build
// (TronWeb, which reads the reference block from the node), sign and
// broadcast N locked delegations from one pool, of the stake Joule computes
// for 32,000 energy plus i TRX (distinct, so no two share a txID), then we
// poll the devnet until all are included and solidified.
//
// Same sizes once collided: two identical delegations built on one reference
// block were the same transaction (same txID). The gateway now gives every
// build its own creation timestamp, so both modes should be close.
//
// CPU ms each: the process's CPU time (every thread: API, engine, devnet,
// the baseline's TronWeb loops) over the run, per order; steadier than
// rates on a shared machine, and what a change to the engine's work moves.
// With PostgreSQL, its server's CPU (the postmaster and every backend) over
// the same run is added to Joule's. The CPU ratio, the baseline's CPU each
// over Joule's, is what the ratio of rates would be if both sides were
// bound by the machine's cores alone. It moves from round to round as the
// rates do (a contended core does less in a millisecond), but it says
// whether a side's rate was bound by its CPU or by waiting.
//
// Loop ran / waited ms each: the process's main thread, where the API, the
// engine, the devnet and the baseline's loops all run, per order: time on a
// core, and time it was ready to run but waited for one (Linux's schedstat).
// Neither side's throughput can pass one over their sum. On SQLite the
// wait is small; with PostgreSQL on the same cores it is where the server's
// backends took the loop's core (a CPU profile finds the loop taken off it
// in the socket writes that wake them).
//
// Database: SQLite (a fresh file per run) by default; `--database postgres`
// (BENCH_DATABASE) starts one PostgreSQL server for the benchmark (the test
// suite's settings) and gives each of Joule's runs a fresh database on it,
// as an operator with several workers runs Joule.
//
// Dispatch: in-process by default; `--redis` (BENCH_REDIS=1) starts one
// redis-server and runs each Joule with REDIS_URL and ENABLE_BACKGROUND_TASKS,
// as an operator with Redis does: each order a queue job, each job's order
// claimed on its own wake, the sweeper leaving young orders to their jobs
// (redis-server's CPU is not counted in Joule's).
//
// Request budget: the devnet is a node of the operator's own, with no quota,
// as for the baseline's TronWeb, so Joule runs with TRON_MAX_RPS=unlimited,
// what such an operator sets (`--max-rps 10`, the default whenever
// TRON_FULL_HOST is set, measures the budget instead: at a block every 100 ms
// the block follower alone asks 10 times a second).
//
// The database on a core of its own: `--database-core` (BENCH_DATABASE_CORE=1,
// PostgreSQL only) puts PostgreSQL's server on the machine's last core and
// this process on the others, for the baseline's runs as for Joule's
// (bench/lib/cpu-pin.ts): as when the database has a host of its own, its
// backends no longer take turns with Joule's event loop, and both sides
// have the same cores for their process.
//
// Rounds: the machines are shared, so the three runs (baseline, same sizes,
// distinct sizes) are repeated --rounds times, their order rotated each round,
// and the medians printed beside each round's figures. A warm-up of each side
// (as many orders, not counted) runs first: whichever side ran first
// in a cold process paid for compiling the code both share (TronWeb, the
// devnet), and in round 1 that was always the baseline.
//
// A process that has been up: `--pause-s S` (BENCH_PAUSE_S) has each Joule
// instance take a burst of N orders first, not counted, wait until they are
// active, stay quiet S seconds, and only then measure a second burst (its
// orders alone). Connections, prepared statements and their plans are then
// those a long-running process would have after S quiet seconds.
//
//   node --import tsx bench/order-execution.bench.ts [--n 300] [--concurrency 8] [--worker-concurrency 8] [--rounds 3] [--max-rps unlimited]
//     [--solidify-lag 1] [--database sqlite|postgres] [--pause-s S] [--database-core] [--redis]
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { TronWeb } from 'tronweb';
import { startDevnet, type Devnet } from '../src/devnet/index.js';
import { lockBlocksFor } from '../src/domain/energy.js';
import { createLogger } from '../src/observability/logger.js';
import { createDatabase, startPostgres } from '../scripts/services/postgres.js';
import { redisCommand, startRedis } from '../scripts/services/redis.js';
import { benchJoule } from './lib/bench-joule.js';
import { databaseOnItsOwnCore } from './lib/cpu-pin.js';
import { ioCounts, isMain, mainThreadMs, printTable, processTreeCpuMs } from './lib/harness.js';
import { machineLine, median } from './lib/processes.js';

const ENERGY = 32_000;
const USERS = 10;

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface JouleRun {
  placeMs: number;
  placedPerSecond: number;
  allActiveMs: number;
  activePerSecond: number;
  /**
   * CPU time of the whole process (API, engine, devnet, every thread) from
   * the first order to the last active, per order; with PostgreSQL, plus its
   * server's over the same time.
   */
  cpuMsPerOrder: number;
  /** Of which PostgreSQL's server (0 on SQLite, which runs in the process). */
  databaseCpuMsPerOrder: number;
  /**
   * The process's write system calls over the same time, per order (ioCounts:
   * PostgreSQL's statements, SQLite's WAL, both ends of the devnet's HTTP,
   * the benchmark's own polling; NaN where /proc cannot tell). A count the
   * machine's speed does not move, as it moves CPU time.
   */
  writesPerOrder: number;
  /** The event loop's thread over the same time, per order (MainThread). */
  mainThread: MainThread;
  /**
   * Times an order was claimed from created to active (its lease_version):
   * each claim is a run of its step, with the lease, journal look-up and
   * release statements around it.
   */
  claimsPerOrder: number;
  createdToJournaled: Latency;
  createdToActive: Latency;
  /**
   * The floor of created -> broadcast: when each order would be broadcast if
   * orders went out first come, first served, as fast as the raw TronWeb
   * loops broadcast in the same round (and never before it was created).
   * Those loops had the process to themselves, with no API placing orders
   * beside them: no engine on this machine can do better.
   */
  createdToBroadcastFloor: Latency;
}

/**
 * The process's main thread, where the API, the engine, the devnet (and the
 * baseline's TronWeb loops) all run, per order: ms it ran on a core, and ms
 * it was ready to run but waited for one (mainThreadMs; NaN where /proc
 * cannot tell). Whatever shares the machine's cores with the process, such
 * as PostgreSQL's backends, shows in the second.
 */
export interface MainThread {
  ran: number;
  waited: number;
}

/** Rounded to two decimals, as every figure per order and every ratio is printed. */
const hundredths = (x: number) => Math.round(x * 100) / 100;

const mainThreadSince = (start: MainThread, n: number): MainThread => {
  const now = mainThreadMs();
  return { ran: hundredths((now.ran - start.ran) / n), waited: hundredths((now.waited - start.waited) / n) };
};

/** A ratio for each size of order, `of(k)` the unrounded one. */
const bySizes = (of: (k: Sizes) => number): Record<Sizes, number> => ({ same: hundredths(of('same')), distinct: hundredths(of('distinct')) });

export type Sizes = 'same' | 'distinct';

export interface ExecutionResult {
  config: { n: number; concurrency: number; workerConcurrency: number; node: string };
  joule: Record<Sizes, JouleRun>;
  baseline: {
    allBroadcastMs: number;
    broadcastPerSecond: number;
    allIncludedMs: number;
    includedPerSecond: number;
    allSolidMs: number;
    solidPerSecond: number;
    /** The same for the baseline, first build to last solidified, per delegation. */
    cpuMsPerOrder: number;
    /** Write system calls, the same way (JouleRun.writesPerOrder). */
    writesPerOrder: number;
    /** The main thread, the same way (JouleRun.mainThread). */
    mainThread: MainThread;
    startToBroadcast: Latency;
    startToIncluded: Latency;
    startToSolid: Latency;
    refused: number;
  };
  /** Joule orders active per second / raw delegations solidified per second. */
  ratioSolid: Record<Sizes, number>;
  /** Joule orders active per second / raw delegations included per second. */
  ratioIncluded: Record<Sizes, number>;
  /** The baseline's CPU each / Joule's (its database's included): the ratio of rates were both bound by CPU alone. */
  cpuRatio: Record<Sizes, number>;
}

function latency(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
  return { p50: Math.round(at(50)), p99: Math.round(at(99)), max: Math.round(sorted.at(-1) ?? 0) };
}

const cpuMsPer = (cpu: NodeJS.CpuUsage, n: number) => hundredths((cpu.user + cpu.system) / 1000 / n);

/** This process's write system calls so far (ioCounts; NaN where /proc cannot tell). */
const writesSoFar = () => ioCounts(process.pid)?.writes ?? NaN;
const writesPer = (from: number, n: number) => hundredths((writesSoFar() - from) / n);

/** Runs `count` jobs with `concurrency` loops. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/** See JouleRun.createdToBroadcastFloor: `created` in ms, `perSecond` the raw broadcast rate. */
function broadcastFloor(created: readonly number[], perSecond: number): Latency {
  const sorted = [...created].sort((a, b) => a - b);
  const gap = 1000 / perSecond;
  let free = -Infinity;
  return latency(
    sorted.map((c) => {
      free = Math.max(c, free + gap);
      return free - c;
    }),
  );
}

type MeasuredJoule = Omit<JouleRun, 'createdToBroadcastFloor'> & { created: number[] };

/** Where Joule's runs keep their data: a fresh SQLite file each, or a fresh database each on one PostgreSQL server. */
/** What each Joule instance runs on: its database, and with `--redis` the Redis it dispatches through. */
type Storage = ({ kind: 'sqlite' } | { kind: 'postgres'; clusterUrl: string; pid: number }) & { redis?: { url: string; port: number } };

async function measureJoule(
  n: number,
  concurrency: number,
  workerConcurrency: number,
  maxRps: string,
  solidifyLag: number,
  sizes: Sizes,
  storage: Storage,
  pauseS: number | null,
): Promise<MeasuredJoule> {
  const devnet = await startDevnet({ blockIntervalMs: 100, solidifyLag });
  const databaseUrl = storage.kind === 'postgres' ? await createDatabase(storage.clusterUrl) : undefined;
  const serverCpuMs = () => (storage.kind === 'postgres' ? processTreeCpuMs(storage.pid) : 0);
  // Each instance starts on an empty Redis: no job of the one before is left for it.
  if (storage.redis) await redisCommand(storage.redis.port, ['FLUSHALL']);
  const s = await benchJoule(
    {
      JOULE_ROLE: 'all',
      TRON_FULL_HOST: devnet.url,
      POOL_PRIVATE_KEYS: devnet.accounts.pools.map((p) => p.privateKey).join(','),
      ALLOWED_DURATIONS: '1h',
      WORKER_CONCURRENCY: String(workerConcurrency),
      CONFIRM_POLL_MS: '100',
      SWEEP_INTERVAL_MS: '200',
      LEASE_MS: '5000',
      CHAIN_TIMEOUT_MS: '1500',
      MAX_ENERGY: '1000000000',
      TRON_MAX_RPS: maxRps,
      ...(storage.redis ? { REDIS_URL: storage.redis.url, ENABLE_BACKGROUND_TASKS: 'true' } : {}),
    },
    { log: createLogger('silent'), ...(databaseUrl ? { databaseUrl } : {}) },
  );
  try {
    for (let u = 1; u <= USERS; u++) await s.deposit(u, 1_000_000_000_000n);
    const customers = devnet.accounts.customers.map((c) => c.address);
    /** Places n orders as fast as the clients go; their ids. */
    const placeBurst = async () => {
      const ids: string[] = new Array<string>(n);
      await pool(n, concurrency, async (i) => {
        const res = await s.inject({
          method: 'POST',
          url: '/api/orders',
          payload: {
            user_id: (i % USERS) + 1,
            energy_amount: sizes === 'same' ? ENERGY : ENERGY + 10 * i,
            duration: '1h',
            receive_address: customers[i % customers.length],
          },
        });
        if (res.statusCode !== 201) throw new Error(`order ${i}: ${res.statusCode} ${res.body}`);
        ids[i] = res.json<{ id: string }>().id;
      });
      return ids;
    };
    /** Waits until `count` orders of this instance are active (none failed). */
    const allActive = async (count: number) => {
      const deadline = Date.now() + 300_000;
      for (;;) {
        const row = await s.db.kysely
          .selectFrom('orders')
          .select((eb) => eb.fn.countAll<bigint>().as('n'))
          .where('status', '=', 'active')
          .executeTakeFirstOrThrow();
        if (Number(row.n) >= count) return;
        const stuck = await s.db.kysely.selectFrom('orders').select(['id', 'status', 'error_code']).where('status', '=', 'failed').execute();
        if (stuck.length > 0) throw new Error(`orders failed: ${JSON.stringify(stuck.slice(0, 3))}`);
        if (Date.now() > deadline) throw new Error(`only ${row.n} of ${count} orders active after 300 s`);
        await sleep(20);
      }
    };
    // An earlier burst, not counted, then a quiet pause: the measured burst finds the process as a
    // long-running one would after that long with no orders.
    const earlier = pauseS === null ? 0 : n;
    if (pauseS !== null) {
      await placeBurst();
      await allActive(n);
      await sleep(pauseS * 1000);
    }
    const cpuAtStart = process.cpuUsage();
    const writesAtStart = writesSoFar();
    const mainThreadAtStart = mainThreadMs();
    const serverCpuAtStart = serverCpuMs();
    const started = performance.now();
    const ids = await placeBurst();
    const placeMs = performance.now() - started;
    await allActive(earlier + n);
    const allActiveMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuAtStart);
    const writesPerOrder = writesPer(writesAtStart, n);
    const mainThread = mainThreadSince(mainThreadAtStart, n);
    const serverCpu = serverCpuMs() - serverCpuAtStart;
    // The measured burst's orders only (an earlier burst's are in the same tables).
    const measured = new Set(ids);
    const orders = (await s.db.kysely.selectFrom('orders').select(['id', 'created_at', 'lease_version']).execute()).filter((o) => measured.has(o.id));
    const claims = orders.reduce((sum, o) => sum + Number(o.lease_version), 0);
    const created = new Map(orders.map((o) => [o.id, Number(o.created_at)]));
    const journaled = (
      await s.db.kysely.selectFrom('chain_transactions').select(['order_id', 'created_at']).where('kind', '=', 'delegate').execute()
    ).filter((j) => measured.has(j.order_id!));
    const activated = (
      await s.db.kysely.selectFrom('order_events').select(['order_id', 'at']).where('from_status', '=', 'delegating').where('to_status', '=', 'active').execute()
    ).filter((e) => measured.has(e.order_id));
    const landed = ((await (await fetch(`${devnet.url}/devnet/transactions`)).json()) as { transactions: any[] }).transactions.filter(
      (t) => t.contractType === 'DelegateResourceContract' && t.status === 'included',
    );
    if (landed.length !== earlier + n) throw new Error(`${landed.length} delegations landed for ${earlier + n} orders`);
    return {
      placeMs: Math.round(placeMs),
      placedPerSecond: Math.round((n / placeMs) * 1000),
      allActiveMs: Math.round(allActiveMs),
      activePerSecond: Math.round((n / allActiveMs) * 10_000) / 10,
      cpuMsPerOrder: hundredths(cpuMsPer(cpu, n) + serverCpu / n),
      databaseCpuMsPerOrder: hundredths(serverCpu / n),
      writesPerOrder,
      mainThread,
      claimsPerOrder: hundredths(claims / n),
      createdToJournaled: latency(journaled.map((j) => Number(j.created_at) - created.get(j.order_id!)!)),
      createdToActive: latency(activated.map((e) => Number(e.at) - created.get(e.order_id)!)),
      created: [...created.values()],
    };
  } finally {
    await s.close();
    await devnet.close();
  }
}

async function measureBaseline(n: number, concurrency: number, solidifyLag: number) {
  const devnet: Devnet = await startDevnet({ blockIntervalMs: 100, solidifyLag });
  try {
    const poolAccount = devnet.accounts.pools[0]!;
    const customers = devnet.accounts.customers.map((c) => c.address);
    const tw = new TronWeb({ fullHost: devnet.url, privateKey: poolAccount.privateKey });
    const res = (await tw.trx.getAccountResources(poolAccount.address)) as any;
    // The same stake per delegation as Joule computes for 32,000 energy.
    const sun = Math.max(1_000_000, Math.ceil((ENERGY * res.TotalEnergyWeight) / res.TotalEnergyLimit) * 1_000_000);
    const lock = Number(lockBlocksFor(3600n));

    const startAt: number[] = new Array<number>(n);
    const broadcastAt: number[] = new Array<number>(n);
    const txids: string[] = new Array<string>(n);
    let refused = 0;
    const includedAt = new Map<string, number>();
    const blockOf = new Map<string, number>();
    const solidAt = new Map<string, number>();
    let broadcasting = true;
    let gaveUp = false;
    const admin = async (path: string) => (await (await fetch(`${devnet.url}/devnet${path}`)).json()) as any;
    // Watches the devnet for inclusion and solidification of every transaction:
    // its head and solid block every 10 ms, the list of included transactions
    // only when one of them moved (it only changes when a block is made), so
    // that watching costs the baseline's process no more than Joule's own
    // count of active orders costs Joule's.
    let seen = '';
    const watcher = (async () => {
      while (!gaveUp && (broadcasting || solidAt.size < txids.filter(Boolean).length - refused)) {
        const status = await admin('/status');
        const now = performance.now();
        const blocks = `${status.head}/${status.solid}`;
        if (blocks === seen) {
          await sleep(10);
          continue;
        }
        seen = blocks;
        const txs = await admin('/transactions?status=included');
        for (const t of txs.transactions as any[]) {
          if (!includedAt.has(t.txID)) {
            includedAt.set(t.txID, now);
            blockOf.set(t.txID, Number(t.block));
          }
          if (!solidAt.has(t.txID) && Number(t.block) <= Number(status.solid)) solidAt.set(t.txID, now);
        }
        await sleep(10);
      }
    })();

    const cpuAtStart = process.cpuUsage();
    const writesAtStart = writesSoFar();
    const mainThreadAtStart = mainThreadMs();
    const started = performance.now();
    await pool(n, concurrency, async (i) => {
      startAt[i] = performance.now();
      // Distinct amounts: two delegations built on the same reference block must not share a txID.
      const tx = await tw.transactionBuilder.delegateResource(sun + i * 1_000_000, customers[i % customers.length]!, 'ENERGY', poolAccount.address, true, lock);
      const signed = await tw.trx.sign(tx);
      const r = (await tw.trx.sendRawTransaction(signed)) as any;
      broadcastAt[i] = performance.now();
      txids[i] = signed.txID;
      if (r.result !== true) refused++;
    });
    const allBroadcastMs = performance.now() - started;
    broadcasting = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      watcher,
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('baseline: not every delegation solidified in 60 s')), 60_000);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      gaveUp = true;
    });
    const cpu = process.cpuUsage(cpuAtStart);
    const writesPerOrder = writesPer(writesAtStart, n);
    const mainThread = mainThreadSince(mainThreadAtStart, n);
    const allIncludedMs = Math.max(...includedAt.values()) - started;
    const allSolidMs = Math.max(...solidAt.values()) - started;
    const per = (ms: number) => Math.round((n / ms) * 10_000) / 10;
    return {
      allBroadcastMs: Math.round(allBroadcastMs),
      broadcastPerSecond: per(allBroadcastMs),
      allIncludedMs: Math.round(allIncludedMs),
      includedPerSecond: per(allIncludedMs),
      allSolidMs: Math.round(allSolidMs),
      solidPerSecond: per(allSolidMs),
      cpuMsPerOrder: cpuMsPer(cpu, n),
      writesPerOrder,
      mainThread,
      startToBroadcast: latency(broadcastAt.map((b, i) => b - startAt[i]!)),
      startToIncluded: latency(txids.filter((t) => includedAt.has(t)).map((t) => includedAt.get(t)! - startAt[txids.indexOf(t)]!)),
      startToSolid: latency(txids.filter((t) => solidAt.has(t)).map((t) => solidAt.get(t)! - startAt[txids.indexOf(t)]!)),
      refused,
    };
  } finally {
    await devnet.close();
  }
}

type Baseline = ExecutionResult['baseline'];

/** The median of each figure over the rounds (each latency percentile on its own). */
function medianOf<T extends object>(runs: readonly T[]): T {
  const first = runs[0]!;
  return Object.fromEntries(
    Object.entries(first).map(([k, v]) => [
      k,
      // Two decimals: an even number of rounds averages the middle two.
      typeof v === 'number' ? hundredths(median(runs.map((r) => (r as Record<string, number>)[k]!))) : medianOf(runs.map((r) => (r as Record<string, object>)[k]!)),
    ]),
  ) as T;
}

function print(title: string, baseline: Baseline, joule: Record<Sizes, JouleRun>): void {
  const lat = (l: Latency) => [l.p50, l.p99, l.max];
  const loop = (m: MainThread) => `${m.ran} / ${m.waited}`;
  printTable(
    title,
    ['run', 'what', 'wall ms', 'per second', 'p50 ms', 'p99 ms', 'max ms', 'CPU ms each', 'of which PostgreSQL', 'write calls each', 'loop ran / waited ms each', 'claims each'],
    [
      ['baseline', 'start -> broadcast accepted', baseline.allBroadcastMs, baseline.broadcastPerSecond, ...lat(baseline.startToBroadcast), '', '', '', '', ''],
      ['baseline', 'start -> included', baseline.allIncludedMs, baseline.includedPerSecond, ...lat(baseline.startToIncluded), '', '', '', '', ''],
      ['baseline', 'start -> solidified', baseline.allSolidMs, baseline.solidPerSecond, ...lat(baseline.startToSolid), baseline.cpuMsPerOrder, '', baseline.writesPerOrder, loop(baseline.mainThread), ''],
      ...(['same', 'distinct'] as const).flatMap((k) => [
        [`joule, ${k} sizes`, 'orders placed (API)', joule[k].placeMs, joule[k].placedPerSecond, '', '', '', '', '', '', '', ''],
        [`joule, ${k} sizes`, 'created -> delegation journaled', '', '', ...lat(joule[k].createdToJournaled), '', '', '', '', ''],
        [`joule, ${k} sizes`, 'created -> broadcast, floor at raw rate', '', '', ...lat(joule[k].createdToBroadcastFloor), '', '', '', '', ''],
        [
          `joule, ${k} sizes`,
          'created -> active',
          joule[k].allActiveMs,
          joule[k].activePerSecond,
          ...lat(joule[k].createdToActive),
          joule[k].cpuMsPerOrder,
          joule[k].databaseCpuMsPerOrder || '',
          joule[k].writesPerOrder,
          loop(joule[k].mainThread),
          joule[k].claimsPerOrder,
        ],
      ]),
    ],
  );
}

export async function run(
  opts: {
    n?: number;
    concurrency?: number;
    workerConcurrency?: number;
    rounds?: number;
    maxRps?: string;
    solidifyLag?: number;
    database?: string;
    pauseS?: number;
    databaseCore?: boolean;
    redis?: boolean;
  } = {},
): Promise<ExecutionResult> {
  const n = opts.n ?? Number(process.env.BENCH_ORDERS ?? 300);
  const concurrency = opts.concurrency ?? Number(process.env.BENCH_CONCURRENCY ?? 8);
  const workerConcurrency = opts.workerConcurrency ?? Number(process.env.WORKER_CONCURRENCY ?? 8);
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  const maxRps = opts.maxRps ?? process.env.TRON_MAX_RPS ?? 'unlimited';
  const solidifyLag = opts.solidifyLag ?? Number(process.env.BENCH_SOLIDIFY_LAG ?? 1);
  const database = opts.database ?? process.env.BENCH_DATABASE ?? 'sqlite';
  if (database !== 'sqlite' && database !== 'postgres') throw new Error(`--database: sqlite or postgres, not ${database}`);
  const pauseS = opts.pauseS ?? (process.env.BENCH_PAUSE_S === undefined ? null : Number(process.env.BENCH_PAUSE_S));
  if (pauseS !== null && !(pauseS >= 0)) throw new Error(`--pause-s: seconds, not ${pauseS}`);
  const databaseCore = opts.databaseCore ?? process.env.BENCH_DATABASE_CORE === '1';
  if (databaseCore && database !== 'postgres') throw new Error('--database-core: only with --database postgres (SQLite runs inside the process)');
  const redis = opts.redis ?? process.env.BENCH_REDIS === '1';
  console.log(machineLine());
  const postgres = database === 'postgres' ? await startPostgres({ database: 'bench' }) : undefined;
  const redisServer = redis ? await startRedis() : undefined;
  try {
    const cores = databaseCore ? databaseOnItsOwnCore(postgres!.pid) : null;
    const dispatch = redisServer ? { redis: { url: redisServer.url, port: redisServer.port } } : {};
    return await runRounds(
      { n, concurrency, workerConcurrency, rounds, maxRps, solidifyLag, pauseS, cores },
      postgres ? { kind: 'postgres', clusterUrl: postgres.url, pid: postgres.pid, ...dispatch } : { kind: 'sqlite', ...dispatch },
    );
  } finally {
    await postgres?.stop();
    await redisServer?.stop();
  }
}

async function runRounds(
  {
    n,
    concurrency,
    workerConcurrency,
    rounds,
    maxRps,
    solidifyLag,
    pauseS,
    cores,
  }: { n: number; concurrency: number; workerConcurrency: number; rounds: number; maxRps: string; solidifyLag: number; pauseS: number | null; cores: string | null },
  storage: Storage,
): Promise<ExecutionResult> {
  const setting = `${n} orders (32,000 energy, 1h), ${concurrency} clients, engine concurrency ${workerConcurrency}, TRON_MAX_RPS ${maxRps}, ${storage.kind === 'postgres' ? 'PostgreSQL (its CPU counted in Joule\'s)' : 'SQLite'}${storage.redis ? ', dispatched through Redis' : ''}; devnet 100 ms blocks, solidity lag ${solidifyLag}${pauseS === null ? '' : `; Joule measured on its second burst, ${pauseS} s after its first`}${cores === null ? '' : `; ${cores}`}; node ${process.version}`;
  const baselines: Baseline[] = [];
  const joules: Array<Record<Sizes, JouleRun>> = [];
  const ratios: Array<Record<Sizes, number>> = [];
  const cpuRatios: Array<Record<Sizes, number>> = [];
  const warmUp = n;
  const warmBaseline = await measureBaseline(warmUp, concurrency, solidifyLag);
  const warmJoule = await measureJoule(warmUp, concurrency, workerConcurrency, maxRps, solidifyLag, 'distinct', storage, null);
  console.log(
    `warm-up, not counted: ${warmUp} delegations by the baseline (${warmBaseline.solidPerSecond} solidified/s) and ${warmUp} orders by Joule (${warmJoule.activePerSecond} active/s)`,
  );
  for (let round = 0; round < rounds; round++) {
    const got: { baseline?: Baseline; same?: MeasuredJoule; distinct?: MeasuredJoule } = {};
    const runs = [
      async () => {
        got.baseline = await measureBaseline(n, concurrency, solidifyLag);
      },
      async () => {
        got.same = await measureJoule(n, concurrency, workerConcurrency, maxRps, solidifyLag, 'same', storage, pauseS);
      },
      async () => {
        got.distinct = await measureJoule(n, concurrency, workerConcurrency, maxRps, solidifyLag, 'distinct', storage, pauseS);
      },
    ];
    // Rotated each round, so no side always runs first (or last) on a machine whose load drifts.
    for (let i = 0; i < runs.length; i++) await runs[(i + round) % runs.length]!();
    const withFloor = ({ created, ...measured }: MeasuredJoule): JouleRun => ({
      ...measured,
      createdToBroadcastFloor: broadcastFloor(created, got.baseline!.broadcastPerSecond),
    });
    const joule = { same: withFloor(got.same!), distinct: withFloor(got.distinct!) };
    baselines.push(got.baseline!);
    joules.push(joule);
    ratios.push(bySizes((k) => joule[k].activePerSecond / got.baseline!.solidPerSecond));
    cpuRatios.push(bySizes((k) => got.baseline!.cpuMsPerOrder / joule[k].cpuMsPerOrder));
    print(`Round ${round + 1} of ${rounds}: ${setting}`, got.baseline!, joule);
    console.log(`ratio Joule active/s ÷ raw solidified/s: same sizes ${ratios.at(-1)!.same}, distinct sizes ${ratios.at(-1)!.distinct}`);
    console.log(`CPU ratio, raw CPU each ÷ Joule's: same sizes ${cpuRatios.at(-1)!.same}, distinct sizes ${cpuRatios.at(-1)!.distinct}`);
    console.log(machineLine());
  }
  const baseline = medianOf(baselines);
  const joule = medianOf(joules);
  const result: ExecutionResult = {
    config: { n, concurrency, workerConcurrency, node: process.version },
    joule,
    baseline,
    ratioSolid: medianOf(ratios),
    cpuRatio: medianOf(cpuRatios),
    ratioIncluded: medianOf(joules.map((j, i) => bySizes((k) => j[k].activePerSecond / baselines[i]!.includedPerSecond))),
  };
  print(`Medians of ${rounds} rounds: ${setting}`, baseline, joule);
  for (const k of ['same', 'distinct'] as const) {
    console.log(
      `ratio Joule (${k} sizes) active/s ÷ raw solidified/s, median of the rounds' own: ${result.ratioSolid[k]} (rounds: ${ratios.map((r) => r[k]).join(', ')}); ÷ raw included/s: ${result.ratioIncluded[k]}`,
    );
    console.log(`CPU ratio (${k} sizes), raw CPU each ÷ Joule's, median of the rounds' own: ${result.cpuRatio[k]} (rounds: ${cpuRatios.map((r) => r[k]).join(', ')})`);
  }
  const refused = baselines.reduce((sum, b) => sum + b.refused, 0);
  if (refused > 0) console.log(`baseline: ${refused} broadcasts refused over the rounds`);
  return result;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      concurrency: { type: 'string' },
      'worker-concurrency': { type: 'string' },
      rounds: { type: 'string' },
      'max-rps': { type: 'string' },
      'solidify-lag': { type: 'string' },
      database: { type: 'string' },
      'pause-s': { type: 'string' },
      'database-core': { type: 'boolean' },
      redis: { type: 'boolean' },
    },
  });
  await run({
    ...(values.n ? { n: Number(values.n) } : {}),
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
    ...(values['worker-concurrency'] ? { workerConcurrency: Number(values['worker-concurrency']) } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values['max-rps'] ? { maxRps: values['max-rps'] } : {}),
    ...(values['solidify-lag'] ? { solidifyLag: Number(values['solidify-lag']) } : {}),
    ...(values.database ? { database: values.database } : {}),
    ...(values['pause-s'] ? { pauseS: Number(values['pause-s']) } : {}),
    ...(values['database-core'] ? { databaseCore: true } : {}),
    ...(values.redis ? { redis: true } : {}),
  });
}
