// Order creation on PostgreSQL (issue 17, goal 2), 50 connections:
//   baseline      a bare Fastify route, one transaction per request (BEGIN,
//                 debit, insert, COMMIT) with plain `pg`, a pool of 10 like
//                 Joule's; plain `node`, plain JS (bench/servers/baseline-server-pg.mjs)
//   joule         `node dist/main.js api`, default settings but DATABASE_URL
//   joule × 2     two such processes on the same database, 25 connections each
//   joule, webhook URL  one process, the default tenant given a webhook URL,
//                 so every order is written with its order.created event (an
//                 integrator's setup; the events wait for a worker to deliver)
//   joule, idempotency keys  one process, every order with a client_order_id
//                 of its own, which Joule looks up as it places the order
//                 (the baseline has no keys: this case is Joule against itself)
//   joule, a tenant's users  one process, every order sent with an API key
//                 of a tenant of its own (issued by the admin API), for that
//                 tenant's users (their ids mapped to users rows of their own,
//                 as an integrator's are); no rate limit (RATE_LIMIT_PER_MIN=0).
//                 Against Joule with the default tenant's users
//   baseline, one client / joule, one client  the baseline and one Joule
//                 process with a single connection sending an order at a
//                 time, as a bot's orders mostly come: each order's own
//                 latency and what the server spends on it, with no batch to
//                 share its statement
// against one PostgreSQL server started for the run, a fresh database per
// measurement with 100,000 funded users. Rounds alternate the order in which
// the cases run (BENCH_ROUNDS, default 3); medians, with the machine's load.
//
// BENCH_CPU_LIMIT=<cores> caps every server process (the baseline's and each
// Joule's) at that much CPU, as a container's CPU limit does
// (bench/lib/cpu-limit.ts; root). On two cores shared with PostgreSQL and the
// load generator, a second Joule process otherwise only takes CPU from the
// first; capped, each brings its own budget, and "joule × 2" says whether
// two processes place twice what one places when each has a core's share.
import { issueTenantKey } from './lib/admin-token.js';
import { createDatabase, startPostgres, withClient } from '../scripts/services/postgres.js';
import { cpuLimitFromEnv, limitCpu } from './lib/cpu-limit.js';
import { cpuMs, isMain, load, printTable, processTreeCpuMs, type LoadResult } from './lib/harness.js';
import { machineLine, median, startJouleProcess, startNodeScript, type BenchProcess } from './lib/processes.js';

const USERS = 100_000;
const ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const order = (i: number) => ({ user_id: (i % USERS) + 1, energy_amount: 32000, duration: '1h', receive_address: ADDRESS });
// A key of its own for every order of the run (the measurement's database is fresh), as a bot or payment processor sends.
const runKey = `${process.pid}-${Date.now()}`;
const keyedOrder = (i: number) => ({ ...order(i), client_order_id: `bench-${runKey}-${i}` });

async function seedJoule(url: string, webhookUrl: boolean): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('insert into users (id, balance_sun, created_at, updated_at) select g, 1000000000000, 0, 0 from generate_series(1, $1::int) g', [USERS]);
    await client.query(`insert into ledger_entries (user_id, kind, amount_sun, balance_after_sun, reference, created_at)
      select id, 'deposit', balance_sun, balance_sun, 'seed-' || id, 0 from users`);
    if (webhookUrl) await client.query("update tenants set webhook_url = 'https://example.com/hook', signing_secret = 'bench' where id = 'default'");
  });
}

/**
 * A tenant of the run's own, with an API key, and USERS users of its own
 * (external ids 1..USERS, users rows -1..-USERS), each with 1,000,000 TRX:
 * the key to send.
 */
async function seedTenant(serverUrl: string, databaseUrl: string): Promise<string> {
  const { key, tenantId } = await issueTenantKey(serverUrl, 'bench integrator');
  await withClient(databaseUrl, async (client) => {
    await client.query('insert into users (id, balance_sun, created_at, updated_at) select -g, 1000000000000, 0, 0 from generate_series(1, $1::int) g', [USERS]);
    await client.query('insert into tenant_users (tenant_id, external_id, user_id, created_at) select $1, g, -g, 0 from generate_series(1, $2::int) g', [tenantId, USERS]);
    await client.query(`insert into ledger_entries (user_id, kind, amount_sun, balance_after_sun, reference, created_at)
      select id, 'deposit', balance_sun, balance_sun, 'tenant-seed' || id, 0 from users where id < 0`);
  });
  return key;
}

