// Order creation under load, 50 connections, as a new user would measure it:
//   baseline       a bare Fastify route doing one SQLite transaction (debit +
//                  insert) with raw better-sqlite3, plain `node`, plain JS
//   joule          `node dist/main.js api`: the real process, default settings
//                  (SQLite, LOG_LEVEL info), its log written to a file
//   joule (embed)  the same app built by createJoule inside a TypeScript-loaded
//                  process (bench/servers/joule-server.ts), log to a file too
// for "every request a different user", "every request the same user", and
// the same user with an API key on every request (API_KEYS, a limit far above
// the load, so every request passes the limiter). Every server is fresh for
// each measurement; rounds alternate the order in which they run (BENCH_ROUNDS,
// default 3) and the median of the rounds is reported, with the machine's load
// at the start. BENCH_PROFILE=1 adds a CPU profile of the real process.
//
// Then rate limiting on vs off (issue 15), the real process only, the same
// user with an API key on every request: on, RATE_LIMIT_PER_MIN at its
// largest (MAX_RATE_LIMIT, so every request is counted and none refused);
// off, RATE_LIMIT_PER_MIN=0 (no limit: the limiter is never asked). The two
// alternate within each round (on first in even rounds); the ratio is on /
// off. Where the limiter counts is read from the process's own log line.
//
// Then "side by side": the real process and the baseline both up at once,
// every request a different user, loaded in turn in BENCH_PAIRS (default 10)
// pairs of slices, twice BENCH_SECONDS on each in all (bench/lib/paired.ts):
// the machine's drift falls on both alike, and each pair gives a ratio. Each
// side's read and write system calls an order and bytes written an order are
// printed beside its CPU: they do not change with the machine, and say why a
// ratio does when a system call costs more on one day than another.
//
// BENCH_BEFORE=<folder holding another checkout of Joule, built, with its
// node_modules>: side by side then pairs that code's real process with this
// one's instead of the baseline with this one: a change's own effect, with
// the machine's drift falling on both alike.
//
// BENCH_MODES: comma-separated parts of mode names to run only those
// (e.g. BENCH_MODES="rate limit"); all of them by default.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SYNC_MS } from '../src/api/rate-limiter.js';
import { MAX_RATE_LIMIT } from '../src/config.js';
import { summariseCpuProfile } from './lib/cpu-profile.js';
import { cpuMs, ioColumns, ioCounts, isMain, load, printTable, startServer, type LoadResult } from './lib/harness.js';
import { paired, postingSide, postSlice } from './lib/paired.js';
import { machineLine, median, startJouleProcess, startNodeScript } from './lib/processes.js';

const USERS = 100_000;
const BENCH_KEY = 'bench-client-key-0123456789';
const ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const order = (userId: number) => ({ user_id: userId, energy_amount: 32000, duration: '1h', receive_address: ADDRESS });

/** Users 1..n with 1,000,000 TRX each and their deposit entries, written into a running Joule's SQLite file. */
function seedSqlite(databaseUrl: string, n: number): void {
  const db = new Database(databaseUrl.slice('sqlite:'.length));
  db.pragma('busy_timeout = 10000');
  db.exec(`with recursive ids(id) as (select 1 union all select id + 1 from ids where id < ${n})
    insert into users (id, balance_sun, created_at, updated_at) select id, 1000000000000, 0, 0 from ids`);
  db.exec(`insert into ledger_entries (user_id, kind, amount_sun, balance_after_sun, reference, created_at)
    select id, 'deposit', balance_sun, balance_sun, 'seed-' || id, 0 from users`);
  db.close();
}

type ServerName = 'baseline' | 'joule' | 'joule (embed)';
const SERVERS: readonly ServerName[] = ['baseline', 'joule', 'joule (embed)'];

