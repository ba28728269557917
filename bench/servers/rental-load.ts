// One side of bench/chain-budget.bench.ts, in its own process: a Joule (role
// `all`, SQLite, in-process dispatch) built from the source tree named by
// --root (this checkout, or an older commit checked out beside it), pointed
// at the benchmark's devnet. It reports on stdout, one JSON line each:
//   {"ready": true}                    started, pools read; the idle window may begin
//   {"placed": n}                      after the orders, placed at --pace-ms apart
//   {"done": {...}}                    every order completed (or failed), with counts
// and waits for a line on stdin between phases ("load", then "stop").
//
//   node --import tsx bench/servers/rental-load.ts --root DIR --devnet URL --api-key KEY --n 200 --pace-ms 288 --env JSON
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    n: { type: 'string', default: '200' },
    'pace-ms': { type: 'string', default: '288' },
    env: { type: 'string', default: '{}' },
    customers: { type: 'string', default: '' },
  },
});
const root = values.root!;
const n = Number(values.n);
const paceMs = Number(values['pace-ms']);
const env = JSON.parse(values.env!) as Record<string, string>;
const customers = values.customers!.split(',').filter(Boolean);

type BenchJouleModule = typeof import('../lib/bench-joule.js');
type LoggerModule = typeof import('../../src/observability/logger.js');
const { benchJoule } = (await import(pathToFileURL(join(root, 'bench/lib/bench-joule.ts')).href)) as BenchJouleModule;
const { createLogger } = (await import(pathToFileURL(join(root, 'src/observability/logger.ts')).href)) as LoggerModule;

const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextCommand = async () => (await lines.next()).value as string | undefined;

const s = await benchJoule({ JOULE_ROLE: 'all', ...env }, { log: createLogger('silent') });
try {
  for (let u = 1; u <= 10; u++) await s.deposit(u, 10_000_000_000_000n);
  // The pools read at start (what any start costs, counted apart from the idle window).
  for (;;) {
    const rows = await s.db.kysely.selectFrom('pool_snapshots').select('observed_at').execute();
    if (rows.length > 0 && rows.every((r) => r.observed_at !== null)) break;
    await sleep(50);
  }
  say({ ready: true });
  if ((await nextCommand()) === 'load') {
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const res = await s.inject({
        method: 'POST',
        url: '/api/orders',
        payload: { user_id: (i % 10) + 1, energy_amount: 65_000 + i, duration: env.BENCH_DURATION ?? '5s', receive_address: customers[i % customers.length] },
      });
      if (res.statusCode !== 201) throw new Error(`order ${i}: ${res.statusCode} ${res.body}`);
      const wait = started + (i + 1) * paceMs - performance.now();
      if (wait > 0) await sleep(wait);
    }
    say({ placed: n });
    const deadline = Date.now() + 600_000;
    for (;;) {
      const rows = await s.db.kysely.selectFrom('orders').select(['status']).execute();
      const finished = rows.filter((r) => r.status === 'completed' || r.status === 'failed');
      if (finished.length >= n) {
        say({ done: { completed: rows.filter((r) => r.status === 'completed').length, failed: rows.filter((r) => r.status === 'failed').length, wallMs: Math.round(performance.now() - started) } });
        break;
      }
      if (Date.now() > deadline) throw new Error(`only ${finished.length} of ${n} orders finished in 600 s`);
      await sleep(200);
    }
    await nextCommand();
  }
} finally {
  await s.close();
}
process.exit(0);