type Case =
  | 'baseline'
  | 'joule'
  | 'joule × 2'
  | 'joule, webhook URL'
  | 'joule, idempotency keys'
  | "joule, a tenant's users"
  | 'baseline, one client'
  | 'joule, one client';
const CASES: readonly Case[] = [
  'baseline',
  'joule',
  'joule × 2',
  'joule, webhook URL',
  'joule, idempotency keys',
  "joule, a tenant's users",
  'baseline, one client',
  'joule, one client',
];

/** CPU per order placed (µs), over the measured run: the server processes, PostgreSQL's, and this process's load generator. */
interface CpuPerOrder {
  app: number;
  postgres: number;
  load: number;
}

type Measured = LoadResult & { cpu: CpuPerOrder };

async function measure(c: Case, clusterUrl: string, postgresPid: number, seconds: number, cpuLimit: number | null): Promise<Measured> {
  const databaseUrl = await createDatabase(clusterUrl);
  const servers: BenchProcess[] = [];
  const uncaps: Array<() => void> = [];
  let started: { app: number; postgres: number; load: NodeJS.CpuUsage } | undefined;
  const appCpuMs = () => servers.reduce((sum, s) => sum + cpuMs(s.child.pid ?? -1), 0);
  // Called after each load's warm-up: the first call starts the count (for two loads, they start together),
  // and caps the servers at BENCH_CPU_LIMIT: start-up, migrations and the warm-up's compiling run free, as
  // in a process that has been up a while.
  const onMeasureStart = () => {
    if (started !== undefined) return;
    if (cpuLimit !== null) for (const s of servers) uncaps.push(limitCpu(s.child.pid!, cpuLimit));
    started = { app: appCpuMs(), postgres: processTreeCpuMs(postgresPid), load: process.cpuUsage() };
  };
  const withCpu = (r: LoadResult): Measured => {
    const perOrder = (ms: number) => (ms * 1000) / Math.max(r.ok ?? 0, 1);
    const load = process.cpuUsage(started!.load);
    return {
      ...r,
      cpu: {
        app: perOrder(appCpuMs() - started!.app),
        postgres: perOrder(processTreeCpuMs(postgresPid) - started!.postgres),
        load: perOrder((load.user + load.system) / 1000),
      },
    };
  };
  try {
    const connections = c.endsWith('one client') ? 1 : undefined;
    if (c.startsWith('baseline')) {
      servers.push(await startNodeScript('bench/servers/baseline-server-pg.mjs', { DATABASE_URL: databaseUrl, BENCH_USERS: String(USERS) }));
      return withCpu(await load(servers[0]!.url, '/api/orders', order, { seconds, onMeasureStart, connections }));
    }
    // The first migrates the database; the second finds it migrated.
    servers.push(await startJouleProcess('api', { DATABASE_URL: databaseUrl, ...(c === "joule, a tenant's users" ? { RATE_LIMIT_PER_MIN: '0' } : {}) }));
    await seedJoule(databaseUrl, c === 'joule, webhook URL');
    if (c === "joule, a tenant's users") {
      const key = await seedTenant(servers[0]!.url, databaseUrl);
      return withCpu(await load(servers[0]!.url, '/api/orders/', order, { seconds, onMeasureStart, headers: { authorization: `Bearer ${key}` } }));
    }
    if (c !== 'joule × 2') {
      return withCpu(await load(servers[0]!.url, '/api/orders/', c === 'joule, idempotency keys' ? keyedOrder : order, { seconds, onMeasureStart, connections }));
    }
    servers.push(await startJouleProcess('api', { DATABASE_URL: databaseUrl }));
    const [a, b] = await Promise.all(
      servers.map((s, k) => load(s.url, '/api/orders/', (i) => order(2 * i + k), { seconds, connections: 25, onMeasureStart })),
    );
    return withCpu({
      rps: a!.rps + b!.rps,
      ok: (a!.ok ?? 0) + (b!.ok ?? 0),
      p50: Math.max(a!.p50, b!.p50),
      p99: Math.max(a!.p99, b!.p99),
      non2xx: a!.non2xx + b!.non2xx,
      errors: a!.errors + b!.errors,
    });
  } finally {
    for (const s of servers) await s.stop();
    for (const uncap of uncaps) uncap();
  }
}