async function measure(name: ServerName, env: Record<string, string>, body: (i: number) => object, seconds: number, headers: Record<string, string>, profileDir?: string): Promise<LoadResult> {
  const server =
    name === 'baseline'
      ? await startNodeScript('bench/servers/baseline-server.mjs', { BENCH_USERS: String(USERS) })
      : name === 'joule'
        ? await startJouleProcess('api', env, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])
        : await startServer('bench/servers/joule-server.ts', { ...env, BENCH_USERS: String(USERS), BENCH_LOG_FILE: '1' });
  try {
    if ('databaseUrl' in server) seedSqlite(server.databaseUrl as string, USERS);
    return await load(server.url, name === 'baseline' ? '/api/orders' : '/api/orders/', body, { seconds, headers });
  } finally {
    await server.stop();
  }
}

type Limiter = 'on' | 'off';
const LIMITS: Record<Limiter, string> = { on: String(MAX_RATE_LIMIT), off: '0' };

/**
 * The real process with an API key, rate limiting on or off: one order
 * first, to see the limiter answer (RateLimit-Limit) or not, then the load.
 * Also answers where the limiter counts, as the process's log says it.
 */
interface LimiterResult extends LoadResult {
  /** Where the limiter counts, from the process's log line. */
  shared: string;
  /** Requests counted in the database's rate_limit_counts once the load is over. */
  counted: number;
}

async function measureLimiter(limiter: Limiter, level: Record<string, string>, seconds: number): Promise<LimiterResult> {
  const server = await startJouleProcess('api', { ...level, API_KEYS: BENCH_KEY, RATE_LIMIT_PER_MIN: LIMITS[limiter] });
  try {
    seedSqlite(server.databaseUrl, USERS);
    const headers = { authorization: `Bearer ${BENCH_KEY}` };
    const probe = await fetch(`${server.url}/api/orders/`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(order(1)) });
    if (probe.status !== 201) throw new Error(`rate limit ${limiter}: a keyed order answered ${probe.status} ${await probe.text()}`);
    const answered = probe.headers.get('ratelimit-limit');
    if ((limiter === 'on') !== (answered === LIMITS.on)) throw new Error(`rate limit ${limiter}: RateLimit-Limit is ${answered ?? 'absent'}`);
    const result = await load(server.url, '/api/orders/', () => order(1), { seconds, headers });
    const line = readFileSync(join(server.dir, 'out.log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; shared?: string })
      .find((l) => l.msg?.startsWith('client keys are rate-limited'));
    // The last admissions reach the shared counts within SYNC_MS.
    await new Promise((r) => setTimeout(r, 3 * SYNC_MS));
    const db = new Database(server.databaseUrl.slice('sqlite:'.length), { readonly: true });
    const { counted } = db.prepare('select coalesce(sum(count), 0) as counted from rate_limit_counts').get() as { counted: number };
    db.close();
    return { ...result, shared: line?.shared ?? 'unknown (no log line)', counted: Number(counted) };
  } finally {
    await server.stop();
  }
}

/** Rate limiting on vs off, alternating within each round: a table of medians and the ratio on / off. */
async function limiterOnOff(level: Record<string, string>, seconds: number, rounds: number): Promise<number> {
  const byLimiter = new Map<Limiter, LimiterResult[]>([
    ['on', []],
    ['off', []],
  ]);
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const round = new Map<Limiter, LimiterResult>();
    for (const limiter of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) round.set(limiter, await measureLimiter(limiter, level, seconds));
    for (const [limiter, x] of round) byLimiter.get(limiter)!.push(x);
    ratios.push(round.get('on')!.rps / round.get('off')!.rps);
  }
  printTable(
    `Rate limiting on vs off: node dist/main.js api, the same user with an API key, 50 connections, ${seconds} s per measurement, median of ${rounds} alternating rounds`,
    ['rate limiting', 'RATE_LIMIT_PER_MIN', 'orders/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio on / off', 'each round (orders/s)'],
    (['on', 'off'] as const).map((limiter) => {
      const xs = byLimiter.get(limiter)!;
      return [limiter, LIMITS[limiter], median(xs.map((x) => x.rps)).toFixed(0), median(xs.map((x) => x.p50)), median(xs.map((x) => x.p99)), xs.reduce((n, x) => n + x.non2xx, 0), limiter === 'on' ? median(ratios).toFixed(2) : '', xs.map((x) => x.rps.toFixed(0)).join(' ')];
    }),
  );
  const shared = [...new Set(byLimiter.get('on')!.map((x) => x.shared))].join(', ');
  console.log(
    `the limiter counts in: ${shared} (as the process logs it; background tasks off, the default: a table in Joule's own database, ` +
      `which each process adds what it admitted to every ${SYNC_MS} ms, not per request); ratio per round: ${ratios.map((x) => x.toFixed(2)).join(' ')}`,
  );
  console.log(
    `requests counted in rate_limit_counts after each run (warm-up, load and one probe): on ${byLimiter.get('on')!.map((x) => x.counted).join(' ')}; ` +
      `off ${byLimiter.get('off')!.map((x) => x.counted).join(' ')}; 2xx in the measured seconds: on ${byLimiter.get('on')!.map((x) => x.ok).join(' ')}`,
  );
  return median(ratios);
}

