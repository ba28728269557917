// What expensive reads cost under a pile-up: 2,000 connections at once asking
// GET /api/orders?limit=200 of a database holding 10,000 orders, beside
// GET /health on the same server in the same run. Reports throughput,
// latency, answers that were shed (503) or never came (errors, resets),
// and the server's resident memory before and after.
//
//   npm run bench -- order-list        (BENCH_CONNECTIONS, BENCH_SECONDS, BENCH_ORDERS)
import { BENCH_ADMIN_TOKEN } from './lib/admin-token.js';
import { isMain, loadGet, printTable, startServer, type LoadResult } from './lib/harness.js';

async function rssMb(url: string): Promise<number> {
  // Right after a pile-up the server may still be closing sockets: ask a few times.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
      const body = (await res.json()) as { process: { rss_bytes: number } };
      return Math.round(body.process.rss_bytes / 1e6);
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export async function run(opts: { seconds?: number } = {}) {
  const seconds = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 2000);
  const orders = process.env.BENCH_ORDERS ?? '10000';
  const server = await startServer('bench/servers/dashboard-server.ts', { BENCH_ORDERS: orders });
  const rows: Array<[string, LoadResult, number, number]> = [];
  try {
    for (const [name, path] of [
      ['GET /health', '/health'],
      ['GET /api/orders?limit=200', '/api/orders?limit=200'],
      ['GET /api/orders?limit=50', '/api/orders?limit=50'],
    ] as const) {
      const before = await rssMb(server.url);
      const r = await loadGet(server.url, path, {}, { connections, seconds, warmupSeconds: 0 });
      rows.push([name, r, before, await rssMb(server.url)]);
    }
  } finally {
    await server.stop();
  }
  const base = rows[0]![1];
  printTable(
    `Reads under a pile-up: ${connections} connections, ${seconds} s each, ${orders} orders (SQLite)`,
    ['request', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx (shed)', 'errors', 'RSS MB before -> after', 'req/s vs /health'],
    rows.map(([name, r, before, after]) => [name, r.rps.toFixed(0), r.p50, r.p99, r.non2xx, r.errors, `${before} -> ${after}`, (r.rps / Math.max(base.rps, 1)).toFixed(2)]),
  );
  return rows;
}

if (isMain(import.meta.url)) await run();
