// Order creation under load: Joule's real app against a bare Fastify + one
// SQLite transaction baseline, in the same run, 50 connections, for "every
// request a different user" and "every request the same user".
import { isMain, load, printTable, startServer, type LoadResult } from './lib/harness.js';

const USERS = 100_000;
const ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const order = (userId: number) => ({ user_id: userId, energy_amount: 32000, duration: '1h', receive_address: ADDRESS });

export async function run(opts: { seconds?: number } = {}) {
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 5);
  const env = { BENCH_USERS: String(USERS), LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
  const results: Record<string, { joule: LoadResult; baseline: LoadResult }> = {};
  for (const [mode, body] of [
    ['different users', (i: number) => order((i % USERS) + 1)],
    ['same user', () => order(1)],
  ] as const) {
    // Fresh servers per mode, so one mode's table growth does not slow the next.
    const joule = await startServer('bench/servers/joule-server.ts', env);
    const baseline = await startServer('bench/servers/baseline-server.ts', env);
    try {
      const b = await load(baseline.url, '/api/orders', body, { seconds });
      const j = await load(joule.url, '/api/orders/', body, { seconds });
      results[mode] = { joule: j, baseline: b };
    } finally {
      await joule.stop();
      await baseline.stop();
    }
  }
  printTable(
    `Order creation, 50 connections, ${seconds} s per run (Joule log level ${env.LOG_LEVEL})`,
    ['mode', 'server', 'orders/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio (orders/s Joule/baseline)'],
    Object.entries(results).flatMap(([mode, r]) => [
      [mode, 'baseline', r.baseline.rps.toFixed(0), r.baseline.p50, r.baseline.p99, r.baseline.non2xx, ''],
      [mode, 'joule', r.joule.rps.toFixed(0), r.joule.p50, r.joule.p99, r.joule.non2xx, (r.joule.rps / r.baseline.rps).toFixed(2)],
    ]),
  );
  return results;
}

if (isMain(import.meta.url)) await run();