/** The side compared with this Joule: the baseline, or the real process of another checkout (BENCH_BEFORE). */
async function startOtherSide(level: Record<string, string>, before: string | undefined) {
  if (before === undefined) return { server: await startNodeScript('bench/servers/baseline-server.mjs', { BENCH_USERS: String(USERS) }), path: '/api/orders' };
  const server = await startJouleProcess('api', level, [], before);
  seedSqlite(server.databaseUrl, USERS);
  return { server, path: '/api/orders/' };
}

/**
 * The real process beside the other side (the baseline, or BENCH_BEFORE's),
 * both up at once, every request a different user: orders a second and p99
 * of each, and each pair's Joule ÷ other ratios.
 */
async function sideBySide(level: Record<string, string>, seconds: number, pairs: number, before: string | undefined) {
  const other = await startOtherSide(level, before);
  try {
    const joule = await startJouleProcess('api', level);
    try {
      seedSqlite(joule.databaseUrl, USERS);
      const user = (n: number) => order((n % USERS) + 1);
      const [otherPid, joulePid] = [other.server.child.pid!, joule.child.pid!];
      return await paired(
        postingSide(other.server.url, other.path, user, () => cpuMs(otherPid), () => ioCounts(otherPid)),
        postingSide(joule.url, '/api/orders/', user, () => cpuMs(joulePid), () => ioCounts(joulePid)),
        pairs,
        seconds,
        postSlice,
      );
    } finally {
      await joule.stop();
    }
  } finally {
    await other.server.stop();
  }
}

/** Whether BENCH_MODES (comma-separated parts of names) selects this mode; all when unset. */
function selected(mode: string): boolean {
  const wanted = process.env.BENCH_MODES?.split(',').map((m) => m.trim().toLowerCase()).filter((m) => m !== '');
  return wanted === undefined || wanted.length === 0 || wanted.some((m) => mode.toLowerCase().includes(m));
}

