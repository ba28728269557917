// Joule's API (role `api`) on a fresh SQLite file for the dispatch benchmark.
// BENCH_DISPATCH picks what happens after an order commits:
//   queue            ENABLE_BACKGROUND_TASKS=true: the guarded, off-request-path wake-up
//   off              ENABLE_BACKGROUND_TASKS=false: nothing touches Redis (a worker's sweeper finds the order)
//   ping-in-request  the replaced system's shape: PING Redis, then enqueue, INSIDE the request
// Prints {"port":N} on its first stdout line.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { createGuards } from '../../src/api/auth.js';
import { loadConfig } from '../../src/config.js';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { sweeperDispatch, type Dispatch } from '../../src/dispatch/dispatch.js';
import { QueueDispatch } from '../../src/dispatch/queue-dispatch.js';
import { QUEUE_NAME } from '../../src/dispatch/redis-connection.js';
import { createLogger } from '../../src/observability/logger.js';
import { seedUsers } from './seed.js';

const mode = process.env.BENCH_DISPATCH ?? 'queue';
const dir = mkdtempSync(join(tmpdir(), 'joule-bench-'));
const url = `sqlite:${join(dir, 'joule.db')}`;
const config = loadConfig({
  DATABASE_URL: url,
  ADMIN_TOKEN: 'bench-admin-token-000000',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  ENABLE_BACKGROUND_TASKS: mode === 'queue' ? 'true' : 'false',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
});
const db = connect(url);
await migrate(db);
await seedUsers(db.kysely, Number(process.env.BENCH_USERS ?? 100_000));
const log = createLogger(config.logLevel, pino.destination({ fd: 2, sync: false }));

let dispatch: Dispatch = sweeperDispatch(log);
let comparator: { redis: Redis; queue: Queue } | undefined;
if (mode === 'queue') {
  const queued = new QueueDispatch(config.queue, log);
  dispatch = queued;
  // Start measuring once the connection had its chance (a refused Redis never gets ready).
  await new Promise((r) => setTimeout(r, 500));
} else if (mode === 'ping-in-request') {
  // ioredis defaults, as an application that never thought about outages would have them.
  const redis = new Redis(config.queue.redisUrl);
  redis.on('error', () => {});
  comparator = { redis, queue: new Queue(QUEUE_NAME, { connection: redis }) };
  comparator.queue.on('error', () => {});
}

const app = buildApp({ config, db, dispatch, guards: createGuards('bench-admin-token-000000', []) }, log);
if (comparator) {
  const { redis, queue } = comparator;
  app.addHook('preHandler', async (request) => {
    if (request.method === 'POST' && request.url.startsWith('/api/orders')) await redis.ping();
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'POST' && reply.statusCode === 201 && typeof payload === 'string') {
      const id = (JSON.parse(payload) as { id: string }).id;
      await queue.add('wake', { orderId: id }, { jobId: id, removeOnComplete: true });
    }
    return payload;
  });
}
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`);
process.on('SIGTERM', () => {
  // The comparator may be stuck on a dead Redis: do not wait for it.
  setTimeout(() => process.exit(0), 2000).unref();
  void app
    .close()
    .then(() => (dispatch.close ? dispatch.close() : undefined))
    .then(() => db.close())
    .then(() => process.exit(0));
});