export async function run(opts: { seconds?: number; rounds?: number } = {}) {
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  const cpuLimit = cpuLimitFromEnv();
  console.log(`\n${machineLine()}`);
  const server = await startPostgres({ database: 'bench' });
  const results = new Map<Case, Measured[]>(CASES.map((c) => [c, []]));
  const ratio: number[] = [];
  const hookedRatio: number[] = [];
  const keyedRatio: number[] = [];
  const tenantRatio: number[] = [];
  const scaling: number[] = [];
  const oneClientRatio: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const round = new Map<Case, Measured>();
      for (const c of r % 2 === 0 ? CASES : [...CASES].reverse()) round.set(c, await measure(c, server.url, server.pid, seconds, cpuLimit));
      for (const [c, x] of round) results.get(c)!.push(x);
      ratio.push(round.get('joule')!.rps / round.get('baseline')!.rps);
      hookedRatio.push(round.get('joule, webhook URL')!.rps / round.get('baseline')!.rps);
      keyedRatio.push(round.get('joule, idempotency keys')!.rps / round.get('joule')!.rps);
      tenantRatio.push(round.get("joule, a tenant's users")!.rps / round.get('joule')!.rps);
      scaling.push(round.get('joule × 2')!.rps / round.get('joule')!.rps);
      oneClientRatio.push(round.get('joule, one client')!.rps / round.get('baseline, one client')!.rps);
    }
  } finally {
    await server.stop();
  }
  printTable(
    `Order creation on PostgreSQL, 50 connections (one for the "one client" cases), ${seconds} s per measurement, median of ${rounds} alternating rounds (Joule log level info, the default)${cpuLimit === null ? '' : `, every server process capped at ${cpuLimit} cores (BENCH_CPU_LIMIT)`}`,
    ['server', 'orders/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio', 'each round (orders/s)'],
    CASES.map((c) => {
      const xs = results.get(c)!;
      const r = {
        baseline: '',
        joule: `${median(ratio).toFixed(2)} of baseline`,
        'joule × 2': `${median(scaling).toFixed(2)} of one joule`,
        'joule, webhook URL': `${median(hookedRatio).toFixed(2)} of baseline`,
        'joule, idempotency keys': `${median(keyedRatio).toFixed(2)} of joule`,
        "joule, a tenant's users": `${median(tenantRatio).toFixed(2)} of joule`,
        'baseline, one client': '',
        'joule, one client': `${median(oneClientRatio).toFixed(2)} of baseline, one client`,
      }[c];
      return [c, median(xs.map((x) => x.rps)).toFixed(0), median(xs.map((x) => x.p50)), median(xs.map((x) => x.p99)), xs.reduce((n, x) => n + x.non2xx + x.errors, 0), r, xs.map((x) => x.rps.toFixed(0)).join(' ')];
    }),
  );
  printTable(
    'CPU per order placed (µs, median of the rounds): where two cores went; the servers\' part is what another process or core would add',
    ['server', 'server process(es)', 'PostgreSQL', 'load generator', 'all'],
    CASES.map((c) => {
      const xs = results.get(c)!;
      const m = (f: (x: CpuPerOrder) => number) => median(xs.map((x) => f(x.cpu))).toFixed(0);
      return [c, m((x) => x.app), m((x) => x.postgres), m((x) => x.load), m((x) => x.app + x.postgres + x.load)];
    }),
  );
  return { ratio: median(ratio), scaling: median(scaling), oneClient: median(oneClientRatio) };
}

if (isMain(import.meta.url)) await run();
