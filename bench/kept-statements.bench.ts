// A kept statement's run on PostgreSQL, as the engine runs one per step: an
// order's fenced UPDATE returning the order's columns, one run after the
// other on one connection. Joule's connection (src/db/postgres-client.ts:
// the statement described at its first run only) beside pg's own (a
// Describe and its RowDescription at every run), both on one server, the
// same statement, the same row, int8 read as bigint on both. Rounds
// alternate which side goes first; medians of BENCH_ROUNDS (default 5)
// rounds of BENCH_RUNS (default 5,000) runs a side. Per run: wall time, this
// process's CPU (only one side runs at a time) and the server's CPU (its
// processes' ticks: 10 ms each, so read it over many runs).
import { createRequire } from 'node:module';
import { sql } from 'kysely';
import type pgModule from 'pg';
import { startPostgres } from '../scripts/services/postgres.js';
import { connect, postgresTypes } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { placePaidOrder } from '../src/db/order-placement.js';
import { ORDER_COLUMN_LIST, ORDER_COLUMNS } from '../src/db/orders.js';
import { adaptPostgresClient } from '../src/db/postgres-client.js';
import { prepared } from '../src/db/prepared.js';
import { isMain, printTable, processTreeCpuMs } from './lib/harness.js';
import { machineLine, median } from './lib/processes.js';
import { paidOrder } from '../test/support/seed.js';

const pg = createRequire(import.meta.url)('pg') as typeof pgModule;

// Written as PostgreSQL gets it ($1): the text Joule keeps under a name, sent as is by both sides.
const TEXT = `update orders set updated_at = updated_at + 1 where id = $1 returning ${ORDER_COLUMNS}`;
prepared(TEXT, { only: 'postgres' });

const types = postgresTypes(pg);

interface PerRun {
  wallUs: number;
  clientUs: number;
  serverUs: number;
}

export async function run(opts: { rounds?: number; runs?: number } = {}) {
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 5);
  const runs = opts.runs ?? Number(process.env.BENCH_RUNS ?? 5_000);
  console.log(`\n${machineLine()}`);
  const server = await startPostgres({ database: 'bench' });
  const db = connect(server.url);
  try {
    await migrate(db);
    await sql`insert into users (id, balance_sun, created_at, updated_at) values (1, 1000000000000, 0, 0)`.execute(db.kysely);
    const { order } = await placePaidOrder(db, paidOrder(1), 'api');
    const joule = new pg.Client({ connectionString: server.url, types });
    const plain = new pg.Client({ connectionString: server.url, types });
    await Promise.all([joule.connect(), plain.connect()]);
    adaptPostgresClient(pg, joule as unknown as pgModule.PoolClient);
    const sides = {
      joule: () => joule.query(TEXT, [order!.id]),
      pg: () => plain.query({ name: 'plain_update', text: TEXT, values: [order!.id] }),
    };
    const measure = async (go: () => Promise<unknown>): Promise<PerRun> => {
      const cpu = process.cpuUsage();
      const serverMs = processTreeCpuMs(server.pid);
      const started = performance.now();
      for (let i = 0; i < runs; i++) await go();
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return { wallUs: (wallMs * 1000) / runs, clientUs: (used.user + used.system) / runs, serverUs: ((processTreeCpuMs(server.pid) - serverMs) * 1000) / runs };
    };
    // Not counted: each side's first runs (the parse, the first plans, JIT compiling its code). With
    // 200 runs a side, the first measured round still favoured whichever side ran second.
    for (const go of Object.values(sides)) for (let i = 0; i < 2_000; i++) await go();
    const got: Record<keyof typeof sides, PerRun[]> = { joule: [], pg: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['joule', 'pg'] as const) : (['pg', 'joule'] as const);
      for (const side of order) got[side].push(await measure(sides[side]));
    }
    const med = (side: keyof typeof sides, k: keyof PerRun) => median(got[side].map((x) => x[k]));
    const ratio = (k: keyof PerRun) => median(got.joule.map((x, i) => x[k] / got.pg[i]![k]));
    printTable(
      `A kept statement's run (an order's UPDATE returning its ${ORDER_COLUMN_LIST.length} columns), one connection, ${runs} runs a side, median of ${rounds} alternating rounds; node ${process.version}`,
      ['connection', 'wall µs a run', 'process CPU µs a run', 'server CPU µs a run'],
      [
        ['pg as it comes (Describe at every run)', med('pg', 'wallUs').toFixed(1), med('pg', 'clientUs').toFixed(1), med('pg', 'serverUs').toFixed(1)],
        ["Joule's (described at its first run)", med('joule', 'wallUs').toFixed(1), med('joule', 'clientUs').toFixed(1), med('joule', 'serverUs').toFixed(1)],
      ],
    );
    const summary = { wall: ratio('wallUs'), client: ratio('clientUs'), server: ratio('serverUs') };
    console.log(
      `Joule ÷ pg, median of the rounds' own ratios: wall ${summary.wall.toFixed(2)}, process CPU ${summary.client.toFixed(2)}, server CPU ${summary.server.toFixed(2)}` +
        ` (wall each round: ${got.joule.map((x, i) => (x.wallUs / got.pg[i]!.wallUs).toFixed(2)).join(', ')})`,
    );
    await Promise.all([joule.end(), plain.end()]);
    return summary;
  } finally {
    await db.close();
    await server.stop();
  }
}

if (isMain(import.meta.url)) await run();
