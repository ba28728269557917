import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { spawnJoule, type JouleProcess } from '../support/process.js';
import { startRedis, type RedisServer } from '../../scripts/services/redis.js';
import { STACK_ENV } from '../support/stack.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function http(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // metrics are text
  }
  return { status: res.status, body: parsed };
}

/** A TCP server that only counts who connects to it. */
function countingServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0, connections: () => n });
    }),
  );
}

describe('real processes', () => {
  let devnet: Devnet;
  before(async () => {
    devnet = await startDevnet({ blockIntervalMs: 100, solidifyLag: 1 });
  });
  after(() => devnet.close());

  const chainEnv = () => ({
    ...STACK_ENV,
    ADMIN_TOKEN,
    TRON_FULL_HOST: devnet.url,
    POOL_PRIVATE_KEYS: devnet.accounts.pools.map((p) => p.privateKey).join(','),
    LOG_LEVEL: 'info',
  });

  test('when ENABLE_BACKGROUND_TASKS is false, then no connection to Redis is ever made', async () => {
    const counter = await countingServer();
    const dir = await import('node:fs').then((fs) => fs.mkdtempSync('/tmp/joule-noredis-'));
    const joule = await spawnJoule(['all'], { ...chainEnv(), DATABASE_URL: `sqlite:${dir}/joule.db`, DATA_DIR: dir, REDIS_URL: `redis://127.0.0.1:${counter.port}` }).started();
    try {
      await http('POST', `${joule.url}/api/users/1/deposits`, { amount_sun: '1000000000', reference: 'no-redis' });
      const res = await http('POST', `${joule.url}/api/orders`, { user_id: 1, energy_amount: 32000, duration: '2s', receive_address: devnet.accounts.customers[0]!.address });
      assert.equal(res.status, 201);
      await joule.waitForLog((l) => l.orderId === res.body.id && l.path === 'in-process');
      const status = await http('GET', `${joule.url}/api/status`);
      assert.equal(status.body.dispatch.mode, 'in-process');
      assert.equal(status.body.dispatch.redis, null);
      await sleep(300);
      assert.equal(counter.connections(), 0, 'nothing connected to REDIS_URL');
    } finally {
      await joule.stop();
      counter.server.close();
      (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
    }
  });

  test('when Redis is down at boot in role all, then Joule starts, creates orders and runs them in-process, and never logs the Redis password', async () => {
    const { freePort } = await import('../../scripts/services/ports.js');
    const fs = await import('node:fs');
    const dir = fs.mkdtempSync('/tmp/joule-redis-down-');
    const joule = await spawnJoule(['all'], {
      ...chainEnv(),
      DATABASE_URL: `sqlite:${dir}/joule.db`,
      DATA_DIR: dir,
      ENABLE_BACKGROUND_TASKS: 'true',
      REDIS_URL: `redis://:s3cret-redis-pw@127.0.0.1:${await freePort()}`,
      // Any wait on Redis would last this long: far beyond the bound below.
      REDIS_COMMAND_TIMEOUT_MS: '30000',
    }).started();
    try {
      await http('POST', `${joule.url}/api/users/1/deposits`, { amount_sun: '1000000000', reference: 'redis-down' });
      const started = performance.now();
      const res = await http('POST', `${joule.url}/api/orders`, { user_id: 1, energy_amount: 32000, duration: '2s', receive_address: devnet.accounts.customers[1]!.address });
      assert.equal(res.status, 201);
      // Not a speed check: an API that waited on the dead Redis would take its 30 s command
      // timeout, while a loaded machine can take a second or two to answer at all.
      assert.ok(performance.now() - started < 5000, 'answered without waiting on Redis');
      await joule.waitForLog((l) => l.orderId === res.body.id && l.msg === 'queue unavailable -> in-process');
      await joule.waitForLog((l) => l.orderId === res.body.id && l.msg === 'energy delegated');
      const status = await http('GET', `${joule.url}/api/status`);
      assert.equal(status.body.dispatch.mode, 'queue');
      assert.equal(status.body.dispatch.redis.up, false);
      assert.ok(joule.logs.some((l) => typeof l.redis === 'string' && l.redis.includes('[redacted]')));
      assert.ok(!JSON.stringify(joule.logs).includes('s3cret-redis-pw') && !joule.stderr().includes('s3cret-redis-pw'), 'the password is never logged');
    } finally {
      await joule.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('2 api + 2 worker processes on one PostgreSQL and one Redis', () => {
    let pg: PostgresServer;
    let redis: RedisServer;
    before(async () => {
      [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    });
    after(async () => {
      await Promise.all([pg?.stop(), redis?.stop()]);
    });

    test('every order placed through either API completes exactly once', async () => {
      const env = { ...chainEnv(), DATABASE_URL: await createDatabase(pg.url), ENABLE_BACKGROUND_TASKS: 'true', REDIS_URL: redis.url, SWEEP_GRACE_MS: '2000' };
      const procs: JouleProcess[] = [];
      try {
        // The first one migrates the database; the others start on it together.
        procs.push(await spawnJoule(['api'], env).started());
        const rest = await Promise.all(
          [spawnJoule(['api'], env), spawnJoule(['worker'], { ...env, WORKER_METRICS_PORT: '0' }), spawnJoule(['worker'], env)].map((p) => p.started()),
        );
        procs.push(...rest);
        const apis = [procs[0]!, procs[1]!];
        const workers = [procs[2]!, procs[3]!];
        await Promise.all(workers.map((w) => w.waitForLog((l) => l.msg === 'queue worker connected')));
        assert.equal((await http('POST', `${apis[0]!.url}/api/users/1/deposits`, { amount_sun: '5000000000', reference: 'scale-out' })).status, 201);

        const ids: string[] = [];
        const placing = Array.from({ length: 16 }, async (_, i) => {
          const res = await http('POST', `${apis[i % 2]!.url}/api/orders`, {
            user_id: 1,
            energy_amount: 32_000 + i,
            duration: '2s',
            receive_address: devnet.accounts.customers[i % 3]!.address,
          });
          assert.equal(res.status, 201, JSON.stringify(res.body));
          ids.push(res.body.id);
        });
        await Promise.all(placing);

        const deadline = Date.now() + 60_000;
        for (const id of ids) {
          for (;;) {
            const o = (await http('GET', `${apis[0]!.url}/api/orders/${id}`)).body;
            if (o.status === 'completed') break;
            if (Date.now() > deadline) throw new Error(`order ${id} stuck in ${o.status}`);
            await sleep(100);
          }
        }
        const txs = ((await (await fetch(`${devnet.url}/devnet/transactions`)).json()) as { transactions: any[] }).transactions;
        const mine = new Set<string>();
        for (const id of ids) mine.add((await http('GET', `${apis[1]!.url}/api/orders/${id}`)).body.delegate_txid);
        const included = txs.filter((t) => t.contractType === 'DelegateResourceContract' && t.status === 'included' && mine.has(t.txID));
        assert.equal(mine.size, ids.length);
        assert.equal(included.length, ids.length, 'one delegation per order on chain');
        for (const api of apis) assert.ok(api.logs.some((l) => l.path === 'queue' && l.msg === 'queued'), 'each API queued wake-ups');
        const actors = new Set(workers.flatMap((w) => w.logs.filter((l) => l.msg === 'energy delegated').map(() => w.child.pid)));
        assert.ok(actors.size >= 1);

        const metrics = await http('GET', `${apis[0]!.url}/metrics`);
        assert.equal(metrics.status, 200);
        assert.match(metrics.body, /joule_redis_up 1/);
        assert.match(metrics.body, /joule_orders\{status="completed"\} \d+/);
        const workerMetricsUrl = workers[0]!.logs.find((l) => l.msg === 'worker metrics listening').url;
        assert.equal((await fetch(workerMetricsUrl)).status, 401);
        const workerMetrics = await http('GET', workerMetricsUrl);
        assert.match(workerMetrics.body, /joule_order_active_delay_seconds_count \d+/);
        assert.match(workerMetrics.body, /joule_nodejs_eventloop_lag_seconds/);
      } finally {
        await Promise.all(procs.map((p) => p.stop()));
      }
    });
  });
});
