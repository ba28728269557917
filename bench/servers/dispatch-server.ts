// Joule's API (role `api`) on a fresh SQLite file for the dispatch benchmark.
// BENCH_DISPATCH picks what happens after an order commits:
//   queue            ENABLE_BACKGROUND_TASKS=true: the guarded, off-request-path wake-up
//   off              ENABLE_BACKGROUND_TASKS=false: nothing touches Redis (a worker's sweeper finds the order)
//   ping-in-request  the replaced system's shape: PING Redis, then enqueue, INSIDE the request
// Prints {"port":N} on its first stdout line; logs go to fd 2 through Joule's own
// destination (logDestination), as the real process's do.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAME } from '../../src/dispatch/redis-connection.js';
import { createLogger, logDestination } from '../../src/observability/logger.js';
import { benchJoule, serve } from '../lib/bench-joule.js';
import { seedUsers } from './seed.js';

const mode = process.env.BENCH_DISPATCH ?? 'queue';
const level = (process.env.LOG_LEVEL ?? 'info') as 'info';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const joule = await benchJoule(
  { JOULE_ROLE: 'api', LOG_LEVEL: level, ENABLE_BACKGROUND_TASKS: mode === 'queue' ? 'true' : 'false', REDIS_URL: redisUrl },
  // Joule's own destination, as the real process logs (lines held briefly), on fd 2: stdout carries the port.
  { log: createLogger(level, logDestination(2)) },
);
await seedUsers(joule.db.kysely, Number(process.env.BENCH_USERS ?? 100_000));

let comparator: { redis: Redis; queue: Queue } | undefined;
if (mode === 'queue') {
  // Start measuring once the connection had its chance (a refused Redis never gets ready).
  await new Promise((r) => setTimeout(r, 500));
} else if (mode === 'ping-in-request') {
  // ioredis defaults, as an application that never thought about outages would have them.
  const redis = new Redis(redisUrl);
  redis.on('error', () => {});
  comparator = { redis, queue: new Queue(QUEUE_NAME, { connection: redis }) };
  comparator.queue.on('error', () => {});
}

const app = joule.app!;
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
// The comparator may be stuck on a dead Redis: do not wait for it on SIGTERM.
await serve(joule, () => {
  setTimeout(() => process.exit(0), 2000).unref();
  return joule.close();
});
