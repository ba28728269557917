// What the dashboard's polling costs: each endpoint a screen polls, against a
// database holding an hour of a busy operator (200,000 orders), measured
// beside GET /health (no I/O) on the same server in the same run. The ratio
// says how much of the HTTP floor each poll keeps; one operator's tab makes
// 1 to 3 of these requests every 2 s.
import { BENCH_ADMIN_TOKEN } from './lib/admin-token.js';
import { isMain, loadGet, printTable, startServer, type LoadResult } from './lib/harness.js';

const ENDPOINTS = [
  ['overview: status', '/api/status'],
  ['overview: delay chart', '/api/status/delays?minutes=60'],
  ['orders: newest page', '/api/orders?limit=50'],
  ['orders: status filter', '/api/orders?status=delegating&limit=50'],
  ['pools', '/api/pools'],
  ['users: first page', '/api/users?limit=50'],
] as const;

export async function run(opts: { seconds?: number } = {}) {
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 3);
  const orders = process.env.BENCH_ORDERS ?? '200000';
  const server = await startServer('bench/servers/dashboard-server.ts', { BENCH_ORDERS: orders });
  const headers = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };
  const rows: Array<[string, LoadResult, LoadResult]> = [];
  try {
    for (const [name, path] of ENDPOINTS) {
      // Baseline right before each endpoint, so a noisy moment hits both.
      const base = await loadGet(server.url, '/health', {}, { seconds });
      const r = await loadGet(server.url, path, headers, { seconds });
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${path}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      rows.push([name, r, base]);
    }
  } finally {
    await server.stop();
  }
  printTable(
    `Dashboard polls, ${orders} orders in the last hour (SQLite), 10 connections, ${seconds} s per run`,
    ['endpoint', 'req/s', 'p50 ms', 'p99 ms', '/health req/s', 'ratio (endpoint/health)'],
    rows.map(([name, r, b]) => [name, r.rps.toFixed(0), r.p50, r.p99, b.rps.toFixed(0), (r.rps / b.rps).toFixed(2)]),
  );
  return rows;
}

if (isMain(import.meta.url)) await run();
