// Order creation under load: Joule's real app against a bare Fastify + one
// SQLite transaction baseline, in the same run, 50 connections, for "every
// request a different user", "every request the same user", and the same
// user with an API key on every request (API_KEYS; a rate limit far above
// what the load reaches, so every request passes the limiter and none is refused).
import { isMain, load, printTable, startServer, type LoadResult } from './lib/harness.js';

const USERS = 100_000;
const BENCH_KEY = 'bench-client-key-0123456789';
const ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
const order = (userId: number) => ({ user_id: userId, energy_amount: 32000, duration: '1h', receive_address: ADDRESS });

export async function run(opts: { seconds?: number } = {}) {
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 5);
  const env = { BENCH_USERS: String(USERS), LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
  const results: Record<string, { joule: LoadResult; baseline: LoadResult }> = {};
  const keyed = { API_KEYS: BENCH_KEY, RATE_LIMIT_PER_MIN: '1000000000' };
  for (const [mode, body, extra] of [
    ['different users', (i: number) => order((i % USERS) + 1), {}],
    ['same user', () => order(1), {}],
    ['same user, API key', () => order(1), keyed],
  ] as const) {
    // Fresh servers per mode, so one mode's table growth does not slow the next.
    const joule = await startServer('bench/servers/joule-server.ts', { ...env, ...extra });
    const baseline = await startServer('bench/servers/baseline-server.ts', env);
    const headers: Record<string, string> = 'API_KEYS' in extra ? { authorization: `Bearer ${BENCH_KEY}` } : {};
    try {
      const b = await load(baseline.url, '/api/orders', body, { seconds, headers });
      const j = await load(joule.url, '/api/orders/', body, { seconds, headers });
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
