// Memory of the one-process setup under load (issue 17, goal 5): `node
// dist/main.js all` (API, engine and the embedded devnet), users funded, 50
// connections placing orders for BENCH_SECONDS (default 60). The process's
// RSS is read from /proc every 5 s, with the JS heap the process reports
// (GET /api/status), so a peak can be told apart: JavaScript objects, or
// native memory (SQLite's cache, buffers). The table shows them, and the
// growth over the second half of the load, which is what "not growing" asks about.
// At the end, where the orders stand and the requests to the node they cost.
//
// BENCH_TENANT_USERS=N: the orders come from an integrator instead, with its
// API key, for N users of its own (ids 1..N of the tenant, tenant_users
// rows), no rate limit: the process then remembers those users' rows
// (TenantUserRows, up to 50,000), and the peak holds them.
import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyOf, templates } from './lib/finished-orders.js';
import { isMain, load, printTable } from './lib/harness.js';
import { BENCH_ADMIN_TOKEN, issueTenantKey } from './lib/admin-token.js';
import { fundUsers, heapMb, jouleStatus, machineLine, rssMb, startJouleProcess } from './lib/processes.js';

const USERS = 10_000;
const ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

/**
 * An integrator's API key, issued by the admin endpoint, and `count` users of
 * its own, each with a users row (ids -1..-count) funded: its key.
 */
async function seedTenantUsers(url: string, databaseUrl: string, count: number): Promise<string> {
  const { key, tenantId } = await issueTenantKey(url, 'bench integrator');
  const db = new Database(databaseUrl.slice('sqlite:'.length));
  try {
    db.pragma('busy_timeout = 10000');
    db.exec(`with recursive ids(id) as (select 1 union all select id + 1 from ids where id < ${count})
      insert into users (id, balance_sun, created_at, updated_at) select -id, 1000000000000, 0, 0 from ids`);
    db.prepare('insert into tenant_users (tenant_id, external_id, user_id, created_at) select ?, -id, id, 0 from users where id < 0').run(tenantId);
  } finally {
    db.close();
  }
  return key;
}

export async function run() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 60);
  const tenantUsers = process.env.BENCH_TENANT_USERS === undefined ? undefined : Number(process.env.BENCH_TENANT_USERS);
  if (tenantUsers !== undefined && !(Number.isInteger(tenantUsers) && tenantUsers > 0)) throw new Error(`BENCH_TENANT_USERS: a count of users, not ${process.env.BENCH_TENANT_USERS}`);
  console.log(`\n${machineLine()}`);
  // BENCH_FLAT_ORDERS: on a copy of bench/flat.bench.ts's full database (its users are funded already).
  const flatOrders = process.env.BENCH_FLAT_ORDERS === undefined ? undefined : Number(process.env.BENCH_FLAT_ORDERS);
  const dir = mkdtempSync(join(tmpdir(), 'joule-memory-'));
  const copy = flatOrders === undefined ? undefined : copyOf((await templates(flatOrders)).full, join(dir, 'joule.db'));
  console.log(flatOrders === undefined ? 'empty database' : `database of ${flatOrders} finished orders`);
  if (tenantUsers !== undefined) console.log(`orders of ${tenantUsers} users of an integrator, with its API key`);
  const joule = await startJouleProcess('all', { ...(copy ? { DATABASE_URL: `sqlite:${copy.path}` } : {}), ...(tenantUsers === undefined ? {} : { RATE_LIMIT_PER_MIN: '0' }) });
  try {
    if (!copy) fundUsers(joule.databaseUrl, USERS);
    const headers: Record<string, string> = tenantUsers === undefined ? {} : { authorization: `Bearer ${await seedTenantUsers(joule.url, joule.databaseUrl, tenantUsers)}` };
    const userCount = tenantUsers ?? USERS;
    const pid = joule.child.pid!;
    const started = Date.now();
    const samples: Array<[number, number, number]> = [];
    const sample = async () => {
      const at = Math.round((Date.now() - started) / 1000);
      const rss = rssMb(pid);
      samples.push([at, rss, await heapMb(joule.url)]);
    };
    await sample();
    const timer = setInterval(() => void sample(), 5000);
    const result = await load(joule.url, '/api/orders/', (i) => ({ user_id: (i % userCount) + 1, energy_amount: 32000, duration: '1h', receive_address: ADDRESS }), { seconds, warmupSeconds: 0, headers });
    clearInterval(timer);
    await sample();
    samples.sort((a, b) => a[0] - b[0]);
    const half = samples.filter(([t]) => t >= seconds / 2);
    const growth = half.length > 1 ? half[half.length - 1]![1] - half[0]![1] : 0;
    printTable(
      `RSS of node dist/main.js all under ${seconds} s of order creation (${result.rps.toFixed(0)} orders/s, p99 ${result.p99} ms, non-2xx ${result.non2xx})`,
      ['second', 'RSS MB', 'JS heap used MB'],
      samples.map(([t, mb, heap]) => [t, mb.toFixed(0), heap.toFixed(0)]),
    );
    console.log(`max ${Math.max(...samples.map(([, mb]) => mb)).toFixed(0)} MB; growth over the second half ${growth.toFixed(0)} MB`);
    // What the engine did meanwhile: ADDRESS is a contract on the devnet, so every order it takes fails at the
    // receiver check, with a refund; and what that cost in requests to the node.
    const byStatus = (await jouleStatus(joule.url))?.orders.by_status ?? {};
    const metrics = await (await fetch(`${joule.url}/metrics`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } })).text();
    const accountReads = /^joule_chain_calls_total\{endpoint="\/wallet\/getaccount"\} (\d+)/m.exec(metrics)?.[1] ?? '0';
    console.log(`at the end: ${byStatus.pending ?? 0} pending, ${byStatus.failed ?? 0} failed (receiver is a contract); getaccount requests to the node: ${accountReads}`);
  } finally {
    await joule.stop();
    copy?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await run();