export async function run(opts: { seconds?: number; rounds?: number } = {}) {
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  console.log(`\n${machineLine()}`);
  const keyed = { API_KEYS: BENCH_KEY, RATE_LIMIT_PER_MIN: LIMITS.on };
  const level: Record<string, string> = process.env.LOG_LEVEL === undefined ? {} : { LOG_LEVEL: process.env.LOG_LEVEL };
  const rows: Array<Array<string | number>> = [];
  const summary: Record<string, { ratio: number; embedRatio?: number; p99?: number }> = {};
  for (const [mode, body, extra] of [
    ['different users', (i: number) => order((i % USERS) + 1), {}],
    ['same user', () => order(1), {}],
    ['same user, API key', () => order(1), keyed as Record<string, string>],
  ] as const) {
    if (!selected(mode)) continue;
    const headers: Record<string, string> = 'API_KEYS' in extra ? { authorization: `Bearer ${BENCH_KEY}` } : {};
    const byServer = new Map<ServerName, LoadResult[]>(SERVERS.map((s) => [s, []]));
    const ratios: number[] = [];
    const embedRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate: even rounds baseline first, odd rounds baseline last.
      const order = r % 2 === 0 ? SERVERS : [...SERVERS].reverse();
      const round = new Map<ServerName, LoadResult>();
      for (const name of order) round.set(name, await measure(name, { ...level, ...extra }, body, seconds, headers));
      for (const [name, result] of round) byServer.get(name)!.push(result);
      ratios.push(round.get('joule')!.rps / round.get('baseline')!.rps);
      embedRatios.push(round.get('joule (embed)')!.rps / round.get('baseline')!.rps);
    }
    for (const name of SERVERS) {
      const results = byServer.get(name)!;
      const ratio = name === 'baseline' ? '' : median(name === 'joule' ? ratios : embedRatios).toFixed(2);
      rows.push([mode, name, median(results.map((x) => x.rps)).toFixed(0), median(results.map((x) => x.p50)), median(results.map((x) => x.p99)), results.reduce((n, x) => n + x.non2xx, 0), ratio, results.map((x) => x.rps.toFixed(0)).join(' ')]);
    }
    summary[mode] = { ratio: median(ratios), embedRatio: median(embedRatios), p99: median(byServer.get('joule')!.map((x) => x.p99)) };
  }
  if (rows.length > 0) {
    printTable(
      `Order creation, 50 connections, ${seconds} s per measurement, median of ${rounds} alternating rounds (Joule log level ${process.env.LOG_LEVEL ?? 'info, the default'})`,
      ['mode', 'server', 'orders/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio to baseline', 'each round (orders/s)'],
      rows,
    );
  }
  if (selected('rate limit on vs off')) summary['rate limit on vs off'] = { ratio: await limiterOnOff(level, seconds, rounds) };
  if (selected('side by side')) {
    const pairs = Number(process.env.BENCH_PAIRS ?? 10);
    const before = process.env.BENCH_BEFORE;
    const otherName = before === undefined ? 'baseline' : 'BENCH_BEFORE';
    const r = await sideBySide(level, seconds * 2, pairs, before);
    if (r.a.non2xx + r.a.errors + r.b.non2xx + r.b.errors > 0) throw new Error('side by side: refused or failed orders');
    printTable(
      `Order creation side by side, different users: both servers up at once, ${pairs} pairs of alternating slices, ${seconds * 2} s on each in all, 50 connections`,
      ['server', 'orders/s', 'p50 ms (median of the slices)', 'p99 ms (median of the slices)', 'CPU µs/order', 'read, write calls/order', 'bytes written/order'],
      [
        [otherName, r.a.rps.toFixed(0), r.a.p50, r.a.p99, r.a.cpuUs.toFixed(1), ...ioColumns(r.a.io)],
        ['joule', r.b.rps.toFixed(0), r.b.p50, r.b.p99, r.b.cpuUs.toFixed(1), ...ioColumns(r.b.io)],
      ],
    );
    console.log(
      `side by side, joule ÷ ${otherName}: orders/s ${(r.b.rps / r.a.rps).toFixed(2)} (each pair ${r.rpsRatios.map((x) => x.toFixed(2)).join(', ')}; median ${median(r.rpsRatios).toFixed(2)}), ` +
        `CPU per order ${(r.b.cpuUs / r.a.cpuUs).toFixed(2)} (median of pairs ${median(r.ratios).toFixed(2)})`,
    );
    summary[before === undefined ? 'side by side' : 'side by side, joule ÷ BENCH_BEFORE'] = { ratio: median(r.rpsRatios), p99: r.b.p99 };
  }
  if (process.env.BENCH_PROFILE === '1') {
    const dir = `${process.env.TMPDIR ?? '/tmp'}/joule-cpu-${Date.now()}`;
    await measure('joule', { ...level }, (i) => order((i % USERS) + 1), seconds, {}, dir);
    console.log(`\nCPU profile of node dist/main.js api, different users (${dir}):`);
    // The load's last seconds (its warm-up second and start-up before are left out); shutdown is a blink.
    console.log(summariseCpuProfile(dir, { lastSeconds: seconds }));
  }
  return summary;
}

if (isMain(import.meta.url)) await run();
